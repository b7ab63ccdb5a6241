"""Request rate limits: moving windows (the `limits` library) counted in the API's own Redis, and
the 429 with Retry-After that every limited route answers."""

from __future__ import annotations

import math
import time
from typing import Any

from fastapi import Request
from limits import RateLimitItem, RateLimitItemPerSecond
from limits.aio.storage import RedisStorage
from limits.aio.strategies import MovingWindowRateLimiter
from redis.asyncio import Redis

from triage_api.core.errors import DomainError


class RateLimited(DomainError):
    status_code = 429
    code = "rate_limited"


def per_window(scope: str, amount: int, seconds: int) -> RateLimitItem:
    """At most `amount` requests in any `seconds`, counted apart from every other scope."""
    return RateLimitItemPerSecond(amount, seconds, namespace=scope)


class RateLimiter:
    """One per process; its keys live under `<key_prefix>:ratelimit:` in the API's Redis."""

    def __init__(self, redis: Redis, key_prefix: str) -> None:
        # The API's bounded pool, not a second one: limits waits for a connection like any request.
        pool: Any = redis.connection_pool
        storage = RedisStorage(
            "async+redis://",
            implementation="redispy",
            key_prefix=f"{key_prefix}:ratelimit",
            connection_pool=pool,
        )
        self._strategy = MovingWindowRateLimiter(storage)

    async def hit(self, limit: RateLimitItem, caller: str, message: str) -> None:
        """Counts one request of `caller`; a caller whose window is full gets 429 and is not counted."""
        if await self._strategy.hit(limit, caller):
            return
        stats = await self._strategy.get_window_stats(limit, caller)
        retry = max(1, math.ceil(stats.reset_time - time.time()))
        raise RateLimited(message, headers={"Retry-After": str(retry)})


def rate_limiter(request: Request) -> RateLimiter:
    limiter: RateLimiter = request.app.state.rate_limiter
    return limiter


def client_address(request: Request) -> str:
    """The caller's address; X-Forwarded-For only when a trusted proxy is configured to set it."""
    if request.app.state.settings.trust_forwarded_for:
        forwarded = request.headers.get("x-forwarded-for", "").split(",")[0].strip()
        if forwarded:
            return forwarded[:64]
    return request.client.host if request.client else "unknown"
