"""Redis killed and restarted on its append-only file: every ticket, queue and trail is still there."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from fastapi.testclient import TestClient

from devstack.redis_server import start_redis
from tests.conftest import RedisServer
from tests.triage_api.conftest import AGENT, SUPERVISOR, case, claim, open_ticket
from triage_api.core.settings import Settings
from triage_api.main import create_app


def everything(api: TestClient, ids: list[str]) -> dict[str, Any]:
    return {
        "tickets": [api.get(f"/api/v1/tickets/{i}", headers=AGENT).json() for i in ids],
        "audit": [api.get(f"/api/v1/tickets/{i}/audit", headers=AGENT).json() for i in ids],
        "queues": api.get("/api/v1/queues", headers=AGENT).json(),
        "mine": api.get("/api/v1/agents/me/tickets", headers=AGENT).json(),
        "analytics": api.get("/api/v1/analytics/summary", headers=SUPERVISOR).json(),
    }


def test_every_ticket_survives_a_crash_of_redis(
    api_settings: Settings, make_api: Callable[..., TestClient], redis_server: RedisServer
) -> None:
    # everysec could lose the last second on a crash; the guarantee tested here is "always"
    redis_server.client().config_set("appendfsync", "always")
    with TestClient(create_app(api_settings.model_copy(update={"sla_check_interval": 0}))) as api:
        ids = [open_ticket(api, **case(i))["id"] for i in range(12)]
        held = claim(api, "general")["ticket"]["id"]
        api.post(f"/api/v1/tickets/{held}/notes", json={"text": "已联系商家"}, headers=AGENT)
        api.post(
            f"/api/v1/tickets/{held}/resolve", json={"remedy": "apology", "note": "已致歉"}, headers=AGENT
        )
        claim(api, "general")
        before = everything(api, ids)

    redis_server.process.kill()  # SIGKILL: no chance to flush anything on the way out
    redis_server.process.wait(timeout=20)
    redis_server.process = start_redis(redis_server.data_dir, redis_server.port)

    after = everything(make_api(), ids)
    assert after == before
    assert [t["status"] for t in after["tickets"]].count("new") == 10
