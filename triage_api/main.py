"""The triage API application: `uvicorn triage_api.main:app` or `python -m triage_api.main`."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator
from zoneinfo import ZoneInfo

import uvicorn
from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles
from redis.asyncio import Redis

from knowledge_base.retrieval.settings import RetrievalSettings, get_retrieval_settings
from triage_api import health
from triage_api.analytics import routes as analytics_routes
from triage_api.analytics.keys import AnalyticsKeys
from triage_api.analytics.service import AnalyticsRecorder, AnalyticsService
from triage_api.console import routes as console_routes
from triage_api.conversations import routes as conversation_routes
from triage_api.conversations.service import Conversations
from triage_api.core.errors import BodySizeLimit, document_errors, install_error_handlers
from triage_api.core.logging import configure_logging
from triage_api.core.metrics import ApiMetrics, CountedTicketStore, RequestTimer
from triage_api.core.metrics import router as metrics_router
from triage_api.core.ratelimit import RateLimiter
from triage_api.core.redis import connect
from triage_api.core.security import TokenRegistry
from triage_api.core.settings import Settings, get_settings
from triage_api.core.tasks import close_within, stop_tasks
from triage_api.erasure import routes as erasure_routes
from triage_api.erasure.service import BotTrackers, Eraser, RetentionSweeper
from triage_api.flows.hub import PushHub
from triage_api.flows.inbox import HandoffInbox
from triage_api.flows.relay import Relay
from triage_api.kb import routes as kb_routes
from triage_api.kb.service import KnowledgeBase
from triage_api.lifecycle import routes as lifecycle_routes
from triage_api.lifecycle.service import Lifecycle
from triage_api.queues import routes as queue_routes
from triage_api.queues.service import Queues
from triage_api.shopper import routes as shopper_routes
from triage_api.shopper.service import ShopperLookup
from triage_api.sla import routes as sla_routes
from triage_api.sla.monitor import SlaMonitor
from triage_api.sla.service import Escalations
from triage_api.tickets import routes as ticket_routes
from triage_api.tickets.keys import TicketKeys
from triage_api.triage.policy import TriagePolicy

log = logging.getLogger(__name__)


def create_app(
    settings: Settings | None = None, retrieval_settings: RetrievalSettings | None = None
) -> FastAPI:
    settings = settings or get_settings()
    policy = TriagePolicy.load(settings.policy_path)

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        redis = connect(settings.redis_url, settings.redis_max_connections)
        app.state.redis = redis
        install_services(app, settings, policy, redis)
        tasks: list[asyncio.Task[None]] = [
            asyncio.create_task(app.state.push_hub.run(), name="push-hub"),
            asyncio.create_task(app.state.relay.run(), name="relay"),
            asyncio.create_task(app.state.inbox.run(), name="handoff-inbox"),
        ]
        if settings.sla_check_interval > 0:
            tasks.append(asyncio.create_task(app.state.sla_monitor.run(), name="sla-monitor"))
        if settings.retention_check_interval > 0:
            tasks.append(asyncio.create_task(app.state.retention.run(), name="retention"))
        app.state.knowledge_base = None
        if settings.kb_enabled:
            knowledge_base = KnowledgeBase(retrieval_settings or get_retrieval_settings())
            await knowledge_base.refresh()
            app.state.knowledge_base = knowledge_base
            tasks.append(asyncio.create_task(knowledge_base.watch(), name="kb-watch"))
        log.info("triage API ready (%s mode, policy %s)", settings.env.value, policy.version)
        try:
            yield
        finally:
            await stop_tasks(tasks)
            await close_within(app.state.eraser.trackers.aclose(), "the bot's tracker store")
            await close_within(redis.aclose(), "Redis")

    app = FastAPI(
        title="Triage API",
        version="1.0.0",
        description="Handoffs from the intake bot, triaged into queues with deadlines.",
        lifespan=lifespan,
    )
    app.state.settings = settings
    app.state.tokens = TokenRegistry.from_settings(settings)
    app.state.knowledge_base = None
    install_error_handlers(app)
    app.add_middleware(BodySizeLimit, max_bytes=settings.max_body_bytes)
    app.state.metrics = ApiMetrics(TicketKeys(settings.key_prefix))
    app.add_middleware(RequestTimer, metrics=app.state.metrics)
    app.include_router(health.router)
    app.include_router(metrics_router)
    app.include_router(ticket_routes.router)
    app.include_router(lifecycle_routes.router)
    app.include_router(queue_routes.router)
    app.include_router(shopper_routes.router)
    app.include_router(analytics_routes.router)
    app.include_router(sla_routes.router)
    app.include_router(kb_routes.router)
    app.include_router(conversation_routes.router)
    app.include_router(console_routes.router)
    app.include_router(erasure_routes.router)
    document_errors(app)
    app.mount("/static", StaticFiles(directory=console_routes.STATIC_DIR), name="static")
    return app


def install_services(app: FastAPI, settings: Settings, policy: TriagePolicy, redis: Redis) -> None:
    """One instance of each domain service per process, on `app.state` for the routes."""
    keys = TicketKeys(settings.key_prefix)
    timezone = ZoneInfo(settings.analytics_timezone)
    analytics_keys = AnalyticsKeys(settings.key_prefix)
    recorder = AnalyticsRecorder(analytics_keys, timezone)
    store = CountedTicketStore(redis, keys, policy, recorder, metrics=app.state.metrics)
    app.state.tickets = store
    lifecycle = Lifecycle(store, policy, recorder)
    app.state.lifecycle = lifecycle
    app.state.conversations = Conversations(redis, keys, store, lifecycle, settings.relay_quiet_seconds)
    app.state.push_hub = PushHub(redis, keys)
    app.state.relay = Relay(redis, keys, store)
    app.state.inbox = HandoffInbox(store, keys)
    app.state.queues = Queues(redis, keys, store, recorder, app.state.tokens, settings.agent_capacity)
    app.state.rate_limiter = RateLimiter(redis, settings.key_prefix)
    app.state.shopper = ShopperLookup(
        store,
        app.state.rate_limiter,
        window=settings.shopper_lookup_window,
        per_client=settings.shopper_lookups_per_ip,
        per_ticket=settings.shopper_lookups_per_ticket,
    )
    app.state.analytics = AnalyticsService(redis, analytics_keys, timezone)
    app.state.escalations = Escalations(redis, keys, store)
    app.state.sla_monitor = SlaMonitor(redis, keys, store, policy, recorder, settings.sla_check_interval)
    trackers = BotTrackers(settings.tracker_redis_url, settings.tracker_key_prefix)
    app.state.eraser = Eraser(redis, keys, trackers)
    app.state.retention = RetentionSweeper(
        app.state.eraser, settings.closed_ticket_retention_days, settings.retention_check_interval
    )


def main() -> None:
    settings = get_settings()
    configure_logging(settings.log_level)
    uvicorn.run(
        create_app(settings),
        host=settings.host,
        port=settings.port,
        log_config=None,
        access_log=True,
        # Open push streams (shoppers' pages, consoles) never end by themselves: a stopping API
        # gives them this long, then closes them; the pages reconnect to another process.
        timeout_graceful_shutdown=settings.shutdown_grace_seconds,
    )


if __name__ == "__main__":
    main()
