"""Relay latency benchmark: an agent's reply to the shopper's screen, a handoff to the console.

Starts its own embedded Redis (AOF on, as deployed) and the API (one uvicorn process, its own event
loop) on free loopback ports in a temporary directory. N conversations run concurrently, each with
a shopper's SSE client on GET /api/v1/chat/{conversation_id}/events and one console SSE client on
GET /api/v1/console/events for all of them:

- handoff → console: POST /api/v1/handoffs (all N at once) until the console's `ticket` event with
  action `created` for that ticket arrives;
- reply → shopper: each conversation's agent claims a ticket and sends R replies one after the
  other, each timed from sending POST /api/v1/tickets/{id}/replies until the shopper's client gets
  the `message` event (role agent) with that text — the API's reply transaction, the event stream,
  the relay worker, the chat feed, the push hub and the SSE response;
- baseline, same run, same clients: the bare push channel — the benchmark itself XADDs the message
  to the conversation's chat stream and then to the chat feed (what the relay's script does) and
  times until the shopper's client sees it: push hub + SSE only, no reply transaction, no relay;
- GET /health round trips (HTTP stack + Redis PING) for scale.

Order: health (1 client, then N), baseline, handoffs, claims, replies, baseline again. Each phase
that times pushes starts after one untimed warm-up push has come through; the run also reports
push-hub restarts and lost pushes (a hub that lost its place after a Redis read timeout used to
skip what was written meanwhile).

CPU seconds of the load generator, the API process, Redis and the rest of the machine are read per
phase (the load generator must not be the bottleneck, and other load inflates every number),
together with the worst stall of the generator's event loop (which would delay arrival timestamps).

Run: `.venv/bin/python bench/relay.py [--conversations 50] [--replies 5]`.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from types import FrameType
from typing import Any

import httpx
from redis.asyncio import Redis
from redis.typing import EncodableT, FieldT

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from triage_load import agent_tokens, free_port, stop  # the sibling bench's process helpers

from devstack.redis_server import start_redis, wait_for_port
from triage_api.conversations.service import sign_conversation
from triage_api.core.security import hash_token
from triage_api.tickets.keys import TicketKeys

REPO_ROOT = Path(__file__).resolve().parents[1]
KEY_PREFIX = "triage"
CHAT_SECRET = "bench-relay-chat-secret-not-for-production"
BOT_TOKEN = "bench-bot-token"
ARRIVAL_TIMEOUT = 30.0  # seconds a pushed message may take before it counts as lost
SSE_TIMEOUT = httpx.Timeout(30.0, read=None)  # the streams only send a heartbeat every 15 s
WARM_UP_REQUESTS = 20
STOP_SIGNALS = (signal.SIGTERM, signal.SIGHUP)


@dataclass
class Measure:
    name: str
    concurrency: int
    latencies_ms: list[float] = field(default_factory=list)
    errors: int = 0

    def percentile(self, q: float) -> float:
        if not self.latencies_ms:
            return float("nan")
        ordered = sorted(self.latencies_ms)
        return ordered[min(len(ordered) - 1, round(q / 100 * (len(ordered) - 1)))]

    @property
    def maximum(self) -> float:
        return max(self.latencies_ms) if self.latencies_ms else float("nan")


@dataclass
class Usage:
    """What one phase cost: wall time and CPU seconds of each process, the generator's worst stall."""

    name: str
    wall: float
    generator: float
    api: float
    redis: float
    others: float  # the rest of the machine: other processes competing for the same CPUs
    loop_lag_ms: float


@dataclass
class Report:
    measures: list[Measure]
    usage: list[Usage]
    unexpected_messages: int
    console_events: int
    warm_up_pushes_lost: int


def process_cpu_seconds(pid: int) -> float:
    """User + system CPU seconds of a process (all its threads), from /proc."""
    with open(f"/proc/{pid}/stat") as stat:
        fields = stat.read().rpartition(")")[2].split()
    # fields[0] is field 3 (state) of proc(5); utime and stime are fields 14 and 15.
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def machine_busy_seconds() -> float:
    """CPU seconds all CPUs spent busy since boot (everything but idle and iowait), from /proc/stat."""
    with open("/proc/stat") as stat:
        ticks = [int(value) for value in stat.readline().split()[1:]]
    return (sum(ticks[:8]) - ticks[3] - ticks[4]) / os.sysconf("SC_CLK_TCK")


