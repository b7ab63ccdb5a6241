"""Request bodies of the lifecycle endpoints; unknown fields are refused so typos surface."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, field_validator

from knowledge_base.textnorm import canonical_order_id
from triage_api.tickets.schemas import Remedy, Responsibility, TicketStatus

Text = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=4000)]
ShortNote = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=2000)]


class _Body(BaseModel):
    model_config = ConfigDict(extra="forbid")


class NoteRequest(_Body):
    text: ShortNote


class ReplyRequest(_Body):
    text: Text
    await_customer: bool = Field(False, description="the reply asks the shopper something: waiting_customer")


class ShopperFacts(_Body):
    """Facts the shopper's channel found in a message after the handoff (by the bot's NLU)."""

    order_id: str | None = Field(None, max_length=64)
    remedy: Remedy | None = None
    product: str | None = Field(None, max_length=200)

    @field_validator("order_id")
    @classmethod
    def _canonical_order(cls, value: str | None) -> str | None:
        return canonical_order_id(value) if value else None


class ShopperMessage(_Body):
    text: Text
    ts: datetime | float | None = None
    facts: ShopperFacts | None = Field(None, description="fill the ticket's empty order, remedy, product")


class StatusChange(_Body):
    status: TicketStatus = Field(description="assigned or waiting_customer; others have their own endpoint")


class ResolveRequest(_Body):
    remedy: Remedy = Field(description="the remedy executed")
    note: ShortNote = Field(description="what was done, for the record and the revisit")
    responsibility: Responsibility | None = Field(None, description="the agent's assessment, if it differs")


class RevisitRequest(_Body):
    csat: int = Field(ge=1, le=5, description="satisfaction 1 (very unhappy) to 5 (very happy)")
    comment: str = Field("", max_length=1000)
    solved: bool | None = Field(
        None, description="the shopper's answer to 'was it solved?'; false (or csat <= 2) reopens the ticket"
    )


class ReopenRequest(_Body):
    reason: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=500)]
