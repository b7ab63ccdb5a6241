"""Queue work: priority order, claims within capacity, listings without personal data, transfers."""

from __future__ import annotations

from collections.abc import Callable

from fastapi.testclient import TestClient

from tests.triage_api.conftest import (
    AGENT,
    BOT,
    SUPERVISOR,
    TRAINER,
    bearer,
    case,
    claim,
    open_ticket,
    token_registry,
)

OTHER_AGENT = bearer("token-agent-2")


def two_agents(make_api: Callable[..., TestClient], **overrides: object) -> TestClient:
    tokens = token_registry(
        {
            "dev-agent-token": ("dev-agent", "agent"),
            "token-agent-2": ("agent-2", "agent"),
            "dev-supervisor-token": ("dev-supervisor", "supervisor"),
            "dev-bot-token": ("dev-bot", "bot"),
        }
    )
    return make_api(agent_tokens=tokens, **overrides)


def test_claims_serve_urgent_then_vip_then_the_rest(desk: TestClient) -> None:
    regular = open_ticket(desk, **case(1))
    vip = open_ticket(desk, **{**case(2), "customer": {"id": "s2", "vip": True}})
    urgent = open_ticket(
        desk,
        **case(3),
        transcript=[{"role": "user", "text": "再不给券我就找媒体曝光"}],
    )
    assert urgent["queue"] == vip["queue"] == regular["queue"] == "general"
    order = [claim(desk, "general")["ticket"]["id"] for _ in range(3)]
    assert order == [urgent["id"], vip["id"], regular["id"]]


def test_a_claimed_ticket_is_assigned_to_the_caller_and_leaves_the_queue(desk: TestClient) -> None:
    ticket = open_ticket(desk)
    claimed = claim(desk, "general")
    assert (claimed["ticket"]["id"], claimed["ticket"]["status"], claimed["ticket"]["assignee"]) == (
        ticket["id"],
        "assigned",
        "dev-agent",
    )
    assert desk.get("/api/v1/queues/general", headers=AGENT).json()["waiting"] == 0


def test_an_empty_queue_claims_nothing(desk: TestClient) -> None:
    assert claim(desk, "safety") == {"claimed": False, "ticket": None}


def test_an_agent_at_capacity_cannot_claim_more(make_api: Callable[..., TestClient]) -> None:
    api = make_api(agent_capacity=2)
    for i in range(3):
        open_ticket(api, **case(i))
    claim(api, "general")
    claim(api, "general")
    third = api.post("/api/v1/queues/general/claim", headers=AGENT)
    assert third.status_code == 409
    assert third.json()["error"]["code"] == "at_capacity"


def test_resolving_frees_capacity(make_api: Callable[..., TestClient]) -> None:
    api = make_api(agent_capacity=1)
    open_ticket(api, **case(1))
    open_ticket(api, **case(2))
    held = claim(api, "general")["ticket"]
    api.post(
        f"/api/v1/tickets/{held['id']}/resolve",
        json={"remedy": "compensation", "note": "已补券"},
        headers=AGENT,
    )
    assert claim(api, "general")["claimed"] is True


def test_equal_cases_are_served_first_come_first_served(desk: TestClient) -> None:
    created = [open_ticket(desk, **case(i))["id"] for i in range(5)]
    assert [claim(desk, "general")["ticket"]["id"] for _ in range(5)] == created


def test_queue_listing_masks_phones_and_addresses(desk: TestClient) -> None:
    said = "寄到广东省深圳市南山区科技园路88号，电话13812345678，券用不了"
    open_ticket(desk, transcript=[{"role": "user", "text": said}])
    item = desk.get("/api/v1/queues/general", headers=AGENT).json()["items"][0]
    assert item["phone"] == "138****5678"
    assert item["preview"] == "寄到广东省深圳市****，电话138****5678，券用不了"
    assert "transcript" not in item


def test_only_desk_roles_see_queues(desk: TestClient) -> None:
    assert desk.get("/api/v1/queues/general", headers=BOT).status_code == 403
    assert desk.post("/api/v1/queues/general/claim", headers=TRAINER).status_code == 403
    assert desk.get("/api/v1/queues", headers=SUPERVISOR).json()["waiting"]["general"] == 0


