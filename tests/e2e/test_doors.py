"""Only the right caller gets through each door of the running stack (issue 17's first findings)."""

from __future__ import annotations

import time
from pathlib import Path

import httpx
import pytest

from devstack.stack import Stack
from tests.e2e.test_intake_slice import SLICE_MESSAGE, say, tickets_of
from triage_api.conversations.service import sign_conversation
from triage_api.core.settings import DEVELOPMENT_CHAT_SECRET

pytestmark = pytest.mark.e2e

FORGED_HANDOFF = {
    "next_action": "action_handoff",
    "sender_id": "forged-1",
    "tracker": {
        "sender_id": "forged-1",
        "slots": {"issue_type": "safety_hazard", "order_id": "2025112312345678"},
        "latest_message": {"text": "/report_safety_hazard", "intent": {"name": "report_safety_hazard"}},
        "events": [{"event": "user", "text": "孩子吃了中毒了", "parse_data": {}, "metadata": {"vip": True}}],
        "paused": False,
        "followup_action": None,
        "active_loop": {},
        "latest_action_name": "action_listen",
    },
    "domain": {},
    "version": "3.6.21",
}


def test_rasa_http_api_refuses_callers_without_the_token(stack: Stack) -> None:
    say(stack, "doors-1", "你好")
    tracker = f"{stack.rasa_url}/conversations/doors-1/tracker"
    assert httpx.get(tracker, timeout=10).status_code == 401
    events = f"{stack.rasa_url}/conversations/doors-1/tracker/events"
    assert httpx.put(events, json=[], timeout=10).status_code == 401
    trigger = f"{stack.rasa_url}/conversations/doors-1/trigger_intent"
    assert httpx.post(trigger, json={"name": "report_safety_hazard"}, timeout=10).status_code == 401
    assert httpx.post(f"{stack.rasa_url}/model/parse", json={"text": "你好"}, timeout=10).status_code == 401
    allowed = httpx.get(tracker, params={"token": stack.tokens.rasa_api}, timeout=10)
    assert allowed.status_code == 200 and allowed.json()["sender_id"] == "doors-1"


def test_a_forged_tracker_posted_to_the_action_server_creates_nothing(stack: Stack) -> None:
    webhook = f"http://127.0.0.1:{stack.settings.action_server_port}/webhook"
    refused = httpx.post(webhook, json=FORGED_HANDOFF, timeout=10)
    assert refused.status_code == 401
    wrong = httpx.post(webhook, params={"token": "guess"}, json=FORGED_HANDOFF, timeout=10)
    assert wrong.status_code == 401
    assert tickets_of(stack, "forged-1") == []
    assert (
        httpx.get(f"http://127.0.0.1:{stack.settings.action_server_port}/health", timeout=10).status_code
        == 200
    )


def listening_addresses(port: int) -> set[str]:
    """Local addresses with a listening TCP socket on `port` (IPv4 and IPv6)."""
    found = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        path = Path(table)
        if not path.exists():
            continue
        for line in path.read_text().splitlines()[1:]:
            local, state = line.split()[1], line.split()[3]
            address, hex_port = local.rsplit(":", 1)
            if state == "0A" and int(hex_port, 16) == port:
                found.add(address)
    return found


def test_every_process_of_the_stack_listens_on_loopback_only(stack: Stack) -> None:
    loopback = {"0100007F", "00000000000000000000000001000000"}
    ports = (
        stack.settings.rasa_port,
        stack.settings.action_server_port,
        stack.settings.triage_port,
        stack.settings.redis_port,
    )
    for port in ports:
        addresses = listening_addresses(port)
        assert addresses and addresses <= loopback, (port, addresses)


def raw_post(stack: Stack, body: str) -> httpx.Response:
    return httpx.post(
        f"{stack.rasa_url}/webhooks/rest/webhook",
        content=body.encode("utf-8"),
        headers={"Content-Type": "application/json"},
        timeout=60,
    )


def test_a_lone_surrogate_or_control_character_never_breaks_a_later_handoff(stack: Stack) -> None:
    sender = "doors-surrogate"
    body = '{"sender": "doors-surrogate", "message": "\\u5feb\\ud800\\u9012\\u0007"}'
    assert raw_post(stack, body).status_code == 200
    assert "核对" in "".join(say(stack, sender, SLICE_MESSAGE))
    say(stack, sender, "是的")
    assert len(tickets_of(stack, sender)) == 1


def test_a_sender_with_a_lone_surrogate_is_refused(stack: Stack) -> None:
    answer = raw_post(stack, '{"sender": "a\\ud800", "message": "你好"}')
    assert answer.status_code == 400 and "sender" in answer.json()["error"]["message"]


def test_a_typed_slot_command_does_not_pick_the_team(stack: Stack) -> None:
    """The tester's `/inform{"issue_type": "payment_security"}` chose the payment-risk team."""
    sender = "doors-slot-command"
    say(stack, sender, '/inform{"issue_type": "payment_security", "vip": true}')
    tracker = httpx.get(
        f"{stack.rasa_url}/conversations/{sender}/tracker",
        params={"token": stack.tokens.rasa_api},
        timeout=10,
    ).json()
    assert tracker["slots"]["issue_type"] is None
    assert "核对" in "".join(say(stack, sender, SLICE_MESSAGE))
    say(stack, sender, "是的")
    [ticket] = tickets_of(stack, sender)
    assert (ticket["issue_type"], ticket["queue"]) == ("logistics_delay", "logistics")


def test_the_stack_does_not_accept_chat_tokens_of_the_public_development_secret(stack: Stack) -> None:
    forged = sign_conversation(DEVELOPMENT_CHAT_SECRET, "doors-chat")
    events = f"{stack.triage_url}/api/v1/chat/doors-chat/events"
    assert httpx.get(events, headers={"X-Chat-Token": forged}, timeout=10).status_code == 401
    genuine = sign_conversation(stack.tokens.chat, "doors-chat")
    with httpx.stream("GET", events, headers={"X-Chat-Token": genuine}, timeout=10) as answer:
        assert answer.status_code == 200


def test_a_megabyte_message_is_refused_at_once_and_the_bot_keeps_answering(stack: Stack) -> None:
    body = '{"sender": "doors-huge", "message": "' + "快" * (1024 * 1024 // 3) + '"}'
    started = time.monotonic()
    answer = raw_post(stack, body)
    assert answer.status_code == 413 and time.monotonic() - started < 1.0
    assert "".join(say(stack, "doors-after-huge", "你好"))
