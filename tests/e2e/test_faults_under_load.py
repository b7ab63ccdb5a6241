"""Kills under a bounded load of concurrent shoppers, on a stack of two Rasa servers behind the
round-robin proxy (shared trackers and lock store in Redis): `kill -9` of one Rasa server while
twelve shoppers go through their intakes loses, doubles and strands no case, and nobody is told a
misunderstanding. A shopper whose turn died with the server resends it, as the chat page asks
when a message did not go through ("消息没有发出去，请稍后再试")."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from devstack.stack import Stack
from knowledge_base.labels import shopper_message
from tests.e2e.load import kill_under_load, own_stack
from tests.e2e.test_faults import MISUNDERSTOOD, wait_healthy
from tests.e2e.test_intake_slice import SLICE_MESSAGE, say, tickets_of

# Its own stack's start-up and the waits for recovery, under CI's load: more than the default.
pytestmark = [pytest.mark.e2e, pytest.mark.timeout(900)]

SHOPPERS = 12


@pytest.fixture(scope="module")
def two_rasas(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    with own_stack(Path(tmp_path_factory.mktemp("two-rasas")), rasa_instances=2) as running:
        yield running


def say_resending(stack: Stack, sender: str, text: str) -> list[str]:
    """One message; resent every half second, for up to 90 s, while it does not go through."""
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        try:
            reply = say(stack, sender, text, channel="app_chat")
        except httpx.HTTPError:
            time.sleep(0.5)
            continue
        if reply != [shopper_message("bot_busy")]:
            return reply
        time.sleep(0.5)
    raise AssertionError(f"{sender}: {text!r} never went through")


def intake(stack: Stack, sender: str) -> list[str]:
    return say_resending(stack, sender, SLICE_MESSAGE) + say_resending(stack, sender, "是的")


def test_a_killed_rasa_server_under_load_loses_doubles_and_strands_no_case(two_rasas: Stack) -> None:
    senders = [f"rasa-kill-load-{n}" for n in range(SHOPPERS)]
    run = kill_under_load(two_rasas, senders, "rasa-2", intake)
    conversations, filed_before_kill, restarts = run.conversations, run.filed_before_kill, run.restarts_before
    assert filed_before_kill < SHOPPERS  # the kill came while intakes were under way
    port = two_rasas.rasa_ports["rasa-2"]
    wait_healthy(
        f"http://127.0.0.1:{port}/status?token={two_rasas.tokens.rasa_api}",
        two_rasas.settings.startup_timeout,
    )
    assert two_rasas.service("rasa-2").restarts == restarts + 1
    for sender, told in zip(senders, conversations, strict=True):
        assert not any(MISUNDERSTOOD in line for line in told), (sender, told)
        assert len(tickets_of(two_rasas, sender)) == 1, (sender, told)  # none lost, none doubled
        assert any("工单" in line for line in told), (sender, told)  # each was given its ticket


def test_redis_killed_under_load_comes_back_and_every_case_is_filed_once(two_rasas: Stack) -> None:
    senders = [f"redis-kill-load-{n}" for n in range(SHOPPERS)]
    run = kill_under_load(two_rasas, senders, "redis", intake)
    conversations, filed_before_kill, restarts = run.conversations, run.filed_before_kill, run.restarts_before
    assert filed_before_kill < SHOPPERS
    assert two_rasas.service("redis").restarts == restarts + 1
    for sender, told in zip(senders, conversations, strict=True):
        assert not any(MISUNDERSTOOD in line for line in told), (sender, told)
        assert len(tickets_of(two_rasas, sender)) == 1, (sender, told)
        assert any("工单" in line for line in told), (sender, told)
