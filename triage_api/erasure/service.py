"""Deleting a shopper's data everywhere it is kept (PIPL's right to deletion), and the retention
of closed tickets.

One shopper's data: every ticket of the customer id (with its state, thread, internal notes and
audit trail, and its place in every index, queue and deadline set), the chat streams of their
conversations, their entries in the event, chat-feed and handoff-inbox streams, and the bot's
trackers of those conversations (in Rasa's Redis database). Trackers go first: if that store
cannot be reached nothing is deleted and the request can be repeated. Each erasure leaves one
audit line in `erasures` — who, when, a hash of the customer id and the counts — never the data.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import logging
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Any

from redis.asyncio import Redis
from redis.exceptions import RedisError

from triage_api.core.errors import DomainError
from triage_api.tickets.keys import Deadline, TicketKeys
from triage_api.tickets.schemas import TicketStatus

log = logging.getLogger(__name__)

ERASURES_MAXLEN = 100_000
_SCAN_BATCH = 2000


class BotUnreachable(DomainError):
    status_code = 503
    code = "bot_unreachable"


@dataclass(frozen=True)
class Erased:
    tickets: int
    conversations: int
    trackers: int
    stream_entries: int


class BotTrackers:
    """Rasa's conversation store, as far as an erasure needs it: delete a conversation's tracker.

    Rasa's HTTP API cannot do it (`PUT …/tracker/events` merges what it is given into the stored
    tracker, so nothing is removed), so the eraser deletes the tracker's key in Rasa's Redis
    database: `<key_prefix>:tracker:<conversation id>` for `tracker_store.key_prefix` of
    bot/endpoints.yml (RedisTrackerStore's layout in Rasa 3.6)."""

    def __init__(self, redis_url: str, key_prefix: str) -> None:
        self.redis = Redis.from_url(redis_url, decode_responses=True) if redis_url else None
        self.key_prefix = key_prefix

    async def erase(self, conversation_ids: list[str]) -> int:
        """How many of the conversations had a tracker; nothing is deleted if the store is down."""
        if self.redis is None or not conversation_ids:
            return 0
        try:
            return int(await self.redis.delete(*(self.key_prefix + c for c in conversation_ids)))
        except RedisError as error:
            raise BotUnreachable(
                f"the bot's conversation store is unreachable ({type(error).__name__})"
            ) from None

    async def aclose(self) -> None:
        if self.redis is not None:
            await self.redis.aclose()


def customer_hash(customer_id: str) -> str:
    """What the audit line keeps of whom it erased: enough to answer "was X erased?", no more."""
    return hashlib.sha256(customer_id.encode("utf-8")).hexdigest()[:16]


class Eraser:
    def __init__(self, redis: Redis, keys: TicketKeys, trackers: BotTrackers) -> None:
        self.redis = redis
        self.keys = keys
        self.trackers = trackers

    def erasures_key(self) -> str:
        return f"{self.keys.prefix}:erasures"

    async def erase_shopper(self, customer_id: str, actor: str, conversation_ids: list[str]) -> Erased:
        """Every ticket of `customer_id` and every trace of its conversations (plus the
        conversations named, e.g. bot-only ones that never became a ticket)."""
        ticket_ids = [str(t) for t in await self.redis.zrange(self.keys.by_customer(customer_id), 0, -1)]
        intakes = await self._intakes(ticket_ids)
        conversations = sorted({*conversation_ids, *(i["conversation_id"] for i in intakes.values())})
        trackers = await self.trackers.erase(conversations)
        # Tickets of those conversations filed under another customer id (e.g. before a login).
        more: set[str] = set()
        for conversation in conversations:
            more.update(
                str(t) for t in await self.redis.zrange(self.keys.by_conversation(conversation), 0, -1)
            )
        intakes.update(await self._intakes(sorted(more - set(intakes))))
        ticket_ids = sorted(intakes)
        for ticket_id, intake in intakes.items():
            await self._delete_ticket(ticket_id, intake)
        async with self.redis.pipeline(transaction=True) as pipe:
            pipe.delete(self.keys.by_customer(customer_id))
            for conversation in conversations:
                pipe.delete(
                    self.keys.chat(conversation),
                    self.keys.by_conversation(conversation),
                    self.keys.open_by_conversation(conversation),
                )
            await pipe.execute()
        entries = await self._delete_stream_entries(set(ticket_ids), set(conversations), customer_id)
        erased = Erased(len(intakes), len(conversations), trackers, entries)
        await self.redis.xadd(
            self.erasures_key(),
            {
                "ts": datetime.now(timezone.utc).isoformat(),
                "actor": actor,
                "customer_sha256": customer_hash(customer_id),
                "tickets": str(erased.tickets),
                "conversations": str(erased.conversations),
                "trackers": str(erased.trackers),
                "stream_entries": str(erased.stream_entries),
            },
            maxlen=ERASURES_MAXLEN,
            approximate=True,
        )
        log.info("erased one shopper's data for %s: %s", actor, erased)
        return erased

    async def purge_closed_before(self, cutoff: datetime) -> int:
        """Deletes closed tickets last changed before `cutoff` (the retention period); open ones stay."""
        candidates = [
            str(t)
            for t in await self.redis.zrangebyscore(self.keys.all_tickets(), "-inf", cutoff.timestamp())
        ]
        purged: set[str] = set()
        conversations: set[str] = set()
        for ticket_id in candidates:
            status, updated = await self.redis.hmget(self.keys.state(ticket_id), ["status", "updated_at"])
            if (
                status != TicketStatus.closed.value
                or not updated
                or datetime.fromisoformat(str(updated)) >= cutoff
            ):
                continue
            intake = (await self._intakes([ticket_id])).get(ticket_id)
            if intake is not None:
                await self._delete_ticket(ticket_id, intake)
                purged.add(ticket_id)
                conversations.add(intake["conversation_id"])
        if purged:  # one pass over the shared streams for all of them
            await self._delete_stream_entries(purged, set(), None)
            for conversation_id in conversations - {""}:
                await self._delete_chat_of(conversation_id, purged)
            log.info(
                "retention: deleted %d closed tickets last changed before %s", len(purged), cutoff.isoformat()
            )
        return len(purged)

    async def _delete_chat_of(self, conversation_id: str, ticket_ids: set[str]) -> None:
        """What the conversation's chat told the shopper about these tickets; the key once empty."""
        key = self.keys.chat(conversation_id)
        entries: list[Any] = await self.redis.xrange(key) or []
        doomed = [str(i) for i, fields in entries if (fields or {}).get("ticket_id") in ticket_ids]
        if doomed:
            await self.redis.xdel(key, *doomed)
        if len(doomed) == len(entries):
            await self.redis.delete(key)

    async def _intakes(self, ticket_ids: list[str]) -> dict[str, dict[str, str]]:
        """Per ticket the index fields of its handoff JSON (conversation, order, customer)."""
        if not ticket_ids:
            return {}
        raws = await self.redis.mget([self.keys.ticket(t) for t in ticket_ids])
        found: dict[str, dict[str, str]] = {}
        for ticket_id, raw in zip(ticket_ids, raws, strict=True):
            if raw:
                ticket = json.loads(raw)
                found[ticket_id] = {
                    "conversation_id": str(ticket.get("conversation_id") or ""),
                    "order_id": str(ticket.get("order_id") or ""),
                    "customer_id": str((ticket.get("customer") or {}).get("id") or ""),
                }
        return found

    async def _delete_ticket(self, ticket_id: str, intake: dict[str, str]) -> None:
        state = {str(k): str(v) for k, v in (await self.redis.hgetall(self.keys.state(ticket_id))).items()}
        async with self.redis.pipeline(transaction=True) as pipe:
            pipe.delete(
                self.keys.ticket(ticket_id),
                self.keys.state(ticket_id),
                self.keys.thread(ticket_id),
                self.keys.notes(ticket_id),
                self.keys.audit(ticket_id),
            )
            pipe.zrem(self.keys.all_tickets(), ticket_id)
            pipe.zrem(self.keys.escalations(), ticket_id)
            for deadline in Deadline:
                pipe.zrem(self.keys.deadlines(deadline), ticket_id)
            if state.get("queue"):
                pipe.zrem(self.keys.queue(state["queue"]), ticket_id)
            if state.get("assignee"):
                pipe.srem(self.keys.agent_open(state["assignee"]), ticket_id)
            for order in {intake["order_id"], state.get("order_id") or ""} - {""}:
                pipe.zrem(self.keys.by_order(order), ticket_id)
            if intake["customer_id"]:
                pipe.zrem(self.keys.by_customer(intake["customer_id"]), ticket_id)
            if intake["conversation_id"]:
                pipe.zrem(self.keys.by_conversation(intake["conversation_id"]), ticket_id)
            await pipe.execute()
        # The open-ticket pointer only if it still points here (a newer ticket keeps its own).
        open_key = self.keys.open_by_conversation(intake["conversation_id"])
        if intake["conversation_id"] and await self.redis.get(open_key) == ticket_id:
            await self.redis.delete(open_key)

    async def _delete_stream_entries(
        self, ticket_ids: set[str], conversations: set[str], customer_id: str | None
    ) -> int:
        """Removes the entries about these tickets or conversations from the shared streams, and
        acknowledges them for every consumer group, so no consumer retries a vanished entry."""
        deleted = 0
        for stream in (self.keys.events(), self.keys.chat_feed(), self.keys.inbox()):
            doomed: list[str] = []
            start = "-"
            while True:
                batch: list[Any] = await self.redis.xrange(stream, start, "+", count=_SCAN_BATCH) or []
                for entry_id, fields in batch:
                    if self._concerns(dict(fields or {}), ticket_ids, conversations, customer_id):
                        doomed.append(str(entry_id))
                if len(batch) < _SCAN_BATCH:
                    break
                start = "(" + str(batch[-1][0])
            if not doomed:
                continue
            groups = await self.redis.xinfo_groups(stream)
            for group in groups:
                await self.redis.xack(stream, group["name"], *doomed)
            deleted += int(await self.redis.xdel(stream, *doomed))
        return deleted

    @staticmethod
    def _concerns(
        fields: dict[str, str], ticket_ids: set[str], conversations: set[str], customer_id: str | None
    ) -> bool:
        if fields.get("ticket_id") in ticket_ids or fields.get("conversation_id") in conversations:
            return True
        handoff = fields.get("handoff")
        if not handoff:
            return False
        try:
            body = json.loads(handoff)
        except ValueError:
            return False
        return bool(
            body.get("conversation_id") in conversations
            or (customer_id is not None and (body.get("customer") or {}).get("id") == customer_id)
        )


class RetentionSweeper:
    """Every `interval` seconds, deletes the closed tickets older than the retention period."""

    def __init__(self, eraser: Eraser, days: int, interval: float) -> None:
        self.eraser = eraser
        self.days = days
        self.interval = interval

    async def sweep_once(self, now: datetime | None = None) -> int:
        return await self.eraser.purge_closed_before(
            (now or datetime.now(timezone.utc)) - timedelta(days=self.days)
        )

    async def run(self) -> None:
        while True:
            try:
                await self.sweep_once()
            except Exception:
                log.exception("retention sweep failed; retrying in %.0f s", self.interval)
            await asyncio.sleep(self.interval)
