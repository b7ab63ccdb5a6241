"""Queue views, claims and transfers."""

from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, model_validator

from triage_api.tickets.schemas import Queue, Ticket, TicketSummary


class ClaimResult(BaseModel):
    claimed: bool
    ticket: Ticket | None = Field(description="the claimed ticket, now assigned to the caller")


class QueuePage(BaseModel):
    queue: Queue
    waiting: int = Field(description="tickets waiting in the queue")
    items: list[TicketSummary] = Field(description="served first to last")


class QueueOverview(BaseModel):
    waiting: dict[str, int] = Field(description="queue -> tickets waiting")


class AgentWorkload(BaseModel):
    agent: str
    capacity: int
    holding: int
    items: list[TicketSummary]


class TransferRequest(BaseModel):
    """Exactly one of `queue` (back to waiting there) or `agent` (assigned to them)."""

    model_config = ConfigDict(extra="forbid")

    queue: Queue | None = None
    agent: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=128)] | None = (
        None
    )
    reason: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=500)]

    @model_validator(mode="after")
    def _one_target(self) -> TransferRequest:
        if (self.queue is None) == (self.agent is None):
            raise ValueError("give exactly one of queue or agent")
        return self
