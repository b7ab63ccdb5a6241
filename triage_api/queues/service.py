"""Queues: waiting tickets in priority order, atomic claims within capacity, and transfers."""

from __future__ import annotations

from datetime import datetime

from redis.asyncio import Redis

from triage_api.analytics.service import AnalyticsRecorder
from triage_api.core.errors import DomainError
from triage_api.core.privacy import excerpt
from triage_api.core.security import Principal, Role, TokenRegistry
from triage_api.lifecycle.transitions import check_transition
from triage_api.queues.schemas import AgentWorkload, QueueOverview, QueuePage, TransferRequest
from triage_api.tickets.keys import TicketKeys
from triage_api.tickets.schemas import (
    HELD_STATUSES,
    WAITING_STATUSES,
    Queue,
    Ticket,
    TicketStatus,
    TicketSummary,
)
from triage_api.tickets.service import TicketStore, TicketTransaction, audit_line, utcnow

# How many of the queue's first tickets a claim offers the script. The script only ever takes
# the current head, so order is exact; the candidates just let it run without reading the queue
# from Python in between, and concurrent claimers each find their head among them.
CLAIM_CANDIDATES = 32
_CLAIM_ATTEMPTS = 20

# KEYS: queue, the agent's open set, the event stream, then per candidate its state hash and audit
# list. ARGV: agent, capacity, updated_at, audit entry, queue name, candidate ids (in queue order).
# Returns {1, id} claimed, {0} queue empty, {-1} agent at capacity, {2} head not a candidate.
_CLAIM = """
if redis.call('SCARD', KEYS[2]) >= tonumber(ARGV[2]) then return {-1} end
local slot = {}
for i = 6, #ARGV do slot[ARGV[i]] = i - 5 end
while true do
  local head = redis.call('ZRANGE', KEYS[1], 0, 0)[1]
  if not head then return {0} end
  local n = slot[head]
  if not n then return {2} end
  local state, audit = KEYS[2 + 2 * n], KEYS[3 + 2 * n]
  redis.call('ZREM', KEYS[1], head)
  local status = redis.call('HGET', state, 'status')
  -- no status: a ticket stored before the state hash existed, waiting as its JSON says
  if status == false or status == 'new' or status == 'reopened' then
    redis.call('HSET', state, 'status', 'assigned', 'assignee', ARGV[1], 'updated_at', ARGV[3])
    redis.call('SADD', KEYS[2], head)
    redis.call('RPUSH', audit, ARGV[4])
    redis.call('XADD', KEYS[3], 'MAXLEN', '~', 100000, '*', 'action', 'claimed', 'ticket_id', head,
      'queue', ARGV[5], 'status', 'assigned', 'actor', ARGV[1], 'ts', ARGV[3])
    return {1, head}
  end
  -- a stale entry (the ticket moved on): dropped, and the next head is tried
end
"""


class AtCapacity(DomainError):
    status_code = 409
    code = "at_capacity"


class AlreadyAssigned(DomainError):
    status_code = 409
    code = "conflict"


class QueueBusy(DomainError):
    status_code = 503
    code = "unavailable"


class UnknownAgent(DomainError):
    status_code = 422
    code = "invalid_request"


class NotAllowed(DomainError):
    status_code = 403
    code = "forbidden"


