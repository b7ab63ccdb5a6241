"""Shopper status lookup: a matching ticket id and order number, within fixed-window limits per
client address and per ticket id (so neither one address nor many can guess order numbers)."""

from __future__ import annotations

import hmac
import math
import time

from redis.asyncio import Redis

from knowledge_base.textnorm import canonical_order_id
from triage_api.core.errors import DomainError
from triage_api.shopper.keys import ShopperKeys
from triage_api.shopper.schemas import ShopperStatus
from triage_api.tickets.service import TicketStore, is_ticket_id


class RateLimited(DomainError):
    status_code = 429
    code = "rate_limited"


class NoSuchCase(DomainError):
    """The same answer for an unknown id, a wrong order number and a malformed one."""

    status_code = 404
    code = "not_found"

    def __init__(self) -> None:
        super().__init__("no ticket with this id and order number")


class ShopperLookup:
    def __init__(
        self,
        redis: Redis,
        keys: ShopperKeys,
        store: TicketStore,
        *,
        window: int,
        per_client: int,
        per_ticket: int,
    ) -> None:
        self.redis = redis
        self.keys = keys
        self.store = store
        self.window = window
        self.per_client = per_client
        self.per_ticket = per_ticket

    async def _count(self, now: float, ticket_id: str, client: str) -> tuple[int, int]:
        window = int(now // self.window)
        by_client = self.keys.lookups_by_client(client, window)
        of_ticket = self.keys.lookups_of_ticket(ticket_id[:64], window)
        async with self.redis.pipeline(transaction=True) as pipe:
            for key in (by_client, of_ticket):
                pipe.set(key, 0, ex=self.window, nx=True)
                pipe.incr(key)
            _, client_count, _, ticket_count = await pipe.execute()
        return int(client_count), int(ticket_count)

    async def status(self, ticket_id: str, order_id: str, client: str) -> ShopperStatus:
        now = time.time()
        client_count, ticket_count = await self._count(now, ticket_id, client)
        if client_count > self.per_client or ticket_count > self.per_ticket:
            retry = math.ceil(self.window - now % self.window)
            raise RateLimited("too many status lookups; try again later", headers={"Retry-After": str(retry)})
        ticket = await self.store.get(ticket_id) if is_ticket_id(ticket_id) else None
        presented = canonical_order_id(order_id)
        if ticket is None or ticket.order_id is None or presented is None:
            raise NoSuchCase()
        if not hmac.compare_digest(ticket.order_id.encode(), presented.encode()):
            raise NoSuchCase()
        return ShopperStatus.of(ticket)
