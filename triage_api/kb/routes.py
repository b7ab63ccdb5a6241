"""GET /api/v1/kb/search: FAQ answers for anyone, agent scripts for signed-in staff."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Depends, HTTPException, Query, Request, status
from fastapi.concurrency import run_in_threadpool
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from pydantic import BaseModel

from triage_api.core.security import TokenRegistry
from triage_api.kb.service import KnowledgeBase
from triage_api.tickets.schemas import IssueType

router = APIRouter(prefix="/api/v1/kb", tags=["knowledge base"])
_optional_bearer = HTTPBearer(auto_error=False)


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


@router.get("/search", response_model=SearchResponse)
async def search(
    request: Request,
    q: Annotated[str, Query(min_length=1, max_length=500)],
    k: Annotated[int, Query(ge=1, le=50)] = 5,
    kind: Literal["faq", "script"] | None = None,
    issue_type: IssueType | None = None,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_optional_bearer)] = None,
) -> SearchResponse:
    registry: TokenRegistry = request.app.state.tokens
    signed_in = credentials is not None and registry.resolve(credentials.credentials) is not None
    if kind == "script" and not signed_in:
        raise HTTPException(status.HTTP_401_UNAUTHORIZED, detail="agent scripts need a bearer token")
    if not signed_in:
        kind = "faq"
    knowledge_base: KnowledgeBase | None = request.app.state.knowledge_base
    retriever = knowledge_base.live.current if knowledge_base else None
    if retriever is None:
        raise HTTPException(status.HTTP_503_SERVICE_UNAVAILABLE, detail="knowledge base is loading")
    hits = await run_in_threadpool(retriever.search, q, k, kind, issue_type.value if issue_type else None)
    threshold = knowledge_base.settings.answer_threshold if knowledge_base else 1.0
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
