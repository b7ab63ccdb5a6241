"""GET /api/v1/shopper/tickets/{id}?order_id=…: no token; status, last update, next deadline."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query, Request

from triage_api.core.ratelimit import client_address
from triage_api.shopper.schemas import ShopperStatus
from triage_api.shopper.service import ShopperLookup

router = APIRouter(prefix="/api/v1/shopper", tags=["shopper"])


@router.get(
    "/tickets/{ticket_id}",
    response_model=ShopperStatus,
    responses={
        404: {"description": "unknown id or wrong order number"},
        429: {"description": "rate limited"},
    },
)
async def shopper_status(
    request: Request,
    ticket_id: Annotated[str, Path(min_length=1, max_length=64)],
    order_id: Annotated[str, Query(min_length=1, max_length=64, description="the order number")],
) -> ShopperStatus:
    lookup: ShopperLookup = request.app.state.shopper
    return await lookup.status(ticket_id, order_id, client_address(request))
