"""Starts the action server on the configured interface, open only to callers with its secret.

`rasa run actions` listens on every interface and answers anyone: a forged tracker posted to
`/webhook` could create an urgent ticket with the bot's credentials. Here the same rasa-sdk app
binds to `ACTIONS_HOST` (127.0.0.1 unless configured) and refuses, before any action runs, a
request that does not carry `ACTIONS_SERVER_SECRET` (Rasa sends it as `?token=`, configured in
endpoints.yml). `/health` stays open for health checks. Without a secret it does not start.

Run: `python -m actions.serve` from `bot/`.
"""

from __future__ import annotations

import hmac
import logging
import sys

from sanic import Sanic, response
from sanic.request import Request
from sanic.response import HTTPResponse

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
        given = request.args.get("token") or ""
        if hmac.compare_digest(given.encode(), secret.encode()):
            return None
        log.warning("refused a call to %s without the action server's secret", request.path)
        return response.json({"error": "unauthorized"}, status=401)


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
    log.info("action server on http://%s:%d (secret required)", settings.host, settings.port)
    app.run(settings.host, settings.port, workers=1, access_log=False)
    return 0


if __name__ == "__main__":
    sys.exit(main())
