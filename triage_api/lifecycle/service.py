"""Lifecycle changes of one ticket, each validated against the transition table and committed
atomically with its audit entry, deadlines and analytics counters."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import datetime

from triage_api.analytics.service import AnalyticsRecorder
from triage_api.core.errors import DomainError
from triage_api.core.privacy import excerpt
from triage_api.core.security import Principal, Role
from triage_api.lifecycle.schemas import (
    NoteRequest,
    ReopenRequest,
    ReplyRequest,
    ResolveRequest,
    RevisitRequest,
    ShopperFacts,
    ShopperMessage,
    StatusChange,
)
from triage_api.lifecycle.transitions import InvalidTransition, check_transition
from triage_api.tickets.keys import Deadline
from triage_api.tickets.schemas import (
    HELD_STATUSES,
    Note,
    Resolution,
    Revisit,
    Ticket,
    TicketState,
    TicketStatus,
    Turn,
)
from triage_api.tickets.schemas import (
    Role as TurnRole,
)
from triage_api.tickets.service import TicketStore, TicketTransaction, utcnow
from triage_api.triage.policy import TriagePolicy

# Transitions that have their own endpoint, named in the error when /status is asked for them.
_OWN_ENDPOINT = {
    TicketStatus.new: "POST /tickets/{id}/transfer",
    TicketStatus.resolved: "POST /tickets/{id}/resolve",
    TicketStatus.closed: "POST /tickets/{id}/revisit",
    TicketStatus.reopened: "POST /tickets/{id}/reopen",
}


# A revisit at or below this satisfaction reopens the ticket to its team.
LOW_CSAT = 2
# Who a rating from the shopper's own page (its chat token) is recorded as; the role is the
# shopper's channel's, as when the channel relays a rating the shopper wrote.
SHOPPER = Principal(name="shopper", role=Role.bot)


class NotYourTicket(DomainError):
    status_code = 403
    code = "forbidden"


def require_handler(state: TicketState, principal: Principal) -> None:
    """Work on a claimed ticket is its assignee's (a supervisor may step in)."""
    if principal.role is Role.supervisor or state.assignee == principal.name:
        return
    if state.status not in HELD_STATUSES:
        raise InvalidTransition(f"the ticket is {state.status.value}: claim it from its queue first")
    raise NotYourTicket("the ticket is assigned to another agent")


