"""Review analytics kept at write time, so a summary costs one hash read per day, never a scan.

Every ticket counts in the day it was created (in the analytics time zone): its intake figures
when it is created, and its first response, resolution, revisit and SLA breaches when they
happen, as increments of that day's hash. A summary over a period therefore describes the
tickets created in it ("of last week's complaints, how many were resolved at first contact").
"""

from __future__ import annotations

import uuid
from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from redis.asyncio import Redis
from redis.asyncio.client import Pipeline

from triage_api.analytics.keys import AnalyticsKeys
from triage_api.analytics.schemas import (
    AnalyticsSummary,
    DayVolume,
    FirstContactResolution,
    MeanDuration,
    NamedCount,
    Satisfaction,
    SlaSummary,
)
from triage_api.core.errors import DomainError
from triage_api.core.privacy import mask_personal_data
from triage_api.tickets.keys import Deadline
from triage_api.tickets.schemas import Ticket, TicketState

MAX_PERIOD_DAYS = 366


class Stat:
    """Field names of the per-day counter hash."""

    created = "created"
    vip = "vip"
    repeat = "repeat"
    first_response_count = "first_response.count"
    first_response_ms = "first_response.ms"
    resolved_count = "resolved.count"
    resolved_ms = "resolved.ms"
    resolved_first_contact = "resolved.first_contact"
    csat_count = "csat.count"
    csat_sum = "csat.sum"
    breached_tickets = "breach.tickets"
    reopened = "reopened"
    transferred = "transferred"

    @staticmethod
    def by(dimension: str, value: str) -> str:
        """e.g. issue:quality_defect, channel:app_chat, responsibility:merchant."""
        return f"{dimension}:{value}"

    @staticmethod
    def csat_score(score: int) -> str:
        return f"csat.{score}"

    @staticmethod
    def breach(deadline: Deadline) -> str:
        return f"breach.{deadline.value}"


@dataclass
class StatsDelta:
    """Increments to one day's counters (and its product and host rankings)."""

    day: str
    counters: Counter[str] = field(default_factory=Counter)
    product: str | None = None
    host: str | None = None


class InvalidPeriod(DomainError):
    status_code = 422
    code = "invalid_request"


def _label(text: str | None) -> str | None:
    """Product or host as counted: masked (a shopper may type anything there), trimmed."""
    if not text or not text.strip():
        return None
    return mask_personal_data(text.strip())[:100]


def _ms(seconds: float) -> int:
    return round(seconds * 1000)


class AnalyticsRecorder:
    """Turns lifecycle events into counter increments and writes them with the event's own
    transaction, so the figures never disagree with the tickets."""

    def __init__(self, keys: AnalyticsKeys, timezone: ZoneInfo) -> None:
        self.keys = keys
        self.timezone = timezone

    def day_of(self, moment: datetime) -> str:
        return moment.astimezone(self.timezone).date().isoformat()

    def created(self, ticket: Ticket, day: str) -> StatsDelta:
        counters: Counter[str] = Counter(
            {
                Stat.created: 1,
                Stat.by("issue", ticket.issue_type.value): 1,
                Stat.by("channel", ticket.channel.value): 1,
                Stat.by("severity", ticket.severity.value): 1,
                Stat.by("queue", ticket.queue.value): 1,
                Stat.by("responsibility", ticket.responsibility.value): 1,
            }
        )
        if ticket.customer.vip:
            counters[Stat.vip] += 1
        if ticket.repeat_complaint:
            counters[Stat.repeat] += 1
        return StatsDelta(
            day=day, counters=counters, product=_label(ticket.product), host=_label(ticket.host)
        )

    def first_response(self, state: TicketState, seconds: float) -> StatsDelta:
        return StatsDelta(
            day=state.stats_day,
            counters=Counter({Stat.first_response_count: 1, Stat.first_response_ms: _ms(seconds)}),
        )

    def resolved(self, before: TicketState, after: TicketState) -> StatsDelta:
        """A ticket counts as resolved once; its handling time is that of its latest resolution."""
        counters: Counter[str] = Counter()
        if before.handling_seconds is None:
            counters[Stat.resolved_count] += 1
        counters[Stat.resolved_ms] += _ms(after.handling_seconds or 0.0) - _ms(before.handling_seconds or 0.0)
        if after.first_contact and not before.first_contact:
            counters[Stat.resolved_first_contact] += 1
        if after.responsibility is not before.responsibility:
            counters[Stat.by("responsibility", before.responsibility.value)] -= 1
            counters[Stat.by("responsibility", after.responsibility.value)] += 1
        return StatsDelta(day=before.stats_day, counters=counters)

    def reopened(self, before: TicketState) -> StatsDelta:
        counters: Counter[str] = Counter({Stat.reopened: 1})
        if before.first_contact:
            counters[Stat.resolved_first_contact] -= 1
        return StatsDelta(day=before.stats_day, counters=counters)

    def transferred(self, state: TicketState) -> StatsDelta:
        return StatsDelta(day=state.stats_day, counters=Counter({Stat.transferred: 1}))

    def revisited(self, state: TicketState, csat: int) -> StatsDelta:
        return StatsDelta(
            day=state.stats_day,
            counters=Counter({Stat.csat_count: 1, Stat.csat_sum: csat, Stat.csat_score(csat): 1}),
        )

    def breached(self, state: TicketState, deadline: Deadline) -> StatsDelta:
        counters: Counter[str] = Counter({Stat.breach(deadline): 1})
        if not state.breached:
            counters[Stat.breached_tickets] += 1
        return StatsDelta(day=state.stats_day, counters=counters)

    def write(self, pipe: Pipeline, delta: StatsDelta) -> None:
        """Queues the increments on a pipeline (inside the event's MULTI)."""
        day_key = self.keys.day(delta.day)
        for name, amount in delta.counters.items():
            if amount:
                pipe.hincrby(day_key, name, amount)
        if delta.product:
            pipe.zincrby(self.keys.day_products(delta.day), 1, delta.product)
        if delta.host:
            pipe.zincrby(self.keys.day_hosts(delta.day), 1, delta.host)

    def script_args(self, delta: StatsDelta) -> tuple[list[str], list[str]]:
        """Keys (day hash, products, hosts) and arguments for a Lua script that applies `delta`:
        product, host, then field/amount pairs."""
        keys = [self.keys.day(delta.day), self.keys.day_products(delta.day), self.keys.day_hosts(delta.day)]
        args = [delta.product or "", delta.host or ""]
        for name, amount in delta.counters.items():
            args += [name, str(amount)]
        return keys, args


