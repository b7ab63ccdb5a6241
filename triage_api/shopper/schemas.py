"""What a shopper may see of their own ticket: status, last update, next deadline. Nothing else."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, Field

from knowledge_base.labels import label
from triage_api.tickets.schemas import OPEN_STATUSES, Ticket, TicketStatus


class NextDeadline(BaseModel):
    kind: Literal["first_response", "resolution"]
    due: datetime


class ShopperStatus(BaseModel):
    ticket_id: str
    status: TicketStatus
    status_text: str = Field(description="the status in words for the shopper")
    updated_at: datetime
    next_deadline: NextDeadline | None = Field(description="when we promised to respond or resolve")

    @classmethod
    def of(cls, ticket: Ticket) -> ShopperStatus:
        deadline = None
        if ticket.status in OPEN_STATUSES:
            deadline = (
                NextDeadline(kind="first_response", due=ticket.sla.first_response_due)
                if ticket.sla.first_responded_at is None
                else NextDeadline(kind="resolution", due=ticket.sla.resolution_due)
            )
        return cls(
            ticket_id=ticket.id,
            status=ticket.status,
            status_text=label("shopper_status", ticket.status.value),
            updated_at=ticket.updated_at,
            next_deadline=deadline,
        )
