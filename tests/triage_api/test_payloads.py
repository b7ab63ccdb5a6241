"""Bad input on the new endpoints: every refusal is a clear JSON 4xx, nothing is half-applied."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.triage_api.conftest import AGENT, BOT, SUPERVISOR, claim, open_ticket


@pytest.fixture()
def ticket(desk: TestClient) -> dict[str, Any]:
    created = open_ticket(desk)
    claim(desk, "general")
    return created


@pytest.mark.parametrize("action", ["notes", "replies", "resolve", "revisit", "reopen", "transfer", "status"])
def test_malformed_json_is_a_clear_422(desk: TestClient, ticket: dict[str, Any], action: str) -> None:
    response = desk.post(
        f"/api/v1/tickets/{ticket['id']}/{action}",
        content=b'{"text": ',
        headers={**SUPERVISOR, "Content-Type": "application/json"},
    )
    assert response.status_code == 422
    assert response.json()["error"]["code"] == "invalid_request"


def test_an_oversized_note_is_refused_before_parsing(desk: TestClient, ticket: dict[str, Any]) -> None:
    response = desk.post(f"/api/v1/tickets/{ticket['id']}/notes", json={"text": "退" * 40_000}, headers=AGENT)
    assert (response.status_code, response.json()["error"]["code"]) == (413, "payload_too_large")
    assert desk.get(f"/api/v1/tickets/{ticket['id']}", headers=AGENT).json()["notes"] == []


@pytest.mark.parametrize(
    ("action", "body", "field"),
    [
        ("notes", {"text": ""}, "text"),
        ("notes", {"text": "   "}, "text"),
        ("notes", {"text": "x" * 2001}, "text"),
        ("notes", {"text": "ok", "author": "someone-else"}, "author"),
        ("replies", {"text": 42}, "text"),
        ("resolve", {"remedy": "free_iphone", "note": "x"}, "remedy"),
        ("resolve", {"remedy": "refund_only"}, "note"),
        ("resolve", {"remedy": "refund_only", "note": "x", "responsibility": "the_moon"}, "responsibility"),
        ("status", {"status": "on_fire"}, "status"),
        ("transfer", {"queue": "nowhere", "reason": "x"}, "queue"),
        ("transfer", {"queue": "refunds"}, "reason"),
    ],
)
def test_invalid_fields_are_named(
    desk: TestClient, ticket: dict[str, Any], action: str, body: dict[str, Any], field: str
) -> None:
    response = desk.post(f"/api/v1/tickets/{ticket['id']}/{action}", json=body, headers=SUPERVISOR)
    assert response.status_code == 422
    assert ["body", field] in [d["loc"] for d in response.json()["error"]["details"]]


def test_a_body_that_is_not_an_object_is_refused(desk: TestClient, ticket: dict[str, Any]) -> None:
    response = desk.post(f"/api/v1/tickets/{ticket['id']}/notes", json=["note"], headers=AGENT)
    assert (response.status_code, response.json()["error"]["code"]) == (422, "invalid_request")


def test_an_overlong_ticket_id_is_refused(desk: TestClient) -> None:
    response = desk.post(f"/api/v1/tickets/{'T' * 65}/notes", json={"text": "x"}, headers=AGENT)
    assert response.status_code == 422


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("post", "/api/v1/queues/general/claim"),
        ("get", "/api/v1/queues/general"),
        ("get", "/api/v1/escalations"),
        ("get", "/api/v1/analytics/summary"),
        ("post", "/api/v1/tickets/T20990101XXXXXXXX/notes"),
    ],
)
def test_staff_endpoints_need_a_token(desk: TestClient, method: str, path: str) -> None:
    response = getattr(desk, method)(path)
    assert (response.status_code, response.json()["error"]["code"]) == (401, "unauthorized")


def test_the_bot_cannot_do_queue_work(desk: TestClient, ticket: dict[str, Any]) -> None:
    assert (
        desk.post(f"/api/v1/tickets/{ticket['id']}/replies", json={"text": "hi"}, headers=BOT).status_code
        == 403
    )
    assert (
        desk.post(f"/api/v1/tickets/{ticket['id']}/notes", json={"text": "hi"}, headers=BOT).status_code
        == 403
    )
