"""The one asyncio Redis connection pool of the API process."""

from __future__ import annotations

from redis.asyncio import BlockingConnectionPool, Redis
from redis.asyncio.retry import Retry
from redis.backoff import ExponentialBackoff
from redis.exceptions import ConnectionError, TimeoutError


def connect(url: str, max_connections: int = 100, wait_seconds: float = 5.0) -> Redis:
    """A bounded pool that makes a request wait for a free connection (up to `wait_seconds`)
    rather than fail at once when every connection is busy. A command that meets a dropped
    connection (Redis restarted: every pooled connection is dead) reconnects and is sent again,
    up to three times within about a second, instead of failing the request."""
    pool = BlockingConnectionPool.from_url(
        url,
        max_connections=max_connections,
        timeout=wait_seconds,
        decode_responses=True,
        health_check_interval=30,
        retry=Retry(ExponentialBackoff(cap=0.5, base=0.05), 3),
        retry_on_error=[ConnectionError, TimeoutError],
    )
    return Redis.from_pool(pool)
