"""Bot turn benchmark: whole intakes through the REST channel, beside bare NLU as the ceiling.

Starts its own stack (Redis, triage API, action server, Rasa; `devstack.stack.Stack`) on free
loopback ports in a temporary directory, then at each concurrency runs, in the same run:

- the load generator's own cost: the channel's `GET /webhooks/rest/` (no work at all);
- the ceiling: Rasa's bare `POST /model/parse` on the intake's messages (NLU only, no tracker,
  no policies, no actions, no triage API);
- N shoppers, each its own sender, through a whole intake: a greeting, an FAQ question, the
  complaint with every fact (`SLICE_MESSAGE` of tests/e2e) and "是的", which files the ticket.
  C shoppers are in flight at once; a shopper's turns follow one another.

Run: `.venv/bin/python bench/load.py [--shoppers 40] [--concurrency 1 20] [--quick]`.
Rasa's process inherits this environment, so thread settings can be tried without editing code
(`TF_NUM_INTRAOP_THREADS=2 .venv/bin/python bench/load.py --quick`).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from devstack.settings import StackSettings
from devstack.stack import Stack
from devstack.training import model_path

GREETING = "你好"
FAQ = "退款一般多久能到账啊"
SLICE_MESSAGE = "订单2025112312345678的快递一直没更新，我要退款"  # as in tests/e2e/test_intake_slice.py
CONFIRM = "是的"
INTAKE = (("greeting", GREETING), ("faq", FAQ), ("complaint", SLICE_MESSAGE), ("confirm", CONFIRM))


@dataclass
class Phase:
    name: str
    concurrency: int
    seconds: float = 0.0
    latencies: list[float] = field(default_factory=list)  # seconds, successful requests only
    failed: int = 0

    @property
    def rate(self) -> float:
        return len(self.latencies) / self.seconds if self.seconds else 0.0

    def percentile(self, q: float) -> float:
        if not self.latencies:
            return float("nan")
        ordered = sorted(self.latencies)
        return ordered[min(len(ordered) - 1, int(q * len(ordered)))] * 1000


async def timed(phase: Phase, request: Callable[[], Awaitable[httpx.Response]]) -> httpx.Response | None:
    started = time.perf_counter()
    try:
        response = await request()
    except httpx.HTTPError:
        phase.failed += 1
        return None
    if response.status_code >= 400:
        phase.failed += 1
        return response
    phase.latencies.append(time.perf_counter() - started)
    return response


async def run_requests(
    client: httpx.AsyncClient,
    phase: Phase,
    count: int,
    request: Callable[[httpx.AsyncClient, int], Awaitable[httpx.Response]],
) -> Phase:
    """`count` independent requests, `phase.concurrency` in flight at once."""
    next_index = iter(range(count))

    async def worker() -> None:
        for index in next_index:
            await timed(phase, lambda index=index: request(client, index))  # type: ignore[misc]

    started = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(phase.concurrency)))
    phase.seconds = time.perf_counter() - started
    return phase


async def run_intakes(
    client: httpx.AsyncClient, stack: Stack, shoppers: int, concurrency: int, tag: str
) -> tuple[Phase, dict[str, Phase], int]:
    """Whole intakes; the turns of all, each kind of turn apart, and how many filed a ticket."""
    every = Phase("intake turn (REST channel)", concurrency)
    kinds = {kind: Phase(f"  {kind}", concurrency) for kind, _ in INTAKE}
    next_shopper = iter(range(shoppers))
    filed = 0

    async def shopper(index: int) -> None:
        nonlocal filed
        sender = f"bench-{tag}-{index}"
        for kind, text in INTAKE:
            started = time.perf_counter()
            response = await timed(
                every,
                lambda text=text: client.post(  # type: ignore[misc]
                    f"{stack.rasa_url}/webhooks/rest/webhook",
                    json={"sender": sender, "message": text, "metadata": {"channel": "app_chat"}},
                ),
            )
            if response is None or response.status_code >= 400:
                kinds[kind].failed += 1
                return
            kinds[kind].latencies.append(time.perf_counter() - started)
            if kind == "confirm" and any("分钟内" in m.get("text", "") for m in response.json()):
                filed += 1

    async def worker() -> None:
        for index in next_shopper:
            await shopper(index)

    started = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(concurrency)))
    every.seconds = time.perf_counter() - started
    for phase in kinds.values():
        phase.seconds = every.seconds
    return every, kinds, filed


async def measure(stack: Stack, shoppers: int, concurrencies: list[int], probes: int) -> list[Phase]:
    token = stack.tokens.rasa_api
    messages = [text for _, text in INTAKE]
    limits = httpx.Limits(max_connections=max(concurrencies) + 5, max_keepalive_connections=100)
    phases: list[Phase] = []
    async with httpx.AsyncClient(timeout=60, limits=limits) as client:
        # Warm-up: the first turns of a fresh Rasa load TensorFlow graphs and open connections;
        # each instance is warmed on its own port (behind the proxy it would be luck).
        for name, port in stack.rasa_ports.items():
            for index, (_, text) in enumerate(INTAKE * 2):
                warm = await client.post(
                    f"http://127.0.0.1:{port}/webhooks/rest/webhook",
                    json={"sender": f"bench-warm-{name}-{index // len(INTAKE)}", "message": text},
                )
                warm.raise_for_status()
        for concurrency in concurrencies:
            phases.append(
                await run_requests(
                    client,
                    Phase("generator: GET /webhooks/rest/", concurrency),
                    probes * 4,
                    lambda c, i: c.get(f"{stack.rasa_url}/webhooks/rest/"),
                )
            )
            phases.append(
                await run_requests(
                    client,
                    Phase("ceiling: POST /model/parse", concurrency),
                    probes,
                    lambda c, i: c.post(
                        f"{stack.rasa_url}/model/parse",
                        params={"token": token},
                        json={"text": messages[i % len(messages)]},
                    ),
                )
            )
            every, kinds, filed = await run_intakes(client, stack, shoppers, concurrency, f"c{concurrency}")
            phases.append(every)
            phases.extend(kinds.values())
            print(
                f"concurrency {concurrency}: {filed}/{shoppers} intakes filed a ticket",
                flush=True,
            )
    return phases


def print_table(phases: list[Phase]) -> None:
    header = (
        f"{'phase':<34} {'conc':>4} {'ok':>5} {'fail':>4} {'req/s':>8} "
        f"{'p50 ms':>8} {'p95 ms':>8} {'p99 ms':>8}"
    )
    print(header)
    print("-" * len(header))
    for phase in phases:
        print(
            f"{phase.name:<34} {phase.concurrency:>4} {len(phase.latencies):>5} {phase.failed:>4} "
            f"{phase.rate:>8.1f} {phase.percentile(0.50):>8.1f} {phase.percentile(0.95):>8.1f} "
            f"{phase.percentile(0.99):>8.1f}"
        )
    print("(req/s of a turn kind is its share of the whole intake phase's wall time)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    parser.add_argument("--shoppers", type=int, default=40, help="whole intakes per concurrency")
    parser.add_argument("--concurrency", type=int, nargs="+", default=[1, 20], help="shoppers in flight")
    parser.add_argument("--probes", type=int, default=200, help="bare /model/parse requests per level")
    parser.add_argument("--quick", action="store_true", help="20 shoppers and 100 probes per level")
    parser.add_argument(
        "--rasa-instances",
        type=int,
        choices=range(1, 9),
        default=1,
        help="Rasa servers sharing Redis trackers and locks, behind the stack's round-robin proxy",
    )
    args = parser.parse_args()
    if args.quick:
        args.shoppers, args.probes = min(args.shoppers, 20), min(args.probes, 100)

    with tempfile.TemporaryDirectory(prefix="bench-load-") as tmp:
        settings = StackSettings.on_free_ports(Path(tmp), rasa_instances=args.rasa_instances, api_instances=1)
        if not model_path(settings).exists():
            sys.exit("no trained Rasa model for the current bot and data: run `make train` first")
        stack = Stack(settings)
        print(f"starting the stack (model {model_path(settings).name}) ...", flush=True)
        started = time.monotonic()
        try:
            stack.start()
            print(f"stack up in {time.monotonic() - started:.0f} s; {os.cpu_count()} CPUs", flush=True)
            phases = asyncio.run(measure(stack, args.shoppers, args.concurrency, args.probes))
        finally:
            stack.stop()
    print()
    rasa = (
        "one Rasa process"
        if args.rasa_instances == 1
        else f"{args.rasa_instances} Rasa processes behind the stack's round-robin proxy (in this process)"
    )
    print(
        f"{args.shoppers} shoppers x {len(INTAKE)} turns per concurrency; {rasa}, "
        "one action server, one triage API, one Redis, all on this machine"
    )
    print_table(phases)


if __name__ == "__main__":
    main()
