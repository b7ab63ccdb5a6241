"""Erasing a shopper reaches the bot's tracker store too (through Rasa's HTTP API and its token)."""

from __future__ import annotations

import httpx
import pytest

from devstack.stack import Stack
from tests.e2e.test_intake_slice import SLICE_MESSAGE, say, tickets_of

pytestmark = pytest.mark.e2e

PHONE = "13812345678"


def tracker_text(stack: Stack, sender: str) -> str:
    answer = httpx.get(
        f"{stack.rasa_url}/conversations/{sender}/tracker",
        params={"token": stack.tokens.rasa_api},
        timeout=30,
    )
    answer.raise_for_status()
    return answer.text


def test_erasing_a_shopper_empties_their_tracker_and_deletes_their_ticket(stack: Stack) -> None:
    sender = "erasure-shopper"
    say(stack, sender, f"{SLICE_MESSAGE}，我电话{PHONE}")
    say(stack, sender, "是的")
    assert len(tickets_of(stack, sender)) == 1
    assert PHONE in tracker_text(stack, sender)

    answer = httpx.post(
        f"{stack.triage_url}/api/v1/shoppers/{sender}/erasure",
        headers={"Authorization": f"Bearer {stack.tokens.supervisor}"},
        timeout=60,
    )
    assert answer.status_code == 200, answer.text
    assert (answer.json()["tickets"], answer.json()["trackers"]) == (1, 1)
    assert PHONE not in tracker_text(stack, sender)
    assert tickets_of(stack, sender) == []