class Lifecycle:
    """Notes, replies, shopper messages, status changes, resolution, revisit and reopening."""

    def __init__(self, store: TicketStore, policy: TriagePolicy, recorder: AnalyticsRecorder) -> None:
        self.store = store
        self.policy = policy
        self.recorder = recorder

    async def _change_and_read(
        self, ticket_id: str, decide: Callable[[TicketTransaction], Awaitable[None]]
    ) -> Ticket:
        await self.store.change(ticket_id, decide)
        ticket = await self.store.get(ticket_id)
        assert ticket is not None  # tickets are never deleted
        return ticket

    async def add_note(
        self, ticket_id: str, principal: Principal, request: NoteRequest, now: datetime | None = None
    ) -> Ticket:
        at = now or utcnow()

        async def decide(tx: TicketTransaction) -> None:
            tx.append_note(Note(author=principal.name, text=request.text, ts=at))
            tx.save(tx.state.model_copy(update={"updated_at": at}))
            tx.audit(at, principal.name, "note_added", text=excerpt(request.text))

        return await self._change_and_read(ticket_id, decide)

    def _first_response(self, tx: TicketTransaction, state: TicketState, at: datetime) -> TicketState:
        """The first agent response stops the first-response clock (and is counted once)."""
        if state.first_responded_at is not None:
            return state
        tx.set_deadline(Deadline.first_response, None)
        tx.stats(self.recorder.first_response(state, (at - tx.intake.created_at).total_seconds()))
        return state.model_copy(update={"first_responded_at": at})

    async def reply(
        self, ticket_id: str, principal: Principal, request: ReplyRequest, now: datetime | None = None
    ) -> Ticket:
        at = now or utcnow()

        async def decide(tx: TicketTransaction) -> None:
            state = tx.state
            if state.status not in HELD_STATUSES:
                raise InvalidTransition(
                    f"the ticket is {state.status.value}: only an assigned ticket gets replies"
                )
            require_handler(state, principal)
            status = state.status
            if request.await_customer and status is not TicketStatus.waiting_customer:
                check_transition(status, TicketStatus.waiting_customer)
                status = TicketStatus.waiting_customer
            tx.append_turn(Turn(role=TurnRole.agent, text=request.text, ts=at, author=principal.name))
            first = state.first_responded_at is None
            state = self._first_response(tx, state, at).model_copy(
                update={"status": status, "updated_at": at}
            )
            tx.save(state)
            tx.audit(
                at,
                principal.name,
                "replied",
                event={"text": request.text, "await_customer": "1" if request.await_customer else ""},
                text=excerpt(request.text),
                first_response=first,
            )

        return await self._change_and_read(ticket_id, decide)

    async def shopper_message(
        self, ticket_id: str, principal: Principal, request: ShopperMessage, now: datetime | None = None
    ) -> Ticket:
        at = now or utcnow()

        async def decide(tx: TicketTransaction) -> None:
            state = tx.state
            if state.status is TicketStatus.closed:
                raise InvalidTransition("the ticket is closed: hand the conversation over again")
            tx.append_turn(Turn(role=TurnRole.user, text=request.text, ts=request.ts or at))
            # The shopper answered what the agent asked: the agent's turn again.
            status = TicketStatus.assigned if state.status is TicketStatus.waiting_customer else state.status
            filled = self._fill_facts(tx, state, request.facts)
            tx.save(state.model_copy(update={"status": status, "updated_at": at, **filled}))
            tx.audit(
                at,
                principal.name,
                "shopper_message",
                event={"filled": ",".join(filled)},
                text=excerpt(request.text),
                filled=sorted(filled) or None,
            )

        return await self._change_and_read(ticket_id, decide)

    async def add_facts(
        self, ticket_id: str, principal: Principal, facts: ShopperFacts, now: datetime | None = None
    ) -> list[str]:
        """Fills the ticket's empty order, remedy and product from what the shopper wrote after
        the handoff; returns the names of the fields filled."""
        at = now or utcnow()

        async def decide(tx: TicketTransaction) -> list[str]:
            if tx.state.status is TicketStatus.closed:
                return []
            filled = self._fill_facts(tx, tx.state, facts)
            if filled:
                tx.save(tx.state.model_copy(update={"updated_at": at, **filled}))
                names = ",".join(sorted(filled))
                tx.audit(at, principal.name, "facts_filled", event={"filled": names}, filled=names)
            return sorted(filled)

        return await self.store.change(ticket_id, decide)

    @staticmethod
    def _fill_facts(
        tx: TicketTransaction, state: TicketState, facts: ShopperFacts | None
    ) -> dict[str, object]:
        """Facts from the shopper's message for the ticket's empty fields; a given one stays."""
        if facts is None:
            return {}
        filled: dict[str, object] = {}
        if facts.order_id and not state.order_id:
            filled["order_id"] = facts.order_id
            tx.index_order(facts.order_id)
        if facts.remedy and state.remedy is None:
            filled["remedy"] = facts.remedy
        if facts.product and facts.product.strip() and not state.product:
            filled["product"] = facts.product.strip()[:200]
        return filled

    async def set_status(
        self, ticket_id: str, principal: Principal, request: StatusChange, now: datetime | None = None
    ) -> Ticket:
        at = now or utcnow()
        target = request.status
        if target in _OWN_ENDPOINT:
            raise InvalidTransition(f"a ticket becomes {target.value} through {_OWN_ENDPOINT[target]}")

        async def decide(tx: TicketTransaction) -> None:
            state = tx.state
            if target is TicketStatus.assigned and state.status not in HELD_STATUSES:
                raise InvalidTransition(
                    f"a {state.status.value} ticket is assigned by POST /queues/{{queue}}/claim "
                    "or POST /tickets/{id}/transfer"
                )
            check_transition(state.status, target)
            require_handler(state, principal)
            if target is state.status:
                return
            tx.save(state.model_copy(update={"status": target, "updated_at": at}))
            tx.audit(
                at, principal.name, "status_changed", status_from=state.status.value, status_to=target.value
            )

        return await self._change_and_read(ticket_id, decide)

    async def resolve(
        self, ticket_id: str, principal: Principal, request: ResolveRequest, now: datetime | None = None
    ) -> Ticket:
        at = now or utcnow()

        async def decide(tx: TicketTransaction) -> None:
            before = tx.state
            check_transition(before.status, TicketStatus.resolved)
            require_handler(before, principal)
            state = self._first_response(tx, before, at)
            responsibility = request.responsibility or before.responsibility
            after = state.model_copy(
                update={
                    "status": TicketStatus.resolved,
                    "remedy": request.remedy,
                    "responsibility": responsibility,
                    "resolution": Resolution(
                        remedy=request.remedy,
                        responsibility=responsibility,
                        note=request.note,
                        by=principal.name,
                        at=at,
                    ),
                    "handling_seconds": (at - tx.intake.created_at).total_seconds(),
                    "first_contact": before.transfers == 0 and before.reopens == 0,
                    "updated_at": at,
                }
            )
            tx.release(before.assignee)
            tx.set_deadline(Deadline.resolution, None)
            tx.set_deadline(Deadline.revisit, at + self.policy.revisit_timeout)
            tx.clear_escalation()
            await tx.close_conversation()
            tx.stats(self.recorder.resolved(before, after))
            tx.save(after)
            tx.audit(
                at,
                principal.name,
                "resolved",
                event={"remedy": request.remedy.value, "note": request.note},
                remedy=request.remedy.value,
                responsibility=responsibility.value,
                text=excerpt(request.note),
            )

        return await self._change_and_read(ticket_id, decide)

    async def revisit(
        self, ticket_id: str, principal: Principal, request: RevisitRequest, now: datetime | None = None
    ) -> Ticket:
        at = now or utcnow()

        async def decide(tx: TicketTransaction) -> None:
            state = tx.state
            check_transition(state.status, TicketStatus.closed)
            revisit = Revisit(csat=request.csat, comment=request.comment, by=principal.name, at=at)
            tx.set_deadline(Deadline.revisit, None)
            tx.stats(self.recorder.revisited(state, request.csat))
            tx.save(
                state.model_copy(update={"status": TicketStatus.closed, "revisit": revisit, "updated_at": at})
            )
            tx.audit(
                at,
                principal.name,
                "revisited",
                event={
                    "csat": str(request.csat),
                    "solved": "" if request.solved is None else str(request.solved),
                },
                csat=request.csat,
                text=excerpt(request.comment),
            )

        ticket = await self._change_and_read(ticket_id, decide)
        if request.solved is False or request.csat <= LOW_CSAT:
            # Not satisfied: the revisit is recorded, and the case goes back to the same team.
            reason = "回访：" + ("问题没解决" if request.solved is False else f"满意度 {request.csat} 分")
            if request.comment:
                reason += f"，{request.comment}"
            ticket = await self.reopen(
                ticket_id, principal, ReopenRequest(reason=reason[:500]), now=at, after_revisit=True
            )
        return ticket

    async def reopen(
        self,
        ticket_id: str,
        principal: Principal,
        request: ReopenRequest,
        now: datetime | None = None,
        after_revisit: bool = False,
    ) -> Ticket:
        at = now or utcnow()

        async def decide(tx: TicketTransaction) -> None:
            before = tx.state
            check_transition(before.status, TicketStatus.reopened)
            due = at + self.policy.resolution_time(tx.intake.complexity)
            priority = self.policy.priority(
                severity=before.severity,
                vip=tx.intake.customer.vip,
                resolution_due=due,
                escalated=before.escalated,
                repeat=tx.intake.repeat_complaint,
            )
            after = before.model_copy(
                update={
                    "status": TicketStatus.reopened,
                    "assignee": None,
                    "priority": priority,
                    "resolution_due": due,
                    "reopens": before.reopens + 1,
                    "first_contact": False,
                    "updated_at": at,
                }
            )
            tx.enqueue(before.queue, priority)
            tx.set_deadline(Deadline.resolution, due)
            tx.set_deadline(Deadline.revisit, None)
            tx.reopen_conversation()
            tx.stats(self.recorder.reopened(before))
            tx.save(after)
            tx.audit(
                at,
                principal.name,
                "reopened",
                event={"after_revisit": "1" if after_revisit else ""},
                reason=excerpt(request.reason),
                queue=before.queue.value,
            )

        return await self._change_and_read(ticket_id, decide)
