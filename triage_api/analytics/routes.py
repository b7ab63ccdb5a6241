"""GET /api/v1/analytics/summary for the review (复盘): supervisors and trainers."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request

from triage_api.analytics.schemas import AnalyticsSummary
from triage_api.analytics.service import AnalyticsService
from triage_api.core.security import Principal, Role, require_roles

router = APIRouter(prefix="/api/v1/analytics", tags=["analytics"])

_reviewers = require_roles(Role.supervisor, Role.trainer)


@router.get(
    "/summary",
    response_model=AnalyticsSummary,
    responses={422: {"description": "invalid parameters, 'to' before 'from', or more than 366 days"}},
)
async def summary(
    request: Request,
    _: Annotated[Principal, Depends(_reviewers)],
    date_from: Annotated[
        date | None, Query(alias="from", description="first day, default 6 days before to")
    ] = None,
    date_to: Annotated[
        date | None, Query(alias="to", description="last day (inclusive), default today")
    ] = None,
    top: Annotated[int, Query(ge=1, le=50)] = 10,
) -> AnalyticsSummary:
    """Figures for the tickets created in the period, from counters kept at write time."""
    service: AnalyticsService = request.app.state.analytics
    last = date_to or service.today()
    # The default week is cut at the first day a date can name (a 500 before: to=0001-01-01).
    first = date_from or max(last, date.min + timedelta(days=6)) - timedelta(days=6)
    return await service.summary(first, last, top)
