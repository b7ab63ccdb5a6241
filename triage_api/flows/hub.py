"""The push hub of one API process: one blocking Redis read fans ticket events out to the
console's live views and chat messages to the shoppers' pages, however many are connected."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections import defaultdict
from collections.abc import Iterator

from redis.asyncio import Redis
from redis.exceptions import RedisError

from triage_api.flows.consumer import Entry, cancelled, stream_entries
from triage_api.tickets.keys import TicketKeys

log = logging.getLogger(__name__)

_SUBSCRIBER_BUFFER = 1000


class PushHub:
    def __init__(self, redis: Redis, keys: TicketKeys, block_ms: int = 2000) -> None:
        self.redis = redis
        self.keys = keys
        self.block_ms = block_ms
        self._chat: dict[str, set[asyncio.Queue[Entry]]] = defaultdict(set)
        self._console: set[asyncio.Queue[Entry]] = set()

    @contextlib.contextmanager
    def conversation(self, conversation_id: str) -> Iterator[asyncio.Queue[Entry]]:
        queue: asyncio.Queue[Entry] = asyncio.Queue(_SUBSCRIBER_BUFFER)
        self._chat[conversation_id].add(queue)
        try:
            yield queue
        finally:
            self._chat[conversation_id].discard(queue)
            if not self._chat[conversation_id]:
                del self._chat[conversation_id]

    @contextlib.contextmanager
    def console(self) -> Iterator[asyncio.Queue[Entry]]:
        queue: asyncio.Queue[Entry] = asyncio.Queue(_SUBSCRIBER_BUFFER)
        self._console.add(queue)
        try:
            yield queue
        finally:
            self._console.discard(queue)

    @staticmethod
    def _offer(queue: asyncio.Queue[Entry], entry: Entry) -> None:
        with contextlib.suppress(asyncio.QueueFull):  # a stalled reader loses live pushes, not replay
            queue.put_nowait(entry)

    def _dispatch(self, stream: str, entries: list[Entry]) -> None:
        for entry_id, fields in entries:
            entry = (entry_id, fields)
            if stream == self.keys.events():
                for queue in list(self._console):
                    self._offer(queue, entry)
            # Chat messages, and the changes of a conversation's ticket (its page shows the status).
            for queue in list(self._chat.get(fields.get("conversation_id", ""), ())):
                self._offer(queue, entry)

    async def _last_ids(self) -> dict[str, str]:
        ids = {}
        for stream in (self.keys.events(), self.keys.chat_feed()):
            last = await self.redis.xrevrange(stream, count=1)
            ids[stream] = str(last[0][0]) if last else "0-0"
        return ids

    async def run(self) -> None:
        # Kept across Redis errors: after a reconnect the hub goes on from the last entry it saw,
        # so nothing written meanwhile is skipped. Blocking reads stay well under the client's
        # read timeout.
        last: dict[str, str] | None = None
        while True:
            try:
                if last is None:
                    last = await self._last_ids()
                while not cancelled():
                    found = await self.redis.xread(last, block=self.block_ms, count=500)  # type: ignore[arg-type]
                    for name, rows in stream_entries(found):
                        if rows:
                            last[name] = rows[-1][0]
                            self._dispatch(name, rows)
                raise asyncio.CancelledError
            except asyncio.CancelledError:
                raise
            except (RedisError, OSError) as error:
                if cancelled():
                    raise asyncio.CancelledError from error  # redis-py turned our cancellation into an error
                log.warning("push hub: Redis unavailable (%s); retrying in 1 s", error)
                await asyncio.sleep(1.0)
