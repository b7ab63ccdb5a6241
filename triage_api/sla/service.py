"""The supervisors' escalation list: open tickets that missed a deadline, longest overdue first."""

from __future__ import annotations

from datetime import datetime, timezone
from typing import cast

from redis.asyncio import Redis

from triage_api.sla.schemas import Escalation, EscalationList
from triage_api.tickets.keys import TicketKeys
from triage_api.tickets.schemas import TicketSummary
from triage_api.tickets.service import TicketStore


class Escalations:
    def __init__(self, redis: Redis, keys: TicketKeys, store: TicketStore) -> None:
        self.redis = redis
        self.keys = keys
        self.store = store

    async def list(self, limit: int) -> EscalationList:
        rows = cast(
            "list[tuple[str, float]]",
            await self.redis.zrange(self.keys.escalations(), 0, limit - 1, withscores=True),
        )
        since = {str(ticket_id): float(score) for ticket_id, score in rows}
        tickets = await self.store.get_many(list(since))
        return EscalationList(
            items=[
                Escalation(
                    escalated_at=datetime.fromtimestamp(since[t.id], tz=timezone.utc),
                    ticket=TicketSummary.of(t),
                )
                for t in tickets
            ]
        )
