"""Pages (agent console, shopper chat), the labels they show, and the console's live event stream."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import FileResponse, RedirectResponse, StreamingResponse

from knowledge_base.labels import all_labels
from triage_api.conversations.routes import HEARTBEAT_SECONDS, sse
from triage_api.core.security import Principal, Role, require_roles
from triage_api.flows.hub import PushHub

STATIC_DIR = Path(__file__).with_name("static")
# What the console learns of each change: enough to refresh its views, never a text.
_CONSOLE_FIELDS = ("action", "ticket_id", "queue", "status", "actor", "ts", "filled")

router = APIRouter(tags=["pages"])
_desk = require_roles(Role.agent, Role.supervisor)


@router.get("/", include_in_schema=False)
async def home() -> RedirectResponse:
    return RedirectResponse("/console")


@router.get("/console", include_in_schema=False)
async def console_page() -> FileResponse:
    return FileResponse(STATIC_DIR / "console.html", headers={"Cache-Control": "no-store"})


@router.get("/chat", include_in_schema=False)
async def chat_page() -> FileResponse:
    return FileResponse(STATIC_DIR / "chat.html", headers={"Cache-Control": "no-store"})


@router.get("/api/v1/labels", tags=["labels"])
async def labels() -> dict[str, dict[str, str]]:
    """The Chinese labels of every taxonomy name and the shopper-facing case texts."""
    return all_labels()


@router.get(
    "/api/v1/console/events",
    tags=["queues"],
    response_class=StreamingResponse,
    responses={200: {"content": {"text/event-stream": {}}, "description": "server-sent events"}},
)
async def console_events(request: Request, _: Annotated[Principal, Depends(_desk)]) -> StreamingResponse:
    """Every ticket change as it happens (action, ticket, queue, status, actor): the console
    refreshes the views it touches."""
    hub: PushHub = request.app.state.push_hub

    async def stream() -> AsyncIterator[str]:
        with hub.console() as queue:
            yield sse("ready", {})
            while True:
                try:
                    entry_id, fields = await asyncio.wait_for(queue.get(), HEARTBEAT_SECONDS)
                except TimeoutError:
                    yield ": ping\n\n"
                    continue
                yield sse("ticket", {k: fields[k] for k in _CONSOLE_FIELDS if k in fields}, entry_id)

    return StreamingResponse(stream(), media_type="text/event-stream", headers={"Cache-Control": "no-store"})
