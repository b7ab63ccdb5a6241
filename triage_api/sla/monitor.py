"""The SLA monitor: a background task of the API that finds missed deadlines and escalates.

Deadlines live in one sorted set per kind (score = due time), so a pass reads only what is due.
A missed first response or resolution is recorded in `ticket.sla.breached` and the audit trail,
raises severity one step (policy `escalation`), moves a waiting ticket to the front of its band,
and puts the ticket on the supervisors' escalation list. A resolved ticket whose revisit never
came is closed. Each ticket is handled in a ticket transaction, so several API processes may run
monitors side by side: whichever commits first wins and the others find nothing left to do.
"""

from __future__ import annotations

import asyncio
import logging
from datetime import datetime

from redis.asyncio import Redis

from triage_api.analytics.service import AnalyticsRecorder
from triage_api.sla.schemas import Breach
from triage_api.tickets.keys import Deadline, TicketKeys
from triage_api.tickets.schemas import OPEN_STATUSES, WAITING_STATUSES, TicketStatus
from triage_api.tickets.service import TicketNotFound, TicketStore, TicketTransaction, utcnow
from triage_api.triage.policy import TriagePolicy

log = logging.getLogger(__name__)

MONITOR = "sla-monitor"
_BATCH = 200


class SlaMonitor:
    def __init__(
        self,
        redis: Redis,
        keys: TicketKeys,
        store: TicketStore,
        policy: TriagePolicy,
        recorder: AnalyticsRecorder,
        interval: float,
    ) -> None:
        self.redis = redis
        self.keys = keys
        self.store = store
        self.policy = policy
        self.recorder = recorder
        self.interval = interval

    async def run(self) -> None:
        """Checks every `interval` seconds until cancelled; a failed pass is logged, not fatal."""
        while True:
            await asyncio.sleep(self.interval)
            try:
                await self.check_once()
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("SLA check failed; retrying in %.0f s", self.interval)

    async def _due(self, deadline: Deadline, at: datetime) -> list[str]:
        ids = await self.redis.zrangebyscore(
            self.keys.deadlines(deadline), "-inf", at.timestamp(), start=0, num=_BATCH
        )
        return [str(i) for i in ids]

    async def check_once(self, now: datetime | None = None) -> list[Breach]:
        """One pass over everything due by `now`; returns the breaches it recorded."""
        at = now or utcnow()
        breaches: list[Breach] = []
        for deadline in (Deadline.first_response, Deadline.resolution):
            for ticket_id in await self._due(deadline, at):
                breach = await self._settle(ticket_id, deadline, at)
                if breach is not None:
                    breaches.append(breach)
        for ticket_id in await self._due(Deadline.revisit, at):
            await self._settle(ticket_id, Deadline.revisit, at)
        return breaches

    async def _settle(self, ticket_id: str, deadline: Deadline, at: datetime) -> Breach | None:
        async def decide(tx: TicketTransaction) -> Breach | None:
            state = tx.state
            due = {
                Deadline.first_response: tx.intake.sla.first_response_due,
                Deadline.resolution: state.resolution_due,
                Deadline.revisit: (
                    state.resolution.at + self.policy.revisit_timeout if state.resolution else at
                ),
            }[deadline]
            if due > at:
                return None  # the deadline moved (a reopen set a new one): not due yet
            tx.set_deadline(deadline, None)
            if deadline is Deadline.revisit:
                if state.status is TicketStatus.resolved:
                    tx.save(state.model_copy(update={"status": TicketStatus.closed, "updated_at": at}))
                    tx.audit(at, MONITOR, "closed", reason="no revisit within the policy's timeout")
                else:
                    tx.save(state)
                return None
            missed = state.status in OPEN_STATUSES and (
                deadline is Deadline.resolution or state.first_responded_at is None
            )
            if not missed or deadline.value in state.breached:
                tx.save(state)  # met after all, or already recorded: the entry is just dropped
                return None
            return self._escalate(tx, deadline, due, at)

        try:
            return await self.store.change(ticket_id, decide)
        except TicketNotFound:
            await self.redis.zrem(self.keys.deadlines(deadline), ticket_id)
            return None

    def _escalate(self, tx: TicketTransaction, deadline: Deadline, due: datetime, at: datetime) -> Breach:
        state = tx.state
        severity = self.policy.escalated_severity(state.severity)
        priority = self.policy.priority(
            severity=severity,
            vip=tx.intake.customer.vip,
            resolution_due=state.resolution_due,
            escalated=True,
            repeat=tx.intake.repeat_complaint,
        )
        if state.status in WAITING_STATUSES:
            tx.enqueue(state.queue, priority)  # a new score: to the front of its band
        tx.escalate(at)
        tx.stats(self.recorder.breached(state, deadline))
        tx.save(
            state.model_copy(
                update={
                    "breached": [*state.breached, deadline.value],
                    "severity": severity,
                    "priority": priority,
                    "escalated": True,
                }
            )
        )
        tx.audit(
            at,
            MONITOR,
            "sla_breached",
            deadline=deadline.value,
            due=due.isoformat(),
            severity_from=state.severity.value,
            severity_to=severity.value,
        )
        log.warning(
            "ticket %s missed its %s deadline (due %s): escalated to %s",
            tx.ticket_id,
            deadline.value,
            due.isoformat(),
            severity.value,
        )
        return Breach(ticket_id=tx.ticket_id, deadline=deadline, due=due)
