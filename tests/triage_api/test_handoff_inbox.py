"""The durable handoff inbox: handoffs the action server stored in Redis while the API was
unreachable become tickets once the API runs, exactly once per handoff key."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from typing import Any

from fastapi.testclient import TestClient

from knowledge_base.labels import label, shopper_message
from tests.conftest import RedisServer
from tests.triage_api.conftest import AGENT, BOT, case, claim, handoff
from triage_api.tickets.keys import TicketKeys

KEYS = TicketKeys("triage")
WAIT_SECONDS = 5.0


def store_handoff(redis_server: RedisServer, key: str = "hk-conv-1-0001", **overrides: Any) -> None:
    """What the action server does when POST /handoffs fails: the body goes to the inbox stream."""
    body = {**handoff(**overrides), "handoff_key": key}
    redis_server.client().xadd(KEYS.inbox(), {"handoff": json.dumps(body, ensure_ascii=False)})


def tickets_of(api: TestClient, conversation_id: str) -> list[dict[str, Any]]:
    response = api.get("/api/v1/tickets", params={"conversation_id": conversation_id}, headers=AGENT)
    assert response.status_code == 200, response.text
    return list(response.json()["items"])


def wait_for_tickets(api: TestClient, conversation_id: str) -> list[dict[str, Any]]:
    """The conversation's tickets once it has any (or an empty list after the wait)."""
    deadline = time.monotonic() + WAIT_SECONDS
    while not (found := tickets_of(api, conversation_id)) and time.monotonic() < deadline:
        time.sleep(0.05)
    return found


def chat_of(redis_server: RedisServer, conversation_id: str = "conv-1") -> list[dict[str, str]]:
    """What the conversation's chat stream told the shopper, once it told anything (or after the wait)."""
    deadline = time.monotonic() + WAIT_SECONDS
    while True:
        rows: Any = redis_server.client().xrange(KEYS.chat(conversation_id))
        if rows or time.monotonic() > deadline:
            return [dict(fields) for _, fields in rows]
        time.sleep(0.05)


def resolve(api: TestClient, ticket: dict[str, Any]) -> None:
    assert claim(api, ticket["queue"])["ticket"]["id"] == ticket["id"]
    response = api.post(
        f"/api/v1/tickets/{ticket['id']}/resolve",
        json={"remedy": "compensation", "note": "已补券"},
        headers=AGENT,
    )
    assert response.status_code == 200, response.text


def test_a_handoff_stored_while_the_api_was_down_becomes_a_ticket_when_it_starts(
    make_api: Callable[..., TestClient], redis_server: RedisServer
) -> None:
    store_handoff(redis_server)
    api = make_api()
    delivered = wait_for_tickets(api, "conv-1")
    assert [(t["status"], t["order_id"], t["reason"]) for t in delivered] == [
        ("new", "2025112312345678", "intake_complete")
    ]
    # Delivered, the handoff's personal data lives in the ticket only, not in the inbox too.
    deadline = time.monotonic() + WAIT_SECONDS
    while redis_server.client().xlen(KEYS.inbox()) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert redis_server.client().xlen(KEYS.inbox()) == 0


def test_a_handoff_stored_twice_is_delivered_once(
    make_api: Callable[..., TestClient], redis_server: RedisServer
) -> None:
    store_handoff(redis_server)
    store_handoff(redis_server)
    store_handoff(redis_server, key="hk-conv-2-0001", **case(2))  # after both: once it is in, they were seen
    api = make_api()
    wait_for_tickets(api, "conv-2")
    assert len(tickets_of(api, "conv-1")) == 1


def test_a_handoff_delivered_again_after_its_ticket_was_resolved_opens_no_second_ticket(
    make_api: Callable[..., TestClient], redis_server: RedisServer
) -> None:
    store_handoff(redis_server)
    api = make_api()
    [ticket] = wait_for_tickets(api, "conv-1")
    resolve(api, ticket)
    store_handoff(redis_server)  # the action server stored it again, not knowing it had arrived
    store_handoff(redis_server, key="hk-conv-2-0001", **case(2))
    wait_for_tickets(api, "conv-2")
    assert [t["id"] for t in tickets_of(api, "conv-1")] == [ticket["id"]]


def test_posting_a_handoff_whose_key_was_delivered_returns_that_ticket(
    make_api: Callable[..., TestClient], redis_server: RedisServer
) -> None:
    store_handoff(redis_server)
    api = make_api()
    [ticket] = wait_for_tickets(api, "conv-1")
    resolve(api, ticket)  # the conversation has no open ticket now: only the key can tell
    again = api.post("/api/v1/handoffs", json={**handoff(), "handoff_key": "hk-conv-1-0001"}, headers=BOT)
    assert (again.status_code, again.json()["id"]) == (200, ticket["id"])


def test_a_malformed_entry_is_dropped_and_the_next_ones_are_delivered(
    make_api: Callable[..., TestClient], redis_server: RedisServer
) -> None:
    client = redis_server.client()
    client.xadd(KEYS.inbox(), {"handoff": "{not json"})
    client.xadd(
        KEYS.inbox(), {"handoff": json.dumps({"conversation_id": "conv-1"})}
    )  # no channel, no customer
    client.xadd(KEYS.inbox(), {"something": "else"})
    store_handoff(redis_server)
    api = make_api()
    assert len(wait_for_tickets(api, "conv-1")) == 1


def test_a_malformed_entry_is_not_retried_forever(
    make_api: Callable[..., TestClient], redis_server: RedisServer
) -> None:
    redis_server.client().xadd(KEYS.inbox(), {"handoff": "{not json"})
    store_handoff(redis_server)
    api = make_api()
    wait_for_tickets(api, "conv-1")
    assert redis_server.client().xpending(KEYS.inbox(), "inbox")["pending"] == 0


def test_the_shopper_is_told_the_ticket_number_once_a_stored_handoff_arrives(
    make_api: Callable[..., TestClient], redis_server: RedisServer
) -> None:
    store_handoff(redis_server)
    api = make_api()
    [ticket] = wait_for_tickets(api, "conv-1")
    told = shopper_message(
        "delivered_later", {"team": label("queue", ticket["queue"]), "ticket_id": ticket["id"]}
    )
    assert [(m["kind"], m["text"]) for m in chat_of(redis_server)] == [("progress", told)]


def test_a_handoff_posted_directly_says_nothing_about_a_late_delivery(
    desk: TestClient, redis_server: RedisServer
) -> None:
    posted = desk.post("/api/v1/handoffs", json=handoff(), headers=BOT).json()
    assert claim(desk, posted["queue"])["ticket"]["id"] == posted["id"]  # its claim is told: the relay ran
    assert [m["text"] for m in chat_of(redis_server)] == [shopper_message("claimed", {"agent": "dev-agent"})]