class AnalyticsService:
    """Summaries for the review: one HGETALL per day and one union per ranking."""

    def __init__(self, redis: Redis, keys: AnalyticsKeys, timezone: ZoneInfo) -> None:
        self.redis = redis
        self.keys = keys
        self.timezone = timezone

    def today(self) -> date:
        return datetime.now(self.timezone).date()

    async def summary(self, date_from: date, date_to: date, top: int = 10) -> AnalyticsSummary:
        if date_to < date_from:
            raise InvalidPeriod("'to' is before 'from'")
        span = (date_to - date_from).days + 1
        if span > MAX_PERIOD_DAYS:
            raise InvalidPeriod(f"a period covers at most {MAX_PERIOD_DAYS} days, not {span}")
        days = [(date_from + timedelta(days=i)).isoformat() for i in range(span)]
        async with self.redis.pipeline(transaction=False) as pipe:
            for day in days:
                pipe.hgetall(self.keys.day(day))
            per_day: list[dict[str, str]] = await pipe.execute()
        products = await self._ranking([self.keys.day_products(d) for d in days], top)
        hosts = await self._ranking([self.keys.day_hosts(d) for d in days], top)

        total: Counter[str] = Counter()
        volumes = []
        for day, fields in zip(days, per_day, strict=True):
            counts = Counter({name: int(value) for name, value in fields.items()})
            total.update(counts)
            volumes.append(
                DayVolume(
                    date=date.fromisoformat(day),
                    created=counts[Stat.created],
                    by_issue_type=_dimension(counts, "issue"),
                )
            )
        created = total[Stat.created]
        resolved = total[Stat.resolved_count]
        return AnalyticsSummary(
            date_from=date_from,
            date_to=date_to,
            timezone=str(self.timezone),
            tickets=created,
            days=volumes,
            by_issue_type=_dimension(total, "issue"),
            by_channel=_dimension(total, "channel"),
            by_severity=_dimension(total, "severity"),
            by_queue=_dimension(total, "queue"),
            responsibility=_dimension(total, "responsibility"),
            top_products=products,
            top_hosts=hosts,
            vip_tickets=total[Stat.vip],
            repeat_complaints=total[Stat.repeat],
            first_response=_mean(total[Stat.first_response_count], total[Stat.first_response_ms]),
            handling=_mean(resolved, total[Stat.resolved_ms]),
            first_contact_resolution=FirstContactResolution(
                resolved=resolved,
                first_contact=total[Stat.resolved_first_contact],
                rate=_ratio(total[Stat.resolved_first_contact], resolved),
            ),
            csat=Satisfaction(
                responses=total[Stat.csat_count],
                mean=_ratio(total[Stat.csat_sum], total[Stat.csat_count]),
                distribution={str(s): total[Stat.csat_score(s)] for s in range(1, 6)},
            ),
            sla=SlaSummary(
                tickets=created,
                breached_tickets=total[Stat.breached_tickets],
                breach_rate=_ratio(total[Stat.breached_tickets], created),
                first_response_breaches=total[Stat.breach(Deadline.first_response)],
                resolution_breaches=total[Stat.breach(Deadline.resolution)],
            ),
            reopened=total[Stat.reopened],
            transferred=total[Stat.transferred],
        )

    async def _ranking(self, day_keys: list[str], top: int) -> list[NamedCount]:
        scratch = self.keys.scratch(uuid.uuid4().hex)
        async with self.redis.pipeline(transaction=True) as pipe:
            pipe.zunionstore(scratch, day_keys)
            pipe.zrevrange(scratch, 0, top - 1, withscores=True)
            pipe.delete(scratch)
            _, rows, _ = await pipe.execute()
        return [NamedCount(name=str(name), count=int(score)) for name, score in rows]


def _dimension(counts: Counter[str], dimension: str) -> dict[str, int]:
    prefix = f"{dimension}:"
    return {name[len(prefix) :]: n for name, n in sorted(counts.items()) if name.startswith(prefix) and n}


def _mean(count: int, total_ms: int) -> MeanDuration:
    return MeanDuration(count=count, mean_seconds=round(total_ms / count / 1000, 3) if count else None)


def _ratio(part: int, whole: int) -> float | None:
    return round(part / whole, 4) if whole else None
