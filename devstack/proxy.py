"""A small TCP round-robin proxy: each new connection goes to the next backend (several Rasa servers
behind one address, as a load balancer puts them in a deployment). Runs in a background thread.

Connections, not requests, are balanced: a client that keeps one connection alive stays on one
backend, as behind most L4 balancers; a backend that refuses is skipped for that connection.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import threading

CHUNK = 64 * 1024


class RoundRobinProxy:
    def __init__(self, port: int, backends: list[tuple[str, int]], host: str = "127.0.0.1") -> None:
        self.host, self.port = host, port
        self.backends = list(backends)
        self.connections = [0] * len(self.backends)  # how many connections each backend got
        self._next = itertools.cycle(range(len(self.backends)))
        self._loop: asyncio.AbstractEventLoop | None = None
        self._server: asyncio.Server | None = None
        self._ready = threading.Event()
        self._thread: threading.Thread | None = None

    async def _pipe(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while chunk := await reader.read(CHUNK):
                writer.write(chunk)
                await writer.drain()
        except (ConnectionError, asyncio.CancelledError):
            pass
        finally:
            with contextlib.suppress(Exception):
                writer.close()

    async def _open_backend(self) -> tuple[asyncio.StreamReader, asyncio.StreamWriter] | None:
        for _ in self.backends:
            index = next(self._next)
            host, port = self.backends[index]
            try:
                streams = await asyncio.open_connection(host, port)
            except OSError:
                continue  # that instance is down (restarting): the next one takes the connection
            self.connections[index] += 1
            return streams
        return None

    async def _handle(self, client_reader: asyncio.StreamReader, client_writer: asyncio.StreamWriter) -> None:
        backend = await self._open_backend()
        if backend is None:
            client_writer.close()
            return
        backend_reader, backend_writer = backend
        await asyncio.gather(
            self._pipe(client_reader, backend_writer), self._pipe(backend_reader, client_writer)
        )

    async def _serve(self) -> None:
        self._server = await asyncio.start_server(self._handle, self.host, self.port)
        self._ready.set()
        async with self._server:
            await self._server.serve_forever()

    def start(self) -> None:
        def run() -> None:
            self._loop = asyncio.new_event_loop()
            with contextlib.suppress(asyncio.CancelledError):
                self._loop.run_until_complete(self._serve())

        self._thread = threading.Thread(target=run, name="round-robin-proxy", daemon=True)
        self._thread.start()
        if not self._ready.wait(10):
            raise RuntimeError(f"the proxy could not listen on {self.host}:{self.port}")

    def _shutdown(self) -> None:
        if self._server is not None:
            self._server.close()
        for task in asyncio.all_tasks():
            task.cancel()

    def stop(self) -> None:
        if self._loop is not None:
            self._loop.call_soon_threadsafe(self._shutdown)
        if self._thread is not None:
            self._thread.join(timeout=10)
