"""Ticket storage: handoff intake, the agents' views, and the one way a ticket changes.

A ticket is its intake JSON (as handed off and graded, never rewritten), a state hash of the
fields that change (status, assignee, queue, deadlines…), and lists of turns and notes added
later. Every change runs as `TicketStore.change`: WATCH the state hash, read, let the caller
decide and queue writes, then MULTI/EXEC; a concurrent change (including a claim, which writes
the state hash from Lua) makes EXEC fail and the change is decided again on fresh data.
"""

from __future__ import annotations

import logging
import re
import secrets
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any, TypeVar

from redis.asyncio import Redis
from redis.asyncio.client import Pipeline
from redis.exceptions import WatchError

from triage_api.analytics.service import AnalyticsRecorder, StatsDelta
from triage_api.core.errors import DomainError
from triage_api.core.privacy import mask_personal_data
from triage_api.tickets.keys import Deadline, TicketKeys
from triage_api.tickets.schemas import (
    SLA,
    AuditEntry,
    HandoffRequest,
    Note,
    Queue,
    Role,
    Ticket,
    TicketState,
    TicketStatus,
    Turn,
)
from triage_api.triage.policy import TriagePolicy

T = TypeVar("T")
log = logging.getLogger(__name__)

_TICKET_ID = re.compile(r"^T\d{8}[0-9A-Z]{8}$")
_CHANGE_ATTEMPTS = 8
EVENTS_MAXLEN = 100_000  # the event stream keeps about this many changes

# Creates the ticket, its state, indexes, queue entry, deadlines, its `created` event and the day's
# analytics counters in one step, unless the conversation already has an open ticket or a handoff
# with the same idempotency key was delivered before: then nothing is written and the existing id
# is returned (idempotent handoff, exactly once per key).
_CREATE_TICKET = """
if KEYS[15] ~= '' then
  local delivered = redis.call('GET', KEYS[15])
  if delivered then return {0, delivered} end
end
local existing = redis.call('GET', KEYS[1])
if existing then
  return {0, existing}
end
local id = ARGV[1]
if KEYS[15] ~= '' then redis.call('SET', KEYS[15], id, 'EX', 2592000) end
redis.call('XADD', KEYS[16], 'MAXLEN', '~', 100000, '*', 'action', 'created', 'ticket_id', id,
  'conversation_id', ARGV[11], 'queue', ARGV[12], 'status', 'new', 'actor', ARGV[13], 'ts', ARGV[14],
  'via', ARGV[15])
redis.call('SET', KEYS[2], ARGV[2])
redis.call('SET', KEYS[1], id)
redis.call('ZADD', KEYS[3], ARGV[3], id)
redis.call('ZADD', KEYS[6], ARGV[3], id)
redis.call('ZADD', KEYS[7], ARGV[4], id)
redis.call('RPUSH', KEYS[8], ARGV[5])
if KEYS[4] ~= '' then redis.call('ZADD', KEYS[4], ARGV[3], id) end
redis.call('ZADD', KEYS[5], ARGV[3], id)
redis.call('ZADD', KEYS[10], ARGV[6], id)
redis.call('ZADD', KEYS[11], ARGV[7], id)
local state_end = 15 + tonumber(ARGV[8])
redis.call('HSET', KEYS[9], unpack(ARGV, 16, state_end))
if ARGV[9] ~= '' then redis.call('ZINCRBY', KEYS[13], 1, ARGV[9]) end
if ARGV[10] ~= '' then redis.call('ZINCRBY', KEYS[14], 1, ARGV[10]) end
for i = state_end + 1, #ARGV, 2 do
  redis.call('HINCRBY', KEYS[12], ARGV[i], ARGV[i + 1])
end
return {1, id}
"""


def new_ticket_id(now: datetime) -> str:
    """T + UTC date + 8 random base-32 characters: unguessable, sortable by day."""
    alphabet = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
    return "T" + now.strftime("%Y%m%d") + "".join(secrets.choice(alphabet) for _ in range(8))


def is_ticket_id(value: str) -> bool:
    return bool(_TICKET_ID.match(value))


def utcnow() -> datetime:
    return datetime.now(timezone.utc)


class TicketNotFound(DomainError):
    status_code = 404
    code = "not_found"

    def __init__(self, ticket_id: str) -> None:
        super().__init__(f"no ticket {ticket_id[:64]}")


class TicketBusy(DomainError):
    status_code = 409
    code = "conflict"


def audit_line(now: datetime, actor: str, action: str, **details: Any) -> str:
    """One audit entry as stored: texts masked, because agents read the trail in lists."""
    masked = {k: mask_personal_data(v) if isinstance(v, str) else v for k, v in details.items()}
    return AuditEntry(ts=now, actor=actor, action=action, **masked).model_dump_json()


