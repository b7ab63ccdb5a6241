"""Knowledge-base routes: FAQ search for anyone (rate limited), agent scripts (search, render) for staff."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Depends, HTTPException, Path, Query, Request, status
from fastapi.concurrency import run_in_threadpool
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from pydantic import BaseModel

from triage_api.core.ratelimit import RateLimiter, client_address, per_window, rate_limiter
from triage_api.core.security import Principal, Role, TokenRegistry, require_roles
from triage_api.core.settings import Settings
from triage_api.kb.service import KnowledgeBase
from triage_api.tickets.schemas import IssueType

router = APIRouter(prefix="/api/v1/kb", tags=["knowledge base"])
_optional_bearer = HTTPBearer(auto_error=False)
STAFF_ROLES = (Role.agent, Role.supervisor, Role.trainer)
_staff = require_roles(*STAFF_ROLES)
ScriptValue = Annotated[str | None, Query(max_length=200)]


class SearchResult(BaseModel):
    id: str
    kind: str
    score: float
    confidence: float
    title: str
    text: str
    issue_types: list[str]


class SearchResponse(BaseModel):
    query: str
    confident: bool
    results: list[SearchResult]


class RenderedScriptResponse(BaseModel):
    id: str
    kind: Literal["script"] = "script"
    title: str
    stage: str
    remedy: str | None
    text: str
    filled: list[str]
    defaulted: list[str]


def _knowledge_base(request: Request) -> KnowledgeBase:
    knowledge_base: KnowledgeBase | None = request.app.state.knowledge_base
    if knowledge_base is None or knowledge_base.live.current is None:
        raise HTTPException(status.HTTP_503_SERVICE_UNAVAILABLE, detail="knowledge base is loading")
    return knowledge_base


async def _count_search(request: Request, limiter: RateLimiter, principal: Principal | None) -> None:
    """Every search runs the encoder: anonymous callers count per address, token holders per
    principal at a higher limit; an unknown token counts as anonymous."""
    settings: Settings = request.app.state.settings
    window = settings.kb_search_window
    if principal is None:
        limit = per_window("kb-search-ip", settings.kb_searches_per_ip, window)
        caller = client_address(request)
    else:
        limit = per_window("kb-search-principal", settings.kb_searches_per_principal, window)
        caller = principal.name
    await limiter.hit(limit, caller, "too many searches; try again later")


@router.get(
    "/search",
    response_model=SearchResponse,
    responses={
        401: {"description": "agent scripts asked for without a token"},
        403: {"description": "agent scripts asked for with a token that is not staff's (the bot's)"},
        429: {"description": "rate limited (per address without a token, per principal with one)"},
    },
)
async def search(
    request: Request,
    limiter: Annotated[RateLimiter, Depends(rate_limiter)],
    q: Annotated[str, Query(min_length=1, max_length=500)],
    k: Annotated[int, Query(ge=1, le=50)] = 5,
    kind: Literal["faq", "script"] | None = None,
    issue_type: IssueType | None = None,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_optional_bearer)] = None,
) -> SearchResponse:
    registry: TokenRegistry = request.app.state.tokens
    principal = registry.resolve(credentials.credentials) if credentials is not None else None
    await _count_search(request, limiter, principal)
    # Agent scripts are for staff; the bot and anonymous callers search the FAQ only.
    staff = principal is not None and principal.role in STAFF_ROLES
    if kind == "script" and principal is None:
        raise HTTPException(status.HTTP_401_UNAUTHORIZED, detail="agent scripts need a staff token")
    if kind == "script" and not staff:
        raise HTTPException(
            status.HTTP_403_FORBIDDEN, detail="agent scripts are for agents, supervisors and trainers"
        )
    if not staff:
        kind = "faq"
    knowledge_base = _knowledge_base(request)
    retriever = knowledge_base.live.current
    assert retriever is not None
    hits = await run_in_threadpool(retriever.search, q, k, kind, issue_type.value if issue_type else None)
    threshold = knowledge_base.settings.answer_threshold
    return SearchResponse(
        query=q,
        confident=bool(hits) and hits[0].confidence >= threshold,
        results=[
            SearchResult(
                id=hit.document.id,
                kind=hit.document.kind,
                score=round(hit.score, 6),
                confidence=round(hit.confidence, 4),
                title=hit.document.title,
                text=hit.document.text,
                issue_types=list(hit.document.issue_types),
            )
            for hit in hits
        ],
    )


@router.get("/scripts/{script_id}/render", response_model=RenderedScriptResponse)
async def render_script(
    request: Request,
    script_id: Annotated[str, Path(max_length=100)],
    _: Annotated[Principal, Depends(_staff)],
    order_id: ScriptValue = None,
    remedy: ScriptValue = None,
    deadline: ScriptValue = None,
    agent_name: ScriptValue = None,
    product: ScriptValue = None,
    ticket_id: ScriptValue = None,
) -> RenderedScriptResponse:
    """A script with its placeholders filled; missing values read as generic phrases (您的订单, 尽快)."""
    values = {
        "order_id": order_id,
        "remedy": remedy,
        "deadline": deadline,
        "agent_name": agent_name,
        "product": product,
        "ticket_id": ticket_id,
    }
    found = _knowledge_base(request).render_script(script_id, values)
    if found is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, detail=f"no agent script {script_id!r}")
    document, rendered = found
    return RenderedScriptResponse(
        id=document.id,
        title=document.title,
        stage=document.stage,
        remedy=document.remedy,
        text=rendered.text,
        filled=list(rendered.filled),
        defaulted=list(rendered.defaulted),
    )
