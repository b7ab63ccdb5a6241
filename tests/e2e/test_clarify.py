"""Misunderstood: the bot asks with its two best readings, and on the second miss in a row hands over."""

from __future__ import annotations

import httpx
import pytest

from devstack.stack import Stack
from knowledge_base.labels import intent_choices, shopper_message
from tests.e2e.test_intake_slice import tickets_of

pytestmark = pytest.mark.e2e


def turn(stack: Stack, sender: str, text: str) -> list[dict[str, object]]:
    response = httpx.post(
        f"{stack.rasa_url}/webhooks/rest/webhook",
        json={"sender": sender, "message": text, "metadata": {"channel": "app_chat"}},
        timeout=60,
    )
    response.raise_for_status()
    return list(response.json())


# Keyboard mash and Chinese nonsense: text in no words the training lines know gets no confidence
# (components.char_ngram_classifier.unfamiliar), so the bot asks instead of guessing.
MASH = "asdfghjkl"
NONSENSE = "嘀嘀嗒嗒 咚咚锵"


def test_a_misunderstood_message_is_asked_about_then_a_person_takes_over(stack: Stack) -> None:
    sender = "e2e-clarify-1"
    first = turn(stack, sender, MASH)
    buttons = [b for m in first for b in (m.get("buttons") or [])]  # type: ignore[union-attr]
    text = "".join(str(m.get("text") or "") for m in first)
    offered = {c["says"] for c in intent_choices().values()}
    if buttons:  # the model ranked readings it can offer: they are the buttons, plus a person
        assert "您是想" in text, first
        payloads = [b["payload"] for b in buttons]
        assert set(payloads) <= offered | {"转人工"} and "转人工" in payloads
    assert tickets_of(stack, sender) == []

    second = turn(stack, sender, "咕噜咕噜 叭叭叭")
    said = "".join(str(m.get("text") or "") for m in second)
    assert shopper_message("misunderstood_handoff") in said, second
    tickets = tickets_of(stack, sender)
    assert len(tickets) == 1
    assert tickets[0]["reason"] == "bot_misunderstood"


def test_a_button_answer_is_understood_and_the_count_starts_again(stack: Stack) -> None:
    sender = "e2e-clarify-2"
    turn(stack, sender, NONSENSE)
    reply = turn(stack, sender, intent_choices()["track_order"]["says"])
    text = "".join(str(m.get("text") or "") for m in reply)
    assert shopper_message("misunderstood_handoff") not in text
    again = turn(stack, sender, "咕噜咕噜 叭叭叭")
    assert shopper_message("misunderstood_handoff") not in "".join(str(m.get("text") or "") for m in again)
    assert tickets_of(stack, sender) == []