@dataclass(frozen=True)
class HandoffResult:
    ticket: Ticket
    created: bool


class TicketTransaction:
    """One change of one ticket: reads happen under WATCH, writes are queued for MULTI/EXEC."""

    def __init__(self, store: TicketStore, pipe: Pipeline, intake: Ticket, state: TicketState) -> None:
        self.store = store
        self.keys = store.keys
        self.pipe = pipe
        self.intake = intake
        self.state = state
        self.saved = False
        self._writes: list[Callable[[Pipeline], object]] = []

    @property
    def ticket_id(self) -> str:
        return self.intake.id

    # Reads: each watches what it reads, so a concurrent change of it aborts this one.
    async def held_by(self, agent: str) -> int:
        key = self.keys.agent_open(agent)
        await self.pipe.watch(key)
        return int(await self.pipe.scard(key))

    # Writes, applied together on commit.
    def save(self, state: TicketState) -> None:
        self.state, self.saved = state, True
        mapping: dict[Any, str] = state.to_redis()
        self._writes.append(lambda p: p.hset(self.keys.state(self.ticket_id), mapping=mapping))

    def audit(
        self, now: datetime, actor: str, action: str, event: dict[str, str] | None = None, **details: Any
    ) -> None:
        """Records the change in the audit trail and publishes it on the event stream, together
        with the change itself; `event` adds fields only the stream carries (a reply's full text)."""
        line = audit_line(now, actor, action, **details)
        self._writes.append(lambda p: p.rpush(self.keys.audit(self.ticket_id), line))
        fields: dict[Any, Any] = {
            "action": action,
            "ticket_id": self.ticket_id,
            "conversation_id": self.intake.conversation_id,
            "queue": self.state.queue.value,
            "status": self.state.status.value,
            "actor": actor,
            "ts": now.isoformat(),
            **(event or {}),
        }
        self._writes.append(
            lambda p: p.xadd(self.keys.events(), fields, maxlen=EVENTS_MAXLEN, approximate=True)
        )

    def append_turn(self, turn: Turn) -> None:
        raw = turn.model_dump_json()
        self._writes.append(lambda p: p.rpush(self.keys.thread(self.ticket_id), raw))

    def append_note(self, note: Note) -> None:
        raw = note.model_dump_json()
        self._writes.append(lambda p: p.rpush(self.keys.notes(self.ticket_id), raw))

    def enqueue(self, queue: Queue, priority: float) -> None:
        self._writes.append(lambda p: p.zadd(self.keys.queue(queue.value), {self.ticket_id: priority}))

    def dequeue(self, queue: Queue) -> None:
        self._writes.append(lambda p: p.zrem(self.keys.queue(queue.value), self.ticket_id))

    def hold(self, agent: str) -> None:
        self._writes.append(lambda p: p.sadd(self.keys.agent_open(agent), self.ticket_id))

    def release(self, agent: str | None) -> None:
        if agent:
            self._writes.append(lambda p: p.srem(self.keys.agent_open(agent), self.ticket_id))

    def set_deadline(self, deadline: Deadline, due: datetime | None) -> None:
        """Watch `deadline` for this ticket until `due`; None stops watching it."""
        key = self.keys.deadlines(deadline)
        if due is None:
            self._writes.append(lambda p: p.zrem(key, self.ticket_id))
        else:
            self._writes.append(lambda p: p.zadd(key, {self.ticket_id: due.timestamp()}))

    def escalate(self, since: datetime) -> None:
        key = self.keys.escalations()
        self._writes.append(lambda p: p.zadd(key, {self.ticket_id: since.timestamp()}, nx=True))

    def clear_escalation(self) -> None:
        self._writes.append(lambda p: p.zrem(self.keys.escalations(), self.ticket_id))

    def reopen_conversation(self) -> None:
        """Handoffs of this conversation return this ticket again, unless another one is open."""
        key = self.keys.open_by_conversation(self.intake.conversation_id)
        self._writes.append(lambda p: p.set(key, self.ticket_id, nx=True))

    async def close_conversation(self) -> None:
        """The conversation's next handoff creates a new ticket (if this one was its open one)."""
        key = self.keys.open_by_conversation(self.intake.conversation_id)
        await self.pipe.watch(key)
        if await self.pipe.get(key) == self.ticket_id:
            self._writes.append(lambda p: p.delete(key))

    def index_order(self, order_id: str) -> None:
        """The ticket counts among the order's tickets (an order number given after the handoff)."""
        key, score = self.keys.by_order(order_id), self.intake.created_at.timestamp()
        self._writes.append(lambda p: p.zadd(key, {self.ticket_id: score}))

    def stats(self, delta: StatsDelta) -> None:
        self._writes.append(lambda p: self.store.recorder.write(p, delta))

    def apply(self, pipe: Pipeline) -> None:
        for write in self._writes:
            write(pipe)

    @property
    def has_writes(self) -> bool:
        return bool(self._writes)


