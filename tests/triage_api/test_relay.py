"""The relay to the shopper (信息透明) and the live streams: ticket changes become messages in the
shopper's chat, read through the shopper's SSE stream; the console's stream tells changes, not texts."""

from __future__ import annotations

import contextlib
import json
import queue
import threading
import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient

from knowledge_base.labels import shopper_message
from tests.conftest import RedisServer
from tests.triage_api.conftest import AGENT, BOT, SUPERVISOR, claim, open_ticket
from triage_api.conversations.service import sign_conversation
from triage_api.core.settings import DEVELOPMENT_CHAT_SECRET
from triage_api.flows.relay import CHAT_MAXLEN
from triage_api.tickets.keys import TicketKeys

CHAT = TicketKeys("triage").chat("conv-1")
WAIT_SECONDS = 5.0


def post(
    api: TestClient, ticket: dict[str, Any], action: str, body: dict[str, Any], headers: dict[str, str]
) -> Any:
    response = api.post(f"/api/v1/tickets/{ticket['id']}/{action}", json=body, headers=headers)
    assert response.status_code == 200, response.text
    return response


def assigned_ticket(api: TestClient) -> dict[str, Any]:
    ticket = open_ticket(api)
    assert claim(api, ticket["queue"])["ticket"]["id"] == ticket["id"]
    return ticket


def chat_entries(redis_server: RedisServer) -> list[tuple[str, dict[str, str]]]:
    """The conversation's chat stream as stored: (entry id, fields), oldest first."""
    rows: Any = redis_server.client().xrange(CHAT)
    return [(str(entry_id), dict(fields)) for entry_id, fields in rows]


def chat_until(
    redis_server: RedisServer, done: Callable[[list[dict[str, str]]], bool]
) -> list[dict[str, str]]:
    """The conversation's chat messages, once `done` holds for them (or the wait is over)."""
    deadline = time.monotonic() + WAIT_SECONDS
    while True:
        messages = [fields for _, fields in chat_entries(redis_server)]
        if done(messages) or time.monotonic() > deadline:
            return messages
        time.sleep(0.05)


def has_text(text: str) -> Callable[[list[dict[str, str]]], bool]:
    return lambda messages: any(m.get("text") == text for m in messages)


def chat_token(conversation_id: str = "conv-1") -> dict[str, str]:
    return {"X-Chat-Token": sign_conversation(DEVELOPMENT_CHAT_SECRET, conversation_id)}


class EventStream:
    """A server-sent event stream read on a thread, so that a test waits for events with a time limit."""

    def __init__(self, api: TestClient, path: str, headers: dict[str, str]) -> None:
        self._opened = api.stream("GET", path, headers=headers)
        self.response = self._opened.__enter__()
        self._events: queue.Queue[dict[str, Any]] = queue.Queue()
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        event: dict[str, Any] = {}
        with contextlib.suppress(Exception):  # the stream ends when the test closes it
            for line in self.response.iter_lines():
                if not line:
                    if event:
                        event["data"] = json.loads(event.get("data", "{}"))
                        self._events.put(event)
                    event = {}
                elif not line.startswith(":"):
                    name, _, value = line.partition(": ")
                    event[name] = value

    def until(self, done: Callable[[dict[str, Any]], bool]) -> list[dict[str, Any]]:
        """The events read up to the first one for which `done` holds; fails after the wait."""
        seen: list[dict[str, Any]] = []
        deadline = time.monotonic() + WAIT_SECONDS
        while not seen or not done(seen[-1]):
            left = deadline - time.monotonic()
            try:
                seen.append(self._events.get(timeout=max(left, 0.01)))
            except queue.Empty:
                pytest.fail(f"the stream did not deliver the expected event; it sent {seen}")
        return seen

    def close(self) -> None:
        self._opened.__exit__(None, None, None)


@contextlib.contextmanager
def events(api: TestClient, path: str, headers: dict[str, str]) -> Iterator[EventStream]:
    stream = EventStream(api, path, headers)
    try:
        yield stream
    finally:
        stream.close()


def is_message(text: str) -> Callable[[dict[str, Any]], bool]:
    return lambda event: event.get("event") == "message" and event["data"].get("text") == text


# ----- what the shopper is told


def test_a_claim_tells_the_shopper_which_agent_took_the_case(
    desk: TestClient, redis_server: RedisServer
) -> None:
    assigned_ticket(desk)
    told = shopper_message("claimed", {"agent": "dev-agent"})
    messages = chat_until(redis_server, has_text(told))
    assert [(m["kind"], m["text"]) for m in messages] == [("progress", told)] and "dev-agent" in told


