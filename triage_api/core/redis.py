"""The one asyncio Redis connection pool of the API process."""

from __future__ import annotations

from redis.asyncio import Redis


def connect(url: str) -> Redis:
    return Redis.from_url(url, decode_responses=True, health_check_interval=30)