def test_an_unknown_queue_is_a_clear_422(desk: TestClient) -> None:
    response = desk.post("/api/v1/queues/complaints/claim", headers=AGENT)
    assert response.status_code == 422
    assert ["path", "queue"] in [d["loc"] for d in response.json()["error"]["details"]]


def test_transfer_to_another_queue_puts_the_ticket_back_in_line(desk: TestClient) -> None:
    ticket = open_ticket(desk)
    claim(desk, "general")
    moved = desk.post(
        f"/api/v1/tickets/{ticket['id']}/transfer",
        json={"queue": "refunds", "reason": "其实是退款问题"},
        headers=AGENT,
    ).json()
    assert (moved["queue"], moved["status"], moved["assignee"], moved["transfers"]) == (
        "refunds",
        "new",
        None,
        1,
    )
    assert claim(desk, "refunds")["ticket"]["id"] == ticket["id"]
    assert desk.get("/api/v1/agents/me/tickets", headers=AGENT).json()["holding"] == 1


def test_a_supervisor_assigns_a_waiting_ticket_to_an_agent(make_api: Callable[..., TestClient]) -> None:
    api = two_agents(make_api)
    ticket = open_ticket(api)
    moved = api.post(
        f"/api/v1/tickets/{ticket['id']}/transfer",
        json={"agent": "agent-2", "reason": "熟悉优惠规则"},
        headers=SUPERVISOR,
    ).json()
    assert (moved["status"], moved["assignee"]) == ("assigned", "agent-2")
    assert api.get("/api/v1/queues/general", headers=AGENT).json()["waiting"] == 0
    assert [t["id"] for t in api.get("/api/v1/agents/me/tickets", headers=OTHER_AGENT).json()["items"]] == [
        ticket["id"]
    ]


def test_an_agent_cannot_transfer_someone_elses_ticket(make_api: Callable[..., TestClient]) -> None:
    api = two_agents(make_api)
    ticket = open_ticket(api)
    claim(api, "general", OTHER_AGENT)
    response = api.post(
        f"/api/v1/tickets/{ticket['id']}/transfer", json={"queue": "refunds", "reason": "x"}, headers=AGENT
    )
    assert response.status_code == 403


def test_transfer_to_an_agent_at_capacity_is_refused(make_api: Callable[..., TestClient]) -> None:
    api = two_agents(make_api, agent_capacity=1)
    open_ticket(api, **case(1))
    waiting = open_ticket(api, **case(2))
    claim(api, "general", OTHER_AGENT)
    response = api.post(
        f"/api/v1/tickets/{waiting['id']}/transfer",
        json={"agent": "agent-2", "reason": "x"},
        headers=SUPERVISOR,
    )
    assert (response.status_code, response.json()["error"]["code"]) == (409, "at_capacity")


def test_transfer_names_exactly_one_known_target(make_api: Callable[..., TestClient]) -> None:
    api = two_agents(make_api)
    ticket = open_ticket(api)
    url = f"/api/v1/tickets/{ticket['id']}/transfer"
    both = api.post(url, json={"queue": "refunds", "agent": "agent-2", "reason": "x"}, headers=SUPERVISOR)
    unknown = api.post(url, json={"agent": "nobody", "reason": "x"}, headers=SUPERVISOR)
    bot = api.post(url, json={"agent": "dev-bot", "reason": "x"}, headers=SUPERVISOR)
    assert [both.status_code, unknown.status_code, bot.status_code] == [422, 422, 422]


def test_a_resolved_ticket_cannot_be_transferred(desk: TestClient) -> None:
    ticket = open_ticket(desk)
    claim(desk, "general")
    desk.post(
        f"/api/v1/tickets/{ticket['id']}/resolve", json={"remedy": "apology", "note": "已致歉"}, headers=AGENT
    )
    response = desk.post(
        f"/api/v1/tickets/{ticket['id']}/transfer",
        json={"queue": "refunds", "reason": "x"},
        headers=SUPERVISOR,
    )
    assert (response.status_code, response.json()["error"]["code"]) == (409, "invalid_transition")
