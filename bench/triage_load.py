"""Triage API load benchmark: handoff and claim throughput and latency at a fixed concurrency.

Starts its own embedded Redis (AOF on, as deployed) and the API (one uvicorn process) on free
loopback ports in a temporary directory, then runs bounded phases of N requests each with C
concurrent clients, side by side with three ceilings measured in the same run: a bare FastAPI
app's `GET /` in its own uvicorn process (`bench/bare_app.py`: the HTTP stack alone), the same
server's GET /health (HTTP stack + middleware + Redis PING, no work) and `redis-benchmark` on the
same Redis.

Run: `.venv/bin/python bench/triage_load.py [--requests 2000] [--concurrency 50]`.
`redis-benchmark` comes with Debian's `redis-tools` (`apt-get install -y redis-tools`); without
it the Redis ceiling is reported as "redis-benchmark not found".
"""

from __future__ import annotations

import argparse
import asyncio
import csv
import io
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from devstack.redis_server import redis_executable, start_redis, wait_for_port
from triage_api.core.security import hash_token

REPO_ROOT = Path(__file__).resolve().parents[1]
BOT_TOKEN = "bench-bot-token"
SUPERVISOR_TOKEN = "bench-supervisor-token"
# Cases that all route to the `general` queue, so the claim phase drains what the handoffs made.
GENERAL_CASES = [
    ("promotion_rules", "满减券用不了，结算的时候没有减"),
    ("service_complaint", "客服一直推诿，问了三次都没人管"),
    ("invoice", "发票一直没开，我要电子发票"),
    ("order_change", "帮我改一下收货地址，写错了"),
    ("usage_help", "这个空气炸锅怎么预热"),
    ("other", "直播间说的赠品在哪里领"),
]


@dataclass
class Phase:
    name: str
    requests: int
    concurrency: int
    ok: int
    errors: int
    seconds: float
    latencies_ms: list[float]

    @property
    def rate(self) -> float:
        return self.ok / self.seconds if self.seconds else 0.0

    def percentile(self, q: float) -> float:
        if not self.latencies_ms:
            return float("nan")
        ordered = sorted(self.latencies_ms)
        return ordered[min(len(ordered) - 1, round(q / 100 * (len(ordered) - 1)))]


RequestMaker = Callable[[httpx.AsyncClient, int, int], Any]


async def run_phase(
    name: str,
    base_url: str,
    requests: int,
    concurrency: int,
    make: RequestMaker,
    ok: Callable[[httpx.Response], bool],
) -> Phase:
    """Exactly `requests` requests from `concurrency` workers, each on its own keep-alive connection."""
    next_index = 0
    latencies: list[float] = []
    errors = 0

    async def worker(worker_id: int) -> None:
        nonlocal next_index, errors
        async with httpx.AsyncClient(base_url=base_url, timeout=60) as client:
            while next_index < requests:
                index = next_index
                next_index += 1
                started = time.perf_counter()
                try:
                    response = await make(client, index, worker_id)
                    good = ok(response)
                except httpx.HTTPError:
                    good = False
                latencies.append((time.perf_counter() - started) * 1000)
                if not good:
                    errors += 1

    started = time.perf_counter()
    await asyncio.gather(*(worker(w) for w in range(concurrency)))
    elapsed = time.perf_counter() - started
    return Phase(name, requests, concurrency, requests - errors, errors, elapsed, latencies)


def handoff_body(index: int) -> dict[str, Any]:
    issue_type, text = GENERAL_CASES[index % len(GENERAL_CASES)]
    return {
        "conversation_id": f"bench-{index}",
        "channel": ("app_chat", "live_comment", "message")[index % 3],
        "order_id": f"DY{20251126000000 + index:016d}",
        "issue_type": issue_type,
        "remedy": "compensation",
        "transcript": [
            {"role": "user", "text": text, "ts": 1764000000.0},
            {"role": "bot", "text": "好的，我帮您转人工", "ts": 1764000001.0},
        ],
        "customer": {"id": f"shopper-{index}", "vip": index % 10 == 0, "phone": "13812345678"},
        "reason": "intake_complete",
        "product": f"商品{index % 40}",
        "host": f"主播{index % 7}",
    }


