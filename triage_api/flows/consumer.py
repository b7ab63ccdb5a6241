"""A Redis stream consumer group worker: each entry is handled by one API process, once acked.

Entries a dead process had taken are claimed again after `claim_idle_ms`; an entry whose handler
fails is retried on the next pass, never dropped silently.
"""

from __future__ import annotations

import asyncio
import logging
import os
import socket
import time
from collections.abc import Awaitable, Callable
from typing import Any

from redis.asyncio import Redis
from redis.exceptions import RedisError, ResponseError

log = logging.getLogger(__name__)

Handler = Callable[[str, dict[str, str]], Awaitable[None]]
Entry = tuple[str, dict[str, str]]


def stream_entries(reply: Any) -> list[tuple[str, list[Entry]]]:
    """XREAD / XREADGROUP replies as (stream, [(id, fields)]) with plain strings."""
    return [
        (str(stream), [(str(i), {str(k): str(v) for k, v in (f or {}).items()}) for i, f in entries])
        for stream, entries in (reply or [])
    ]


def cancelled() -> bool:
    """This task was asked to stop, even if a library swallowed the CancelledError on the way."""
    task = asyncio.current_task()
    return task is not None and task.cancelling() > 0


class StreamWorker:
    def __init__(
        self,
        redis: Redis,
        stream: str,
        group: str,
        handle: Handler,
        *,
        start_at: str = "$",
        block_ms: int = 1000,
        claim_idle_ms: int = 30_000,
        order_by: str | None = None,
        delete_handled: bool = False,
    ) -> None:
        self.redis = redis
        self.stream = stream
        self.group = group
        self.handle = handle
        self.start_at = start_at
        self.block_ms = block_ms
        self.claim_idle_ms = claim_idle_ms
        self.order_by = order_by  # a field whose entries must be handled in order (None: all)
        # The stream's only reader: a handled entry is deleted, not kept for anyone else.
        self.delete_handled = delete_handled
        self.consumer = f"{socket.gethostname()}-{os.getpid()}"
        self._own_pending = True  # read this consumer's unacknowledged entries on the next pass
        self._next_claim = 0.0  # monotonic time of the next look for a dead consumer's entries

    async def ensure_group(self) -> None:
        try:
            await self.redis.xgroup_create(self.stream, self.group, id=self.start_at, mkstream=True)
        except ResponseError as error:
            if "BUSYGROUP" not in str(error):
                raise

    async def _handle_in_order(self, entries: list[Entry]) -> None:
        for entry_id, fields in entries:
            try:
                await self.handle(entry_id, fields)
            except Exception:
                log.exception("%s: entry %s failed; it stays pending and is retried", self.group, entry_id)
                self._own_pending = True
                continue
            await self.redis.xack(self.stream, self.group, entry_id)
            if self.delete_handled:
                await self.redis.xdel(self.stream, entry_id)

    async def _handle_all(self, entries: list[Entry]) -> None:
        """Entries of one `order_by` value in stream order; different values side by side."""
        if self.order_by is None:
            await self._handle_in_order(entries)
            return
        lanes: dict[str, list[Entry]] = {}
        for entry in entries:
            lanes.setdefault(entry[1].get(self.order_by, ""), []).append(entry)
        await asyncio.gather(*(self._handle_in_order(lane) for lane in lanes.values()))

    async def run_once(self, block_ms: int | None = None) -> int:
        """Handles this consumer's pending entries (at start and after a failure), others' stale
        ones (at most every half idle time), then new ones."""
        handled = 0
        if self._own_pending:
            self._own_pending = False
            pending = await self.redis.xreadgroup(self.group, self.consumer, {self.stream: "0"}, count=100)
            for _, entries in stream_entries(pending):
                await self._handle_all(entries)
                handled += len(entries)
        if time.monotonic() >= self._next_claim:
            self._next_claim = time.monotonic() + self.claim_idle_ms / 2000
            claimed = await self.redis.xautoclaim(
                self.stream, self.group, self.consumer, min_idle_time=self.claim_idle_ms, count=100
            )
            stale = stream_entries([("", claimed[1])])[0][1] if claimed else []
            await self._handle_all(stale)
            handled += len(stale)
        fresh = await self.redis.xreadgroup(
            self.group,
            self.consumer,
            {self.stream: ">"},
            count=100,
            block=self.block_ms if block_ms is None else block_ms,
        )
        for _, entries in stream_entries(fresh):
            await self._handle_all(entries)
            handled += len(entries)
        return handled

    async def run(self) -> None:
        while True:
            try:
                await self.ensure_group()
                while not cancelled():
                    await self.run_once()
                raise asyncio.CancelledError
            except asyncio.CancelledError:
                raise
            except (RedisError, OSError) as error:
                if cancelled():
                    raise asyncio.CancelledError from error  # redis-py turned our cancellation into an error
                log.warning("%s worker: Redis unavailable (%s); retrying in 1 s", self.group, error)
                self._own_pending = True  # an entry may have been handled but not acknowledged
                await asyncio.sleep(1.0)
