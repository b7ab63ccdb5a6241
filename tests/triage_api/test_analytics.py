"""Review analytics: exact figures for a known set of tickets, roles, and period validation."""

from __future__ import annotations

from datetime import datetime, timedelta
from functools import partial
from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.conftest import RedisServer
from tests.triage_api.conftest import AGENT, SUPERVISOR, TRAINER, case, claim, open_ticket
from triage_api.core.security import Principal, Role
from triage_api.lifecycle.schemas import ReplyRequest, ResolveRequest, RevisitRequest
from triage_api.tickets.schemas import Remedy, Responsibility

DEV_AGENT = Principal(name="dev-agent", role=Role.agent)


class Desk:
    """Drives the lifecycle services with a chosen clock, through the app's own event loop."""

    def __init__(self, api: TestClient) -> None:
        self.api = api
        self.lifecycle = api.app.state.lifecycle  # type: ignore[attr-defined]

    def reply(self, ticket: dict[str, Any], after: timedelta) -> None:
        at = datetime.fromisoformat(ticket["created_at"]) + after
        self.api.portal.call(
            partial(self.lifecycle.reply, ticket["id"], DEV_AGENT, ReplyRequest(text="您好"), at)
        )

    def resolve(
        self, ticket: dict[str, Any], after: timedelta, responsibility: Responsibility | None = None
    ) -> None:
        at = datetime.fromisoformat(ticket["created_at"]) + after
        request = ResolveRequest(remedy=Remedy.refund_only, note="已退款", responsibility=responsibility)
        self.api.portal.call(partial(self.lifecycle.resolve, ticket["id"], DEV_AGENT, request, at))

    def revisit(self, ticket: dict[str, Any], csat: int) -> None:
        self.api.portal.call(
            partial(self.lifecycle.revisit, ticket["id"], DEV_AGENT, RevisitRequest(csat=csat))
        )


def summary(api: TestClient, headers: dict[str, str] = SUPERVISOR, **params: Any) -> Any:
    today = api.app.state.analytics.today()  # type: ignore[attr-defined]
    # Yesterday too, so a test running across local midnight still sees its tickets.
    query = {"from": (today - timedelta(days=1)).isoformat(), "to": today.isoformat(), **params}
    return api.get("/api/v1/analytics/summary", params=query, headers=headers)


def claimed(api: TestClient, queue: str, **overrides: Any) -> dict[str, Any]:
    ticket = open_ticket(api, **overrides)
    assert claim(api, queue)["ticket"]["id"] == ticket["id"]
    return ticket


