"""Shopper status lookup: a matching ticket id and order number, within moving-window limits per
client address and per ticket id (so neither one address nor many can guess order numbers)."""

from __future__ import annotations

import hmac

from knowledge_base.textnorm import canonical_order_id
from triage_api.core.errors import DomainError
from triage_api.core.ratelimit import RateLimiter, per_window
from triage_api.shopper.schemas import ShopperStatus
from triage_api.tickets.service import TicketStore, is_ticket_id

TOO_MANY = "too many status lookups; try again later"


class NoSuchCase(DomainError):
    """The same answer for an unknown id, a wrong order number and a malformed one."""

    status_code = 404
    code = "not_found"

    def __init__(self) -> None:
        super().__init__("no ticket with this id and order number")


class ShopperLookup:
    def __init__(
        self,
        store: TicketStore,
        limiter: RateLimiter,
        *,
        window: int,
        per_client: int,
        per_ticket: int,
    ) -> None:
        self.store = store
        self.limiter = limiter
        self.per_client = per_window("shopper-ip", per_client, window)
        self.per_ticket = per_window("shopper-ticket", per_ticket, window)

    async def status(self, ticket_id: str, order_id: str, client: str) -> ShopperStatus:
        await self.limiter.hit(self.per_client, client, TOO_MANY)
        await self.limiter.hit(self.per_ticket, ticket_id[:64], TOO_MANY)
        ticket = await self.store.get(ticket_id) if is_ticket_id(ticket_id) else None
        presented = canonical_order_id(order_id)
        if ticket is None or ticket.order_id is None or presented is None:
            raise NoSuchCase()
        if not hmac.compare_digest(ticket.order_id.encode(), presented.encode()):
            raise NoSuchCase()
        return ShopperStatus.of(ticket)
