"""The one asyncio Redis connection pool of the API process."""

from __future__ import annotations

from redis.asyncio import BlockingConnectionPool, Redis


def connect(url: str, max_connections: int = 100, wait_seconds: float = 5.0) -> Redis:
    """A bounded pool that makes a request wait for a free connection (up to `wait_seconds`)
    rather than fail at once when every connection is busy."""
    pool = BlockingConnectionPool.from_url(
        url,
        max_connections=max_connections,
        timeout=wait_seconds,
        decode_responses=True,
        health_check_interval=30,
    )
    return Redis.from_pool(pool)
