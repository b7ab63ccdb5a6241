"""Ticket storage and handoff intake: the only code that reads or writes ticket keys."""

from __future__ import annotations

import json
import secrets
from dataclasses import dataclass
from datetime import datetime, timezone

from redis.asyncio import Redis

from triage_api.tickets.keys import TicketKeys
from triage_api.tickets.schemas import (
    SLA,
    HandoffRequest,
    Role,
    Ticket,
    TicketStatus,
)
from triage_api.triage.policy import TriagePolicy

# Creates the ticket and all its indexes in one step, unless the conversation already has an
# open ticket: then nothing is written and the existing id is returned (idempotent handoff).
_CREATE_TICKET = """
local existing = redis.call('GET', KEYS[1])
if existing then
  return {0, existing}
end
redis.call('SET', KEYS[2], ARGV[2])
redis.call('SET', KEYS[1], ARGV[1])
redis.call('ZADD', KEYS[3], ARGV[3], ARGV[1])
redis.call('ZADD', KEYS[6], ARGV[3], ARGV[1])
redis.call('ZADD', KEYS[7], ARGV[4], ARGV[1])
redis.call('RPUSH', KEYS[8], ARGV[5])
if KEYS[4] ~= '' then redis.call('ZADD', KEYS[4], ARGV[3], ARGV[1]) end
if KEYS[5] ~= '' then redis.call('ZADD', KEYS[5], ARGV[3], ARGV[1]) end
return {1, ARGV[1]}
"""


def new_ticket_id(now: datetime) -> str:
    """T + UTC date + 8 random base-32 characters: unguessable, sortable by day."""
    alphabet = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
    return "T" + now.strftime("%Y%m%d") + "".join(secrets.choice(alphabet) for _ in range(8))


@dataclass(frozen=True)
class HandoffResult:
    ticket: Ticket
    created: bool


class TicketStore:
    """Ticket persistence in Redis, keyed by `TicketKeys`."""

    def __init__(self, redis: Redis, keys: TicketKeys, policy: TriagePolicy) -> None:
        self.redis = redis
        self.keys = keys
        self.policy = policy
        self._create = redis.register_script(_CREATE_TICKET)

    async def get(self, ticket_id: str) -> Ticket | None:
        raw = await self.redis.get(self.keys.ticket(ticket_id))
        return Ticket.model_validate_json(raw) if raw else None

    async def list_by_conversation(self, conversation_id: str) -> list[Ticket]:
        ids = await self.redis.zrange(self.keys.by_conversation(conversation_id), 0, -1)
        return await self._load_many([str(i) for i in ids])

    async def _load_many(self, ids: list[str]) -> list[Ticket]:
        if not ids:
            return []
        raws = await self.redis.mget([self.keys.ticket(i) for i in ids])
        return [Ticket.model_validate_json(raw) for raw in raws if raw]

    async def _repeat_complaints(self, order_id: str | None, customer_id: str) -> int:
        earlier = await self.redis.zcard(self.keys.by_customer(customer_id))
        if order_id:
            earlier = max(earlier, await self.redis.zcard(self.keys.by_order(order_id)))
        return int(earlier)

    async def create_from_handoff(self, handoff: HandoffRequest, actor: str) -> HandoffResult:
        existing_id = await self.redis.get(self.keys.open_by_conversation(handoff.conversation_id))
        if existing_id:
            existing = await self.get(str(existing_id))
            if existing is not None:
                return HandoffResult(ticket=existing, created=False)

        now = datetime.now(timezone.utc)
        shopper_texts = [turn.text for turn in handoff.transcript if turn.role is Role.user]
        decision = self.policy.decide(
            issue_type=handoff.issue_type,
            channel=handoff.channel,
            vip=handoff.customer.vip,
            shopper_texts=shopper_texts,
            created_at=now,
            repeat_complaints=await self._repeat_complaints(handoff.order_id, handoff.customer.id),
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
            created_at=now,
            updated_at=now,
        )
        audit = json.dumps(
            {"ts": now.isoformat(), "actor": actor, "action": "created", "reason": handoff.reason},
            ensure_ascii=False,
        )
        keys = [
            self.keys.open_by_conversation(ticket.conversation_id),
            self.keys.ticket(ticket.id),
            self.keys.by_conversation(ticket.conversation_id),
            self.keys.by_order(ticket.order_id) if ticket.order_id else "",
            self.keys.by_customer(ticket.customer.id),
            self.keys.all_tickets(),
            self.keys.queue(ticket.queue.value),
            self.keys.audit(ticket.id),
        ]
        created, ticket_id = await self._create(
            keys=keys,
            args=[ticket.id, ticket.model_dump_json(), now.timestamp(), ticket.priority, audit],
        )
        if not int(created):
            # Another handoff for this conversation won the race; return its ticket.
            winner = await self.get(str(ticket_id))
            if winner is not None:
                return HandoffResult(ticket=winner, created=False)
        return HandoffResult(ticket=ticket, created=True)
