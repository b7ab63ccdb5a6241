"""Races against the real Redis: concurrent claimers, capacity and handoffs, through the ASGI app."""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from typing import Any, TypeVar

import httpx

from tests.triage_api.conftest import bearer, case, handoff, token_registry
from triage_api.core.settings import Settings
from triage_api.main import create_app

T = TypeVar("T")
AGENTS = {f"token-agent-{i:02d}": (f"agent-{i:02d}", "agent") for i in range(50)}
BOT = bearer("token-bot")


@asynccontextmanager
async def running(settings: Settings) -> AsyncIterator[httpx.AsyncClient]:
    app = create_app(settings)
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://triage") as client,
    ):
        yield client


def run(settings: Settings, scenario: Callable[[httpx.AsyncClient], Awaitable[T]]) -> T:
    async def main() -> T:
        async with running(settings) as client:
            return await scenario(client)

    return asyncio.run(main())


def with_agents(api_settings: Settings, **overrides: Any) -> Settings:
    tokens = token_registry({**AGENTS, "token-bot": ("bot", "bot")})
    return api_settings.model_copy(update={"agent_tokens": tokens, "sla_check_interval": 0, **overrides})


async def create_tickets(client: httpx.AsyncClient, count: int) -> list[str]:
    responses = await asyncio.gather(
        *(client.post("/api/v1/handoffs", json=handoff(**case(i)), headers=BOT) for i in range(count))
    )
    assert {r.status_code for r in responses} == {201}
    return [r.json()["id"] for r in responses]


def test_fifty_concurrent_claimers_never_get_the_same_ticket(api_settings: Settings) -> None:
    async def scenario(client: httpx.AsyncClient) -> tuple[list[str], dict[str, list[str]], dict[str, Any]]:
        created = await create_tickets(client, 120)

        async def claimer(token: str) -> list[str]:
            got = []
            while True:
                response = await client.post("/api/v1/queues/general/claim", headers=bearer(token))
                assert response.status_code == 200, response.text
                body = response.json()
                if not body["claimed"]:
                    return got
                got.append(body["ticket"]["id"])

        claims = await asyncio.gather(*(claimer(token) for token in AGENTS))
        by_agent = {AGENTS[token][0]: ids for token, ids in zip(AGENTS, claims, strict=True)}
        tickets = {
            ticket_id: (await client.get(f"/api/v1/tickets/{ticket_id}", headers=BOT)).json()
            for ticket_id in created
        }
        return created, by_agent, tickets

    created, by_agent, tickets = run(with_agents(api_settings, agent_capacity=20), scenario)
    claimed = [ticket_id for ids in by_agent.values() for ticket_id in ids]
    assert [t for t, n in Counter(claimed).items() if n > 1] == []
    assert sorted(claimed) == sorted(created)
    assert all(tickets[t]["assignee"] == agent for agent, ids in by_agent.items() for t in ids)
    assert sum(1 for ids in by_agent.values() if ids) > 1  # the claims really were spread out


def test_concurrent_claims_by_one_agent_stop_exactly_at_capacity(api_settings: Settings) -> None:
    token = next(iter(AGENTS))

    async def scenario(client: httpx.AsyncClient) -> list[int]:
        await create_tickets(client, 20)
        responses = await asyncio.gather(
            *(client.post("/api/v1/queues/general/claim", headers=bearer(token)) for _ in range(50))
        )
        return [r.status_code for r in responses]

    statuses = run(with_agents(api_settings, agent_capacity=5), scenario)
    assert Counter(statuses) == {200: 5, 409: 45}


def test_concurrent_handoffs_of_one_conversation_make_one_ticket(api_settings: Settings) -> None:
    async def scenario(client: httpx.AsyncClient) -> set[str]:
        responses = await asyncio.gather(
            *(client.post("/api/v1/handoffs", json=handoff(), headers=BOT) for _ in range(30))
        )
        return {r.json()["id"] for r in responses}

    assert len(run(with_agents(api_settings), scenario)) == 1