def agent_tokens(count: int) -> dict[str, str]:
    return {f"bench-agent-{i:02d}": f"bench-agent-token-{i:02d}" for i in range(count)}


def token_config(agents: dict[str, str]) -> str:
    entries = [
        {"name": "bench-bot", "role": "bot", "token_sha256": hash_token(BOT_TOKEN)},
        {"name": "bench-supervisor", "role": "supervisor", "token_sha256": hash_token(SUPERVISOR_TOKEN)},
    ]
    entries += [{"name": name, "role": "agent", "token_sha256": hash_token(t)} for name, t in agents.items()]
    return json.dumps(entries)


def free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def launch(
    command: list[str], port: int, log: Path, env: dict[str, str] | None = None
) -> subprocess.Popen[bytes]:
    """A server in its own session, its output in `log`; returned once it listens on `port`."""
    with log.open("wb") as out:
        process = subprocess.Popen(
            command, cwd=REPO_ROOT, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True
        )
    wait_for_port("127.0.0.1", port, timeout=180, process=process)
    return process


def start_api(redis_port: int, port: int, agents: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    env = {
        **os.environ,
        "TRIAGE_HOST": "127.0.0.1",
        "TRIAGE_PORT": str(port),
        "REDIS_URL": f"redis://127.0.0.1:{redis_port}/0",
        "TRIAGE_KB_ENABLED": "false",
        "TRIAGE_LOG_LEVEL": "WARNING",
        "TRIAGE_AGENT_TOKENS": token_config(agents),
        "TRIAGE_AGENT_CAPACITY": "1000",
    }
    return launch([sys.executable, "-m", "triage_api.main"], port, log, env)


def start_bare_app(port: int, log: Path) -> subprocess.Popen[bytes]:
    command = [sys.executable, "-m", "uvicorn", "bare_app:app", "--app-dir", str(REPO_ROOT / "bench")]
    return launch([*command, "--host", "127.0.0.1", "--port", str(port), "--log-level", "warning"], port, log)


def stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=20)


RedisRows = list[tuple[str, float, str]] | str


def redis_benchmark(port: int, requests: int, concurrency: int) -> RedisRows:
    """(test, requests/s, p95 ms) from redis-benchmark, or why there is none."""
    binary = shutil.which("redis-benchmark") or shutil.which(
        "redis-benchmark", path=str(Path(redis_executable()).parent)
    )
    if binary is None:
        return "redis-benchmark not found (install Debian's redis-tools to measure the Redis ceiling)"
    command = [
        binary,
        *("-h", "127.0.0.1", "-p", str(port), "--dbnum", "1"),
        *("-c", str(concurrency), "-n", str(requests)),
        *("-t", "ping,set,get,hset,zadd,zpopmin", "-q", "--csv"),
    ]
    output = subprocess.run(command, capture_output=True, text=True, timeout=600, check=True).stdout
    rows = list(csv.DictReader(io.StringIO(output)))
    return [(row["test"], float(row["rps"]), row.get("p95_latency_ms", "?")) for row in rows]


