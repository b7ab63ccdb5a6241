"""Fixtures and small builders for the triage API tests (the real Redis comes from tests/conftest.py)."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.conftest import AGENT, BOT
from triage_api.conversations.service import sign_conversation
from triage_api.core.security import hash_token
from triage_api.core.settings import Settings
from triage_api.main import create_app

SUPERVISOR = {"Authorization": "Bearer dev-supervisor-token"}
TRAINER = {"Authorization": "Bearer dev-trainer-token"}
ORDER = "2025112312345678"

__all__ = ["AGENT", "BOT", "ORDER", "SUPERVISOR", "TRAINER"]


def handoff(**overrides: Any) -> dict[str, Any]:
    """A complete handoff body; override any field."""
    body: dict[str, Any] = {
        "conversation_id": "conv-1",
        "channel": "app_chat",
        "order_id": ORDER,
        "issue_type": "promotion_rules",
        "remedy": "compensation",
        "transcript": [{"role": "user", "text": "优惠券用不了，我要补偿", "ts": 1764000000.0}],
        "customer": {"id": "shopper-1", "vip": False, "phone": "13812345678"},
        "reason": "intake_complete",
    }
    body.update(overrides)
    return body


def case(n: int) -> dict[str, Any]:
    """Overrides for the n-th unrelated case: its own conversation, shopper and order (sharing
    an order or a shopper would make it a repeat complaint, graded up)."""
    return {"conversation_id": f"conv-{n}", "customer": {"id": f"shopper-{n}"}, "order_id": f"DY{n:016d}"}


def open_ticket(api: TestClient, **overrides: Any) -> dict[str, Any]:
    """Hands a case over as the bot and returns the new ticket."""
    response = api.post("/api/v1/handoffs", json=handoff(**overrides), headers=BOT)
    assert response.status_code == 201, response.text
    return dict(response.json())


def claim(api: TestClient, queue: str, headers: dict[str, str] = AGENT) -> dict[str, Any]:
    response = api.post(f"/api/v1/queues/{queue}/claim", headers=headers)
    assert response.status_code == 200, response.text
    return dict(response.json())


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def shopper_page(api: TestClient, conversation_id: str = "conv-1") -> dict[str, str]:
    """The headers of the shopper's own page: its conversation's chat token, no bearer token."""
    secret = api.app.state.settings.chat_secret  # type: ignore[attr-defined]
    return {"X-Chat-Token": sign_conversation(secret, conversation_id)}


def token_registry(principals: dict[str, tuple[str, str]]) -> str:
    """TRIAGE_AGENT_TOKENS for {token: (name, role)}."""
    return json.dumps(
        [
            {"name": name, "role": role, "token_sha256": hash_token(token)}
            for token, (name, role) in principals.items()
        ]
    )


@pytest.fixture()
def make_api(api_settings: Settings) -> Iterator[Callable[..., TestClient]]:
    """Starts the app on a flushed Redis with settings overridden, e.g. make_api(agent_capacity=2).
    The SLA monitor is off unless a test turns it on, so only the test decides when it runs."""
    clients: list[TestClient] = []

    def make(**overrides: Any) -> TestClient:
        settings = api_settings.model_copy(update={"sla_check_interval": 0, **overrides})
        client = TestClient(create_app(settings))
        client.__enter__()
        clients.append(client)
        return client

    yield make
    for client in clients:
        client.__exit__(None, None, None)


@pytest.fixture()
def desk(make_api: Callable[..., TestClient]) -> TestClient:
    """The API with development tokens and no background monitor."""
    return make_api()