def test_figures_for_a_known_set_of_tickets(desk: TestClient) -> None:
    work = Desk(desk)
    cup = {"issue_type": "quality_defect", "product": "保温杯 500ml", "host": "小李直播间"}
    # 1: a VIP, answered in 2 min, resolved in 1 h at first contact, CSAT 5
    first = claimed(desk, "quality", **{**case(1), "customer": {"id": "vip-1", "vip": True}}, **cup)
    work.reply(first, timedelta(minutes=2))
    work.resolve(first, timedelta(hours=1))
    work.revisit(first, 5)
    # 2: answered in 10 min, resolved in 2 h; the agent finds the courier responsible; CSAT 3
    second = claimed(desk, "quality", **case(2), **cup)
    work.reply(second, timedelta(minutes=10))
    work.resolve(second, timedelta(hours=2), Responsibility.logistics)
    work.revisit(second, 3)
    # 3: resolved in 5 min (the resolution is its first response), then reopened
    third = claimed(desk, "refunds", **case(3), issue_type="refund_problem", host="老王")
    work.resolve(third, timedelta(minutes=5))
    desk.post(f"/api/v1/tickets/{third['id']}/reopen", json={"reason": "钱没到"}, headers=AGENT)
    # 4: a left message (30 min to answer), moved to another queue while waiting
    fourth = open_ticket(desk, **case(4), channel="message", **cup)
    desk.post(
        f"/api/v1/tickets/{fourth['id']}/transfer",
        json={"queue": "refunds", "reason": "x"},
        headers=SUPERVISOR,
    )
    # 5: a safety hazard nobody answered within 5 min: the monitor records the breach
    fifth = open_ticket(
        desk, **case(5), issue_type="safety_hazard", product="充电宝 寄到广东省深圳市南山区科技园路88号"
    )
    desk.portal.call(
        desk.app.state.sla_monitor.check_once,  # type: ignore[attr-defined]
        datetime.fromisoformat(fifth["created_at"]) + timedelta(minutes=6),
    )

    figures = summary(desk).json()

    assert figures["tickets"] == 5
    assert figures["by_issue_type"] == {"quality_defect": 3, "refund_problem": 1, "safety_hazard": 1}
    assert sum(day["created"] for day in figures["days"]) == 5
    assert figures["top_products"] == [
        {"name": "保温杯 500ml", "count": 3},
        {"name": "充电宝 寄到广东省深圳市****", "count": 1},
    ]
    assert figures["top_hosts"] == [{"name": "小李直播间", "count": 3}, {"name": "老王", "count": 1}]
    assert figures["responsibility"] == {"logistics": 1, "merchant": 4}
    assert figures["vip_tickets"] == 1
    assert figures["first_response"] == {"count": 3, "mean_seconds": (120 + 600 + 300) / 3}
    assert figures["handling"] == {"count": 3, "mean_seconds": (3600 + 7200 + 300) / 3}
    assert figures["first_contact_resolution"] == {"resolved": 3, "first_contact": 2, "rate": round(2 / 3, 4)}
    assert figures["csat"] == {
        "responses": 2,
        "mean": 4.0,
        "distribution": {"1": 0, "2": 0, "3": 1, "4": 0, "5": 1},
    }
    assert figures["sla"] == {
        "tickets": 5,
        "breached_tickets": 1,
        "breach_rate": 0.2,
        "first_response_breaches": 1,
        "resolution_breaches": 0,
    }
    assert (figures["reopened"], figures["transferred"]) == (1, 1)


def test_an_empty_period_has_zeros_not_errors(desk: TestClient) -> None:
    figures = desk.get(
        "/api/v1/analytics/summary", params={"from": "2020-01-01", "to": "2020-01-31"}, headers=TRAINER
    ).json()
    assert (figures["tickets"], figures["csat"]["mean"], figures["sla"]["breach_rate"]) == (0, None, None)
    assert len(figures["days"]) == 31


def test_analytics_are_for_supervisors_and_trainers(desk: TestClient) -> None:
    assert summary(desk, TRAINER).status_code == 200
    assert summary(desk, AGENT).status_code == 403


@pytest.mark.parametrize(
    "params",
    [
        {"from": "2026-02-01", "to": "2026-01-01"},
        {"from": "2020-01-01", "to": "2026-01-01"},
        {"from": "yesterday"},
        {"top": 0},
    ],
)
def test_bad_periods_get_a_clear_422(desk: TestClient, params: dict[str, str]) -> None:
    response = desk.get("/api/v1/analytics/summary", params=params, headers=SUPERVISOR)
    assert (response.status_code, response.json()["error"]["code"]) == (422, "invalid_request")


def test_a_summary_reads_one_hash_per_day_and_no_ticket(desk: TestClient, redis_server: RedisServer) -> None:
    for i in range(30):
        open_ticket(desk, **case(i))
    redis = redis_server.client()
    redis.config_resetstat()
    assert summary(desk).json()["tickets"] == 30
    calls = {
        name.removeprefix("cmdstat_"): stat["calls"] for name, stat in redis.info("commandstats").items()
    }
    assert calls.get("hgetall") == 2  # yesterday and today
    assert {"get", "mget", "scan", "keys", "lrange", "zrange", "zrangebyscore"}.isdisjoint(calls)
