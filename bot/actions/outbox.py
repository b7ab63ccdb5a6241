"""Handoffs that could not reach the triage API are stored in Redis, never dropped.

The triage API drains this stream (its handoff inbox) as soon as it runs again, and delivers
each handoff exactly once, by its `handoff_key`. The stream name and the entry shape (one field
`handoff` with the JSON body of POST /api/v1/handoffs) are the contract between the two.
"""

from __future__ import annotations

import json
import logging
from typing import Any, Dict, Optional

from redis.asyncio import Redis
from redis.asyncio.retry import Retry
from redis.backoff import ExponentialBackoff
from redis.exceptions import ConnectionError, RedisError, TimeoutError

from actions.settings import get_settings

log = logging.getLogger(__name__)

_redis: Optional[Redis] = None


def _client() -> Redis:
    global _redis
    if _redis is None:
        settings = get_settings()
        _redis = Redis.from_url(  # a dropped connection (Redis restarted) reconnects and resends
            settings.redis_url,
            socket_timeout=3,
            socket_connect_timeout=3,
            retry=Retry(ExponentialBackoff(cap=0.5, base=0.05), 3),
            retry_on_error=[ConnectionError, TimeoutError],
        )
    return _redis


async def store_handoff(payload: Dict[str, Any]) -> bool:
    """Appends the handoff to the API's inbox stream; False when Redis is unreachable too."""
    settings = get_settings()
    try:
        await _client().xadd(
            settings.handoff_inbox_stream,
            {"handoff": json.dumps(payload, ensure_ascii=False), "actor": "bot"},
            maxlen=100_000,
            approximate=True,
        )
    except (RedisError, OSError) as error:
        log.error("handoff could not be stored either: %s", type(error).__name__)
        return False
    return True
