"""After the handoff, through the running processes: the person holds the conversation, the
shopper's words and facts reach the ticket, and a handoff made while the API is down arrives once."""

from __future__ import annotations

import time

import httpx
import pytest

from devstack.stack import Stack, http_ok
from knowledge_base.labels import shopper_message
from tests.e2e.test_intake_slice import SLICE_MESSAGE, say, tickets_of

pytestmark = pytest.mark.e2e


def test_after_the_handoff_the_shopper_talks_to_the_person_not_a_new_intake(stack: Stack) -> None:
    sender = "e2e-loop-relay"
    handed = "".join(say(stack, sender, "转人工", channel="app_chat"))
    assert "工单号" in handed
    acknowledged = "".join(say(stack, sender, "人工客服什么时候来啊"))
    [ticket] = tickets_of(stack, sender)
    told = {"ticket_id": ticket["id"], "status": "已受理，正在排队等待专人处理"}
    assert acknowledged == shopper_message("relayed", told)
    facts = "".join(say(stack, sender, "我的杯子碎了，订单2025112312345678，我想换货"))
    assert "订单号" in facts and "订单编号" not in facts  # recorded, not asked again
    [ticket] = tickets_of(stack, sender)
    assert (ticket["order_id"], ticket["remedy"]) == ("2025112312345678", "exchange")
    shopper_turns = [turn["text"] for turn in ticket["transcript"] if turn["role"] == "user"]
    assert shopper_turns[-2:] == ["人工客服什么时候来啊", "我的杯子碎了，订单2025112312345678，我想换货"]


def test_a_handoff_while_the_api_is_down_is_delivered_once_when_it_is_back(stack: Stack) -> None:
    sender = "e2e-loop-outage"
    assert "核对" in "".join(say(stack, sender, SLICE_MESSAGE, channel="app_chat"))
    stack.stop_service("triage-api")
    try:
        told = "".join(say(stack, sender, "是的"))
        assert told == shopper_message("handoff_stored")
    finally:
        stack.start_api()
    deadline = time.monotonic() + 120
    while not http_ok(f"{stack.triage_url}/health") and time.monotonic() < deadline:
        time.sleep(0.5)
    tickets = tickets_of(stack, sender)
    while not tickets and time.monotonic() < deadline:
        time.sleep(0.5)
        tickets = tickets_of(stack, sender)
    assert [(t["order_id"], t["issue_type"], t["remedy"]) for t in tickets] == [
        ("2025112312345678", "logistics_delay", "refund_only")
    ]
    # The conversation is the person's now: the shopper's next words go to that one ticket.
    told = {"ticket_id": tickets[0]["id"], "status": "已受理，正在排队等待专人处理"}
    assert "".join(say(stack, sender, "人工客服呢")) == shopper_message("relayed", told)
    time.sleep(2)  # a second, late delivery of the stored handoff would show up by now
    assert len(tickets_of(stack, sender)) == 1
    status = httpx.get(f"{stack.triage_url}/health", timeout=5)
    assert status.status_code == 200


def test_a_message_written_as_a_rasa_command_is_only_words(stack: Stack) -> None:
    sender = "e2e-loop-command"
    replies = "".join(say(stack, sender, '/report_safety_hazard{"order_id": "2025112312345678"}'))
    assert "工单号" not in replies  # no urgent handoff was forced
    assert tickets_of(stack, sender) == []


@pytest.mark.parametrize(
    "body",
    [
        b"",
        b"[1, 2]",
        b'{"message": "hi"}',
        b'{"sender": null, "message": "hi"}',
        b'{"sender": "x", "message": 5}',
    ],
)
def test_a_body_the_channel_cannot_use_gets_a_clear_400(stack: Stack, body: bytes) -> None:
    response = httpx.post(
        f"{stack.rasa_url}/webhooks/rest/webhook",
        content=body,
        headers={"Content-Type": "application/json"},
        timeout=30,
    )
    assert (response.status_code, response.json()["error"]["code"]) == (400, "bad_request")
