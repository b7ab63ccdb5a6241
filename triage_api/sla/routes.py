"""GET /api/v1/escalations: the supervisors' list of open tickets that missed a deadline."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request

from triage_api.core.security import Principal, Role, require_roles
from triage_api.sla.schemas import EscalationList
from triage_api.sla.service import Escalations

router = APIRouter(prefix="/api/v1", tags=["sla"])

_supervisors = require_roles(Role.supervisor)


@router.get("/escalations", response_model=EscalationList)
async def escalations(
    request: Request,
    _: Annotated[Principal, Depends(_supervisors)],
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
) -> EscalationList:
    """Longest overdue first; a ticket leaves the list when it is resolved."""
    service: Escalations = request.app.state.escalations
    return await service.list(limit)
