"""POST /api/v1/shoppers/{customer_id}/erasure and GET /api/v1/erasures: supervisors only."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Body, Depends, Path, Query, Request
from pydantic import BaseModel, Field

from triage_api.core.security import Principal, Role, require_roles
from triage_api.erasure.service import Eraser

router = APIRouter(prefix="/api/v1", tags=["personal data"])

_supervisors = require_roles(Role.supervisor)


class ErasureRequest(BaseModel):
    conversation_ids: list[Annotated[str, Field(min_length=1, max_length=128)]] = Field(
        default_factory=list,
        max_length=100,
        description="conversations of the shopper that may have no ticket (bot-only chats)",
    )


class ErasureResult(BaseModel):
    customer_id: str
    tickets: int
    conversations: int
    trackers: int
    stream_entries: int


class ErasureAudit(BaseModel):
    ts: str
    actor: str
    customer_sha256: str
    tickets: int
    conversations: int
    trackers: int
    stream_entries: int


class ErasureAuditList(BaseModel):
    items: list[ErasureAudit]


@router.post(
    "/shoppers/{customer_id}/erasure",
    response_model=ErasureResult,
    responses={503: {"description": "the bot's conversation store is unreachable; nothing was deleted"}},
)
async def erase_shopper(
    request: Request,
    principal: Annotated[Principal, Depends(_supervisors)],
    customer_id: Annotated[str, Path(min_length=1, max_length=128)],
    body: Annotated[ErasureRequest | None, Body()] = None,
) -> ErasureResult:
    """Deletes every ticket, thread, note, chat message, inbox entry and bot tracker of one shopper
    (PIPL's right to deletion) and records who did it. Repeating it is harmless."""
    eraser: Eraser = request.app.state.eraser
    conversations = (body or ErasureRequest()).conversation_ids
    erased = await eraser.erase_shopper(customer_id, principal.name, conversations)
    return ErasureResult(customer_id=customer_id, **vars(erased))


@router.get("/erasures", response_model=ErasureAuditList)
async def erasures(
    request: Request,
    _: Annotated[Principal, Depends(_supervisors)],
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
) -> ErasureAuditList:
    """The audit trail of erasures, newest first: who, when, a hash of the customer id, counts."""
    eraser: Eraser = request.app.state.eraser
    entries = await request.app.state.redis.xrevrange(eraser.erasures_key(), count=limit)
    return ErasureAuditList(items=[ErasureAudit.model_validate(fields) for _, fields in entries])
