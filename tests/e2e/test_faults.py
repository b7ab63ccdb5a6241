"""A child of the stack killed with SIGKILL comes back by itself while the others keep serving, and
no shopper is told anything untrue meanwhile (the stack fixture runs the supervisor, as `make run`)."""

from __future__ import annotations

import time

import pytest

from devstack.stack import Stack, http_ok
from knowledge_base.labels import shopper_message
from tests.e2e.load import kill, kill_under_load
from tests.e2e.test_intake_slice import SLICE_MESSAGE, say, tickets_of
from tests.e2e.test_rasa_instances import user_turns

pytestmark = pytest.mark.e2e


def wait_healthy(url: str, seconds: float = 180) -> float:
    started = time.monotonic()
    while not http_ok(url):
        assert time.monotonic() - started < seconds, f"{url} not back after {seconds:.0f} s"
        time.sleep(0.25)
    return time.monotonic() - started


def test_while_the_action_server_is_away_the_shopper_is_told_and_the_intake_resumes(stack: Stack) -> None:
    sender = "fault-action-server"
    assert "核对" in "".join(say(stack, sender, SLICE_MESSAGE, channel="app_chat"))
    restarts = kill(stack, "action-server")
    told = say(stack, sender, "是的")
    assert told == [shopper_message("bot_busy")]
    assert tickets_of(stack, sender) == []
    # The turn that lost its actions is cut off: the conversation holds the first message only,
    # so the resent "是的" meets the summary again, not a confirmation taken without a handoff.
    assert user_turns(stack, stack.rasa_url, sender) == [SLICE_MESSAGE]
    wait_healthy(f"http://127.0.0.1:{stack.settings.action_server_port}/health")
    assert stack.service("action-server").restarts == restarts + 1
    # Back where it was: the summary is still waiting for the shopper's yes.
    say(stack, sender, "是的")
    [ticket] = tickets_of(stack, sender)
    assert (ticket["order_id"], ticket["remedy"]) == ("2025112312345678", "refund_only")


def test_a_killed_triage_api_comes_back_and_the_bot_kept_answering(stack: Stack) -> None:
    restarts = kill(stack, "triage-api")
    assert "".join(say(stack, "fault-api-bot", "你好"))  # Rasa and the action server still serve
    wait_healthy(f"{stack.triage_url}/health")
    assert stack.service("triage-api").restarts == restarts + 1
    sender = "fault-api-after"
    say(stack, sender, SLICE_MESSAGE, channel="app_chat")
    say(stack, sender, "是的")
    assert len(tickets_of(stack, sender)) == 1


def test_redis_killed_comes_back_from_its_append_only_file_with_every_ticket(stack: Stack) -> None:
    sender = "fault-redis-before"
    say(stack, sender, SLICE_MESSAGE, channel="app_chat")
    say(stack, sender, "是的")
    [ticket] = tickets_of(stack, sender)
    time.sleep(1.5)  # appendfsync everysec: what was acknowledged a second ago is on disk
    restarts = kill(stack, "redis")
    deadline = time.monotonic() + 60
    while stack.service("redis").restarts == restarts and time.monotonic() < deadline:
        time.sleep(0.25)
    wait_healthy(f"{stack.triage_url}/health")
    assert [t["id"] for t in tickets_of(stack, sender)] == [ticket["id"]]
    after = "fault-redis-after"
    say(stack, after, SLICE_MESSAGE, channel="app_chat")
    say(stack, after, "是的")
    assert len(tickets_of(stack, after)) == 1


MISUNDERSTOOD = "没太明白"


def intake_despite_faults(stack: Stack, sender: str, health: str) -> list[str]:
    """One shopper's whole intake; after a busy reply they wait and send the same message again,
    as the reply asks. Everything the shopper was told."""
    told: list[str] = []
    for text in (SLICE_MESSAGE, "是的"):
        for _ in range(5):
            reply = say(stack, sender, text, channel="app_chat")
            told += reply
            if reply != [shopper_message("bot_busy")]:
                break
            wait_healthy(health)
    return told


def test_under_load_a_killed_action_server_loses_doubles_and_strands_nothing(stack: Stack) -> None:
    health = f"http://127.0.0.1:{stack.settings.action_server_port}/health"
    senders = [f"fault-load-{n}" for n in range(8)]
    run = kill_under_load(
        stack, senders, "action-server", lambda s, sender: intake_despite_faults(s, sender, health)
    )
    conversations = run.conversations
    wait_healthy(health)  # the next test finds the stack whole
    assert run.filed_before_kill < len(senders)  # the kill came while intakes were under way
    for sender, told in zip(senders, conversations, strict=True):
        assert not any(MISUNDERSTOOD in line for line in told), (sender, told)  # nobody was told a lie
        assert len(tickets_of(stack, sender)) == 1, (sender, told)  # none lost, none doubled
