"""HTTP routes of the ticket lifecycle: parse, authorise, call the lifecycle service."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Header, HTTPException, Request, status
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from pydantic import BaseModel, Field

from triage_api.conversations.schemas import ConversationState
from triage_api.conversations.service import Conversations, token_matches
from triage_api.core.security import Principal, Role, require_roles
from triage_api.core.settings import Settings
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
from triage_api.lifecycle.service import SHOPPER, Lifecycle
from triage_api.tickets.routes import TicketId
from triage_api.tickets.schemas import Ticket
from triage_api.tickets.views import ticket_for

router = APIRouter(
    prefix="/api/v1/tickets",
    tags=["lifecycle"],
    responses={
        404: {"description": "no such ticket"},
        409: {"description": "the ticket's status does not allow this, or another change holds it"},
    },
)

_desk = require_roles(Role.agent, Role.supervisor)
_shopper_channel = require_roles(Role.bot)
# A reopen may come from the shopper's channel or from a person; a rating only from the shopper.
_follow_up = require_roles(Role.bot, Role.agent, Role.supervisor)
_any_bearer = HTTPBearer(auto_error=False)


def lifecycle(request: Request) -> Lifecycle:
    service: Lifecycle = request.app.state.lifecycle
    return service


Service = Annotated[Lifecycle, Depends(lifecycle)]


@router.post("/{ticket_id}/notes", response_model=Ticket)
async def add_note(
    ticket_id: TicketId, body: NoteRequest, who: Annotated[Principal, Depends(_desk)], service: Service
) -> Ticket:
    """An internal note (never shown to the shopper)."""
    return ticket_for(await service.add_note(ticket_id, who, body), who)


@router.post("/{ticket_id}/replies", response_model=Ticket)
async def reply(
    ticket_id: TicketId, body: ReplyRequest, who: Annotated[Principal, Depends(_desk)], service: Service
) -> Ticket:
    """The assignee answers the shopper; the first answer meets the first-response deadline."""
    return ticket_for(await service.reply(ticket_id, who, body), who)


@router.post("/{ticket_id}/shopper-messages", response_model=Ticket)
async def shopper_message(
    ticket_id: TicketId,
    body: ShopperMessage,
    who: Annotated[Principal, Depends(_shopper_channel)],
    service: Service,
) -> Ticket:
    """The bot relays what the shopper wrote after the handoff."""
    return ticket_for(await service.shopper_message(ticket_id, who, body), who)


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
    return ticket_for(await service.set_status(ticket_id, who, body), who)


@router.post("/{ticket_id}/resolve", response_model=Ticket)
async def resolve(
    ticket_id: TicketId, body: ResolveRequest, who: Annotated[Principal, Depends(_desk)], service: Service
) -> Ticket:
    """The remedy was executed: the ticket is resolved and waits for its revisit."""
    return ticket_for(await service.resolve(ticket_id, who, body), who)


@router.post(
    "/{ticket_id}/revisit",
    response_model=ConversationState,
    responses={403: {"description": "a bearer token: staff and bots never rate for the shopper"}},
)
async def revisit(
    request: Request,
    ticket_id: TicketId,
    body: RevisitRequest,
    service: Service,
    bearer: Annotated[HTTPAuthorizationCredentials | None, Depends(_any_bearer)],
    x_chat_token: Annotated[str | None, Header(max_length=128)] = None,
) -> ConversationState:
    """The revisit (回访) from the shopper's own page, e.g. a star widget: authorised by the
    `X-Chat-Token` of the ticket's conversation (as its push stream), never by a bearer token. A
    rating typed in the chat reaches the ticket as the shopper's words through the channel
    (`POST /conversations/{id}/messages`). The CSAT closes the ticket; 2 or less, or `solved:
    false`, reopens it to its team. Answers what the shopper's page shows: the conversation state."""
    if bearer is not None:
        raise HTTPException(
            status.HTTP_403_FORBIDDEN,
            detail="only the shopper rates: from their page with its chat token, or in their own words "
            "through the channel",
        )
    settings: Settings = request.app.state.settings
    ticket = await service.store.get(ticket_id)
    if ticket is None or not token_matches(settings.chat_secret, ticket.conversation_id, x_chat_token or ""):
        raise HTTPException(status.HTTP_401_UNAUTHORIZED, detail="missing or wrong chat token")
    await service.revisit(ticket_id, SHOPPER, body)
    conversations: Conversations = request.app.state.conversations
    return await conversations.state(ticket.conversation_id)


@router.post("/{ticket_id}/reopen", response_model=Ticket)
async def reopen(
    ticket_id: TicketId, body: ReopenRequest, who: Annotated[Principal, Depends(_follow_up)], service: Service
) -> Ticket:
    """Not solved after all: back to its queue with a new resolution deadline."""
    return ticket_for(await service.reopen(ticket_id, who, body), who)
