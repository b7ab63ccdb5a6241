"""The ticket lifecycle: transition table, replies, shopper messages, resolution, revisit, reopen, audit."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.triage_api.conftest import (
    AGENT,
    BOT,
    SUPERVISOR,
    TRAINER,
    claim,
    handoff,
    open_ticket,
    shopper_page,
)
from triage_api.lifecycle.transitions import ALLOWED, can_move
from triage_api.tickets.schemas import HELD_STATUSES, WAITING_STATUSES, TicketStatus

S = TicketStatus
# The table as the operating guide describes it, restated independently of the code.
EXPECTED_MOVES = {
    (S.new, S.new),  # transfer between queues
    (S.new, S.assigned),  # claim or assignment
    (S.assigned, S.assigned),  # reassignment
    (S.assigned, S.new),  # handed back to a queue
    (S.assigned, S.waiting_customer),
    (S.assigned, S.resolved),
    (S.waiting_customer, S.assigned),
    (S.waiting_customer, S.new),
    (S.waiting_customer, S.resolved),
    (S.resolved, S.closed),  # revisit, or its time-out
    (S.resolved, S.reopened),
    (S.closed, S.reopened),
    (S.reopened, S.reopened),
    (S.reopened, S.assigned),
}


@pytest.mark.parametrize("current", list(S))
@pytest.mark.parametrize("target", list(S))
def test_transition_table(current: TicketStatus, target: TicketStatus) -> None:
    assert can_move(current, target) is ((current, target) in EXPECTED_MOVES)


def test_every_status_has_a_way_on_and_claims_take_exactly_the_waiting_ones() -> None:
    assert set(ALLOWED) == set(S)
    assert {s for s in S if can_move(s, S.assigned) and s not in HELD_STATUSES} == WAITING_STATUSES


def post(
    api: TestClient, ticket: dict[str, Any], action: str, body: dict[str, Any], headers: dict[str, str]
) -> Any:
    return api.post(f"/api/v1/tickets/{ticket['id']}/{action}", json=body, headers=headers)


def assigned_ticket(api: TestClient, **overrides: Any) -> dict[str, Any]:
    ticket = open_ticket(api, **overrides)
    assert claim(api, ticket["queue"])["ticket"]["id"] == ticket["id"]
    return ticket


def test_the_first_reply_meets_the_first_response_deadline_once(desk: TestClient) -> None:
    ticket = assigned_ticket(desk)
    first = post(desk, ticket, "replies", {"text": "您好，我来处理"}, AGENT).json()
    second = post(desk, ticket, "replies", {"text": "券已补发"}, AGENT).json()
    assert first["sla"]["first_responded_at"] is not None
    assert second["sla"]["first_responded_at"] == first["sla"]["first_responded_at"]
    assert [(t["role"], t.get("author")) for t in second["transcript"][-2:]] == [
        ("agent", "dev-agent"),
        ("agent", "dev-agent"),
    ]


def test_asking_the_shopper_waits_and_their_answer_hands_back_to_the_agent(desk: TestClient) -> None:
    ticket = assigned_ticket(desk)
    asked = post(desk, ticket, "replies", {"text": "请提供截图", "await_customer": True}, AGENT).json()
    answered = post(desk, ticket, "shopper-messages", {"text": "截图发你了"}, BOT).json()
    assert (asked["status"], answered["status"]) == ("waiting_customer", "assigned")
    assert answered["transcript"][-1]["role"] == "user"


def test_only_the_bot_relays_shopper_messages(desk: TestClient) -> None:
    ticket = assigned_ticket(desk)
    assert post(desk, ticket, "shopper-messages", {"text": "假装是买家"}, AGENT).status_code == 403


def test_an_unclaimed_ticket_gets_no_reply(desk: TestClient) -> None:
    ticket = open_ticket(desk)
    response = post(desk, ticket, "replies", {"text": "你好"}, AGENT)
    assert (response.status_code, response.json()["error"]["code"]) == (409, "invalid_transition")


def test_only_the_assignee_or_a_supervisor_works_a_claimed_ticket(desk: TestClient) -> None:
    ticket = open_ticket(desk)
    claim(desk, "general", SUPERVISOR)
    assert post(desk, ticket, "replies", {"text": "我来"}, AGENT).status_code == 403
    assert post(desk, ticket, "replies", {"text": "我来"}, SUPERVISOR).status_code == 200


def test_notes_are_kept_apart_from_the_conversation(desk: TestClient) -> None:
    ticket = open_ticket(desk)
    noted = post(desk, ticket, "notes", {"text": "该用户上周也投诉过"}, AGENT).json()
    assert [n["text"] for n in noted["notes"]] == ["该用户上周也投诉过"]
    assert len(noted["transcript"]) == len(ticket["transcript"])


def test_status_endpoint_toggles_waiting_and_sends_the_rest_elsewhere(desk: TestClient) -> None:
    ticket = assigned_ticket(desk)
    waiting = post(desk, ticket, "status", {"status": "waiting_customer"}, AGENT).json()
    back = post(desk, ticket, "status", {"status": "assigned"}, AGENT).json()
    resolved = post(desk, ticket, "status", {"status": "resolved"}, AGENT)
    assert (waiting["status"], back["status"]) == ("waiting_customer", "assigned")
    assert resolved.status_code == 409
    assert "/resolve" in resolved.json()["error"]["message"]


def test_resolution_records_the_executed_remedy_and_frees_the_conversation(desk: TestClient) -> None:
    ticket = assigned_ticket(desk)
    resolved = post(
        desk,
        ticket,
        "resolve",
        {"remedy": "compensation", "note": "补发了20元券", "responsibility": "platform"},
        AGENT,
    ).json()
    assert resolved["status"] == "resolved"
    assert resolved["resolution"]["remedy"] == "compensation"
    assert (resolved["responsibility"], resolved["remedy"]) == ("platform", "compensation")
    again = desk.post("/api/v1/handoffs", json=handoff(), headers=BOT)
    assert again.status_code == 201 and again.json()["id"] != ticket["id"]


def test_a_resolution_without_a_reply_still_counts_as_the_first_response(desk: TestClient) -> None:
    ticket = assigned_ticket(desk)
    resolved = post(desk, ticket, "resolve", {"remedy": "apology", "note": "已致歉"}, AGENT).json()
    assert resolved["sla"]["first_responded_at"] == resolved["resolution"]["at"]


def test_the_revisit_collects_csat_and_closes(desk: TestClient) -> None:
    ticket = assigned_ticket(desk)
    post(desk, ticket, "resolve", {"remedy": "compensation", "note": "已补券"}, AGENT)
    answer = post(desk, ticket, "revisit", {"csat": 5, "comment": "很满意"}, shopper_page(desk)).json()
    closed = desk.get(f"/api/v1/tickets/{ticket['id']}", headers=AGENT).json()
    assert (answer["status"], closed["revisit"]["csat"], closed["revisit"]["comment"]) == (
        "closed",
        5,
        "很满意",
    )


@pytest.mark.parametrize("csat", [0, 6, "five", None])
def test_csat_outside_one_to_five_is_refused(desk: TestClient, csat: Any) -> None:
    ticket = assigned_ticket(desk)
    post(desk, ticket, "resolve", {"remedy": "compensation", "note": "已补券"}, AGENT)
    response = post(desk, ticket, "revisit", {"csat": csat}, shopper_page(desk))
    assert response.status_code == 422
    assert ["body", "csat"] in [d["loc"] for d in response.json()["error"]["details"]]


def test_a_reopened_ticket_waits_in_its_queue_again_with_a_new_deadline(desk: TestClient) -> None:
    ticket = assigned_ticket(desk)
    post(desk, ticket, "resolve", {"remedy": "compensation", "note": "已补券"}, AGENT)
    post(desk, ticket, "revisit", {"csat": 4, "comment": "还行"}, shopper_page(desk))
    reopened = post(desk, ticket, "reopen", {"reason": "券仍然无法使用"}, BOT).json()
    assert (reopened["status"], reopened["assignee"], reopened["reopens"]) == ("reopened", None, 1)
    assert reopened["sla"]["resolution_due"] > ticket["sla"]["resolution_due"]
    assert claim(desk, "general")["ticket"]["id"] == ticket["id"]
    # the conversation's ticket is open again: a handoff returns it rather than a new one
    assert desk.post("/api/v1/handoffs", json=handoff(), headers=BOT).json()["id"] == ticket["id"]


@pytest.mark.parametrize(
    ("body", "why"),
    [({"csat": 1, "comment": "券根本用不了"}, "满意度 1 分"), ({"csat": 4, "solved": False}, "问题没解决")],
)
def test_a_low_rating_or_not_solved_reopens_the_ticket_to_the_same_team(
    desk: TestClient, body: dict[str, Any], why: str
) -> None:
    ticket = assigned_ticket(desk)
    post(desk, ticket, "resolve", {"remedy": "compensation", "note": "已补券"}, AGENT)
    post(desk, ticket, "revisit", body, shopper_page(desk))
    reopened = desk.get(f"/api/v1/tickets/{ticket['id']}", headers=AGENT).json()
    assert (reopened["status"], reopened["queue"], reopened["revisit"]["csat"]) == (
        "reopened",
        ticket["queue"],
        body["csat"],
    )
    trail = desk.get(f"/api/v1/tickets/{ticket['id']}/audit", headers=AGENT).json()["entries"]
    assert why in trail[-1]["reason"]
    assert claim(desk, ticket["queue"])["ticket"]["id"] == ticket["id"]


@pytest.mark.parametrize("who", [AGENT, SUPERVISOR, BOT])
def test_only_the_shoppers_channel_records_a_rating(desk: TestClient, who: dict[str, str]) -> None:
    ticket = assigned_ticket(desk)
    post(desk, ticket, "resolve", {"remedy": "compensation", "note": "已补券"}, AGENT)
    assert post(desk, ticket, "revisit", {"csat": 5}, who).status_code == 403


@pytest.mark.parametrize(
    ("action", "body"),
    [
        ("revisit", {"csat": 4}),
        ("reopen", {"reason": "还没好"}),
        ("status", {"status": "waiting_customer"}),
    ],
)
def test_actions_out_of_turn_are_refused_with_409(
    desk: TestClient, action: str, body: dict[str, Any]
) -> None:
    ticket = open_ticket(desk)  # new: not yet claimed, let alone resolved
    response = post(desk, ticket, action, body, shopper_page(desk) if action == "revisit" else SUPERVISOR)
    assert (response.status_code, response.json()["error"]["code"]) == (409, "invalid_transition")


def test_a_closed_ticket_takes_no_more_shopper_messages_or_resolutions(desk: TestClient) -> None:
    ticket = assigned_ticket(desk)
    post(desk, ticket, "resolve", {"remedy": "compensation", "note": "已补券"}, AGENT)
    post(desk, ticket, "revisit", {"csat": 4}, shopper_page(desk))
    assert post(desk, ticket, "shopper-messages", {"text": "还有个问题"}, BOT).status_code == 409
    assert post(desk, ticket, "resolve", {"remedy": "apology", "note": "x"}, SUPERVISOR).status_code == 409


def test_the_audit_trail_tells_who_did_what_in_order_with_personal_data_masked(desk: TestClient) -> None:
    ticket = assigned_ticket(desk)
    post(desk, ticket, "notes", {"text": "客户说地址是浙江省杭州市西湖区文三路90号，电话13912345678"}, AGENT)
    post(desk, ticket, "resolve", {"remedy": "compensation", "note": "已补券"}, AGENT)
    trail = desk.get(f"/api/v1/tickets/{ticket['id']}/audit", headers=AGENT).json()["entries"]
    assert [(e["actor"], e["action"]) for e in trail] == [
        ("dev-bot", "created"),
        ("dev-agent", "claimed"),
        ("dev-agent", "note_added"),
        ("dev-agent", "resolved"),
    ]
    assert trail[2]["text"] == "客户说地址是浙江省杭州市****，电话139****5678"


def test_the_audit_trail_is_for_agents_and_supervisors(desk: TestClient) -> None:
    ticket = open_ticket(desk)
    assert desk.get(f"/api/v1/tickets/{ticket['id']}/audit", headers=SUPERVISOR).status_code == 200
    assert desk.get(f"/api/v1/tickets/{ticket['id']}/audit", headers=BOT).status_code == 403
    assert desk.get(f"/api/v1/tickets/{ticket['id']}/audit", headers=TRAINER).status_code == 403
    assert desk.get("/api/v1/tickets/T20990101XXXXXXXX/audit", headers=AGENT).status_code == 404


def test_lifecycle_actions_on_an_unknown_ticket_are_404(desk: TestClient) -> None:
    response = desk.post("/api/v1/tickets/T20990101XXXXXXXX/notes", json={"text": "x"}, headers=AGENT)
    assert (response.status_code, response.json()["error"]["code"]) == (404, "not_found")
