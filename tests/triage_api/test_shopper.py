"""The shopper's status lookup: no token, the right pair only, nothing else revealed, rate limited."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.triage_api.conftest import AGENT, ORDER, claim, open_ticket

# A window of years: counts never reset mid-test.
NO_RESET = 10**8


def lookup(api: TestClient, ticket_id: str, order_id: str, client: str | None = None) -> Any:
    headers = {"X-Forwarded-For": client} if client else {}
    return api.get(f"/api/v1/shopper/tickets/{ticket_id}", params={"order_id": order_id}, headers=headers)


@pytest.fixture()
def shop(make_api: Callable[..., TestClient]) -> TestClient:
    return make_api(shopper_lookup_window=NO_RESET, trust_forwarded_for=True)


def test_the_shopper_sees_status_last_update_and_next_deadline_only(shop: TestClient) -> None:
    said = "我是张三，电话13812345678，地址上海市浦东新区张江镇碧波路690号"
    ticket = open_ticket(shop, transcript=[{"role": "user", "text": said}], host="小李直播间")
    claim(shop, "general")
    shop.post(f"/api/v1/tickets/{ticket['id']}/replies", json={"text": "客服小王为您服务"}, headers=AGENT)
    response = lookup(shop, ticket["id"], ORDER)
    body = response.json()
    assert response.status_code == 200
    assert set(body) == {"ticket_id", "status", "status_text", "updated_at", "next_deadline"}
    assert (body["status"], body["next_deadline"]["kind"]) == ("assigned", "resolution")
    for secret in (
        "13812345678",
        "138****",
        "张三",
        "碧波路",
        "dev-agent",
        "小王",
        "小李",
        "promotion_rules",
    ):
        assert secret not in response.text


def test_a_new_ticket_promises_the_first_response(shop: TestClient) -> None:
    ticket = open_ticket(shop)
    deadline = lookup(shop, ticket["id"], ORDER).json()["next_deadline"]
    assert deadline == {"kind": "first_response", "due": ticket["sla"]["first_response_due"]}


def test_the_order_number_may_be_typed_as_shoppers_type_it(shop: TestClient) -> None:
    ticket = open_ticket(shop)
    assert lookup(shop, ticket["id"], "2025 1123-1234 5678").status_code == 200


def test_a_wrong_pair_looks_exactly_like_an_unknown_ticket(shop: TestClient) -> None:
    ticket = open_ticket(shop)
    other = open_ticket(shop, conversation_id="c-2", customer={"id": "s-2"}, order_id="2025112399999999")
    wrong_order = lookup(shop, ticket["id"], "2025112399999999")
    unknown = lookup(shop, "T20990101ABCDEFGH", ORDER)
    malformed = lookup(shop, ticket["id"], "not-an-order")
    assert other["order_id"] == "2025112399999999"
    assert wrong_order.status_code == unknown.status_code == malformed.status_code == 404
    assert wrong_order.json() == unknown.json() == malformed.json()


def test_a_ticket_without_an_order_number_cannot_be_looked_up(shop: TestClient) -> None:
    ticket = open_ticket(shop, order_id=None)
    assert lookup(shop, ticket["id"], ORDER).status_code == 404


def test_the_order_number_is_required(shop: TestClient) -> None:
    response = shop.get("/api/v1/shopper/tickets/T20990101ABCDEFGH")
    assert (response.status_code, response.json()["error"]["code"]) == (422, "invalid_request")


def test_one_address_is_limited_per_window(make_api: Callable[..., TestClient]) -> None:
    api = make_api(shopper_lookup_window=NO_RESET, shopper_lookups_per_ip=3, trust_forwarded_for=True)
    ticket = open_ticket(api)
    statuses = [lookup(api, ticket["id"], ORDER, client="10.0.0.1").status_code for _ in range(4)]
    guessing = lookup(api, "T20990101ABCDEFGH", ORDER, client="10.0.0.1")
    elsewhere = lookup(api, ticket["id"], ORDER, client="10.0.0.2")
    assert statuses == [200, 200, 200, 429]
    assert guessing.status_code == 429 and int(guessing.headers["Retry-After"]) > 0
    assert guessing.json()["error"]["code"] == "rate_limited"
    assert elsewhere.status_code == 200


def test_one_ticket_is_limited_per_window_from_any_address(make_api: Callable[..., TestClient]) -> None:
    api = make_api(shopper_lookup_window=NO_RESET, shopper_lookups_per_ticket=5, trust_forwarded_for=True)
    ticket = open_ticket(api)
    statuses = [
        lookup(api, ticket["id"], f"2025112300000{i:03d}", client=f"10.0.1.{i}").status_code for i in range(6)
    ]
    assert statuses == [404] * 5 + [429]
    assert lookup(api, ticket["id"], ORDER, client="10.0.2.1").status_code == 429


def test_an_address_is_served_again_once_retry_after_has_passed(make_api: Callable[..., TestClient]) -> None:
    api = make_api(shopper_lookup_window=2, shopper_lookups_per_ip=1, trust_forwarded_for=True)
    ticket = open_ticket(api)
    first = lookup(api, ticket["id"], ORDER, client="10.0.4.1")
    limited = lookup(api, ticket["id"], ORDER, client="10.0.4.1")
    time.sleep(int(limited.headers["Retry-After"]))
    again = lookup(api, ticket["id"], ORDER, client="10.0.4.1")
    assert (first.status_code, limited.status_code, again.status_code) == (200, 429, 200)


def test_forwarded_addresses_are_ignored_unless_trusted(make_api: Callable[..., TestClient]) -> None:
    api = make_api(shopper_lookup_window=NO_RESET, shopper_lookups_per_ip=2)
    ticket = open_ticket(api)
    statuses = [lookup(api, ticket["id"], ORDER, client=f"10.0.3.{i}").status_code for i in range(3)]
    assert statuses == [200, 200, 429]
