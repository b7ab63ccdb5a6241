"""Prometheus metrics of the triage API: GET /metrics, a per-app registry, request latency by
route template, handoffs counted as they create tickets, and queue, SLA and stream gauges read
from Redis at scrape time (so every process reports the same store-wide numbers).

Metrics are not public: a supervisor's bearer token reads them (the console's supervisor view),
or the one scrape token whose SHA-256 is `TRIAGE_METRICS_TOKEN_SHA256` (Prometheus), which
opens nothing else.
"""

from __future__ import annotations

import hmac
import time
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Request, Response, status
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from prometheus_client import CollectorRegistry, Counter, Histogram, ProcessCollector
from prometheus_client.exposition import choose_encoder
from prometheus_client.metrics_core import GaugeMetricFamily, Metric
from redis.asyncio import Redis
from redis.exceptions import RedisError
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from triage_api.core.security import Role, current_principal, hash_token
from triage_api.flows.inbox import GROUP as INBOX_GROUP
from triage_api.tickets.keys import Deadline, TicketKeys
from triage_api.tickets.schemas import HandoffRequest, Queue
from triage_api.tickets.service import HandoffResult, TicketStore

METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})
# On Redis < 7 (no consumer-group lag) the undelivered inbox entries are counted by reading them:
# at most this many, so a scrape stays small however long the API was away.
UNDELIVERED_COUNT_LIMIT = 1000


@dataclass(frozen=True)
class StoreGauges:
    """What one scrape read from Redis."""

    waiting: dict[str, int]
    escalations_open: int
    overdue: dict[str, int]
    inbox_entries: int
    inbox_pending: int
    inbox_undelivered: int
    events: int


def _gauge(name: str, documentation: str, value: float) -> GaugeMetricFamily:
    return GaugeMetricFamily(name, documentation, value=value)


class _StoreCollector:
    """Yields the gauges of the latest Redis read; the route sets it right before encoding."""

    def __init__(self) -> None:
        self.latest: StoreGauges | None = None

    def collect(self) -> Iterable[Metric]:
        latest = self.latest
        yield _gauge("triage_store_up", "1 when this scrape could read Redis", 0 if latest is None else 1)
        if latest is None:
            return
        waiting = GaugeMetricFamily(
            "triage_queue_waiting_tickets", "tickets waiting in a queue", labels=["queue"]
        )
        for queue, count in latest.waiting.items():
            waiting.add_metric([queue], count)
        yield waiting
        yield _gauge(
            "triage_escalations_open",
            "open tickets that missed a deadline (the supervisors' escalation list)",
            latest.escalations_open,
        )
        overdue = GaugeMetricFamily(
            "triage_deadlines_overdue",
            "tickets past a deadline the SLA monitor has not settled yet (if it keeps growing: stuck)",
            labels=["deadline"],
        )
        for deadline, count in latest.overdue.items():
            overdue.add_metric([deadline], count)
        yield overdue
        yield _gauge(
            "triage_handoff_inbox_entries",
            "entries in the handoff inbox stream (the action server's outbox); delivered ones are deleted",
            latest.inbox_entries,
        )
        yield _gauge(
            "triage_handoff_inbox_pending",
            "inbox entries an API process took and has not acknowledged (failing or in flight)",
            latest.inbox_pending,
        )
        yield _gauge(
            "triage_handoff_inbox_undelivered",
            f"inbox entries no API process has read yet (up to {UNDELIVERED_COUNT_LIMIT} on Redis < 7)",
            latest.inbox_undelivered,
        )
        yield _gauge("triage_events_stream_entries", "entries in the ticket event stream", latest.events)


def _route_template(scope: Scope) -> str:
    """The matched route's template (`/api/v1/tickets/{ticket_id}`), never the raw path."""
    route = scope.get("route")
    template = getattr(route, "path_format", None) or getattr(route, "path", None)
    return str(template) if template else "unmatched"


