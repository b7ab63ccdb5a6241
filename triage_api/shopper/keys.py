"""Every Redis key of the shopper status lookup, defined once."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class ShopperKeys:
    prefix: str

    def lookups_by_client(self, client: str, window: int) -> str:
        """Counter of one client address's lookups in one fixed window (expires with it)."""
        return f"{self.prefix}:ratelimit:shopper:ip:{client}:{window}"

    def lookups_of_ticket(self, ticket_id: str, window: int) -> str:
        """Counter of lookups of one ticket id, from anywhere, in one fixed window."""
        return f"{self.prefix}:ratelimit:shopper:ticket:{ticket_id}:{window}"
