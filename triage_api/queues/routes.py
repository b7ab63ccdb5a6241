"""HTTP routes of queue work: parse, authorise, call the queue service."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request

from triage_api.core.security import Principal, Role, require_roles
from triage_api.queues.schemas import AgentWorkload, ClaimResult, QueueOverview, QueuePage, TransferRequest
from triage_api.queues.service import Queues
from triage_api.tickets.routes import TicketId
from triage_api.tickets.schemas import Queue, Ticket
from triage_api.tickets.views import ticket_for

router = APIRouter(prefix="/api/v1", tags=["queues"])

_desk = require_roles(Role.agent, Role.supervisor)


def queues(request: Request) -> Queues:
    service: Queues = request.app.state.queues
    return service


Service = Annotated[Queues, Depends(queues)]


@router.get("/queues", response_model=QueueOverview)
async def overview(_: Annotated[Principal, Depends(_desk)], service: Service) -> QueueOverview:
    return await service.overview()


@router.get("/queues/{queue}", response_model=QueuePage)
async def waiting(
    queue: Queue,
    _: Annotated[Principal, Depends(_desk)],
    service: Service,
    offset: Annotated[int, Query(ge=0, le=100_000)] = 0,
    limit: Annotated[int, Query(ge=1, le=100)] = 20,
) -> QueuePage:
    """Waiting tickets in the order they will be claimed; personal data masked."""
    return await service.waiting(queue, offset, limit)


@router.post(
    "/queues/{queue}/claim",
    response_model=ClaimResult,
    responses={409: {"description": "the caller is at capacity"}},
)
async def claim(queue: Queue, who: Annotated[Principal, Depends(_desk)], service: Service) -> ClaimResult:
    """Assigns the queue's first ticket to the caller (409 at capacity)."""
    ticket = await service.claim_next(queue, who)
    return ClaimResult(claimed=ticket is not None, ticket=ticket_for(ticket, who) if ticket else None)


@router.get("/agents/me/tickets", response_model=AgentWorkload)
async def my_tickets(who: Annotated[Principal, Depends(_desk)], service: Service) -> AgentWorkload:
    """The caller's open tickets, most urgent first, and their capacity."""
    return await service.workload(who.name)


@router.post(
    "/tickets/{ticket_id}/transfer",
    response_model=Ticket,
    responses={
        404: {"description": "no such ticket"},
        409: {"description": "the ticket's status does not allow a transfer, or another change holds it"},
        422: {"description": "not exactly one of queue and agent, or no agent of that name"},
    },
)
async def transfer(
    ticket_id: TicketId, body: TransferRequest, who: Annotated[Principal, Depends(_desk)], service: Service
) -> Ticket:
    """To another queue or agent: supervisors any ticket, agents the ones assigned to them. The
    answer is read as the caller, who usually holds the ticket no more."""
    return ticket_for(await service.transfer(ticket_id, who, body), who)