class ApiMetrics:
    """The metric objects of one app, in the app's own registry (tests build many apps)."""

    def __init__(self, keys: TicketKeys) -> None:
        self.keys = keys
        self.registry = CollectorRegistry()
        ProcessCollector(registry=self.registry)
        self.request_seconds = Histogram(
            "triage_http_request_duration_seconds",
            "time until the response started (a push stream's life is not counted), by route template",
            ["method", "route", "status"],
            registry=self.registry,
        )
        self.handoffs_created = Counter(
            "triage_handoffs_created",
            "handoffs that created a ticket, by the ticket's queue and severity and how they came",
            ["queue", "severity", "via"],
            registry=self.registry,
        )
        self.handoffs_repeated = Counter(
            "triage_handoffs_repeated",
            "handoffs answered with an existing ticket (open conversation or a delivered handoff key)",
            ["via"],
            registry=self.registry,
        )
        self.store = _StoreCollector()
        self.registry.register(self.store)

    def observe_request(self, scope: Scope, status_code: int, seconds: float) -> None:
        method = str(scope.get("method", ""))
        self.request_seconds.labels(
            method=method if method in METHODS else "other",
            route=_route_template(scope),
            status=f"{status_code // 100}xx",
        ).observe(seconds)

    def count_handoff(self, result: HandoffResult, via: str) -> None:
        if result.created:
            ticket = result.ticket
            self.handoffs_created.labels(
                queue=ticket.queue.value, severity=ticket.severity.value, via=via
            ).inc()
        else:
            self.handoffs_repeated.labels(via=via).inc()

    async def read_store(self, redis: Redis, now: datetime | None = None) -> StoreGauges:
        """Every store-wide gauge in one pipelined round trip (two on Redis < 7 with an inbox
        backlog)."""
        at = (now or datetime.now(timezone.utc)).timestamp()
        deadlines = (Deadline.first_response, Deadline.resolution)
        async with redis.pipeline(transaction=False) as pipe:
            for queue in Queue:
                pipe.zcard(self.keys.queue(queue.value))
            pipe.zcard(self.keys.escalations())
            for deadline in deadlines:
                pipe.zcount(self.keys.deadlines(deadline), "-inf", at)
            pipe.xlen(self.keys.inbox())
            pipe.xinfo_groups(self.keys.inbox())
            pipe.xlen(self.keys.events())
            replies = await pipe.execute(raise_on_error=False)
        for reply in replies:
            if isinstance(reply, RedisError) and not _no_such_stream(reply):
                raise reply
        queues = len(Queue)
        inbox_entries, groups, events = replies[queues + 3 :]
        group = _inbox_group(groups)
        return StoreGauges(
            waiting={q.value: int(n) for q, n in zip(Queue, replies[:queues], strict=True)},
            escalations_open=int(replies[queues]),
            overdue={
                d.value: int(n) for d, n in zip(deadlines, replies[queues + 1 : queues + 3], strict=True)
            },
            inbox_entries=int(inbox_entries),
            inbox_pending=int(group.get("pending") or 0) if group else 0,
            inbox_undelivered=await self._undelivered(redis, group, int(inbox_entries)),
            events=int(events),
        )

    async def _undelivered(self, redis: Redis, group: dict[str, Any] | None, entries: int) -> int:
        if group is None:
            return entries  # no API process has read the inbox yet: every entry waits
        if group.get("lag") is not None:
            return int(group["lag"])
        last = str(group.get("last-delivered-id") or "0-0")
        newer = await redis.xrange(self.keys.inbox(), min=f"({last}", max="+", count=UNDELIVERED_COUNT_LIMIT)
        return len(newer or [])

    async def exposition(self, redis: Redis, accept: str | None) -> tuple[bytes, str]:
        """The registry encoded as the scraper asked (OpenMetrics or the text format)."""
        try:
            latest: StoreGauges | None = await self.read_store(redis)
        except (RedisError, OSError):
            latest = None  # the process's own counters are still worth a scrape
        encode, content_type = choose_encoder(accept or "")
        self.store.latest = latest  # no await between setting and encoding: scrapes do not mix
        return encode(self.registry), content_type


def _no_such_stream(error: RedisError) -> bool:
    return "no such key" in str(error).lower()


def _inbox_group(groups: Any) -> dict[str, Any] | None:
    if isinstance(groups, RedisError):
        return None
    return next((dict(g) for g in groups or [] if str(g.get("name")) == INBOX_GROUP), None)


class RequestTimer:
    """ASGI middleware: observes each HTTP request's time until its response starts."""

    def __init__(self, app: ASGIApp, metrics: ApiMetrics) -> None:
        self.app = app
        self.metrics = metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        responded = False

        async def timed_send(message: Message) -> None:
            nonlocal responded
            if message["type"] == "http.response.start" and not responded:
                responded = True
                self.metrics.observe_request(scope, int(message["status"]), time.perf_counter() - started)
            await send(message)

        try:
            await self.app(scope, receive, timed_send)
        except BaseException:
            if not responded:  # the outermost error handler answers 500
                self.metrics.observe_request(scope, 500, time.perf_counter() - started)
            raise


class CountedTicketStore(TicketStore):
    """The ticket store, counting each handoff (through the API or the inbox) by its outcome."""

    def __init__(self, *args: Any, metrics: ApiMetrics, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.metrics = metrics

    async def create_from_handoff(
        self, handoff: HandoffRequest, actor: str, via: str = "api"
    ) -> HandoffResult:
        result = await super().create_from_handoff(handoff, actor, via)
        self.metrics.count_handoff(result, via)
        return result


_bearer = HTTPBearer(auto_error=False)


def metrics_reader(
    request: Request, credentials: HTTPAuthorizationCredentials | None = Depends(_bearer)
) -> str:
    """The scrape token, or a supervisor's token: 401 without a known token, 403 for other roles."""
    expected = request.app.state.settings.metrics_token_sha256.lower()
    if expected and credentials and hmac.compare_digest(hash_token(credentials.credentials), expected):
        return "scraper"
    principal = current_principal(request, credentials)
    if principal.role is not Role.supervisor:
        raise HTTPException(status.HTTP_403_FORBIDDEN, detail=f"role {principal.role.value} may not do this")
    return principal.name


router = APIRouter(tags=["metrics"])


@router.get(
    "/metrics",
    response_class=Response,
    responses={
        200: {
            "content": {"text/plain": {}, "application/openmetrics-text": {}},
            "description": "the Prometheus text format, or OpenMetrics when the scraper asks for it",
        },
        401: {"description": "no token, or one that is neither a known token nor the scrape token"},
        403: {"description": "a token of another role than supervisor"},
    },
)
async def metrics(request: Request, _: Annotated[str, Depends(metrics_reader)]) -> Response:
    """Prometheus exposition of this process's counters and the store-wide gauges."""
    api_metrics: ApiMetrics = request.app.state.metrics
    body, content_type = await api_metrics.exposition(request.app.state.redis, request.headers.get("accept"))
    return Response(body, media_type=content_type)
