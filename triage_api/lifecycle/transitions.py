"""Which status a ticket may move to from which, over the taxonomy's `ticket_status`."""

from __future__ import annotations

from triage_api.core.errors import DomainError
from triage_api.tickets.schemas import TicketStatus

S = TicketStatus

# from -> the statuses it may move to. Moving back to `new` is a transfer to a queue; staying in
# `new` or `reopened` is a transfer between queues; `assigned` -> `assigned` is a reassignment.
ALLOWED: dict[TicketStatus, frozenset[TicketStatus]] = {
    S.new: frozenset({S.new, S.assigned}),
    S.assigned: frozenset({S.assigned, S.new, S.waiting_customer, S.resolved}),
    S.waiting_customer: frozenset({S.assigned, S.new, S.resolved}),
    S.resolved: frozenset({S.closed, S.reopened}),
    S.closed: frozenset({S.reopened}),
    S.reopened: frozenset({S.reopened, S.assigned}),
}


class InvalidTransition(DomainError):
    status_code = 409
    code = "invalid_transition"


def can_move(current: TicketStatus, target: TicketStatus) -> bool:
    return target in ALLOWED[current]


def check_transition(current: TicketStatus, target: TicketStatus) -> None:
    if not can_move(current, target):
        allowed = ", ".join(sorted(s.value for s in ALLOWED[current])) or "nothing"
        raise InvalidTransition(
            f"a {current.value} ticket cannot become {target.value} (it may become: {allowed})"
        )
