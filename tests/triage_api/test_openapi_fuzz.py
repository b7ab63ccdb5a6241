"""Fuzzing the triage API against its own OpenAPI (schemathesis): for every operation and every
caller, no server error, only documented status codes and bodies, and no schema-valid request
refused as malformed."""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import date

import pytest
import schemathesis
from fastapi import FastAPI
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, Phase, seed, settings
from schemathesis.checks import not_a_server_error
from schemathesis.python import asgi
from schemathesis.specs.openapi.checks import (
    positive_data_acceptance,
    response_schema_conformance,
    status_code_conformance,
)

from tests.conftest import RedisServer
from tests.triage_api.conftest import SUPERVISOR, handoff
from tests.triage_api.conftest import case as unrelated_case
from triage_api.core.settings import Settings
from triage_api.main import create_app

SEED = 20261202
# 25 cases per operation, each sent as every caller: about 9,000 calls in under two minutes here.
EXAMPLES_PER_OPERATION = 25
CALLERS: dict[str, dict[str, str]] = {
    "anonymous": {},
    "bot": {"Authorization": "Bearer dev-bot-token"},
    "agent": {"Authorization": "Bearer dev-agent-token"},
    "supervisor": {"Authorization": "Bearer dev-supervisor-token"},
    "trainer": {"Authorization": "Bearer dev-trainer-token"},
}
CHECKS = [not_a_server_error, status_code_conformance, response_schema_conformance, positive_data_acceptance]
# Push streams (server-sent events) never end by themselves: an in-process call would wait forever
# on their heartbeats. tests/triage_api/test_relay.py and the browser tests cover them.
STREAMS = ("/api/v1/console/events", "/api/v1/chat/{conversation_id}/events")
SEEDED_TICKETS = 6

calls_sent: list[int] = []


def fuzz_settings(redis_url: str = "redis://127.0.0.1:1/0") -> Settings:
    return Settings(redis_url=redis_url, kb_enabled=False, max_body_bytes=64 * 1024, sla_check_interval=0)


# The schema is read from an application that never starts (no Redis needed at collection); the
# cases go to `fuzzed_app`, built on the test Redis.
schema = schemathesis.openapi.from_dict(create_app(fuzz_settings()).openapi()).exclude(path=list(STREAMS))


@schema.hook
def map_case(context: schemathesis.HookContext, case: schemathesis.Case) -> schemathesis.Case:
    """Rules across fields that a JSON schema cannot state, documented with each route's 422: a
    transfer names exactly one of queue and agent, and an agent who exists; a period of the
    analytics runs forwards over at most 366 days."""
    path = case.operation.path
    if path == "/api/v1/tickets/{ticket_id}/transfer" and isinstance(case.body, dict):
        if case.body.get("agent") is not None or case.body.get("queue") is None:
            case.body = {**case.body, "agent": "dev-agent", "queue": None}
    elif path == "/api/v1/analytics/summary" and case.query and "from" in case.query:
        first, last = _day(case.query["from"]), _day(case.query.get("to"))
        if first is not None and (last is None or not 0 <= (last - first).days < 366):
            case.query = {**case.query, "to": case.query["from"]}
    return case


def _day(value: object) -> date | None:
    try:
        return date.fromisoformat(str(value))
    except ValueError:
        return None


@pytest.fixture(scope="module")
def fuzzed_app(redis_server: RedisServer) -> Iterator[FastAPI]:
    """The API on a flushed Redis with a few open tickets, so that ids in paths sometimes exist.
    Its lifespan is schemathesis's own: the in-process client starts it at the first call."""
    redis_server.client().flushdb()
    app = create_app(fuzz_settings(redis_server.url))
    with asgi.get_client(app) as client:
        for n in range(SEEDED_TICKETS):
            body = handoff(**unrelated_case(n))
            response = client.post(f"http://{asgi.HOST}/api/v1/handoffs", json=body, headers=CALLERS["bot"])
            assert response.status_code == 201, response.text
    started = time.monotonic()
    yield app
    print(f"\nfuzzing: {len(calls_sent)} calls, seed {SEED}, {time.monotonic() - started:.1f} s")
    asgi.shutdown_lifespans()


@schema.parametrize()
@seed(SEED)
@settings(
    max_examples=EXAMPLES_PER_OPERATION,
    database=None,
    deadline=None,
    suppress_health_check=list(HealthCheck),
    # No shrinking: a failure shows the first failing case at once, and a run keeps its bounded time.
    phases=[Phase.explicit, Phase.generate],
)
def test_every_caller_gets_a_documented_answer(case: schemathesis.Case, fuzzed_app: FastAPI) -> None:
    checks = CHECKS
    if case.operation.path.startswith("/api/v1/kb/"):
        # The KB is off here (loading the encoder takes minutes), so its routes answer their
        # documented 503; tests/knowledge_base/test_kb_api.py covers them with the KB loaded.
        checks = [check for check in CHECKS if check is not not_a_server_error]
    for headers in CALLERS.values():
        case.call_and_validate(headers=headers, checks=checks, app=fuzzed_app)
        calls_sent.append(1)


def test_the_default_week_stops_at_the_first_day_a_date_can_name(desk: TestClient) -> None:
    response = desk.get("/api/v1/analytics/summary", params={"to": "0001-01-01"}, headers=SUPERVISOR)
    assert (response.status_code, response.json()["date_from"]) == (200, "0001-01-01")