def test_an_agents_reply_reaches_the_shopper_word_for_word(
    desk: TestClient, redis_server: RedisServer
) -> None:
    ticket = assigned_ticket(desk)
    post(desk, ticket, "replies", {"text": "您好，券已补发到您的账户，请查收"}, AGENT)
    last = chat_until(redis_server, has_text("您好，券已补发到您的账户，请查收"))[-1]
    assert (last["kind"], last["role"], last["author"], last["text"], last["ticket_id"]) == (
        "message",
        "agent",
        "dev-agent",
        "您好，券已补发到您的账户，请查收",
        ticket["id"],
    )


def test_internal_notes_and_the_shoppers_own_words_are_not_sent_to_the_shopper(
    desk: TestClient, redis_server: RedisServer
) -> None:
    ticket = assigned_ticket(desk)
    post(desk, ticket, "notes", {"text": "内部：该用户疑似薅羊毛"}, AGENT)
    post(desk, ticket, "shopper-messages", {"text": "我再说一遍券用不了"}, BOT)
    post(desk, ticket, "replies", {"text": "已为您处理"}, AGENT)  # told after both: the relay got past them
    messages = chat_until(redis_server, has_text("已为您处理"))
    assert [m["kind"] for m in messages] == ["progress", "message"]
    assert not [m for m in messages if "薅羊毛" in m["text"] or "再说一遍" in m["text"]]


def test_a_resolution_tells_the_remedy_and_then_asks_for_a_rating(
    desk: TestClient, redis_server: RedisServer
) -> None:
    ticket = assigned_ticket(desk)
    post(desk, ticket, "resolve", {"remedy": "compensation", "note": "已补发20元券。"}, AGENT)
    messages = chat_until(redis_server, lambda ms: any(m["kind"] == "rating_prompt" for m in ms))
    assert [(m["kind"], m["text"]) for m in messages[-2:]] == [
        ("progress", "您的问题已处理：补偿（优惠券/积分/赔偿）。已补发20元券。"),
        ("rating_prompt", shopper_message("rating_prompt")),
    ]


def test_asking_the_shopper_for_something_says_so_in_the_chat(
    desk: TestClient, redis_server: RedisServer
) -> None:
    ticket = assigned_ticket(desk)
    post(desk, ticket, "status", {"status": "waiting_customer"}, AGENT)
    told = shopper_message("waiting_customer")
    last = chat_until(redis_server, has_text(told))[-1]
    assert (last["kind"], last["text"], last["status"]) == ("progress", told, "waiting_customer")


def test_a_transfer_tells_the_shopper_which_team_has_the_case_now(
    desk: TestClient, redis_server: RedisServer
) -> None:
    ticket = assigned_ticket(desk)
    post(desk, ticket, "transfer", {"queue": "logistics", "reason": "其实是物流问题"}, AGENT)
    told = shopper_message("transferred", {"team": "物流售后团队"})
    assert chat_until(redis_server, has_text(told))[-1]["text"] == told


# ----- the shopper's push stream


@pytest.mark.parametrize(
    "headers",
    [{}, {"X-Chat-Token": "0" * 64}, chat_token("conv-2")],
    ids=["no_token", "wrong_token", "another_conversations_token"],
)
def test_the_chat_stream_needs_the_conversations_own_token(desk: TestClient, headers: dict[str, str]) -> None:
    assert desk.get("/api/v1/chat/conv-1/events", headers=headers).status_code == 401


def test_a_token_that_is_not_even_ascii_is_refused_like_a_wrong_one(desk: TestClient) -> None:
    response = desk.get("/api/v1/chat/conv-1/events", params={"token": "令牌"})
    assert response.status_code == 401


def test_the_chat_stream_starts_with_who_holds_the_conversation(desk: TestClient) -> None:
    ticket = open_ticket(desk)
    with events(desk, "/api/v1/chat/conv-1/events", chat_token()) as stream:
        first = stream.until(lambda event: True)[0]
    assert (first["event"], first["data"]["owner"], first["data"]["ticket_id"]) == (
        "state",
        "agent",
        ticket["id"],
    )


def test_the_token_may_come_as_a_query_parameter(desk: TestClient) -> None:
    token = sign_conversation(DEVELOPMENT_CHAT_SECRET, "conv-1")
    with events(desk, f"/api/v1/chat/conv-1/events?token={token}", {}) as stream:
        first = stream.until(lambda event: True)[0]
    assert (first["event"], first["data"]["owner"]) == ("state", "bot")


def test_a_reconnecting_page_gets_what_it_missed_with_the_stream_ids(
    desk: TestClient, redis_server: RedisServer
) -> None:
    ticket = assigned_ticket(desk)
    post(desk, ticket, "replies", {"text": "稍等，我查一下"}, AGENT)
    chat_until(redis_server, has_text("稍等，我查一下"))
    stored = chat_entries(redis_server)
    with events(desk, "/api/v1/chat/conv-1/events", chat_token()) as stream:
        replayed = stream.until(is_message("稍等，我查一下"))
    assert [(e["event"], e.get("id")) for e in replayed] == [("state", None)] + [
        ("message", entry_id) for entry_id, _ in stored
    ]


