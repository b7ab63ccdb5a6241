"""Starts the action server on the configured interface, open only to callers with its secret.

`rasa run actions` listens on every interface and answers anyone: a forged tracker posted to
`/webhook` could create an urgent ticket with the bot's credentials. Here the same rasa-sdk app
binds to `ACTIONS_HOST` (127.0.0.1 unless configured) and refuses, before any action runs, a
request that does not carry `ACTIONS_SERVER_SECRET` (Rasa sends it as `?token=`, configured in
endpoints.yml; Prometheus as `Authorization: Bearer`, from a file, so the secret stays out of its
pages). `/health` stays open for health checks. Without a secret it does not start. `/metrics`
(same secret) counts the actions run, their latency and the handoffs (actions/metrics.py).

Run: `python -m actions.serve` from `bot/`.
"""

from __future__ import annotations

import hmac
import json
import logging
import sys
import time
import zlib
from typing import Optional

from prometheus_client.exposition import choose_encoder
from sanic import Sanic, response
from sanic.exceptions import InvalidUsage
from sanic.request import Request
from sanic.response import HTTPResponse

from actions import metrics
from actions.settings import get_settings
from pii import logs

log = logging.getLogger(__name__)
OPEN_PATHS = frozenset({"/health"})


def require_secret(app: Sanic, secret: str) -> None:
    """Answers 401 to every request but /health that lacks the shared secret."""

    @app.on_request
    async def check_secret(request: Request) -> HTTPResponse | None:
        if request.path in OPEN_PATHS:
            return None
        given = request.args.get("token") or _bearer(request)
        if hmac.compare_digest(given.encode(), secret.encode()):
            return None
        log.warning("refused a call to %s without the action server's secret", request.path)
        return response.json({"error": "unauthorized"}, status=401)


def _bearer(request: Request) -> str:
    scheme, _, credentials = (request.headers.get("authorization") or "").partition(" ")
    return credentials.strip() if scheme.lower() == "bearer" else ""


def _action_name(request: Request) -> str:
    """`next_action` of Rasa's call, read as rasa-sdk reads it (plain or deflated JSON)."""
    try:
        if request.headers.get("Content-Encoding") == "deflate":
            call = json.loads(zlib.decompress(request.body))
        else:
            call = request.json
    except (ValueError, zlib.error, InvalidUsage):
        return "unknown"
    name = call.get("next_action") if isinstance(call, dict) else None
    return name if isinstance(name, str) else "unknown"


def serve_metrics(app: Sanic) -> None:
    """Times each action call (`/webhook`, once the secret was checked) and serves /metrics."""

    @app.on_request
    async def start_clock(request: Request) -> None:
        if request.path == "/webhook":
            request.ctx.action_started = time.perf_counter()

    @app.on_response
    async def count_action(request: Request, answer: HTTPResponse) -> None:
        started: Optional[float] = getattr(request.ctx, "action_started", None)
        if started is None:
            return
        # rasa-sdk answers 404 for an action it does not have: no label for names it never ran.
        name = _action_name(request) if answer.status != 404 else "unknown"
        metrics.ACTION_SECONDS.labels(action=name).observe(time.perf_counter() - started)
        metrics.ACTION_RUNS.labels(action=name, outcome=metrics.outcome_of(answer.status)).inc()

    @app.get("/metrics")
    async def exposition(request: Request) -> HTTPResponse:
        encode, content_type = choose_encoder(request.headers.get("accept") or "")
        return response.raw(encode(metrics.REGISTRY), content_type=content_type)


def main() -> int:
    from rasa_sdk.endpoint import create_app

    logs.install()  # phones, addresses, names and query strings never reach the log
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s - %(message)s")
    settings = get_settings()
    if not settings.server_secret:
        log.error("ACTIONS_SERVER_SECRET is not set: the action server refuses to start without it")
        return 2
    app = create_app("actions", cors_origins=None)
    require_secret(app, settings.server_secret)
    serve_metrics(app)
    log.info("action server on http://%s:%d (secret required)", settings.host, settings.port)
    app.run(settings.host, settings.port, workers=1, access_log=False)
    return 0


if __name__ == "__main__":
    sys.exit(main())
