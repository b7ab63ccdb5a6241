"""Bodies and answers of the conversation endpoints (the shopper's channel and push stream)."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from triage_api.tickets.schemas import Channel, TicketStatus

Owner = Literal["bot", "agent"]


class ConversationState(BaseModel):
    """Who holds the conversation: the bot, or a person through its open ticket."""

    conversation_id: str
    owner: Owner
    ticket_id: str | None = None
    status: TicketStatus | None = None
    status_text: str | None = Field(None, description="the ticket's status as the shopper reads it")
    awaiting_rating: bool = Field(False, description="resolved; the next rating-like message is the revisit")


class RelayRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    text: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=4000)]


class RelayResult(BaseModel):
    """What happened to a shopper's message: kept by a person's ticket, taken as the revisit, or
    not handled here (the bot answers it)."""

    handled: bool
    relayed: bool = Field(False, description="added to the open ticket's thread")
    ticket_id: str | None = None
    status: TicketStatus | None = None
    reply: str | None = Field(None, description="what the channel says to the shopper; none = stay quiet")


class ChatSessionRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    channel: Channel = Channel.app_chat


class ChatSession(BaseModel):
    """A web chat conversation: its id, the token for its push stream, where the bot listens."""

    conversation_id: str
    token: str
    channel: Channel
    bot_url: str = Field(description="the Rasa REST webhook the page posts the shopper's messages to")
