"""Every Redis key of tickets, their queues, agents' workloads and deadlines, defined once."""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum


class Deadline(str, Enum):
    """The deadlines the SLA monitor watches, each in its own sorted set."""

    first_response = "first_response"
    resolution = "resolution"
    revisit = "revisit"  # a resolved ticket without revisit closes itself when this passes


@dataclass(frozen=True)
class TicketKeys:
    prefix: str

    def ticket(self, ticket_id: str) -> str:
        """JSON of the ticket as handed off and graded; what changes later lives in `state`."""
        return f"{self.prefix}:ticket:{ticket_id}"

    def state(self, ticket_id: str) -> str:
        """Hash of the ticket's lifecycle fields (status, assignee, queue, deadlines…), overriding
        the handoff JSON. Every lifecycle change writes it, so WATCHing it serialises changes."""
        return f"{self.prefix}:state:{ticket_id}"

    def thread(self, ticket_id: str) -> str:
        """List of turns (JSON) added after the handoff: agents' replies, shoppers' messages."""
        return f"{self.prefix}:thread:{ticket_id}"

    def notes(self, ticket_id: str) -> str:
        """List of agents' internal notes (JSON); never shown to the shopper."""
        return f"{self.prefix}:notes:{ticket_id}"

    def open_by_conversation(self, conversation_id: str) -> str:
        """Id of the conversation's open ticket (handoffs are idempotent on it)."""
        return f"{self.prefix}:conv:open:{conversation_id}"

    def by_conversation(self, conversation_id: str) -> str:
        """Sorted set of every ticket of a conversation, by creation time."""
        return f"{self.prefix}:conv:all:{conversation_id}"

    def by_order(self, order_id: str) -> str:
        """Sorted set of the tickets about one order, by creation time (repeat complaints)."""
        return f"{self.prefix}:order:{order_id}"

    def by_customer(self, customer_id: str) -> str:
        """Sorted set of one customer's tickets, by creation time (repeat complaints)."""
        return f"{self.prefix}:customer:{customer_id}"

    def queue(self, queue: str) -> str:
        """Sorted set of waiting tickets of a queue; lower score is served first."""
        return f"{self.prefix}:queue:{queue}"

    def agent_open(self, agent: str) -> str:
        """Set of the tickets an agent holds open (assigned or waiting for the customer)."""
        return f"{self.prefix}:agent:{agent}:open"

    def deadlines(self, deadline: Deadline) -> str:
        """Sorted set of tickets by the due time (Unix seconds) of one kind of deadline."""
        return f"{self.prefix}:due:{deadline.value}"

    def escalations(self) -> str:
        """Sorted set of open tickets that breached a deadline, by the time of the first breach."""
        return f"{self.prefix}:escalations"

    def all_tickets(self) -> str:
        return f"{self.prefix}:tickets"

    def audit(self, ticket_id: str) -> str:
        """List of who did what when (JSON entries, personal data masked)."""
        return f"{self.prefix}:audit:{ticket_id}"

    def handoff(self, handoff_key: str) -> str:
        """Id of the ticket a handoff with this idempotency key created (delivery exactly once)."""
        return f"{self.prefix}:handoff:{handoff_key}"

    def inbox(self) -> str:
        """Stream of handoffs the action server stored while the API was unreachable (contract
        with the action server: one field `handoff`, the JSON body of POST /api/v1/handoffs)."""
        return f"{self.prefix}:inbox:handoffs"

    def events(self) -> str:
        """Stream of every change of every ticket (flat fields: action, ticket_id, actor, ts …),
        written in the same transaction as the change; feeds the relay and the console."""
        return f"{self.prefix}:events"

    def chat(self, conversation_id: str) -> str:
        """Stream of what the system said to one shopper after the handoff (agents' replies,
        progress notes, the rating prompt), replayed when the shopper's page reconnects."""
        return f"{self.prefix}:chat:{conversation_id}"

    def chat_feed(self) -> str:
        """Stream of every chat message of every conversation, for the push hub of each process."""
        return f"{self.prefix}:chatfeed"

    def relayed(self, event_id: str, index: int) -> str:
        """Marks the `index`-th chat message of an event as posted, so a redelivered event never
        tells the shopper twice."""
        return f"{self.prefix}:relayed:{event_id}:{index}"