def test_a_page_resuming_after_an_event_gets_only_the_later_ones(
    desk: TestClient, redis_server: RedisServer
) -> None:
    ticket = assigned_ticket(desk)
    post(desk, ticket, "replies", {"text": "第一条"}, AGENT)
    post(desk, ticket, "replies", {"text": "第二条"}, AGENT)
    chat_until(redis_server, has_text("第二条"))
    first_reply = chat_entries(redis_server)[1][0]
    headers = {**chat_token(), "Last-Event-ID": first_reply}
    with events(desk, "/api/v1/chat/conv-1/events", headers) as stream:
        replayed = stream.until(is_message("第二条"))
    assert [e["data"].get("text") for e in replayed if e["event"] == "message"] == ["第二条"]


def test_a_long_conversation_replays_its_newest_messages(desk: TestClient, redis_server: RedisServer) -> None:
    ticket = assigned_ticket(desk)
    client = redis_server.client()
    for n in range(CHAT_MAXLEN + 50):  # written as the relay writes them, trimmed the same way
        fields: dict[Any, Any] = {
            "kind": "message",
            "role": "agent",
            "text": f"消息{n}",
            "conversation_id": "conv-1",
        }
        client.xadd(CHAT, fields, maxlen=CHAT_MAXLEN, approximate=True)
    with events(desk, "/api/v1/chat/conv-1/events", chat_token()) as stream:
        stream.until(lambda event: event["event"] == "state")
        post(desk, ticket, "replies", {"text": "还在吗？"}, AGENT)  # pushed live, after the replay
        texts = [e["data"].get("text") for e in stream.until(is_message("还在吗？"))]
    assert f"消息{CHAT_MAXLEN + 49}" in texts


def test_an_open_page_is_pushed_the_agents_reply_as_it_happens(desk: TestClient) -> None:
    ticket = assigned_ticket(desk)
    with events(desk, "/api/v1/chat/conv-1/events", chat_token()) as stream:
        stream.until(lambda event: event["event"] == "state")
        post(desk, ticket, "replies", {"text": "马上为您补发"}, AGENT)
        pushed = stream.until(is_message("马上为您补发"))[-1]
    assert (pushed["data"]["role"], pushed["data"]["kind"], bool(pushed.get("id"))) == (
        "agent",
        "message",
        True,
    )


# ----- the console's live stream


def test_the_console_stream_is_for_agents_and_supervisors(desk: TestClient) -> None:
    assert desk.get("/api/v1/console/events").status_code == 401
    assert desk.get("/api/v1/console/events", headers=BOT).status_code == 403


def test_the_console_is_told_of_each_ticket_change(desk: TestClient) -> None:
    with events(desk, "/api/v1/console/events", SUPERVISOR) as stream:
        stream.until(lambda event: event["event"] == "ready")
        ticket = open_ticket(desk)
        created = stream.until(lambda event: event["event"] == "ticket")[-1]["data"]
    assert {k: created[k] for k in ("action", "ticket_id", "queue", "status")} == {
        "action": "created",
        "ticket_id": ticket["id"],
        "queue": ticket["queue"],
        "status": "new",
    }


def test_the_console_stream_never_carries_what_was_said(desk: TestClient) -> None:
    ticket = assigned_ticket(desk)
    with events(desk, "/api/v1/console/events", AGENT) as stream:
        stream.until(lambda event: event["event"] == "ready")
        post(desk, ticket, "replies", {"text": "您的手机号13812345678已登记"}, AGENT)
        told = stream.until(lambda event: event["data"].get("action") == "replied")
    assert told[-1]["data"]["ticket_id"] == ticket["id"]
    assert not [e for e in told if "13812345678" in json.dumps(e, ensure_ascii=False)]


def test_an_event_handled_twice_tells_the_shopper_once(desk: TestClient, redis_server: RedisServer) -> None:
    ticket = assigned_ticket(desk)
    post(desk, ticket, "replies", {"text": "已为您加急处理"}, AGENT)
    chat_until(redis_server, has_text("已为您加急处理"))
    [(event_id, event)] = [
        (str(i), dict(f))
        for i, f in redis_server.client().xrange(TicketKeys("triage").events())
        if f.get("action") == "replied"
    ]
    relay = desk.app.state.relay  # type: ignore[attr-defined]
    desk.portal.call(relay.handle, event_id, event)  # as after a crash before the acknowledgement
    texts = [m.get("text") for m in chat_until(redis_server, lambda _: False)]
    assert texts.count("已为您加急处理") == 1