class LoopLag:
    """The worst lateness of a short sleep on the generator's event loop: a busy generator would
    timestamp arrivals late."""

    def __init__(self, interval: float = 0.005) -> None:
        self.interval = interval
        self.worst = 0.0

    async def run(self) -> None:
        while True:
            started = time.perf_counter()
            await asyncio.sleep(self.interval)
            self.worst = max(self.worst, time.perf_counter() - started - self.interval)

    def take_ms(self) -> float:
        worst, self.worst = self.worst, 0.0
        return worst * 1000


class Meter:
    def __init__(self, api_pid: int, redis_pid: int, lag: LoopLag) -> None:
        self.api_pid = api_pid
        self.redis_pid = redis_pid
        self.lag = lag
        self.usage: list[Usage] = []

    def _snapshot(self) -> tuple[float, float, float, float, float]:
        return (
            time.perf_counter(),
            time.process_time(),
            process_cpu_seconds(self.api_pid),
            process_cpu_seconds(self.redis_pid),
            machine_busy_seconds(),
        )

    @contextlib.contextmanager
    def phase(self, name: str) -> Iterator[None]:
        print(f"… {name}", file=sys.stderr, flush=True)
        self.lag.take_ms()
        before = self._snapshot()
        yield
        after = self._snapshot()
        wall, generator, api, redis, busy = (b - a for a, b in zip(before, after, strict=True))
        others = max(0.0, busy - generator - api - redis)
        self.usage.append(Usage(name, wall, generator, api, redis, others, self.lag.take_ms()))


@dataclass
class SseEvent:
    event: str
    data: dict[str, Any]
    at: float  # perf_counter when the event's closing blank line was read


async def sse_events(response: httpx.Response) -> AsyncIterator[SseEvent]:
    event = "message"
    data: list[str] = []
    async for line in response.aiter_lines():
        if not line:
            if data:
                yield SseEvent(event, json.loads("\n".join(data)), time.perf_counter())
            event, data = "message", []
            continue
        if line.startswith(":"):
            continue  # heartbeat
        name, _, value = line.partition(":")
        value = value[1:] if value.startswith(" ") else value
        if name == "event":
            event = value
        elif name == "data":
            data.append(value)


class ShopperStream:
    """The shopper's page: one SSE connection; resolves the futures of the texts it waits for."""

    def __init__(self, conversation_id: str) -> None:
        self.conversation_id = conversation_id
        self.connected = asyncio.Event()
        self.messages = 0
        self.progress = 0  # the relay's progress notes (claimed, transferred, …)
        self.unexpected = 0  # agent messages nobody waited for (duplicates, other conversations)
        self._waiting: dict[str, asyncio.Future[float]] = {}

    def pending(self) -> int:
        return len(self._waiting)

    def expect(self, text: str) -> asyncio.Future[float]:
        future: asyncio.Future[float] = asyncio.get_running_loop().create_future()
        self._waiting[text] = future
        return future

    async def run(self, client: httpx.AsyncClient) -> None:
        headers = {"X-Chat-Token": sign_conversation(CHAT_SECRET, self.conversation_id)}
        url = f"/api/v1/chat/{self.conversation_id}/events"
        async with client.stream("GET", url, headers=headers) as response:
            response.raise_for_status()
            async for event in sse_events(response):
                if event.event == "state":
                    self.connected.set()
                elif event.event == "message":
                    self.messages += 1
                    self.progress += event.data.get("kind") == "progress"
                    if event.data.get("role") != "agent":
                        continue
                    future = self._waiting.pop(str(event.data.get("text")), None)
                    wrong_conversation = event.data.get("conversation_id") != self.conversation_id
                    if future is None or future.done() or wrong_conversation:
                        self.unexpected += 1
                    else:
                        future.set_result(event.at)


