"""What each caller may read of a ticket: personal data in full only for the person holding it,
internal notes only for the desk. Every route that answers with a ticket passes it through here."""

from __future__ import annotations

from triage_api.core.privacy import mask_personal_data, mask_phone_number
from triage_api.core.security import Principal, Role
from triage_api.tickets.schemas import HELD_STATUSES, Ticket

# The desk reads internal notes, and one of it (the assignee) holds a ticket; the bot, the
# shopper's channel, reads status and the conversation, never notes. Trainers read no tickets.
DESK = frozenset({Role.agent, Role.supervisor})


def holds(ticket: Ticket, principal: Principal) -> bool:
    """The caller is the ticket's handler right now: assigned to it and not yet resolved."""
    return principal.role in DESK and ticket.status in HELD_STATUSES and ticket.assignee == principal.name


def ticket_for(ticket: Ticket, principal: Principal) -> Ticket:
    """The ticket as `principal` may read it. The holder gets everything; anyone else (other
    agents, supervisors watching, the bot) gets the same fields with the phone as 138****5678 and
    phones and street addresses masked in every text, as lists show them."""
    if holds(ticket, principal):
        return ticket
    notes = ticket.notes if principal.role in DESK else []
    phone, mask = ticket.customer.phone, mask_personal_data
    resolution, revisit = ticket.resolution, ticket.revisit
    return ticket.model_copy(
        update={
            "customer": ticket.customer.model_copy(
                update={"phone": mask_phone_number(phone) if phone else None}
            ),
            "transcript": [turn.model_copy(update={"text": mask(turn.text)}) for turn in ticket.transcript],
            "notes": [note.model_copy(update={"text": mask(note.text)}) for note in notes],
            "product": mask(ticket.product) if ticket.product else None,
            "reason": mask(ticket.reason),
            "explain": [mask(line) for line in ticket.explain],
            "resolution": resolution.model_copy(update={"note": mask(resolution.note)})
            if resolution
            else None,
            "revisit": revisit.model_copy(update={"comment": mask(revisit.comment)}) if revisit else None,
        }
    )


def tickets_for(tickets: list[Ticket], principal: Principal) -> list[Ticket]:
    return [ticket_for(ticket, principal) for ticket in tickets]
