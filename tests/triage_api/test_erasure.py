"""A supervisor deletes one shopper's data everywhere; closed tickets leave after the retention period."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from datetime import datetime, timedelta, timezone
from typing import Any

import redis as redis_sync
from fastapi.testclient import TestClient

from tests.conftest import RedisServer, free_port
from tests.triage_api.conftest import AGENT, BOT, SUPERVISOR, claim, open_ticket
from triage_api.conversations.service import sign_conversation
from triage_api.core.settings import DEVELOPMENT_CHAT_SECRET
from triage_api.erasure.service import Eraser

PHONE_1, PHONE_2 = "13812345678", "13900001111"


def value_of(client: redis_sync.Redis, key: str) -> Any:
    kind = client.type(key)
    if kind == "string":
        return client.get(key)
    if kind == "hash":
        return client.hgetall(key)
    if kind == "list":
        return client.lrange(key, 0, -1)
    if kind == "set":
        return sorted(client.smembers(key))
    if kind == "zset":
        return client.zrange(key, 0, -1)
    return client.xrange(key)


def everything_in(client: redis_sync.Redis) -> str:
    """Every key and value of the database as one text, to search for what must be gone."""
    return "\n".join(
        f"{key} {json.dumps(value_of(client, key), ensure_ascii=False, default=str)}"
        for key in client.scan_iter(count=1000)
    )


def worked_ticket(api: TestClient, n: int, phone: str, name: str = "王小明") -> dict[str, Any]:
    """A ticket of shopper-n, claimed, answered, noted and resolved: thread, notes, chat, events."""
    ticket = open_ticket(
        api,
        conversation_id=f"conv-{n}",
        order_id=f"DY{n:016d}",
        customer={"id": f"shopper-{n}", "vip": False, "phone": phone},
        transcript=[{"role": "user", "text": f"收件人：{name} 电话{phone} 优惠券用不了", "ts": 1764000000.0}],
    )
    assert claim(api, ticket["queue"])["ticket"]["id"] == ticket["id"]
    base = f"/api/v1/tickets/{ticket['id']}"
    assert api.post(f"{base}/replies", json={"text": "您好，马上为您处理"}, headers=AGENT).status_code == 200
    assert api.post(f"{base}/notes", json={"text": f"回拨{phone}"}, headers=AGENT).status_code == 200
    resolved = api.post(f"{base}/resolve", json={"remedy": "compensation", "note": "已补券"}, headers=AGENT)
    assert resolved.status_code == 200, resolved.text
    return ticket


def test_a_supervisor_erases_one_shopper_everywhere_and_leaves_others_alone(
    desk: TestClient, redis_server: RedisServer
) -> None:
    mine, theirs = worked_ticket(desk, 1, PHONE_1), worked_ticket(desk, 2, PHONE_2, "赵大海")
    raw = redis_server.client()
    before = everything_in(raw)
    assert mine["id"] in before and PHONE_1 in before and "conv-1" in before

    answer = desk.post(
        "/api/v1/shoppers/shopper-1/erasure", json={"conversation_ids": ["conv-1"]}, headers=SUPERVISOR
    )
    assert answer.status_code == 200, answer.text
    assert answer.json() | {"stream_entries": 0} == {
        "customer_id": "shopper-1",
        "tickets": 1,
        "conversations": 1,
        "trackers": 0,  # no tracker store configured for this API
        "stream_entries": 0,
    }
    assert answer.json()["stream_entries"] > 0

    after = everything_in(raw)
    for gone in (mine["id"], PHONE_1, "conv-1", "shopper-1", "DY0000000000000001", "王小明"):
        assert gone not in after, gone
    assert desk.get(f"/api/v1/tickets/{mine['id']}", headers=SUPERVISOR).status_code == 404
    assert (
        desk.get("/api/v1/tickets", params={"conversation_id": "conv-1"}, headers=AGENT).json()["items"] == []
    )
    kept = desk.get(f"/api/v1/tickets/{theirs['id']}", headers=SUPERVISOR)
    assert kept.status_code == 200 and kept.json()["conversation_id"] == "conv-2"
    assert theirs["id"] in after and "conv-2" in after

    audit = desk.get("/api/v1/erasures", headers=SUPERVISOR).json()["items"]
    assert [(a["actor"], a["tickets"]) for a in audit] == [("dev-supervisor", 1)]
    assert audit[0]["customer_sha256"] == hashlib.sha256(b"shopper-1").hexdigest()[:16]

    again = desk.post("/api/v1/shoppers/shopper-1/erasure", headers=SUPERVISOR)
    assert (again.status_code, again.json()["tickets"]) == (200, 0)


def test_only_a_supervisor_may_erase_or_read_the_erasure_audit(desk: TestClient) -> None:
    ticket = open_ticket(desk)
    for who in (AGENT, BOT, {}):
        assert desk.post("/api/v1/shoppers/shopper-1/erasure", headers=who).status_code in (401, 403)
        assert desk.get("/api/v1/erasures", headers=who).status_code in (401, 403)
    assert desk.get(f"/api/v1/tickets/{ticket['id']}", headers=AGENT).status_code == 200


def test_an_unreachable_bot_store_deletes_nothing(make_api: Callable[..., TestClient]) -> None:
    api = make_api(tracker_redis_url=f"redis://127.0.0.1:{free_port()}/1")
    ticket = open_ticket(api)
    answer = api.post("/api/v1/shoppers/shopper-1/erasure", headers=SUPERVISOR)
    assert answer.status_code == 503 and answer.json()["error"]["code"] == "bot_unreachable"
    assert api.get(f"/api/v1/tickets/{ticket['id']}", headers=AGENT).status_code == 200


def test_closed_tickets_leave_after_the_retention_period_and_open_ones_stay(
    make_api: Callable[..., TestClient], redis_server: RedisServer
) -> None:
    api = make_api(closed_ticket_retention_days=30, retention_check_interval=0)
    closed = worked_ticket(api, 1, PHONE_1)
    chat_token = sign_conversation(DEVELOPMENT_CHAT_SECRET, "conv-1")
    revisit = api.post(
        f"/api/v1/tickets/{closed['id']}/revisit", json={"csat": 5}, headers={"X-Chat-Token": chat_token}
    )
    assert revisit.status_code == 200, revisit.text
    still_open = open_ticket(
        api, conversation_id="conv-9", customer={"id": "shopper-9"}, order_id="DY0000000000000009"
    )
    sweep = api.app.state.retention.sweep_once  # type: ignore[attr-defined]
    now = datetime.now(timezone.utc)

    assert api.portal.call(sweep, now + timedelta(days=29)) == 0  # type: ignore[union-attr]
    assert api.get(f"/api/v1/tickets/{closed['id']}", headers=SUPERVISOR).status_code == 200
    assert api.portal.call(sweep, now + timedelta(days=31)) == 1  # type: ignore[union-attr]
    assert api.get(f"/api/v1/tickets/{closed['id']}", headers=SUPERVISOR).status_code == 404
    assert api.get(f"/api/v1/tickets/{still_open['id']}", headers=SUPERVISOR).status_code == 200
    # Gone everywhere, not only from the ticket view: its thread, chat, events and the phone.
    after = everything_in(redis_server.client())
    for gone in (closed["id"], PHONE_1, "DY0000000000000001"):
        assert gone not in after, [line[:300] for line in after.splitlines() if gone in line]
    assert still_open["id"] in after


def test_an_inbox_handoff_of_the_shopper_counts_as_theirs() -> None:
    entry = {"handoff": json.dumps({"conversation_id": "c-x", "customer": {"id": "shopper-1"}})}
    assert Eraser._concerns(entry, set(), set(), "shopper-1")
    assert Eraser._concerns(entry, set(), {"c-x"}, None)
    assert not Eraser._concerns(entry, set(), {"c-y"}, "shopper-2")
    assert not Eraser._concerns({"handoff": "not json"}, set(), set(), "shopper-1")


def test_the_bot_trackers_of_the_shoppers_conversations_are_deleted(
    make_api: Callable[..., TestClient], redis_server: RedisServer
) -> None:
    trackers = redis_sync.Redis.from_url(redis_server.url.rsplit("/", 1)[0] + "/1", decode_responses=True)
    trackers.set("tracker:tracker:conv-1", '{"events": ["13812345678"]}')
    trackers.set("tracker:tracker:bot-only", "{}")
    trackers.set("tracker:tracker:conv-2", "{}")
    api = make_api(tracker_redis_url=redis_server.url.rsplit("/", 1)[0] + "/1")
    open_ticket(api)
    answer = api.post(
        "/api/v1/shoppers/shopper-1/erasure", json={"conversation_ids": ["bot-only"]}, headers=SUPERVISOR
    )
    assert (answer.json()["conversations"], answer.json()["trackers"]) == (2, 2)
    assert sorted(trackers.keys("tracker:*")) == ["tracker:tracker:conv-2"]
    trackers.delete("tracker:tracker:conv-2")
