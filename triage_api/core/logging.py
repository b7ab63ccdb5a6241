"""Logging that never writes a shopper's phone number, address or name: every record is masked
when it is made (`pii.logs`), the access log's query strings dropped."""

from __future__ import annotations

import logging

from pii import logs


def configure_logging(level: str) -> None:
    logs.install()
    handler = logging.StreamHandler()
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
    for name in ("uvicorn", "uvicorn.access", "uvicorn.error"):
        logging.getLogger(name).handlers[:] = []
        logging.getLogger(name).propagate = True
