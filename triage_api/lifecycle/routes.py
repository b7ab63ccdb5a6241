"""HTTP routes of the ticket lifecycle: parse, authorise, call the lifecycle service."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request

from triage_api.core.security import Principal, Role, require_roles
from triage_api.lifecycle.schemas import (
    NoteRequest,
    ReopenRequest,
    ReplyRequest,
    ResolveRequest,
    RevisitRequest,
    ShopperMessage,
    StatusChange,
)
from triage_api.lifecycle.service import Lifecycle
from triage_api.tickets.routes import TicketId
from triage_api.tickets.schemas import Ticket

router = APIRouter(prefix="/api/v1/tickets", tags=["lifecycle"])

_desk = require_roles(Role.agent, Role.supervisor)
_shopper_channel = require_roles(Role.bot)
# A revisit or a reopen may come from the bot (the shopper answers it) or from a person.
_follow_up = require_roles(Role.bot, Role.agent, Role.supervisor)


def lifecycle(request: Request) -> Lifecycle:
    service: Lifecycle = request.app.state.lifecycle
    return service


Service = Annotated[Lifecycle, Depends(lifecycle)]


@router.post("/{ticket_id}/notes", response_model=Ticket)
async def add_note(
    ticket_id: TicketId, body: NoteRequest, who: Annotated[Principal, Depends(_desk)], service: Service
) -> Ticket:
    """An internal note (never shown to the shopper)."""
    return await service.add_note(ticket_id, who, body)


@router.post("/{ticket_id}/replies", response_model=Ticket)
async def reply(
    ticket_id: TicketId, body: ReplyRequest, who: Annotated[Principal, Depends(_desk)], service: Service
) -> Ticket:
    """The assignee answers the shopper; the first answer meets the first-response deadline."""
    return await service.reply(ticket_id, who, body)


@router.post("/{ticket_id}/shopper-messages", response_model=Ticket)
async def shopper_message(
    ticket_id: TicketId,
    body: ShopperMessage,
    who: Annotated[Principal, Depends(_shopper_channel)],
    service: Service,
) -> Ticket:
    """The bot relays what the shopper wrote after the handoff."""
    return await service.shopper_message(ticket_id, who, body)


@router.post("/{ticket_id}/status", response_model=Ticket)
async def set_status(
    ticket_id: TicketId, body: StatusChange, who: Annotated[Principal, Depends(_desk)], service: Service
) -> Ticket:
    """assigned <-> waiting_customer; other statuses have their own endpoints."""
    return await service.set_status(ticket_id, who, body)


@router.post("/{ticket_id}/resolve", response_model=Ticket)
async def resolve(
    ticket_id: TicketId, body: ResolveRequest, who: Annotated[Principal, Depends(_desk)], service: Service
) -> Ticket:
    """The remedy was executed: the ticket is resolved and waits for its revisit."""
    return await service.resolve(ticket_id, who, body)


@router.post("/{ticket_id}/revisit", response_model=Ticket)
async def revisit(
    ticket_id: TicketId,
    body: RevisitRequest,
    who: Annotated[Principal, Depends(_follow_up)],
    service: Service,
) -> Ticket:
    """The revisit (回访) with the shopper's CSAT closes the ticket."""
    return await service.revisit(ticket_id, who, body)


@router.post("/{ticket_id}/reopen", response_model=Ticket)
async def reopen(
    ticket_id: TicketId, body: ReopenRequest, who: Annotated[Principal, Depends(_follow_up)], service: Service
) -> Ticket:
    """Not solved after all: back to its queue with a new resolution deadline."""
    return await service.reopen(ticket_id, who, body)
