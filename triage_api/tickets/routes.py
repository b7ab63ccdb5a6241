"""HTTP routes for handoffs and the agents' ticket views: parse, authorise, call the store."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, Path, Query, Request, Response, status

from triage_api.core.security import Principal, Role, require_roles
from triage_api.tickets.schemas import AuditTrail, HandoffRequest, Ticket, TicketList
from triage_api.tickets.service import TicketStore
from triage_api.tickets.views import ticket_for, tickets_for

TicketId = Annotated[str, Path(min_length=1, max_length=64)]

router = APIRouter(prefix="/api/v1", tags=["tickets"])

_handoff_callers = require_roles(Role.bot, Role.agent, Role.supervisor)
_ticket_readers = require_roles(Role.agent, Role.supervisor, Role.bot)
_audit_readers = require_roles(Role.agent, Role.supervisor)


def ticket_store(request: Request) -> TicketStore:
    store: TicketStore = request.app.state.tickets
    return store


@router.post(
    "/handoffs",
    response_model=Ticket,
    status_code=status.HTTP_201_CREATED,
    responses={200: {"description": "the conversation already has an open ticket; it is returned"}},
)
async def create_handoff(
    handoff: HandoffRequest,
    response: Response,
    principal: Annotated[Principal, Depends(_handoff_callers)],
    store: Annotated[TicketStore, Depends(ticket_store)],
) -> Ticket:
    result = await store.create_from_handoff(handoff, actor=principal.name)
    if not result.created:
        response.status_code = status.HTTP_200_OK
    return ticket_for(result.ticket, principal)


@router.get("/tickets", response_model=TicketList)
async def list_tickets(
    conversation_id: Annotated[str, Query(min_length=1, max_length=128)],
    principal: Annotated[Principal, Depends(_ticket_readers)],
    store: Annotated[TicketStore, Depends(ticket_store)],
) -> TicketList:
    """The conversation's tickets, oldest first, each as the caller may read it."""
    return TicketList(items=tickets_for(await store.list_by_conversation(conversation_id), principal))


@router.get("/tickets/{ticket_id}", response_model=Ticket, responses={404: {"description": "no such ticket"}})
async def get_ticket(
    ticket_id: str,
    principal: Annotated[Principal, Depends(_ticket_readers)],
    store: Annotated[TicketStore, Depends(ticket_store)],
) -> Ticket:
    """The whole case; the phone and personal data in texts in full only for its holder, and
    internal notes for the desk only (`tickets.views`)."""
    ticket = await store.get(ticket_id) if len(ticket_id) <= 64 else None
    if ticket is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, detail=f"no ticket {ticket_id[:64]}")
    return ticket_for(ticket, principal)


@router.get(
    "/tickets/{ticket_id}/audit",
    response_model=AuditTrail,
    responses={404: {"description": "no such ticket"}},
)
async def get_audit_trail(
    ticket_id: TicketId,
    _: Annotated[Principal, Depends(_audit_readers)],
    store: Annotated[TicketStore, Depends(ticket_store)],
) -> AuditTrail:
    """Who did what when, oldest first; personal data in texts is masked."""
    return AuditTrail(ticket_id=ticket_id, entries=await store.audit_trail(ticket_id))
