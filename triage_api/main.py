"""The triage API application: `uvicorn triage_api.main:app` or `python -m triage_api.main`."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator

import uvicorn
from fastapi import FastAPI

from knowledge_base.retrieval.settings import RetrievalSettings, get_retrieval_settings
from triage_api import health
from triage_api.core.errors import BodySizeLimit, install_error_handlers
from triage_api.core.logging import configure_logging
from triage_api.core.redis import connect
from triage_api.core.security import TokenRegistry
from triage_api.core.settings import Settings, get_settings
from triage_api.kb import routes as kb_routes
from triage_api.kb.service import KnowledgeBase
from triage_api.tickets import routes as ticket_routes
from triage_api.tickets.keys import TicketKeys
from triage_api.tickets.service import TicketStore
from triage_api.triage.policy import TriagePolicy

log = logging.getLogger(__name__)


def create_app(
    settings: Settings | None = None, retrieval_settings: RetrievalSettings | None = None
) -> FastAPI:
    settings = settings or get_settings()
    policy = TriagePolicy.load(settings.policy_path)

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        redis = connect(settings.redis_url)
        app.state.redis = redis
        app.state.tickets = TicketStore(redis, TicketKeys(settings.key_prefix), policy)
        tasks: list[asyncio.Task[None]] = []
        app.state.knowledge_base = None
        if settings.kb_enabled:
            knowledge_base = KnowledgeBase(retrieval_settings or get_retrieval_settings())
            await knowledge_base.refresh()
            app.state.knowledge_base = knowledge_base
            tasks.append(asyncio.create_task(knowledge_base.watch()))
        log.info("triage API ready (%s mode, policy %s)", settings.env.value, policy.version)
        try:
            yield
        finally:
            for task in tasks:
                task.cancel()
            await redis.aclose()

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
    app.include_router(health.router)
    app.include_router(ticket_routes.router)
    app.include_router(kb_routes.router)
    return app


def main() -> None:
    settings = get_settings()
    configure_logging(settings.log_level)
    uvicorn.run(
        create_app(settings),
        host=settings.host,
        port=settings.port,
        log_config=None,
        access_log=True,
    )


if __name__ == "__main__":
    main()