class TicketStore:
    """Ticket persistence in Redis, keyed by `TicketKeys`."""

    def __init__(
        self, redis: Redis, keys: TicketKeys, policy: TriagePolicy, recorder: AnalyticsRecorder
    ) -> None:
        self.redis = redis
        self.keys = keys
        self.policy = policy
        self.recorder = recorder
        self._create = redis.register_script(_CREATE_TICKET)

    # ----- reads
    async def get(self, ticket_id: str) -> Ticket | None:
        found = await self.get_many([ticket_id])
        return found[0] if found else None

    async def get_many(self, ids: list[str]) -> list[Ticket]:
        """Agents' views of the tickets that exist, in the order given (one round trip)."""
        if not ids:
            return []
        async with self.redis.pipeline(transaction=False) as pipe:
            for ticket_id in ids:
                pipe.get(self.keys.ticket(ticket_id))
                pipe.hgetall(self.keys.state(ticket_id))
                pipe.lrange(self.keys.thread(ticket_id), 0, -1)
                pipe.lrange(self.keys.notes(ticket_id), 0, -1)
            replies = await pipe.execute()
        tickets = []
        for i in range(len(ids)):
            raw, fields, thread, notes = replies[4 * i : 4 * i + 4]
            if raw:
                intake = Ticket.model_validate_json(raw)
                tickets.append(
                    self._state(intake, fields).view(
                        intake,
                        [Turn.model_validate_json(t) for t in thread],
                        [Note.model_validate_json(n) for n in notes],
                    )
                )
        return tickets

    async def list_by_conversation(self, conversation_id: str) -> list[Ticket]:
        ids = await self.redis.zrange(self.keys.by_conversation(conversation_id), 0, -1)
        return await self.get_many([str(i) for i in ids])

    async def audit_trail(self, ticket_id: str) -> list[AuditEntry]:
        async with self.redis.pipeline(transaction=False) as pipe:
            pipe.exists(self.keys.ticket(ticket_id))
            pipe.lrange(self.keys.audit(ticket_id), 0, -1)
            exists, lines = await pipe.execute()
        if not exists:
            raise TicketNotFound(ticket_id)
        return [AuditEntry.model_validate_json(line) for line in lines]

    def _state(self, intake: Ticket, fields: dict[str, str]) -> TicketState:
        return TicketState.from_redis(fields, intake, self.recorder.day_of(intake.created_at))

    # ----- changes
    async def change(self, ticket_id: str, decide: Callable[[TicketTransaction], Awaitable[T]]) -> T:
        """Runs `decide` on the current ticket and commits what it queued, atomically; if the
        ticket changed meanwhile, decides again on the new state (a few times, then 409)."""
        if len(ticket_id) > 64:
            raise TicketNotFound(ticket_id)
        for _ in range(_CHANGE_ATTEMPTS):
            async with self.redis.pipeline(transaction=True) as pipe:
                try:
                    await pipe.watch(self.keys.state(ticket_id))
                    raw = await pipe.get(self.keys.ticket(ticket_id))
                    if raw is None:
                        raise TicketNotFound(ticket_id)
                    intake = Ticket.model_validate_json(raw)
                    fields = await pipe.hgetall(self.keys.state(ticket_id))
                    state = self._state(intake, {str(k): str(v) for k, v in fields.items()})
                    tx = TicketTransaction(self, pipe, intake, state)
                    result = await decide(tx)
                    if not tx.has_writes:
                        return result
                    if not tx.saved:
                        raise RuntimeError("a ticket change must save the ticket's state")
                    pipe.multi()
                    tx.apply(pipe)
                    await pipe.execute()
                    return result
                except WatchError:
                    continue
        raise TicketBusy(f"ticket {ticket_id} is being changed by others; try again")

    # ----- intake
    async def _earlier_complaints(
        self, order_id: str | None, customer_id: str, now: datetime
    ) -> tuple[int, int]:
        """Complaints within the policy's window about this order, and by this customer."""
        since = (now - self.policy.repeat_window).timestamp()
        async with self.redis.pipeline(transaction=False) as pipe:
            pipe.zcount(self.keys.by_customer(customer_id), since, "+inf")
            if order_id:
                pipe.zcount(self.keys.by_order(order_id), since, "+inf")
            counts = await pipe.execute()
        by_customer = int(counts[0])
        on_order = int(counts[1]) if order_id else 0
        return on_order, by_customer

    async def create_from_handoff(
        self, handoff: HandoffRequest, actor: str, via: str = "api"
    ) -> HandoffResult:
        """The conversation's open ticket, or a new one graded by the policy. `via` says how the
        handoff came (`api`, or `inbox` when it was stored while the API was unreachable)."""
        if handoff.handoff_key:
            delivered = await self.redis.get(self.keys.handoff(handoff.handoff_key))
            if delivered:
                earlier = await self.get(str(delivered))
                if earlier is not None:
                    return HandoffResult(ticket=earlier, created=False)
        existing_id = await self.redis.get(self.keys.open_by_conversation(handoff.conversation_id))
        if existing_id:
            existing = await self.get(str(existing_id))
            if existing is not None:
                return HandoffResult(ticket=existing, created=False)

        now = utcnow()
        shopper_texts = [turn.text for turn in handoff.transcript if turn.role is Role.user]
        on_order, by_customer = await self._earlier_complaints(handoff.order_id, handoff.customer.id, now)
        decision = self.policy.decide(
            issue_type=handoff.issue_type,
            channel=handoff.channel,
            vip=handoff.customer.vip,
            shopper_texts=shopper_texts,
            created_at=now,
            remedy=handoff.remedy,
            earlier_on_order=on_order,
            earlier_by_customer=by_customer,
        )
        if handoff.urgency_version and handoff.urgency_version != decision.urgency_version:
            # The bot and the API read urgency with different rules: one image is out of date.
            log.warning(
                "urgency versions differ: the channel read version %s, the API grades with %s",
                handoff.urgency_version,
                decision.urgency_version,
            )
            decision.explain.append(
                f"the bot read urgency with v{handoff.urgency_version}, the API with"
                f" v{decision.urgency_version}: one of them is out of date"
            )
        ticket = Ticket(
            id=new_ticket_id(now),
            conversation_id=handoff.conversation_id,
            channel=handoff.channel,
            order_id=handoff.order_id,
            issue_type=handoff.issue_type,
            remedy=handoff.remedy,
            severity=decision.severity,
            responsibility=decision.responsibility,
            queue=decision.queue,
            priority=decision.priority,
            complexity=decision.complexity,
            status=TicketStatus.new,
            sla=SLA(
                first_response_due=decision.first_response_due,
                resolution_due=decision.resolution_due,
            ),
            transcript=handoff.transcript,
            customer=handoff.customer,
            reason=handoff.reason,
            product=handoff.product,
            host=handoff.host,
            amount=handoff.amount,
            signals=decision.signals,
            explain=decision.explain,
            policy_version=decision.policy_version,
            urgency_version=decision.urgency_version,
            repeat_complaint=decision.repeat,
            created_at=now,
            updated_at=now,
        )
        day = self.recorder.day_of(now)
        state = [item for pair in TicketState.initial(ticket, day).to_redis().items() for item in pair]
        stats_keys, stats_args = self.recorder.script_args(self.recorder.created(ticket, day))
        keys = [
            self.keys.open_by_conversation(ticket.conversation_id),
            self.keys.ticket(ticket.id),
            self.keys.by_conversation(ticket.conversation_id),
            self.keys.by_order(ticket.order_id) if ticket.order_id else "",
            self.keys.by_customer(ticket.customer.id),
            self.keys.all_tickets(),
            self.keys.queue(ticket.queue.value),
            self.keys.audit(ticket.id),
            self.keys.state(ticket.id),
            self.keys.deadlines(Deadline.first_response),
            self.keys.deadlines(Deadline.resolution),
            *stats_keys,
            self.keys.handoff(handoff.handoff_key) if handoff.handoff_key else "",
            self.keys.events(),
        ]
        audit = audit_line(now, actor, "created", reason=handoff.reason, queue=ticket.queue.value)
        args: list[str | float] = [
            ticket.id,
            ticket.model_dump_json(),
            now.timestamp(),
            ticket.priority,
            audit,
            decision.first_response_due.timestamp(),
            decision.resolution_due.timestamp(),
            len(state),
            *stats_args[:2],
            ticket.conversation_id,
            ticket.queue.value,
            actor,
            now.isoformat(),
            via,
            *state,
            *stats_args[2:],
        ]
        created, ticket_id = await self._create(keys=keys, args=args)
        if not int(created):
            # Another handoff for this conversation won the race; return its ticket.
            winner = await self.get(str(ticket_id))
            if winner is not None:
                return HandoffResult(ticket=winner, created=False)
        return HandoffResult(ticket=ticket, created=True)
