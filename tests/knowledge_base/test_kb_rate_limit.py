"""GET /api/v1/kb/search is rate limited before the encoder runs: anonymous callers per address,
token holders per principal at a higher limit (real model, index and Redis)."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient

from knowledge_base.retrieval.search import Retriever
from knowledge_base.retrieval.settings import RetrievalSettings
from tests.conftest import AGENT
from triage_api.core.settings import Settings
from triage_api.main import create_app

SUPERVISOR = {"Authorization": "Bearer dev-supervisor-token"}
# A window of years: no test can see its counts reset, except the one that waits for it.
NO_RESET = 10**8


@pytest.fixture()
def make_kb_api(
    api_settings: Settings, kb_settings: RetrievalSettings, retriever: Retriever
) -> Iterator[Callable[..., TestClient]]:
    """The API with the real knowledge base on a flushed Redis, settings overridden."""
    clients: list[TestClient] = []

    def make(**overrides: Any) -> TestClient:
        settings = api_settings.model_copy(
            update={"kb_enabled": True, "sla_check_interval": 0, "trust_forwarded_for": True, **overrides}
        )
        client = TestClient(create_app(settings, kb_settings))
        client.__enter__()
        clients.append(client)
        return client

    yield make
    for client in clients:
        client.__exit__(None, None, None)


def search(api: TestClient, client: str, headers: dict[str, str] | None = None) -> httpx.Response:
    return api.get(
        "/api/v1/kb/search", params={"q": "运费谁出"}, headers={"X-Forwarded-For": client, **(headers or {})}
    )


def test_an_anonymous_address_over_the_limit_gets_429_and_others_are_unaffected(
    make_kb_api: Callable[..., TestClient],
) -> None:
    api = make_kb_api(kb_search_window=NO_RESET, kb_searches_per_ip=2)
    statuses = [search(api, "10.0.0.1").status_code for _ in range(3)]
    limited = search(api, "10.0.0.1")
    elsewhere = search(api, "10.0.0.2")
    assert statuses == [200, 200, 429]
    assert limited.json()["error"]["code"] == "rate_limited"
    assert 0 < int(limited.headers["Retry-After"]) <= NO_RESET
    assert elsewhere.status_code == 200 and elsewhere.json()["results"]


def test_a_token_holder_is_served_from_a_limited_address(make_kb_api: Callable[..., TestClient]) -> None:
    api = make_kb_api(kb_search_window=NO_RESET, kb_searches_per_ip=1, kb_searches_per_principal=5)
    anonymous = [search(api, "10.0.1.1").status_code for _ in range(2)]
    agent = [search(api, "10.0.1.1", AGENT).status_code for _ in range(3)]
    assert anonymous == [200, 429]
    assert agent == [200, 200, 200]


def test_token_holders_count_per_principal_at_their_own_limit(make_kb_api: Callable[..., TestClient]) -> None:
    api = make_kb_api(kb_search_window=NO_RESET, kb_searches_per_ip=10, kb_searches_per_principal=2)
    agent = [search(api, f"10.0.2.{i}", AGENT).status_code for i in range(3)]
    supervisor = search(api, "10.0.2.9", SUPERVISOR)
    assert agent == [200, 200, 429]
    assert supervisor.status_code == 200


def test_an_unknown_token_counts_as_anonymous(make_kb_api: Callable[..., TestClient]) -> None:
    api = make_kb_api(kb_search_window=NO_RESET, kb_searches_per_ip=1)
    forged = {"Authorization": "Bearer not-a-token"}
    statuses = [search(api, "10.0.3.1", forged).status_code for _ in range(2)]
    assert statuses == [200, 429]


def test_forwarded_addresses_are_ignored_unless_trusted(make_kb_api: Callable[..., TestClient]) -> None:
    api = make_kb_api(kb_search_window=NO_RESET, kb_searches_per_ip=2, trust_forwarded_for=False)
    statuses = [search(api, f"10.0.4.{i}").status_code for i in range(3)]
    assert statuses == [200, 200, 429]


def test_the_address_is_served_again_once_retry_after_has_passed(
    make_kb_api: Callable[..., TestClient],
) -> None:
    api = make_kb_api(kb_search_window=2, kb_searches_per_ip=1)
    first = search(api, "10.0.5.1")
    limited = search(api, "10.0.5.1")
    time.sleep(int(limited.headers["Retry-After"]))
    again = search(api, "10.0.5.1")
    assert (first.status_code, limited.status_code, again.status_code) == (200, 429, 200)
