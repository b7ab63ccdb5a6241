"""HTTP routes of the ticket lifecycle: parse, authorise, call the lifecycle service."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request
from pydantic import BaseModel, Field

from triage_api.core.security import Principal, Role, require_roles
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
from triage_api.lifecycle.service import Lifecycle
from triage_api.tickets.routes import TicketId
from triage_api.tickets.schemas import Ticket

router = APIRouter(prefix="/api/v1/tickets", tags=["lifecycle"])

_desk = require_roles(Role.agent, Role.supervisor)
_shopper_channel = require_roles(Role.bot)
# Only the shopper's channel records a rating; a reopen may come from it or from a person.
_rating_channel = require_roles(Role.bot)
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


class FactsFilled(BaseModel):
    ticket_id: str
    filled: list[str] = Field(description="the ticket fields the facts filled (empty ones only)")


@router.post("/{ticket_id}/facts", response_model=FactsFilled)
async def add_facts(
    ticket_id: TicketId,
    body: ShopperFacts,
    who: Annotated[Principal, Depends(_shopper_channel)],
    service: Service,
) -> FactsFilled:
    """Facts the shopper's channel found in a message after the handoff fill the ticket's empty
    order number, remedy and product; a value already there stays."""
    return FactsFilled(ticket_id=ticket_id, filled=await service.add_facts(ticket_id, who, body))


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
    who: Annotated[Principal, Depends(_rating_channel)],
    service: Service,
) -> Ticket:
    """The revisit (回访) with the shopper's CSAT closes the ticket; only the shopper's channel
    (role bot) records it. A rating of 2 or less, or `solved: false`, reopens it to its team."""
    return await service.revisit(ticket_id, who, body)


@router.post("/{ticket_id}/reopen", response_model=Ticket)
async def reopen(
    ticket_id: TicketId, body: ReopenRequest, who: Annotated[Principal, Depends(_follow_up)], service: Service
) -> Ticket:
    """Not solved after all: back to its queue with a new resolution deadline."""
    return await service.reopen(ticket_id, who, body)
