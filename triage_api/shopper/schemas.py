"""What a shopper may see of their own ticket: status, last update, next deadline. Nothing else."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, Field

from triage_api.tickets.schemas import OPEN_STATUSES, Ticket, TicketStatus

STATUS_TEXT = {
    TicketStatus.new: "已受理，正在排队等待客服处理",
    TicketStatus.assigned: "客服正在处理",
    TicketStatus.waiting_customer: "等待您的回复",
    TicketStatus.resolved: "已处理完成，稍后会有回访",
    TicketStatus.closed: "已完结",
    TicketStatus.reopened: "已重新受理，正在排队等待客服处理",
}


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
            status_text=STATUS_TEXT[ticket.status],
            updated_at=ticket.updated_at,
            next_deadline=deadline,
        )