async def measure(base_url: str, requests: int, concurrency: int, agents: dict[str, str]) -> list[Phase]:
    bot = {"Authorization": f"Bearer {BOT_TOKEN}"}
    supervisor = {"Authorization": f"Bearer {SUPERVISOR_TOKEN}"}
    agent_headers = [{"Authorization": f"Bearer {token}"} for token in agents.values()]
    created_ids: list[str] = []
    today = datetime.now(ZoneInfo("Asia/Shanghai")).date()
    period = {"from": (today - timedelta(days=29)).isoformat(), "to": today.isoformat()}

    def created(response: httpx.Response) -> bool:
        if response.status_code == 201:
            created_ids.append(response.json()["id"])
            return True
        return False

    def claimed(response: httpx.Response) -> bool:
        return response.status_code == 200 and response.json()["claimed"] is True

    phases = [
        await run_phase(
            "GET /health (ceiling)",
            base_url,
            requests,
            concurrency,
            lambda c, i, w: c.get("/health"),
            lambda r: r.status_code == 200,
        ),
        await run_phase(
            "POST /api/v1/handoffs",
            base_url,
            requests,
            concurrency,
            lambda c, i, w: c.post("/api/v1/handoffs", json=handoff_body(i), headers=bot),
            created,
        ),
        await run_phase(
            "POST /api/v1/queues/general/claim",
            base_url,
            requests,
            concurrency,
            lambda c, i, w: c.post("/api/v1/queues/general/claim", headers=agent_headers[w]),
            claimed,
        ),
        await run_phase(
            "GET /api/v1/tickets/{id}",
            base_url,
            requests,
            concurrency,
            lambda c, i, w: c.get(f"/api/v1/tickets/{created_ids[i % len(created_ids)]}", headers=bot),
            lambda r: r.status_code == 200,
        ),
        await run_phase(
            "GET /api/v1/analytics/summary (30 days)",
            base_url,
            max(1, requests // 10),
            concurrency,
            lambda c, i, w: c.get("/api/v1/analytics/summary", params=period, headers=supervisor),
            lambda r: r.status_code == 200 and r.json()["tickets"] >= requests,
        ),
    ]
    return phases


def print_table(phases: list[Phase], redis_rows: RedisRows, concurrency: int) -> None:
    columns = ("requests", "errors", "req/s", "p50 ms", "p95 ms", "p99 ms")
    header = f"{'phase':<42} " + " ".join(f"{c:>8}" for c in columns)
    print(header)
    print("-" * len(header))
    for phase in phases:
        print(
            f"{phase.name:<42} {phase.requests:>8} {phase.errors:>8} {phase.rate:>8.0f} "
            f"{phase.percentile(50):>8.1f} {phase.percentile(95):>8.1f} {phase.percentile(99):>8.1f}"
        )
    print()
    if isinstance(redis_rows, str):
        print(f"Redis ceiling: {redis_rows}")
    else:
        print(f"Redis ceiling (redis-benchmark, same server, {concurrency} clients, no pipelining):")
        for test, rps, p95 in redis_rows:
            print(f"  {test:<10} {rps:>10.0f} req/s   p95 {p95} ms")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=2000, help="requests per phase")
    parser.add_argument("--concurrency", type=int, default=50, help="concurrent clients")
    parser.add_argument("--redis-requests", type=int, default=100_000, help="per redis-benchmark test")
    args = parser.parse_args()

    agents = agent_tokens(args.concurrency)
    load_before = os.getloadavg()[0]
    with tempfile.TemporaryDirectory(prefix="triage-bench-") as tmp:
        data = Path(tmp)
        redis_port, api_port = free_port(), free_port()
        redis = start_redis(data / "redis", redis_port, log_file=data / "redis.log")
        api = None
        try:
            # The bare app first, alone: the API's workers are not yet running beside it.
            bare_port = free_port()
            bare = start_bare_app(bare_port, data / "bare.log")
            try:
                bare_phase = asyncio.run(
                    run_phase(
                        "bare FastAPI app: GET / (ceiling)",
                        f"http://127.0.0.1:{bare_port}",
                        args.requests,
                        args.concurrency,
                        lambda c, i, w: c.get("/"),
                        lambda r: r.status_code == 200,
                    )
                )
            finally:
                stop(bare)
            api = start_api(redis_port, api_port, agents, data / "api.log")
            base_url = f"http://127.0.0.1:{api_port}"
            phases = [bare_phase, *asyncio.run(measure(base_url, args.requests, args.concurrency, agents))]
            redis_rows = redis_benchmark(redis_port, args.redis_requests, args.concurrency)
        finally:
            if api is not None:
                stop(api)
            stop(redis)
    print(
        f"triage API load benchmark: {args.requests} requests per phase, concurrency {args.concurrency}, "
        f"one uvicorn process, {os.cpu_count()} CPUs, 1-min load average {load_before:.1f} before "
        f"and {os.getloadavg()[0]:.1f} after"
    )
    print()
    print_table(phases, redis_rows, args.concurrency)


if __name__ == "__main__":
    main()
