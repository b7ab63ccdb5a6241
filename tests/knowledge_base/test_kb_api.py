"""GET /api/v1/kb/search through the API, with the real model and index."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from knowledge_base.retrieval.search import Retriever
from knowledge_base.retrieval.settings import RetrievalSettings
from tests.conftest import AGENT, BOT, RedisServer
from triage_api.core.settings import Settings
from triage_api.main import create_app


@pytest.fixture(scope="module")
def kb_api(
    redis_server: RedisServer, kb_settings: RetrievalSettings, retriever: Retriever
) -> Iterator[TestClient]:
    settings = Settings(redis_url=redis_server.url, kb_enabled=True)
    with TestClient(create_app(settings, kb_settings)) as client:
        yield client


def test_search_returns_contract_fields_best_first(kb_api: TestClient) -> None:
    body = kb_api.get("/api/v1/kb/search", params={"q": "运费谁出", "k": 3}).json()
    results = body["results"]
    assert len(results) == 3
    assert {"id", "kind", "score", "title", "text"} <= set(results[0])
    assert [r["score"] for r in results] == sorted((r["score"] for r in results), reverse=True)


def test_anonymous_callers_see_only_faq(kb_api: TestClient) -> None:
    body = kb_api.get("/api/v1/kb/search", params={"q": "客户很生气怎么安抚"}).json()
    assert all(r["kind"] == "faq" for r in body["results"])
    assert kb_api.get("/api/v1/kb/search", params={"q": "安抚", "kind": "script"}).status_code == 401


def test_the_bot_sees_only_faq_and_is_refused_scripts(kb_api: TestClient) -> None:
    body = kb_api.get("/api/v1/kb/search", params={"q": "客户很生气怎么安抚"}, headers=BOT).json()
    assert body["results"] and all(r["kind"] == "faq" for r in body["results"])
    answer = kb_api.get("/api/v1/kb/search", params={"q": "安抚", "kind": "script"}, headers=BOT)
    assert answer.status_code == 403


def test_agents_get_scripts(kb_api: TestClient) -> None:
    body = kb_api.get(
        "/api/v1/kb/search", params={"q": "客户很生气怎么安抚", "kind": "script"}, headers=AGENT
    )
    assert body.json()["results"][0]["kind"] == "script"


@pytest.mark.parametrize(
    ("params", "status"),
    [
        ({"q": ""}, 422),
        ({"q": "x" * 501}, 422),
        ({"q": "退款", "k": 0}, 422),
        ({"q": "退款", "kind": "x"}, 422),
    ],
)
def test_bad_parameters_get_clear_errors(kb_api: TestClient, params: dict[str, object], status: int) -> None:
    response = kb_api.get("/api/v1/kb/search", params=params)
    assert response.status_code == status
    assert response.json()["error"]["code"] == "invalid_request"


def test_agents_render_a_script_with_the_case_values(kb_api: TestClient) -> None:
    response = kb_api.get(
        "/api/v1/kb/scripts/solution.exchange/render",
        params={"remedy": "exchange", "order_id": "DY 2025 1123 4567 8901"},
        headers=AGENT,
    )
    body = response.json()
    assert response.status_code == 200
    assert body["text"].startswith("可以为您办理换货。")
    assert "{" not in body["text"] and body["filled"] == ["remedy"]


def test_rendering_without_values_reads_naturally(kb_api: TestClient) -> None:
    body = kb_api.get("/api/v1/kb/scripts/greeting.default/render", headers=AGENT).json()
    assert body["text"].startswith("您好，我是客服，很高兴为您服务。关于您的订单的情况")
    assert set(body["defaulted"]) == {"agent_name", "order_id"}


def test_only_staff_render_scripts_and_unknown_ids_are_404(kb_api: TestClient) -> None:
    path = "/api/v1/kb/scripts/greeting.default/render"
    assert kb_api.get(path).status_code == 401
    assert kb_api.get(path, headers=BOT).status_code == 403
    missing = kb_api.get("/api/v1/kb/scripts/no.such.script/render", headers=AGENT)
    assert missing.status_code == 404 and missing.json()["error"]["code"] == "not_found"