class ConsoleStream:
    """The agent console's live view: when each ticket's `created` event arrived."""

    def __init__(self, token: str) -> None:
        self.token = token
        self.ready = asyncio.Event()
        self.created: dict[str, float] = {}
        self.events = 0

    async def run(self, client: httpx.AsyncClient) -> None:
        headers = {"Authorization": f"Bearer {self.token}"}
        async with client.stream("GET", "/api/v1/console/events", headers=headers) as response:
            response.raise_for_status()
            async for event in sse_events(response):
                if event.event == "ready":
                    self.ready.set()
                elif event.event == "ticket":
                    self.events += 1
                    if event.data.get("action") == "created":
                        self.created.setdefault(str(event.data.get("ticket_id")), event.at)

    async def wait_for(self, ticket_ids: set[str], timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while not ticket_ids <= self.created.keys() and time.monotonic() < deadline:
            await asyncio.sleep(0.01)


def handoff_body(index: int) -> dict[str, Any]:
    """tests/triage_api/conftest.py `handoff()` with `case(index)`: its own conversation, shopper
    and order, so no case is a repeat complaint of another."""
    return {
        "conversation_id": f"relay-{index}",
        "channel": "app_chat",
        "order_id": f"DY{index:016d}",
        "issue_type": "promotion_rules",
        "remedy": "compensation",
        "transcript": [{"role": "user", "text": "优惠券用不了，我要补偿", "ts": 1764000000.0}],
        "customer": {"id": f"shopper-{index}", "vip": False, "phone": "13812345678"},
        "reason": "intake_complete",
    }


def token_config(agents: dict[str, str]) -> str:
    entries = [{"name": "bench-bot", "role": "bot", "token_sha256": hash_token(BOT_TOKEN)}]
    entries += [{"name": name, "role": "agent", "token_sha256": hash_token(t)} for name, t in agents.items()]
    return json.dumps(entries)


def start_api(redis_port: int, port: int, agents: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    env = {
        **os.environ,
        "TRIAGE_ENV": "development",
        "TRIAGE_HOST": "127.0.0.1",
        "TRIAGE_PORT": str(port),
        "REDIS_URL": f"redis://127.0.0.1:{redis_port}/0",
        "TRIAGE_KEY_PREFIX": KEY_PREFIX,
        "TRIAGE_KB_ENABLED": "false",
        "TRIAGE_LOG_LEVEL": "WARNING",
        "TRIAGE_AGENT_TOKENS": token_config(agents),
        "TRIAGE_AGENT_CAPACITY": "1000",
        "TRIAGE_SLA_CHECK_INTERVAL": "0",
        "TRIAGE_CHAT_SECRET": CHAT_SECRET,
    }
    with log.open("wb") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "triage_api.main"],
            cwd=REPO_ROOT,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        wait_for_port("127.0.0.1", port, timeout=180, process=process)
    except BaseException:
        stop(process)
        raise
    return process


async def concurrently(count: int, work: Callable[[int], Awaitable[None]]) -> None:
    await asyncio.gather(*(work(i) for i in range(count)))


async def arrival(future: asyncio.Future[float]) -> float | None:
    try:
        return await asyncio.wait_for(future, ARRIVAL_TIMEOUT)
    except TimeoutError:
        return None


class RelayBench:
    """The phases, in order, on one API: N conversations, a shopper's stream each, one console."""

    def __init__(self, base_url: str, redis: Redis, meter: Meter, conversations: int, replies: int) -> None:
        self.base_url = base_url
        self.redis = redis
        self.meter = meter
        self.n = conversations
        self.replies = replies
        self.keys = TicketKeys(KEY_PREFIX)
        self.agents = [{"Authorization": f"Bearer {t}"} for t in agent_tokens(conversations).values()]
        self.bot = {"Authorization": f"Bearer {BOT_TOKEN}"}
        self.console = ConsoleStream(next(iter(agent_tokens(1).values())))
        self.shoppers = [ShopperStream(f"relay-{i}") for i in range(conversations)]
        self.api: list[httpx.AsyncClient] = []  # one per conversation
        self.queue_of: dict[int, str] = {}  # conversation index -> queue of its ticket
        self.held: list[tuple[int, str, int]] = []  # (agent, ticket id, conversation index)
        self.warm_up_pushes_lost = 0
        self.measures: list[Measure] = []

    async def connect(self, clients: contextlib.AsyncExitStack) -> list[asyncio.Task[None]]:
        """One client (one keep-alive connection) per conversation and per SSE stream: a shared
        httpx pool costs the generator several times more CPU per request at this concurrency."""

        async def new_client(timeout: httpx.Timeout) -> httpx.AsyncClient:
            client = httpx.AsyncClient(base_url=self.base_url, timeout=timeout)
            return await clients.enter_async_context(client)

        self.api = [await new_client(httpx.Timeout(60.0)) for _ in range(self.n)]
        for _ in range(WARM_UP_REQUESTS):
            (await self.api[0].get("/health")).raise_for_status()
        for client in self.api:  # every connection open before anything is timed
            (await client.get("/health")).raise_for_status()
        await asyncio.gather(*(self.redis.ping() for _ in range(self.n)))  # the baseline's connections
        streams = [asyncio.create_task(self.console.run(await new_client(SSE_TIMEOUT)))]
        for shopper in self.shoppers:
            streams.append(asyncio.create_task(shopper.run(await new_client(SSE_TIMEOUT))))
        waits = [asyncio.ensure_future(self.console.ready.wait())]
        waits += [asyncio.ensure_future(s.connected.wait()) for s in self.shoppers]
        done, _ = await asyncio.wait(waits, timeout=30)
        failed = [t for t in streams if t.done()]
        if len(done) != len(waits) or failed:
            for wait in waits:
                wait.cancel()
            reason = failed[0].exception() if failed else "timeout"
            raise RuntimeError(f"SSE clients did not connect: {reason!r}")
        return streams

    async def health(self, clients: int, per_client: int) -> None:
        measure = Measure(f"GET /health → HTTP 200{' (sequential)' if clients == 1 else ''}", clients)

        async def client(index: int) -> None:
            for _ in range(per_client):
                started = time.perf_counter()
                try:
                    response = await self.api[index].get("/health")
                except httpx.HTTPError:
                    measure.errors += 1
                    continue
                measure.latencies_ms.append((time.perf_counter() - started) * 1000)
                if response.status_code != 200:
                    measure.errors += 1

        with self.meter.phase(f"GET /health, {clients} client(s)"):
            await concurrently(clients, client)
        self.measures.append(measure)

    async def push(self, index: int, text: str) -> float:
        """What the relay's script does, done by the benchmark: the message into the conversation's
        stream, then into the chat feed with that entry's id. Returns when it was started."""
        shopper = self.shoppers[index]
        fields: dict[FieldT, EncodableT] = {
            "kind": "message",
            "role": "agent",
            "author": "bench-baseline",
            "text": text,
            "conversation_id": shopper.conversation_id,
            "action": "replied",  # the fields of the relay's message for an agent's reply
            "status": "assigned",
            "ts": datetime.now(timezone.utc).isoformat(),
        }
        started = time.perf_counter()
        chat_id = await self.redis.xadd(self.keys.chat(shopper.conversation_id), fields)
        await self.redis.xadd(self.keys.chat_feed(), {"chat_id": chat_id, **fields})
        return started

    async def warm_push_channel(self) -> None:
        """One push through the hub before a timed phase, so no phase starts on a hub read that has
        sat idle for seconds (an idle hub read dies of the Redis client's socket timeout and the hub
        then skips what is written while it restarts: see the API log count printed at the end)."""
        for attempt in range(5):
            text = f"预热消息 {len(self.meter.usage)}-{attempt}"
            future = self.shoppers[0].expect(text)
            await self.push(0, text)
            try:
                await asyncio.wait_for(future, 2.0)
                return
            except TimeoutError:
                self.warm_up_pushes_lost += 1
        raise RuntimeError("the push channel delivered none of 5 warm-up messages")

    async def baseline(self, when: str) -> None:
        measure = Measure(f"baseline: XADD chat+feed → shopper SSE ({when})", self.n)

        async def conversation(i: int) -> None:
            for k in range(self.replies):
                text = f"基线消息 {when} {k + 1}（{self.shoppers[i].conversation_id}）"
                future = self.shoppers[i].expect(text)
                started = await self.push(i, text)
                at = await arrival(future)
                if at is None:
                    measure.errors += 1
                else:
                    measure.latencies_ms.append((at - started) * 1000)

        await self.warm_push_channel()
        with self.meter.phase(f"baseline XADD → SSE ({when})"):
            await concurrently(self.n, conversation)
        self.measures.append(measure)

    async def handoffs(self) -> None:
        """All N handoffs at once; each timed until the console's `ticket` event `created`."""
        http = Measure("POST /handoffs → HTTP 201", self.n)
        visible = Measure("POST /handoffs → console `ticket` created", self.n)
        sent: dict[str, float] = {}

        async def hand_off(i: int) -> None:
            started = time.perf_counter()
            try:
                response = await self.api[i].post("/api/v1/handoffs", json=handoff_body(i), headers=self.bot)
            except httpx.HTTPError:
                http.errors += 1
                return
            http.latencies_ms.append((time.perf_counter() - started) * 1000)
            if response.status_code != 201:
                http.errors += 1
                return
            ticket = response.json()
            sent[ticket["id"]] = started
            self.queue_of[i] = ticket["queue"]

        await self.warm_push_channel()
        with self.meter.phase(f"handoffs, {self.n} at once"):
            await concurrently(self.n, hand_off)
            await self.console.wait_for(set(sent), ARRIVAL_TIMEOUT)
        for ticket_id, started in sent.items():
            if ticket_id in self.console.created:
                visible.latencies_ms.append((self.console.created[ticket_id] - started) * 1000)
            else:
                visible.errors += 1
        visible.errors += self.n - len(sent)
        self.measures += [http, visible]

    async def claims(self) -> None:
        """Each conversation's agent takes the first ticket of the queue (not necessarily its own
        conversation's: the claimed ticket says whose conversation it is)."""
        http = Measure("POST /queues/{queue}/claim → HTTP 200", self.n)
        index_of = {s.conversation_id: i for i, s in enumerate(self.shoppers)}

        async def claim(w: int) -> None:
            if w not in self.queue_of:
                http.errors += 1
                return
            started = time.perf_counter()
            try:
                url = f"/api/v1/queues/{self.queue_of[w]}/claim"
                response = await self.api[w].post(url, headers=self.agents[w])
            except httpx.HTTPError:
                http.errors += 1
                return
            http.latencies_ms.append((time.perf_counter() - started) * 1000)
            body = response.json() if response.status_code == 200 else {}
            if not body.get("claimed"):
                http.errors += 1
                return
            self.held.append((w, body["ticket"]["id"], index_of[body["ticket"]["conversation_id"]]))

        with self.meter.phase(f"claims, {self.n} at once"):
            await concurrently(self.n, claim)
            # The relay tells every shopper about the claim: let that drain before timing replies.
            deadline = time.monotonic() + ARRIVAL_TIMEOUT
            while any(s.progress < 1 for s in self.shoppers) and time.monotonic() < deadline:
                await asyncio.sleep(0.01)
        self.measures.append(http)

    async def agent_replies(self) -> None:
        """R replies one after the other in each conversation, each timed until the shopper sees it."""
        http = Measure("POST /tickets/{id}/replies → HTTP 200", self.n)
        seen = Measure("POST /tickets/{id}/replies → shopper SSE", self.n)
        relay_stage = Measure("  of which: after the HTTP 200", self.n)

        async def agent(index: int) -> None:
            w, ticket_id, conversation = self.held[index]
            shopper = self.shoppers[conversation]
            url = f"/api/v1/tickets/{ticket_id}/replies"
            for k in range(self.replies):
                text = f"您好，我是客服，第{k + 1}条回复（{shopper.conversation_id}）"
                future = shopper.expect(text)
                started = time.perf_counter()
                try:
                    response: httpx.Response | None = await self.api[w].post(
                        url, json={"text": text}, headers=self.agents[w]
                    )
                except httpx.HTTPError:
                    response = None
                responded = time.perf_counter()
                if response is None or response.status_code != 200:
                    http.errors += 1
                    seen.errors += 1
                    future.cancel()
                    continue
                http.latencies_ms.append((responded - started) * 1000)
                at = await arrival(future)
                if at is None:
                    seen.errors += 1
                    continue
                seen.latencies_ms.append((at - started) * 1000)
                relay_stage.latencies_ms.append((at - responded) * 1000)

        await self.warm_push_channel()
        with self.meter.phase(f"replies, {len(self.held)} conversations × {self.replies}"):
            await concurrently(len(self.held), agent)
        seen.errors += (self.n - len(self.held)) * self.replies
        self.measures += [http, seen, relay_stage]


async def measure(
    base_url: str, redis_port: int, api_pid: int, redis_pid: int, conversations: int, replies: int
) -> Report:
    lag = LoopLag()
    meter = Meter(api_pid, redis_pid, lag)
    redis = Redis(host="127.0.0.1", port=redis_port, decode_responses=True)
    bench = RelayBench(base_url, redis, meter, conversations, replies)
    main_task = asyncio.current_task()
    if main_task is not None:  # a stop signal cancels the run, which unwinds through every `finally`
        for signum in STOP_SIGNALS:
            asyncio.get_running_loop().add_signal_handler(signum, main_task.cancel)
    background: list[asyncio.Task[None]] = [asyncio.create_task(lag.run())]
    try:
        async with contextlib.AsyncExitStack() as clients:
            background += await bench.connect(clients)
            await bench.health(1, conversations * replies)
            await bench.health(conversations, replies)
            await bench.baseline("before")
            await bench.handoffs()
            await bench.claims()
            await bench.agent_replies()
            await bench.baseline("after")
            for task in background:
                task.cancel()
            await asyncio.gather(*background, return_exceptions=True)
    finally:
        for task in background:
            task.cancel()
        await redis.aclose()
    for shopper in bench.shoppers:
        if shopper.pending():
            print(f"{shopper.conversation_id}: {shopper.pending()} messages never arrived", file=sys.stderr)
    return Report(
        bench.measures,
        meter.usage,
        sum(s.unexpected for s in bench.shoppers),
        bench.console.events,
        bench.warm_up_pushes_lost,
    )


def notes(report: Report, problems: list[str]) -> list[str]:
    """What the numbers do not say by themselves, decided from what was measured."""
    found = []
    # CPU times come in clock ticks (10 ms): shares of much shorter phases are noise.
    timed = [u for u in report.usage if u.wall >= 0.1] or [u for u in report.usage if u.wall > 0]
    busy = [
        f"{u.name} ({100 * u.generator / u.wall:.0f}% of a core, loop {u.loop_lag_ms:.0f} ms late)"
        for u in timed
        if u.generator / u.wall >= 0.85 or u.loop_lag_ms >= 50
    ]
    if busy:
        found.append(
            "the load generator was busy in: " + "; ".join(busy) + ". Latencies there include the "
            "generator's own delay"
        )
    worst = max(100 * u.generator / u.wall for u in timed)
    quiet = [u for u in timed if u.generator / u.wall < 0.85 and u.loop_lag_ms < 50]
    if quiet:
        found.append(
            f"the load generator was not the bottleneck in {'the other' if busy else 'all'} "
            f"{len(quiet)} phase(s): at most "
            f"{max(100 * u.generator / u.wall for u in quiet):.0f}% of a core, its loop at most "
            f"{max(u.loop_lag_ms for u in quiet):.0f} ms late (worst phase overall {worst:.0f}%)"
        )
    contended = [f"{u.name} ({100 * u.others / u.wall:.0f}%)" for u in timed if u.others / u.wall >= 0.2]
    if contended:
        found.append(
            "other processes on this machine used CPU (% of a core) during: " + "; ".join(contended) + ". "
            "The API, Redis and the generator shared the CPUs with them: those latencies are inflated"
        )
    restarts = sum("push hub: Redis unavailable" in line for line in problems)
    if restarts or report.warm_up_pushes_lost:
        found.append(
            f"the API's push hub restarted {restarts} time(s) on a Redis read error and "
            f"{report.warm_up_pushes_lost} warm-up push(es) were lost: a restarted hub resumes at the "
            "streams' ends and never delivers what was written meanwhile (lost messages in timed phases "
            "are counted as errors above)"
        )
    return found


def print_report(report: Report, problems: list[str]) -> None:
    columns = ("clients", "samples", "errors", "p50 ms", "p95 ms", "max ms")
    header = f"{'measure':<50} " + " ".join(f"{c:>8}" for c in columns)
    print(header)
    print("-" * len(header))
    for m in report.measures:
        print(
            f"{m.name:<50} {m.concurrency:>8} {len(m.latencies_ms):>8} {m.errors:>8} "
            f"{m.percentile(50):>8.1f} {m.percentile(95):>8.1f} {m.maximum:>8.1f}"
        )
    print()
    print(f"CPU per phase (% of one core over the phase's wall time; the machine has {os.cpu_count()} CPUs):")
    usage_columns = ("wall s", "bench %", "API %", "Redis %", "others %", "bench lag")
    header = f"{'phase':<50} " + " ".join(f"{c:>9}" for c in usage_columns)
    print(header)
    print("-" * len(header))
    for u in report.usage:

        def share(seconds: float, wall: float = u.wall) -> str:
            return f"{100 * seconds / wall:>9.0f}" if wall > 0 else f"{'-':>9}"

        print(
            f"{u.name:<50} {u.wall:>9.2f} {share(u.generator)} {share(u.api)} {share(u.redis)} "
            f"{share(u.others)} {u.loop_lag_ms:>7.1f}ms"
        )
    print()
    print(
        f"unexpected agent messages on shopper streams (duplicates / wrong conversation): "
        f"{report.unexpected_messages}; console `ticket` events seen: {report.console_events}"
    )
    print(
        "bench lag = worst lateness of a 5 ms sleep on the load generator's event loop during the "
        "phase (how late an arrival can have been timestamped); CPU times are counted in "
        f"{1000 / os.sysconf('SC_CLK_TCK'):.0f} ms ticks, coarse for the shortest phases."
    )
    print(f"API log (level WARNING): {len(problems)} warning/error lines")
    for line in problems[:5]:
        print(f"  {line[:300]}")
    print()
    for note in notes(report, problems):
        print(f"note: {note}")


def code_version() -> str:
    """The commit the API ran from, and whether the work tree had uncommitted changes."""
    try:
        git = ("git", "-C", str(REPO_ROOT))
        commit = subprocess.run([*git, "rev-parse", "--short", "HEAD"], capture_output=True, text=True)
        dirty = subprocess.run([*git, "status", "--porcelain", "--untracked-files=no"], capture_output=True)
    except OSError:
        return "unknown (no git)"
    if commit.returncode != 0:
        return "unknown (not a git work tree)"
    return commit.stdout.strip() + (" + uncommitted changes" if dirty.stdout.strip() else "")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--conversations", type=int, default=50, help="concurrent conversations")
    parser.add_argument("--replies", type=int, default=5, help="agent replies per conversation")
    args = parser.parse_args()
    if not 1 <= args.conversations <= 1000 or args.replies < 1:
        parser.error("--conversations must be 1..1000 (the agent capacity) and --replies at least 1")

    def terminate(signum: int, _: FrameType | None) -> None:
        raise SystemExit(128 + signum)  # unwinds through the `finally` that stops Redis and the API

    def on_stop_signals() -> None:
        for signum in STOP_SIGNALS:
            signal.signal(signum, terminate)

    on_stop_signals()
    load_before = os.getloadavg()[0]
    version = code_version()
    with tempfile.TemporaryDirectory(prefix="triage-relay-bench-") as tmp:
        data = Path(tmp)
        redis_port, api_port = free_port(), free_port()
        redis = api = None
        try:
            redis = start_redis(data / "redis", redis_port, log_file=data / "redis.log")
            api = start_api(redis_port, api_port, agent_tokens(args.conversations), data / "api.log")
            base_url = f"http://127.0.0.1:{api_port}"
            run = measure(base_url, redis_port, api.pid, redis.pid, args.conversations, args.replies)
            try:
                report = asyncio.run(run)
            except asyncio.CancelledError:
                raise SystemExit(128 + signal.SIGTERM) from None
        finally:
            on_stop_signals()  # asyncio.run put the defaults back
            if api is not None:
                stop(api)
            if redis is not None:
                stop(redis)
            api_log = (data / "api.log").read_text(errors="replace") if (data / "api.log").exists() else ""
        problems = [
            line
            for line in api_log.splitlines()
            if any(level in line for level in ("WARNING", "ERROR", "CRITICAL", "Traceback"))
        ]
    print(
        f"relay latency benchmark: {args.conversations} concurrent conversations, {args.replies} replies "
        f"each, one uvicorn process, {os.cpu_count()} CPUs, 1-min load average {load_before:.1f} "
        f"before and {os.getloadavg()[0]:.1f} after; code {version}"
    )
    print()
    print_report(report, problems)


if __name__ == "__main__":
    main()
