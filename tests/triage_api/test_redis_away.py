"""With Redis unreachable every request gets a clear 503 with Retry-After, never a 500."""

from __future__ import annotations

from collections.abc import Callable

from fastapi.testclient import TestClient

from tests.conftest import free_port
from tests.triage_api.conftest import AGENT, BOT, SUPERVISOR, handoff


def test_requests_while_redis_is_unreachable_get_503(make_api: Callable[..., TestClient]) -> None:
    api = make_api(redis_url=f"redis://127.0.0.1:{free_port()}/0", retention_check_interval=0)
    answers = [
        api.post("/api/v1/handoffs", json=handoff(), headers=BOT),
        api.get("/api/v1/tickets", params={"conversation_id": "conv-1"}, headers=AGENT),
        api.get("/api/v1/shopper/tickets/T20990101ABCDEFGH", params={"order_id": "DY0000000000000001"}),
        api.get("/api/v1/queues", headers=AGENT),
        api.get("/api/v1/escalations", headers=SUPERVISOR),
    ]
    assert [a.status_code for a in answers] == [503] * len(answers), [a.text for a in answers]
    assert all(a.json()["error"]["code"] == "unavailable" and a.headers["Retry-After"] for a in answers)
    assert api.get("/health").status_code == 503
