"""What supervisors see of escalated tickets, and what one monitor pass found."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel

from triage_api.tickets.keys import Deadline
from triage_api.tickets.schemas import TicketSummary


class Escalation(BaseModel):
    escalated_at: datetime
    ticket: TicketSummary


class EscalationList(BaseModel):
    items: list[Escalation]


class Breach(BaseModel):
    ticket_id: str
    deadline: Deadline
    due: datetime
