"""The running stack's /metrics: one intake conversation shows as a handoff in the action server's
and the triage API's numbers; neither door opens without its secret."""

from __future__ import annotations

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

from devstack.stack import Stack
from tests.e2e.test_intake_slice import SLICE_MESSAGE, say, tickets_of

pytestmark = pytest.mark.e2e


def action_server_metrics(stack: Stack) -> httpx.Response:
    return httpx.get(
        f"http://127.0.0.1:{stack.settings.action_server_port}/metrics",
        params={"token": stack.tokens.action_server},
        timeout=10,
    )


def value(text: str, name: str, **labels: str) -> float:
    return sum(
        sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
        if sample.name == name and labels.items() <= sample.labels.items()
    )


def api_metrics(stack: Stack) -> str:
    response = httpx.get(
        f"{stack.triage_url}/metrics",
        headers={"Authorization": f"Bearer {stack.tokens.supervisor}"},
        timeout=10,
    )
    response.raise_for_status()
    return response.text


def test_an_intake_conversation_is_counted_by_both_servers(stack: Stack) -> None:
    before = action_server_metrics(stack).text
    api_before = api_metrics(stack)
    sender = "e2e-metrics-1"
    say(stack, sender, SLICE_MESSAGE, channel="app_chat")
    say(stack, sender, "是的")
    assert len(tickets_of(stack, sender)) == 1

    after = action_server_metrics(stack)
    api_after = api_metrics(stack)

    assert after.status_code == 200
    assert value(after.text, "actions_handoffs_total", outcome="posted") == (
        value(before, "actions_handoffs_total", outcome="posted") + 1
    )
    assert value(after.text, "actions_runs_total", action="action_handoff", outcome="ok") == (
        value(before, "actions_runs_total", action="action_handoff", outcome="ok") + 1
    )
    assert value(after.text, "actions_run_duration_seconds_count", action="action_handoff") >= 1
    assert value(api_after, "triage_handoffs_created_total", queue="logistics", via="api") == (
        value(api_before, "triage_handoffs_created_total", queue="logistics", via="api") + 1
    )
    assert sender not in after.text and sender not in api_after


def test_the_action_servers_metrics_need_its_secret(stack: Stack) -> None:
    url = f"http://127.0.0.1:{stack.settings.action_server_port}/metrics"
    assert httpx.get(url, timeout=10).status_code == 401
    assert httpx.get(url, params={"token": "guess"}, timeout=10).status_code == 401
    as_prometheus = httpx.get(
        url, headers={"Authorization": f"Bearer {stack.tokens.action_server}"}, timeout=10
    )
    assert as_prometheus.status_code == 200 and "actions_runs_total" in as_prometheus.text


def test_the_apis_metrics_need_a_supervisor(stack: Stack) -> None:
    url = f"{stack.triage_url}/metrics"
    assert httpx.get(url, timeout=10).status_code == 401
    agent = httpx.get(url, headers={"Authorization": f"Bearer {stack.tokens.agent}"}, timeout=10)
    assert agent.status_code == 403
