"""The SLA monitor: breaches recorded and escalated, met deadlines left alone, revisit time-outs."""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import yaml
from fastapi.testclient import TestClient

from tests.triage_api.conftest import AGENT, BOT, SUPERVISOR, case, claim, open_ticket
from triage_api.core.settings import Settings
from triage_api.sla.schemas import Breach
from triage_api.tickets.keys import Deadline


def check(api: TestClient, at: datetime) -> list[Breach]:
    """One monitor pass at `at`, on the app's own event loop."""
    breaches: list[Breach] = api.portal.call(api.app.state.sla_monitor.check_once, at)  # type: ignore[attr-defined]
    return breaches


def created(ticket: dict[str, Any]) -> datetime:
    return datetime.fromisoformat(ticket["created_at"])


def ticket_view(api: TestClient, ticket: dict[str, Any]) -> dict[str, Any]:
    return dict(api.get(f"/api/v1/tickets/{ticket['id']}", headers=AGENT).json())


def test_a_missed_first_response_is_recorded_and_escalated(desk: TestClient) -> None:
    ticket = open_ticket(desk)  # normal, app chat: 5 minutes
    breaches = check(desk, created(ticket) + timedelta(minutes=6))
    after = ticket_view(desk, ticket)
    assert [(b.ticket_id, b.deadline) for b in breaches] == [(ticket["id"], Deadline.first_response)]
    assert after["sla"]["breached"] == ["first_response"]
    assert (after["severity"], after["escalated"]) == ("important", True)
    assert after["priority"] < ticket["priority"]


def test_an_escalated_ticket_moves_to_the_front_of_its_queue(desk: TestClient) -> None:
    later = open_ticket(desk, **case(1), channel="message")  # 30 minutes to first response
    early = open_ticket(desk, **case(2))  # 5 minutes
    check(desk, created(early) + timedelta(minutes=6))
    assert claim(desk, "general")["ticket"]["id"] == early["id"]
    assert ticket_view(desk, later)["sla"]["breached"] == []


def test_supervisors_see_escalations_until_resolution(desk: TestClient) -> None:
    ticket = open_ticket(desk)
    check(desk, created(ticket) + timedelta(minutes=6))
    listed = desk.get("/api/v1/escalations", headers=SUPERVISOR).json()["items"]
    assert [e["ticket"]["id"] for e in listed] == [ticket["id"]]
    assert listed[0]["ticket"]["phone"] == "138****5678"
    claim(desk, "general")
    desk.post(
        f"/api/v1/tickets/{ticket['id']}/resolve", json={"remedy": "apology", "note": "已致歉"}, headers=AGENT
    )
    assert desk.get("/api/v1/escalations", headers=SUPERVISOR).json()["items"] == []
    assert desk.get("/api/v1/escalations", headers=AGENT).status_code == 403


def test_a_reply_in_time_means_no_breach(desk: TestClient) -> None:
    ticket = open_ticket(desk)
    claim(desk, "general")
    desk.post(f"/api/v1/tickets/{ticket['id']}/replies", json={"text": "您好"}, headers=AGENT)
    assert check(desk, created(ticket) + timedelta(minutes=6)) == []
    assert ticket_view(desk, ticket)["sla"]["breached"] == []


def test_a_breach_is_recorded_once_and_written_to_the_audit_trail(desk: TestClient) -> None:
    ticket = open_ticket(desk)
    check(desk, created(ticket) + timedelta(minutes=6))
    check(desk, created(ticket) + timedelta(minutes=7))
    trail = desk.get(f"/api/v1/tickets/{ticket['id']}/audit", headers=AGENT).json()["entries"]
    breaches = [e for e in trail if e["action"] == "sla_breached"]
    assert [(e["actor"], e["deadline"], e["severity_to"]) for e in breaches] == [
        ("sla-monitor", "first_response", "important")
    ]


def test_a_missed_resolution_deadline_is_a_second_breach(desk: TestClient) -> None:
    ticket = open_ticket(desk)  # simple: 24 hours
    claim(desk, "general")
    desk.post(f"/api/v1/tickets/{ticket['id']}/replies", json={"text": "您好"}, headers=AGENT)
    breaches = check(desk, created(ticket) + timedelta(hours=25))
    assert [b.deadline for b in breaches] == [Deadline.resolution]
    assert ticket_view(desk, ticket)["sla"]["breached"] == ["resolution"]


def test_a_resolved_ticket_without_revisit_closes_after_the_timeout(desk: TestClient) -> None:
    ticket = open_ticket(desk)
    claim(desk, "general")
    resolved = desk.post(
        f"/api/v1/tickets/{ticket['id']}/resolve", json={"remedy": "apology", "note": "已致歉"}, headers=AGENT
    ).json()
    resolved_at = datetime.fromisoformat(resolved["resolution"]["at"])
    check(desk, resolved_at + timedelta(hours=71))
    assert ticket_view(desk, ticket)["status"] == "resolved"
    check(desk, resolved_at + timedelta(hours=73))
    assert ticket_view(desk, ticket)["status"] == "closed"


def test_the_monitor_runs_in_the_background_of_the_api(
    make_api: Callable[..., TestClient], api_settings: Settings, tmp_path: Path
) -> None:
    policy = yaml.safe_load(api_settings.policy_path.read_text(encoding="utf-8"))
    policy["sla"]["first_response"] = {key: "1s" for key in policy["sla"]["first_response"]}
    fast = tmp_path / "policy.yaml"
    fast.write_text(yaml.safe_dump(policy, allow_unicode=True), encoding="utf-8")
    api = make_api(policy_path=fast, sla_check_interval=0.2)
    ticket = open_ticket(api)
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and not ticket_view(api, ticket)["sla"]["breached"]:
        time.sleep(0.1)
    assert ticket_view(api, ticket)["sla"]["breached"] == ["first_response"]
    assert (
        api.get("/api/v1/escalations", headers=SUPERVISOR).json()["items"][0]["ticket"]["id"] == ticket["id"]
    )
    assert (
        api.post(
            f"/api/v1/tickets/{ticket['id']}/shopper-messages", json={"text": "人呢"}, headers=BOT
        ).status_code
        == 200
    )
