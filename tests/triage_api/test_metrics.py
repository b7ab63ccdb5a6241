"""GET /metrics: handoffs, queue depth, escalations, the inbox and request latency, for
supervisors and the scrape token only."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from datetime import datetime, timedelta

from fastapi.testclient import TestClient
from prometheus_client.parser import text_string_to_metric_families
from prometheus_client.samples import Sample
from redis.asyncio import Redis

from tests.conftest import RedisServer, free_port
from tests.triage_api.conftest import (
    AGENT,
    BOT,
    SUPERVISOR,
    TRAINER,
    bearer,
    case,
    claim,
    handoff,
    open_ticket,
)
from tests.triage_api.test_handoff_inbox import store_handoff, wait_for_tickets
from triage_api.core.metrics import ApiMetrics, StoreGauges
from triage_api.core.security import hash_token
from triage_api.tickets.keys import TicketKeys

SCRAPE_TOKEN = "prometheus-scrape-token-for-the-tests"


def scrape(api: TestClient, headers: dict[str, str] = SUPERVISOR) -> str:
    response = api.get("/metrics", headers=headers)
    assert response.status_code == 200, response.text
    return response.text


def samples(text: str, name: str) -> list[Sample]:
    return [s for family in text_string_to_metric_families(text) for s in family.samples if s.name == name]


def value(text: str, name: str, **labels: str) -> float:
    """The sum of the samples called `name` whose labels include `labels` (0 if none)."""
    return sum(s.value for s in samples(text, name) if labels.items() <= s.labels.items())


def test_handoffs_and_a_claim_show_in_counters_and_queue_depth(desk: TestClient) -> None:
    first = open_ticket(desk, **case(1))
    second = open_ticket(desk, **case(2))
    assert first["queue"] == second["queue"]
    queue, severity = first["queue"], first["severity"]
    claim(desk, queue)

    text = scrape(desk)

    assert value(text, "triage_handoffs_created_total", queue=queue, severity=severity, via="api") == 2
    assert value(text, "triage_queue_waiting_tickets", queue=queue) == 1
    assert value(text, "triage_queue_waiting_tickets", queue="safety") == 0
    assert value(text, "triage_escalations_open") == 0
    assert value(text, "triage_events_stream_entries") == 3  # two created, one claimed
    assert value(text, "triage_store_up") == 1


def test_a_repeated_handoff_is_counted_apart_from_created_ones(desk: TestClient) -> None:
    open_ticket(desk)
    again = desk.post("/api/v1/handoffs", json=handoff(), headers=BOT)
    assert again.status_code == 200  # the conversation's open ticket

    text = scrape(desk)

    assert value(text, "triage_handoffs_created_total") == 1
    assert value(text, "triage_handoffs_repeated_total", via="api") == 1


def test_latency_is_labelled_by_route_template_never_by_raw_ids(desk: TestClient) -> None:
    ticket = open_ticket(desk, **case(1))
    assert desk.get(f"/api/v1/tickets/{ticket['id']}", headers=AGENT).status_code == 200
    assert desk.get(f"/api/v1/tickets/{ticket['id']}/audit", headers=AGENT).status_code == 200
    assert desk.get("/no/such/page/T2025", headers=AGENT).status_code == 404

    text = scrape(desk)

    routes = {s.labels["route"] for s in samples(text, "triage_http_request_duration_seconds_count")}
    assert {"/api/v1/tickets/{ticket_id}", "/api/v1/tickets/{ticket_id}/audit", "unmatched"} <= routes
    assert (
        value(
            text,
            "triage_http_request_duration_seconds_count",
            method="POST",
            route="/api/v1/handoffs",
            status="2xx",
        )
        == 1
    )
    assert ticket["id"] not in text
    assert "/no/such" not in text


def test_escalations_open_after_a_missed_deadline(desk: TestClient) -> None:
    ticket = open_ticket(desk)
    at = datetime.fromisoformat(ticket["created_at"]) + timedelta(minutes=6)
    desk.portal.call(desk.app.state.sla_monitor.check_once, at)  # type: ignore[attr-defined]

    assert value(scrape(desk), "triage_escalations_open") == 1


def test_a_handoff_delivered_from_the_inbox_is_counted_as_such(
    desk: TestClient, redis_server: RedisServer
) -> None:
    store_handoff(redis_server)
    assert len(wait_for_tickets(desk, "conv-1")) == 1
    inbox = TicketKeys("triage").inbox()
    deadline = time.monotonic() + 5
    while redis_server.client().xlen(inbox) and time.monotonic() < deadline:
        time.sleep(0.05)  # the entry is acknowledged and deleted just after its ticket is made

    text = scrape(desk)

    assert value(text, "triage_handoffs_created_total", via="inbox") == 1
    assert value(text, "triage_handoff_inbox_entries") == 0  # delivered: deleted from the inbox
    assert value(text, "triage_handoff_inbox_pending") == 0
    assert value(text, "triage_handoff_inbox_undelivered") == 0


def test_inbox_backlog_counts_entries_not_yet_read_and_ones_not_acknowledged(
    redis_server: RedisServer,
) -> None:
    keys = TicketKeys("metrics-backlog")
    redis_server.client().delete(keys.inbox())

    async def read() -> list[StoreGauges]:
        redis = Redis.from_url(redis_server.url, decode_responses=True)
        metrics = ApiMetrics(keys)
        try:
            before_any_api = [
                await redis.xadd(keys.inbox(), {"handoff": "{}"}),
                await metrics.read_store(redis),
            ]
            await redis.xgroup_create(keys.inbox(), "inbox", id="0")
            await redis.xadd(keys.inbox(), {"handoff": "{}"})
            await redis.xreadgroup("inbox", "api-1", {keys.inbox(): ">"}, count=1)  # taken, never acked
            return [before_any_api[1], await metrics.read_store(redis)]
        finally:
            await redis.aclose()

    before, after = asyncio.run(read())

    assert (before.inbox_entries, before.inbox_pending, before.inbox_undelivered) == (1, 0, 1)
    assert (after.inbox_entries, after.inbox_pending, after.inbox_undelivered) == (2, 1, 1)


def test_metrics_are_not_public(desk: TestClient) -> None:
    assert desk.get("/metrics").status_code == 401
    assert desk.get("/metrics", headers=bearer("not-a-token")).status_code == 401
    for headers in (AGENT, BOT, TRAINER):
        assert desk.get("/metrics", headers=headers).status_code == 403


def test_the_scrape_token_reads_metrics_and_nothing_else(make_api: Callable[..., TestClient]) -> None:
    api = make_api(metrics_token_sha256=hash_token(SCRAPE_TOKEN))

    assert "triage_store_up" in scrape(api, bearer(SCRAPE_TOKEN))
    assert api.get("/api/v1/escalations", headers=bearer(SCRAPE_TOKEN)).status_code == 401
    assert api.get("/api/v1/queues", headers=bearer(SCRAPE_TOKEN)).status_code == 401


def test_without_redis_the_process_counters_are_still_served(make_api: Callable[..., TestClient]) -> None:
    api = make_api(redis_url=f"redis://127.0.0.1:{free_port()}/0", retention_check_interval=0)
    assert api.post("/api/v1/handoffs", json=handoff(), headers=BOT).status_code == 503

    text = scrape(api)

    assert value(text, "triage_store_up") == 0
    assert (
        value(text, "triage_http_request_duration_seconds_count", route="/api/v1/handoffs", status="5xx") == 1
    )
    assert not samples(text, "triage_queue_waiting_tickets")
