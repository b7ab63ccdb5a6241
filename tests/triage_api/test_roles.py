"""Roles that match the work, attacked: a shopper's phone only for the agent holding the ticket,
internal notes never for the bot, ratings only from the shopper's own channel."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.triage_api.conftest import bearer, case, handoff, shopper_page, token_registry
from triage_api.conversations.schemas import ConversationState
from triage_api.queues.schemas import ClaimResult
from triage_api.tickets.schemas import Ticket, TicketList

A = bearer("token-agent-a")
B = bearer("token-agent-b")
BOSS = bearer("token-supervisor")
CHANNEL = bearer("token-bot")
TRAINS = bearer("token-trainer")
PHONE, MASKED = "13812345678", "138****5678"
SAID = "电话13812345678，寄到广东省深圳市南山区科技园路88号，券用不了"
SAID_MASKED = "电话138****5678，寄到广东省深圳市****，券用不了"
NOTE = "内部：该用户上周也投诉过"

Json = dict[str, Any]


@pytest.fixture()
def team(make_api: Callable[..., TestClient]) -> TestClient:
    """Two agents, a supervisor, the bot and a trainer, each with their own token."""
    tokens = token_registry(
        {
            "token-agent-a": ("agent-a", "agent"),
            "token-agent-b": ("agent-b", "agent"),
            "token-supervisor": ("boss", "supervisor"),
            "token-bot": ("channel", "bot"),
            "token-trainer": ("trainer", "trainer"),
        }
    )
    return make_api(agent_tokens=tokens)


def ok(response: Any) -> Json:
    assert response.status_code in (200, 201), response.text
    return dict(response.json())


def open_case(api: TestClient, **overrides: Any) -> Json:
    body = handoff(transcript=[{"role": "user", "text": SAID, "ts": 1764000000.0}], **overrides)
    return ok(api.post("/api/v1/handoffs", json=body, headers=CHANNEL))


def held_by_a(api: TestClient, **overrides: Any) -> Json:
    ticket = open_case(api, **overrides)
    claimed = ok(api.post(f"/api/v1/queues/{ticket['queue']}/claim", headers=A))["ticket"]
    assert claimed["id"] == ticket["id"]
    return dict(claimed)


def read(api: TestClient, ticket: Json, who: dict[str, str]) -> Json:
    return ok(api.get(f"/api/v1/tickets/{ticket['id']}", headers=who))


def act(api: TestClient, ticket: Json, action: str, body: Json, who: dict[str, str]) -> Json:
    return ok(api.post(f"/api/v1/tickets/{ticket['id']}/{action}", json=body, headers=who))


def phone(view: Json) -> str:
    return str(view["customer"]["phone"])


# ----- the phone: in full only for the agent holding the ticket


def test_only_the_agent_holding_a_ticket_reads_its_phone(team: TestClient) -> None:
    claimed = held_by_a(team)
    seen = [phone(read(team, claimed, who)) for who in (A, B, BOSS, CHANNEL)]
    assert [phone(claimed), *seen] == [PHONE, PHONE, MASKED, MASKED, MASKED]


def test_the_shoppers_words_show_phone_and_address_only_to_the_holder(team: TestClient) -> None:
    claimed = held_by_a(team)
    assert [read(team, claimed, who)["transcript"][0]["text"] for who in (A, B)] == [SAID, SAID_MASKED]


def test_waiting_for_the_shopper_the_holder_still_reads_the_phone(team: TestClient) -> None:
    claimed = held_by_a(team)
    waiting = act(team, claimed, "replies", {"text": "请提供截图", "await_customer": True}, A)
    assert (waiting["status"], phone(waiting), phone(read(team, claimed, A))) == (
        "waiting_customer",
        PHONE,
        PHONE,
    )


LETTING_GO: dict[str, tuple[str, Json]] = {
    "resolved": ("resolve", {"remedy": "compensation", "note": "已补券，电话13812345678已登记"}),
    "back_to_the_queue": ("transfer", {"queue": "refunds", "reason": "退款组处理"}),
    "to_agent_b": ("transfer", {"agent": "agent-b", "reason": "交给同事"}),
}


@pytest.mark.parametrize("how", list(LETTING_GO))
def test_once_the_holder_lets_go_they_read_the_phone_masked(team: TestClient, how: str) -> None:
    claimed = held_by_a(team)
    action, body = LETTING_GO[how]
    answer = act(team, claimed, action, body, A)
    later = read(team, claimed, A)
    assert (phone(answer), phone(later), later["transcript"][0]["text"]) == (MASKED, MASKED, SAID_MASKED)


def test_a_transfer_hands_the_phone_to_the_new_holder(team: TestClient) -> None:
    claimed = held_by_a(team)
    act(team, claimed, "transfer", {"agent": "agent-b", "reason": "交给同事"}, A)
    assert (phone(read(team, claimed, B)), phone(read(team, claimed, A))) == (PHONE, MASKED)


def test_a_supervisor_stepping_in_reads_the_phone_masked(team: TestClient) -> None:
    claimed = held_by_a(team)
    replied = act(team, claimed, "replies", {"text": "主管跟进中"}, BOSS)
    assert (phone(replied), phone(read(team, claimed, BOSS))) == (MASKED, MASKED)


def test_a_ticket_nobody_holds_shows_everyone_the_masked_phone(team: TestClient) -> None:
    ticket = open_case(team)
    by_conversation = [
        ok(team.get("/api/v1/tickets", params={"conversation_id": "conv-1"}, headers=who))["items"][0]
        for who in (A, BOSS, CHANNEL)
    ]
    seen = [phone(ticket)] + [phone(read(team, ticket, who)) for who in (A, B, BOSS, CHANNEL)]
    assert seen + [phone(t) for t in by_conversation] == [MASKED] * 8


def test_every_list_masks_the_phone_even_for_its_holder(team: TestClient) -> None:
    held = held_by_a(team)
    waiting = open_case(team, **{**case(2), "customer": {"id": "shopper-2", "phone": "13912345678"}})
    team.portal.call(  # type: ignore[attr-defined]
        team.app.state.sla_monitor.check_once,  # type: ignore[attr-defined]
        datetime.fromisoformat(waiting["created_at"]) + timedelta(minutes=6),
    )
    mine = ok(team.get("/api/v1/agents/me/tickets", headers=A))["items"]
    queue = ok(team.get(f"/api/v1/queues/{waiting['queue']}", headers=A))["items"]
    escalated = [e["ticket"] for e in ok(team.get("/api/v1/escalations", headers=BOSS))["items"]]
    assert [(t["id"], t["phone"]) for t in mine + queue + escalated] == [
        (held["id"], MASKED),
        (waiting["id"], "139****5678"),
        *sorted([(held["id"], MASKED), (waiting["id"], "139****5678")]),
    ]


# Every route that answers with a ticket, called by someone who does not hold it (agent A does).
def handed_over_again(api: TestClient, ticket: Json) -> Json:
    return ok(api.post("/api/v1/handoffs", json=handoff(), headers=CHANNEL))  # idempotent: A's ticket


def looked_up_by_conversation(api: TestClient, ticket: Json) -> Json:
    params = {"conversation_id": ticket["conversation_id"]}
    return dict(ok(api.get("/api/v1/tickets", params=params, headers=B))["items"][0])


def reopened_by_the_channel(api: TestClient, ticket: Json) -> Json:
    act(api, ticket, "resolve", {"remedy": "apology", "note": "已致歉"}, A)
    return act(api, ticket, "reopen", {"reason": "没好"}, CHANNEL)


NOT_HOLDING: dict[tuple[str, str], Callable[[TestClient, Json], Json]] = {
    ("POST", "/api/v1/handoffs"): handed_over_again,
    ("GET", "/api/v1/tickets"): looked_up_by_conversation,
    ("GET", "/api/v1/tickets/{ticket_id}"): lambda api, t: read(api, t, B),
    ("POST", "/api/v1/tickets/{ticket_id}/notes"): lambda api, t: act(api, t, "notes", {"text": "看过"}, B),
    ("POST", "/api/v1/tickets/{ticket_id}/replies"): lambda api, t: act(
        api, t, "replies", {"text": "在"}, BOSS
    ),
    ("POST", "/api/v1/tickets/{ticket_id}/shopper-messages"): lambda api, t: act(
        api, t, "shopper-messages", {"text": "还在吗"}, CHANNEL
    ),
    ("POST", "/api/v1/tickets/{ticket_id}/status"): lambda api, t: act(
        api, t, "status", {"status": "waiting_customer"}, BOSS
    ),
    ("POST", "/api/v1/tickets/{ticket_id}/resolve"): lambda api, t: act(
        api, t, "resolve", {"remedy": "apology", "note": "已致歉"}, A
    ),
    ("POST", "/api/v1/tickets/{ticket_id}/reopen"): reopened_by_the_channel,
    ("POST", "/api/v1/tickets/{ticket_id}/transfer"): lambda api, t: act(
        api, t, "transfer", {"queue": "refunds", "reason": "转退款组"}, BOSS
    ),
}
# The claim answers only the one who now holds the ticket (test_only_the_agent_holding_…).
HOLDER_ONLY = {("POST", "/api/v1/queues/{queue}/claim")}


def test_every_route_answering_with_a_ticket_is_attacked_here(team: TestClient) -> None:
    carrying = {f"#/components/schemas/{model.__name__}" for model in (Ticket, TicketList, ClaimResult)}
    routes = {
        (method.upper(), path)
        for path, operations in team.app.openapi()["paths"].items()  # type: ignore[attr-defined]
        for method, operation in operations.items()
        for answer in operation["responses"].values()
        if answer.get("content", {}).get("application/json", {}).get("schema", {}).get("$ref") in carrying
    }
    assert routes == set(NOT_HOLDING) | HOLDER_ONLY


@pytest.mark.parametrize("route", list(NOT_HOLDING), ids=lambda r: f"{r[0]} {r[1]}")
def test_no_route_gives_the_phone_to_someone_not_holding_the_ticket(
    team: TestClient, route: tuple[str, str]
) -> None:
    claimed = held_by_a(team)
    act(team, claimed, "notes", {"text": NOTE}, A)
    answer = NOT_HOLDING[route](team, claimed)
    said = answer["transcript"][0]["text"]
    assert (answer["id"], phone(answer), said) == (claimed["id"], MASKED, SAID_MASKED)
    assert PHONE not in json.dumps(answer)


# ----- internal notes: the desk's, never the bot's


def test_the_bot_reads_a_tickets_status_and_thread_but_no_internal_note(team: TestClient) -> None:
    claimed = held_by_a(team)
    act(team, claimed, "notes", {"text": NOTE}, A)
    act(team, claimed, "replies", {"text": "您好，我来处理"}, A)
    answers = [
        read(team, claimed, CHANNEL),
        ok(team.get("/api/v1/tickets", params={"conversation_id": "conv-1"}, headers=CHANNEL))["items"][0],
        ok(team.post("/api/v1/handoffs", json=handoff(), headers=CHANNEL)),
        act(team, claimed, "shopper-messages", {"text": "好的"}, CHANNEL),
    ]
    replied = ("assigned", "您好，我来处理")
    assert [(a["status"], a["transcript"][-1]["text"]) for a in answers[:3]] == [replied] * 3
    assert [a["notes"] for a in answers] == [[]] * 4
    assert not [a for a in answers if "该用户上周" in json.dumps(a, ensure_ascii=False)]


def test_agents_and_supervisors_read_the_internal_notes(team: TestClient) -> None:
    claimed = held_by_a(team)
    act(team, claimed, "notes", {"text": NOTE}, B)
    assert [[n["text"] for n in read(team, claimed, who)["notes"]] for who in (A, B, BOSS)] == [[NOTE]] * 3


def test_a_trainer_reads_no_ticket(team: TestClient) -> None:
    claimed = held_by_a(team)
    assert team.get(f"/api/v1/tickets/{claimed['id']}", headers=TRAINS).status_code == 403


# ----- ratings: only from the shopper's own channel


def resolved_case(api: TestClient) -> Json:
    claimed = held_by_a(api)
    return act(api, claimed, "resolve", {"remedy": "compensation", "note": "已补券"}, A)


@pytest.mark.parametrize("who", [CHANNEL, A, BOSS, TRAINS], ids=["bot", "agent", "supervisor", "trainer"])
def test_no_bearer_token_posts_a_shoppers_rating(team: TestClient, who: dict[str, str]) -> None:
    ticket = resolved_case(team)
    response = team.post(f"/api/v1/tickets/{ticket['id']}/revisit", json={"csat": 5}, headers=who)
    assert (response.status_code, read(team, ticket, BOSS)["status"]) == (403, "resolved")


def test_the_shoppers_own_page_rates_with_its_chat_token(team: TestClient) -> None:
    ticket = resolved_case(team)
    answer = ok(
        team.post(
            f"/api/v1/tickets/{ticket['id']}/revisit",
            json={"csat": 4, "comment": "挺好"},
            headers=shopper_page(team),
        )
    )
    revisit = read(team, ticket, BOSS)["revisit"]
    assert (answer["status"], revisit["csat"], revisit["by"]) == ("closed", 4, "shopper")
    assert set(answer) == set(ConversationState.model_fields)  # what the shopper's page shows, no more


def test_a_chat_token_of_another_conversation_rates_nothing(team: TestClient) -> None:
    ticket = resolved_case(team)
    response = team.post(
        f"/api/v1/tickets/{ticket['id']}/revisit", json={"csat": 1}, headers=shopper_page(team, "conv-2")
    )
    assert (response.status_code, read(team, ticket, BOSS)["status"]) == (401, "resolved")


def test_the_channel_relays_the_shoppers_own_words_as_the_rating(team: TestClient) -> None:
    ticket = resolved_case(team)
    words = {"text": "5分 很满意"}
    relayed = ok(team.post("/api/v1/conversations/conv-1/messages", json=words, headers=CHANNEL))
    assert (relayed["status"], read(team, ticket, BOSS)["revisit"]["csat"]) == ("closed", 5)
