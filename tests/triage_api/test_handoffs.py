"""Handoff intake and the agents' ticket views, against a real Redis."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient

from tests.conftest import AGENT, BOT
from urgency import version as urgency_version


def handoff(**overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "conversation_id": "conv-1",
        "channel": "app_chat",
        "order_id": "2025112312345678",
        "issue_type": "logistics_delay",
        "remedy": "refund_only",
        "transcript": [
            {"role": "user", "text": "订单2025112312345678的快递一直没更新，我要退款", "ts": 1764000000.0},
            {"role": "bot", "text": "好的，我跟您核对一下", "ts": 1764000001.0},
        ],
        "customer": {"id": "shopper-1", "vip": False, "phone": "13812345678"},
        "reason": "intake_complete",
    }
    body.update(overrides)
    return body


def test_handoff_creates_a_graded_ticket_readable_by_conversation(api: TestClient) -> None:
    created = api.post("/api/v1/handoffs", json=handoff(), headers=BOT)
    assert created.status_code == 201
    ticket = created.json()
    listed = api.get("/api/v1/tickets", params={"conversation_id": "conv-1"}, headers=AGENT).json()
    assert [t["id"] for t in listed["items"]] == [ticket["id"]]
    assert (ticket["queue"], ticket["severity"], ticket["status"]) == ("logistics", "normal", "new")
    assert ticket["sla"]["first_response_due"].endswith(("Z", "+00:00"))


def test_handoff_is_idempotent_while_the_ticket_is_open(api: TestClient) -> None:
    first = api.post("/api/v1/handoffs", json=handoff(), headers=BOT)
    again = api.post("/api/v1/handoffs", json=handoff(reason="request_human"), headers=BOT)
    assert (again.status_code, again.json()["id"]) == (200, first.json()["id"])


def test_order_number_is_canonicalised(api: TestClient) -> None:
    ticket = api.post("/api/v1/handoffs", json=handoff(order_id="dy-2025 1123 1234 5678"), headers=BOT)
    assert ticket.json()["order_id"] == "DY2025112312345678"


def test_a_phone_number_is_refused_as_order_number(api: TestClient) -> None:
    response = api.post("/api/v1/handoffs", json=handoff(order_id="13812345678"), headers=BOT)
    assert response.status_code == 422
    assert response.json()["error"]["code"] == "invalid_request"


def test_public_exposure_threat_makes_the_ticket_urgent(api: TestClient) -> None:
    transcript = [{"role": "user", "text": "三天了还不发货，再不处理我就去12315投诉", "ts": None}]
    ticket = api.post("/api/v1/handoffs", json=handoff(transcript=transcript), headers=BOT).json()
    assert ticket["severity"] == "urgent"
    assert any("public_exposure" in line for line in ticket["explain"])


def test_malformed_json_gets_a_clear_error(api: TestClient) -> None:
    response = api.post(
        "/api/v1/handoffs",
        content=b'{"conversation_id": ',
        headers={**BOT, "Content-Type": "application/json"},
    )
    assert response.status_code == 422
    assert response.json()["error"]["code"] == "invalid_request"


def test_wrong_types_name_the_field(api: TestClient) -> None:
    response = api.post("/api/v1/handoffs", json=handoff(issue_type="flying_saucer"), headers=BOT)
    assert response.status_code == 422
    assert ["body", "issue_type"] in [d["loc"] for d in response.json()["error"]["details"]]


def test_oversized_body_is_refused_before_parsing(api: TestClient) -> None:
    huge = handoff(transcript=[{"role": "user", "text": "退" * 3000}] * 40)
    response = api.post("/api/v1/handoffs", json=huge, headers=BOT)
    assert response.status_code == 413


def test_tickets_need_a_token(api: TestClient) -> None:
    assert api.get("/api/v1/tickets", params={"conversation_id": "conv-1"}).status_code == 401
    bad = {"Authorization": "Bearer not-a-token"}
    assert api.get("/api/v1/tickets", params={"conversation_id": "conv-1"}, headers=bad).status_code == 401


def test_unknown_ticket_is_404_json(api: TestClient) -> None:
    response = api.get("/api/v1/tickets/T20990101XXXXXXXX", headers=AGENT)
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"


def test_emoji_and_traditional_text_are_stored_verbatim(api: TestClient) -> None:
    transcript = [{"role": "user", "text": "物流沒更新😡😡 我要退款", "ts": None}]
    ticket = api.post("/api/v1/handoffs", json=handoff(transcript=transcript), headers=BOT).json()
    stored = api.get(f"/api/v1/tickets/{ticket['id']}", headers=AGENT).json()
    assert stored["transcript"][0]["text"] == "物流沒更新😡😡 我要退款"


def test_a_second_complaint_about_the_same_order_is_graded_up(api: TestClient) -> None:
    first = api.post("/api/v1/handoffs", json=handoff(), headers=BOT).json()
    again = api.post(
        "/api/v1/handoffs",
        json=handoff(conversation_id="conv-2", customer={"id": "shopper-2"}),
        headers=BOT,
    ).json()
    assert (first["severity"], first["repeat_complaint"]) == ("normal", False)
    assert (again["severity"], again["repeat_complaint"], again["complexity"]) == (
        "important",
        True,
        "complex",
    )


def test_a_parcel_stuck_in_transit_is_the_couriers_responsibility(api: TestClient) -> None:
    ticket = api.post("/api/v1/handoffs", json=handoff(), headers=BOT).json()
    assert ticket["responsibility"] == "logistics"
    assert any("logistics responsibility" in line for line in ticket["explain"])


def test_a_new_ticket_carries_its_lifecycle_fields(api: TestClient) -> None:
    ticket = api.post("/api/v1/handoffs", json=handoff(), headers=BOT).json()
    assert (ticket["assignee"], ticket["notes"], ticket["resolution"], ticket["escalated"]) == (
        None,
        [],
        None,
        False,
    )
    assert ticket["sla"]["breached"] == [] and ticket["sla"]["first_responded_at"] is None


def test_a_ticket_records_the_urgency_rules_and_a_bot_reading_other_rules_is_named(
    api: TestClient, caplog: Any
) -> None:
    current = urgency_version()
    same = api.post("/api/v1/handoffs", json=handoff(urgency_version=current), headers=BOT).json()
    assert same["urgency_version"] == current
    assert not any("urgency" in line for line in same["explain"])
    other = handoff(conversation_id="conv-2", customer={"id": "shopper-2"}, urgency_version="0")
    with caplog.at_level("WARNING", logger="triage_api.tickets.service"):
        stale = api.post("/api/v1/handoffs", json=other, headers=BOT).json()
    assert stale["urgency_version"] == current
    assert any("v0" in line and f"v{current}" in line for line in stale["explain"])
    assert any("urgency versions differ" in r.getMessage() for r in caplog.records)
