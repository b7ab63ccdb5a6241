"""The foundation slice, through the running processes: no mocks of Rasa, actions, API or Redis."""

from __future__ import annotations

import httpx
import pytest

from devstack.stack import Stack

pytestmark = pytest.mark.e2e

SLICE_MESSAGE = "订单2025112312345678的快递一直没更新，我要退款"


def say(stack: Stack, sender: str, text: str, **metadata: object) -> list[str]:
    response = httpx.post(
        f"{stack.rasa_url}/webhooks/rest/webhook",
        json={"sender": sender, "message": text, "metadata": metadata},
        timeout=60,
    )
    response.raise_for_status()
    return [m.get("text", "") for m in response.json()]


def tickets_of(stack: Stack, conversation_id: str) -> list[dict[str, object]]:
    response = httpx.get(
        f"{stack.triage_url}/api/v1/tickets",
        params={"conversation_id": conversation_id},
        headers={"Authorization": f"Bearer {stack.tokens.agent}"},
        timeout=10,
    )
    response.raise_for_status()
    return list(response.json()["items"])


def test_complaint_with_all_facts_is_confirmed_then_lands_as_a_ticket(stack: Stack) -> None:
    sender = "e2e-slice-1"
    first = say(stack, sender, SLICE_MESSAGE, channel="app_chat")
    summary = "\n".join(first)
    assert "2025112312345678" in summary and "物流" in summary and "仅退款" in summary, first
    assert tickets_of(stack, sender) == []

    reply = say(stack, sender, "是的")
    tickets = tickets_of(stack, sender)
    assert len(tickets) == 1, reply
    ticket = tickets[0]
    assert (ticket["order_id"], ticket["issue_type"], ticket["remedy"]) == (
        "2025112312345678",
        "logistics_delay",
        "refund_only",
    )
    assert ticket["queue"] == "logistics"
    transcript = ticket["transcript"]
    assert isinstance(transcript, list)
    assert transcript[0] == {**transcript[0], "role": "user", "text": SLICE_MESSAGE}
    assert any(turn["role"] == "bot" for turn in transcript)
    assert str(ticket["id"]) in "".join(reply)
    assert "分钟内" in "".join(reply)


def test_missing_order_number_is_the_only_question(stack: Stack) -> None:
    sender = "e2e-slice-2"
    asked = "".join(say(stack, sender, "快递一直没更新，我要退款"))
    assert "订单" in asked and "核对" not in asked
    confirmed = "".join(say(stack, sender, "订单号是 DY-2025-1123-8888"))
    assert "DY202511238888" in confirmed and "核对" in confirmed


def test_live_comment_summary_never_echoes_the_order_number(stack: Stack) -> None:
    sender = "e2e-slice-3"
    replies = "".join(say(stack, sender, SLICE_MESSAGE, channel="live_comment"))
    assert "2025112312345678" not in replies
    assert "5678" in replies
