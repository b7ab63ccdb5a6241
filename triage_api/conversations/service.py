"""Who holds a conversation, and what a shopper's message means while a person holds it."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from datetime import datetime, timezone

from redis.asyncio import Redis

from knowledge_base.labels import label, shopper_message
from triage_api.conversations.rating import read_rating
from triage_api.conversations.schemas import ConversationState, RelayResult
from triage_api.core.security import Principal
from triage_api.lifecycle.schemas import ReopenRequest, RevisitRequest, ShopperMessage
from triage_api.lifecycle.service import LOW_CSAT, Lifecycle
from triage_api.tickets.keys import TicketKeys
from triage_api.tickets.schemas import OPEN_STATUSES, Role, Ticket, TicketStatus
from triage_api.tickets.service import TicketStore


def sign_conversation(secret: str, conversation_id: str) -> str:
    """The push-stream token of a conversation: HMAC-SHA256 with the chat secret. A shop's front
    end that knows the secret mints it for its own conversation ids."""
    return hmac.new(secret.encode(), conversation_id.encode(), hashlib.sha256).hexdigest()


def token_matches(secret: str, conversation_id: str, token: str) -> bool:
    presented = (token or "").encode("utf-8", "replace")
    return hmac.compare_digest(sign_conversation(secret, conversation_id).encode(), presented)


def new_conversation_id() -> str:
    return "web-" + secrets.token_urlsafe(12)


def _turn_time(ts: object) -> datetime | None:
    if isinstance(ts, datetime):
        return ts if ts.tzinfo else ts.replace(tzinfo=timezone.utc)
    if isinstance(ts, int | float):
        return datetime.fromtimestamp(ts, timezone.utc)
    return None


class Conversations:
    def __init__(
        self, redis: Redis, keys: TicketKeys, store: TicketStore, lifecycle: Lifecycle, quiet_seconds: float
    ) -> None:
        self.redis = redis
        self.keys = keys
        self.store = store
        self.lifecycle = lifecycle
        self.quiet_seconds = quiet_seconds

    async def latest_ticket(self, conversation_id: str) -> Ticket | None:
        """The conversation's open ticket if it has one (a reopened older one counts), else its
        newest."""
        open_id = await self.redis.get(self.keys.open_by_conversation(conversation_id))
        if open_id:
            found = await self.store.get(str(open_id))
            if found is not None:
                return found
        ids = await self.redis.zrange(self.keys.by_conversation(conversation_id), -1, -1)
        return await self.store.get(str(ids[0])) if ids else None

    async def state(self, conversation_id: str) -> ConversationState:
        ticket = await self.latest_ticket(conversation_id)
        if ticket is None:
            return ConversationState(conversation_id=conversation_id, owner="bot")
        return ConversationState(
            conversation_id=conversation_id,
            owner="agent" if ticket.status in OPEN_STATUSES else "bot",
            ticket_id=ticket.id,
            status=ticket.status,
            status_text=label("shopper_status", ticket.status.value),
            awaiting_rating=ticket.status is TicketStatus.resolved,
        )

    def _recently_acknowledged(self, ticket: Ticket, now: datetime) -> bool:
        """The shopper wrote to the ticket moments ago and was told then: stay quiet now. Only
        turns after the handoff count (the shopper's last words to the bot were not relayed)."""
        last = ticket.transcript[-1] if ticket.transcript else None
        if last is None or last.role is not Role.user:
            return False
        at = _turn_time(last.ts)
        if at is None or at <= ticket.created_at:
            return False
        return (now - at).total_seconds() < self.quiet_seconds

    async def relay(self, conversation_id: str, principal: Principal, text: str) -> RelayResult:
        ticket = await self.latest_ticket(conversation_id)
        if ticket is None or ticket.status is TicketStatus.closed:
            return RelayResult(handled=False)
        if ticket.status is TicketStatus.resolved:
            return await self._revisit(ticket, principal, text)
        if ticket.status not in OPEN_STATUSES:
            return RelayResult(handled=False)
        now = datetime.now(timezone.utc)
        quiet = self._recently_acknowledged(ticket, now)
        updated = await self.lifecycle.shopper_message(
            ticket.id, principal, ShopperMessage(text=text, ts=now), now=now
        )
        reply = None
        if not quiet:
            waiting = ticket.status is TicketStatus.waiting_customer
            told = {"ticket_id": ticket.id, "status": label("shopper_status", updated.status.value)}
            reply = shopper_message("relayed_waiting" if waiting else "relayed", told)
        return RelayResult(
            handled=True, relayed=True, ticket_id=ticket.id, status=updated.status, reply=reply
        )

    async def _revisit(self, ticket: Ticket, principal: Principal, text: str) -> RelayResult:
        answer = read_rating(text)
        if answer is None:
            return RelayResult(handled=False)  # something else: the bot has the conversation back
        team = label("queue", ticket.queue.value)
        if answer.csat is None:
            reason = f"回访：问题没解决（{answer.comment[:200]}）"
            updated = await self.lifecycle.reopen(
                ticket.id, principal, ReopenRequest(reason=reason), after_revisit=True
            )
            reply = shopper_message("rating_reopened", {"team": team})
        else:
            request = RevisitRequest(csat=answer.csat, comment=answer.comment[:1000], solved=answer.solved)
            updated = await self.lifecycle.revisit(ticket.id, principal, request)
            low = answer.solved is False or answer.csat <= LOW_CSAT
            reply = shopper_message(
                "rating_reopened" if low else "rating_thanks", {"team": team, "csat": answer.csat}
            )
        return RelayResult(handled=True, ticket_id=ticket.id, status=updated.status, reply=reply)