class Queues:
    """Per-queue priority order in Redis sorted sets; claims and transfers keep sets and state
    in step (claims in one Lua script, transfers in a ticket transaction)."""

    def __init__(
        self,
        redis: Redis,
        keys: TicketKeys,
        store: TicketStore,
        recorder: AnalyticsRecorder,
        tokens: TokenRegistry,
        capacity: int,
    ) -> None:
        self.redis = redis
        self.keys = keys
        self.store = store
        self.recorder = recorder
        self.tokens = tokens
        self.capacity = capacity
        self._claim = redis.register_script(_CLAIM)

    async def claim_next(
        self, queue: Queue, principal: Principal, now: datetime | None = None
    ) -> Ticket | None:
        """Assigns the queue's first ticket to the caller, or None when the queue is empty."""
        at = now or utcnow()
        queue_key, held_key = self.keys.queue(queue.value), self.keys.agent_open(principal.name)
        audit = audit_line(at, principal.name, "claimed", queue=queue.value)
        for _ in range(_CLAIM_ATTEMPTS):
            candidates = [str(c) for c in await self.redis.zrange(queue_key, 0, CLAIM_CANDIDATES - 1)]
            if not candidates:
                return None
            keys = [queue_key, held_key, self.keys.events()]
            for ticket_id in candidates:
                keys += [self.keys.state(ticket_id), self.keys.audit(ticket_id)]
            outcome = await self._claim(
                keys=keys,
                args=[principal.name, self.capacity, at.isoformat(), audit, queue.value, *candidates],
            )
            code = int(outcome[0])
            if code == 1:
                return await self.store.get(str(outcome[1]))
            if code == 0:
                return None
            if code == -1:
                raise AtCapacity(f"{principal.name} already holds {self.capacity} open tickets")
        raise QueueBusy("the queue is too busy right now; try again")

    async def overview(self) -> QueueOverview:
        async with self.redis.pipeline(transaction=False) as pipe:
            for queue in Queue:
                pipe.zcard(self.keys.queue(queue.value))
            counts = await pipe.execute()
        return QueueOverview(waiting={q.value: int(n) for q, n in zip(Queue, counts, strict=True)})

    async def waiting(self, queue: Queue, offset: int, limit: int) -> QueuePage:
        async with self.redis.pipeline(transaction=False) as pipe:
            pipe.zcard(self.keys.queue(queue.value))
            pipe.zrange(self.keys.queue(queue.value), offset, offset + limit - 1)
            length, ids = await pipe.execute()
        tickets = await self.store.get_many([str(i) for i in ids])
        return QueuePage(queue=queue, waiting=int(length), items=[TicketSummary.of(t) for t in tickets])

    async def workload(self, agent: str) -> AgentWorkload:
        ids = sorted(str(i) for i in await self.redis.smembers(self.keys.agent_open(agent)))
        tickets = sorted(await self.store.get_many(ids), key=lambda t: t.priority)
        return AgentWorkload(
            agent=agent,
            capacity=self.capacity,
            holding=len(tickets),
            items=[TicketSummary.of(t) for t in tickets],
        )

    async def transfer(
        self, ticket_id: str, principal: Principal, request: TransferRequest, now: datetime | None = None
    ) -> Ticket:
        """To a queue (waiting there again) or to an agent (assigned to them, within capacity)."""
        at = now or utcnow()
        receiver: Principal | None = None
        if request.agent is not None:
            receiver = self.tokens.principal_named(request.agent)
            if receiver is None or receiver.role not in (Role.agent, Role.supervisor):
                raise UnknownAgent(f"no agent called {request.agent[:64]}")

        async def decide(tx: TicketTransaction) -> None:
            before = tx.state
            if principal.role is not Role.supervisor and before.assignee != principal.name:
                raise NotAllowed("only a supervisor or the ticket's assignee may transfer it")
            held, waiting = before.status in HELD_STATUSES, before.status in WAITING_STATUSES
            changes: dict[str, object] = {"transfers": before.transfers + 1, "updated_at": at}
            if receiver is not None:
                check_transition(before.status, TicketStatus.assigned)
                if held and receiver.name == before.assignee:
                    raise AlreadyAssigned(f"the ticket is already assigned to {receiver.name}")
                if await tx.held_by(receiver.name) >= self.capacity:
                    raise AtCapacity(f"{receiver.name} already holds {self.capacity} open tickets")
                changes.update(status=TicketStatus.assigned, assignee=receiver.name)
            else:
                # back in line: a reopened ticket stays reopened, anything else waits as new
                status = before.status if waiting else TicketStatus.new
                check_transition(before.status, status)
                changes.update(status=status, assignee=None, queue=request.queue)

            if waiting:
                tx.dequeue(before.queue)
            if held:
                tx.release(before.assignee)
            if receiver is not None:
                tx.hold(receiver.name)
            else:
                assert request.queue is not None
                tx.enqueue(request.queue, before.priority)
            tx.stats(self.recorder.transferred(before))
            tx.save(before.model_copy(update=changes))
            tx.audit(
                at,
                principal.name,
                "transferred",
                from_queue=before.queue.value,
                to_queue=(request.queue or before.queue).value,
                from_agent=before.assignee if held else None,
                to_agent=receiver.name if receiver else None,
                reason=excerpt(request.reason),
            )

        await self.store.change(ticket_id, decide)
        ticket = await self.store.get(ticket_id)
        assert ticket is not None
        return ticket
