"""HTTP routes of conversations: ownership and relay for the shopper's channel (role bot), web chat
sessions and the shopper's push stream (SSE, authorised by the conversation's token)."""

from __future__ import annotations

import asyncio
import json
import re
from collections.abc import AsyncIterator
from typing import Annotated

from fastapi import APIRouter, Depends, Header, HTTPException, Path, Query, Request, status
from fastapi.responses import StreamingResponse

from triage_api.conversations.schemas import (
    ChatSession,
    ChatSessionRequest,
    ConversationState,
    RelayRequest,
    RelayResult,
)
from triage_api.conversations.service import (
    Conversations,
    new_conversation_id,
    sign_conversation,
    token_matches,
)
from triage_api.core.security import Principal, Role, require_roles
from triage_api.core.settings import Settings
from triage_api.flows.hub import PushHub
from triage_api.tickets.keys import TicketKeys

router = APIRouter(prefix="/api/v1", tags=["conversations"])

ConversationId = Annotated[str, Path(min_length=1, max_length=128)]
_channel = require_roles(Role.bot)
HEARTBEAT_SECONDS = 15.0
# Ticket changes after which a shopper's page shows a new status (replies and notes change none).
_STATUS_CHANGES = frozenset(
    {"created", "status_changed", "transferred", "resolved", "revisited", "reopened", "closed"}
)
_STREAM_ID = re.compile(r"^\d{1,20}-\d{1,20}$")


def conversations(request: Request) -> Conversations:
    service: Conversations = request.app.state.conversations
    return service


Service = Annotated[Conversations, Depends(conversations)]


@router.get("/conversations/{conversation_id}", response_model=ConversationState)
async def conversation_state(
    conversation_id: ConversationId, _: Annotated[Principal, Depends(_channel)], service: Service
) -> ConversationState:
    """Who holds the conversation now: the bot, or a person (an open ticket)."""
    return await service.state(conversation_id)


@router.post("/conversations/{conversation_id}/messages", response_model=RelayResult)
async def relay_message(
    conversation_id: ConversationId,
    body: RelayRequest,
    who: Annotated[Principal, Depends(_channel)],
    service: Service,
) -> RelayResult:
    """A shopper's message, offered before the bot sees it: while a person holds the conversation
    it goes into the ticket's thread; after the resolution a rating-like answer is the revisit;
    otherwise `handled: false` and the channel gives it to the bot."""
    return await service.relay(conversation_id, who, body.text)


@router.post("/chat/sessions", response_model=ChatSession, status_code=status.HTTP_201_CREATED)
async def new_chat_session(request: Request, body: ChatSessionRequest | None = None) -> ChatSession:
    """A new web-chat conversation with the token of its push stream (the demo chat page)."""
    settings: Settings = request.app.state.settings
    conversation_id = new_conversation_id()
    return ChatSession(
        conversation_id=conversation_id,
        token=sign_conversation(settings.chat_secret, conversation_id),
        channel=(body or ChatSessionRequest()).channel,
        bot_url=settings.chat_bot_url,
    )


def sse(event: str, data: dict[str, object], event_id: str | None = None) -> str:
    head = f"id: {event_id}\n" if event_id else ""
    return f"{head}event: {event}\ndata: {json.dumps(data, ensure_ascii=False)}\n\n"


def _stream_id(value: str) -> tuple[int, int]:
    millis, _, seq = value.partition("-")
    try:
        return int(millis), int(seq or 0)
    except ValueError:
        return 0, 0


@router.get(
    "/chat/{conversation_id}/events",
    response_class=StreamingResponse,
    responses={200: {"content": {"text/event-stream": {}}, "description": "server-sent events"}},
)
async def chat_events(
    request: Request,
    conversation_id: ConversationId,
    service: Service,
    token: Annotated[str | None, Query(max_length=128)] = None,
    x_chat_token: Annotated[str | None, Header(max_length=128)] = None,
    last_event_id: Annotated[str | None, Header(max_length=64)] = None,
    after: Annotated[str | None, Query(max_length=64)] = None,
) -> StreamingResponse:
    """What the system tells this shopper after the handoff, as it happens: `state` (who holds
    the conversation and the ticket status) first, then `message` events (agent replies, progress
    notes, the rating prompt) replayed after `Last-Event-ID` / `after` and pushed live."""
    settings: Settings = request.app.state.settings
    if not token_matches(settings.chat_secret, conversation_id, x_chat_token or token or ""):
        raise HTTPException(status.HTTP_401_UNAUTHORIZED, detail="missing or wrong chat token")
    hub: PushHub = request.app.state.push_hub
    keys: TicketKeys = request.app.state.tickets.keys
    redis = request.app.state.redis
    resume = last_event_id or after
    if resume and not _STREAM_ID.match(resume):
        resume = None  # not an id this stream gave out: start like a new page

    async def stream() -> AsyncIterator[str]:
        with hub.conversation(conversation_id) as queue:
            state = await service.state(conversation_id)
            yield sse("state", state.model_dump(mode="json"))
            last = _stream_id(resume or "0-0")
            chat = keys.chat(conversation_id)
            if resume:  # what came after the page's last event, oldest first
                missed = await redis.xrange(chat, min=f"({resume}", max="+", count=500)
            else:  # a new page: the latest messages
                missed = list(reversed(await redis.xrevrange(chat, count=500)))
            for entry_id, fields in missed:
                if _stream_id(str(entry_id)) > last:
                    last = _stream_id(str(entry_id))
                    yield sse("message", dict(fields), str(entry_id))
            while True:
                try:
                    _, fields = await asyncio.wait_for(queue.get(), HEARTBEAT_SECONDS)
                except TimeoutError:
                    yield ": ping\n\n"
                    continue
                if "chat_id" not in fields:  # a change of the ticket: the page shows its new status
                    if fields.get("action") in _STATUS_CHANGES:
                        yield sse("state", (await service.state(conversation_id)).model_dump(mode="json"))
                    continue
                chat_id = fields["chat_id"]
                if _stream_id(chat_id) <= last:
                    continue
                last = _stream_id(chat_id)
                message = {k: v for k, v in fields.items() if k not in ("chat_id",)}
                yield sse("message", message, chat_id)
                if message.get("action") == "claimed":
                    # a claim's event names no conversation: its progress note brings the new status
                    yield sse("state", (await service.state(conversation_id)).model_dump(mode="json"))

    return StreamingResponse(
        stream(),
        media_type="text/event-stream",
        headers={"Cache-Control": "no-store", "X-Accel-Buffering": "no"},
    )
