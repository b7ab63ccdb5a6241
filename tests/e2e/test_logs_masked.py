"""No process of the running stack writes a shopper's phone, address, a looked-up order number or
a token from a query string into its log (the tester's findings: query strings, Rasa and the
action server were not masked)."""

from __future__ import annotations

import httpx
import pytest

from devstack.stack import Stack
from tests.e2e.test_intake_slice import say

pytestmark = pytest.mark.e2e

SECRETS_IN_TRAFFIC = {
    "phone in the chat": "13812345678",
    "phone in a search query": "13912345678",
    "phone in an action-server query": "13712345678",
    "looked-up order number": "DY7777000011112222",
    "street address": "科技园路88号",
}


def test_the_logs_of_every_process_hold_no_personal_data_or_query_strings(stack: Stack) -> None:
    say(stack, "logs-masked", "我电话13812345678，地址广东省深圳市南山区科技园路88号，快递一直没到")
    agent = {"Authorization": f"Bearer {stack.tokens.agent}"}
    httpx.get(
        f"{stack.triage_url}/api/v1/kb/search", params={"q": "我的电话13912345678"}, headers=agent, timeout=30
    )
    httpx.get(
        f"{stack.triage_url}/api/v1/shopper/tickets/T20990101ABCDEFGH",
        params={"order_id": "DY7777000011112222"},
        timeout=10,
    )
    httpx.post(f"{stack.action_url}?token=wrong&phone=13712345678", json={}, timeout=10)
    httpx.get(
        f"{stack.rasa_url}/conversations/logs-masked/tracker",
        params={"token": stack.tokens.rasa_api},
        timeout=30,
    )

    logs = {
        path.name: path.read_text(encoding="utf-8", errors="replace") for path in stack.log_dir.glob("*.log")
    }
    assert {"rasa.log", "action-server.log", "triage-api.log"} <= set(logs)
    # The lookup is in the access log, without its query string: the check can see what it checks.
    assert "/api/v1/shopper/tickets/T20990101ABCDEFGH?…" in logs["triage-api.log"]
    for name, text in logs.items():
        for what, value in SECRETS_IN_TRAFFIC.items():
            assert value not in text, f"{what} in {name}"
        assert stack.tokens.rasa_api not in text, f"Rasa's token in {name}"
        assert stack.tokens.action_server not in text, f"the action server's secret in {name}"
