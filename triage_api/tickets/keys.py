"""Every Redis key the ticket store uses, defined once."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class TicketKeys:
    prefix: str

    def ticket(self, ticket_id: str) -> str:
        """JSON document of one ticket."""
        return f"{self.prefix}:ticket:{ticket_id}"

    def open_by_conversation(self, conversation_id: str) -> str:
        """Id of the conversation's open ticket (handoffs are idempotent on it)."""
        return f"{self.prefix}:conv:open:{conversation_id}"

    def by_conversation(self, conversation_id: str) -> str:
        """Sorted set of every ticket of a conversation, by creation time."""
        return f"{self.prefix}:conv:all:{conversation_id}"

    def by_order(self, order_id: str) -> str:
        return f"{self.prefix}:order:{order_id}"

    def by_customer(self, customer_id: str) -> str:
        return f"{self.prefix}:customer:{customer_id}"

    def queue(self, queue: str) -> str:
        """Sorted set of waiting tickets of a queue; lower score is served first."""
        return f"{self.prefix}:queue:{queue}"

    def all_tickets(self) -> str:
        return f"{self.prefix}:tickets"

    def audit(self, ticket_id: str) -> str:
        return f"{self.prefix}:audit:{ticket_id}"
