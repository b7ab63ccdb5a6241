"""What the fault tests under load share: a stack of their own, and a `kill -9` that lands in the
middle of staggered shoppers' intakes."""

from __future__ import annotations

import contextlib
import os
import signal
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from devstack.settings import StackSettings
from devstack.stack import Stack
from devstack.training import model_path
from tests.e2e.test_intake_slice import tickets_of

# Shoppers arrive this far apart, so that a kill meets some before, some during and some after
# their handoff, however fast turns are.
STAGGER_SECONDS = 0.3


def kill(stack: Stack, name: str) -> int:
    """SIGKILLs one child and waits for it to be gone; its restart count before the kill."""
    service = stack.service(name)
    before = service.restarts
    os.killpg(service.process.pid, signal.SIGKILL)
    service.process.wait(timeout=20)
    return before


@contextlib.contextmanager
def own_stack(data_dir: Path, **overrides: object) -> Iterator[Stack]:
    """A supervised stack on free ports, every Rasa server warmed up (TensorFlow builds its graphs
    on the first turns), stopped at the end."""
    settings = StackSettings.on_free_ports(data_dir, **overrides)
    if not model_path(settings).exists():
        pytest.fail("no trained Rasa model for the current bot and data: run `make train` first")
    running = Stack(settings)
    try:
        running.start()
        running.start_supervisor()
        for name, port in running.rasa_ports.items():
            httpx.post(
                f"http://127.0.0.1:{port}/webhooks/rest/webhook",
                json={"sender": f"warm-up-{name}", "message": "你好"},
                timeout=120,
            ).raise_for_status()
        yield running
    finally:
        running.stop()


@dataclass
class KilledUnderLoad:
    conversations: list[list[str]]  # what each shopper was told, in the order of the senders
    filed_before_kill: int  # shoppers whose case was filed when the kill came
    restarts_before: int  # the killed child's restart count before the kill


def kill_under_load(
    stack: Stack, senders: list[str], victim: str, intake: Callable[[Stack, str], list[str]]
) -> KilledUnderLoad:
    """Staggered shoppers through `intake`; `victim` is killed once the first case is filed (a
    fixed delay raced fast turns: every intake could be over before it)."""

    def arrive(index: int, sender: str) -> list[str]:
        time.sleep(index * STAGGER_SECONDS)
        return intake(stack, sender)

    with ThreadPoolExecutor(max_workers=len(senders)) as pool:
        running = [pool.submit(arrive, n, sender) for n, sender in enumerate(senders)]
        deadline = time.monotonic() + 120
        while not any(tickets_of(stack, s) for s in senders) and time.monotonic() < deadline:
            time.sleep(0.1)
        filed = sum(bool(tickets_of(stack, s)) for s in senders)
        restarts = kill(stack, victim)
        conversations = [future.result(timeout=600) for future in running]
    return KilledUnderLoad(conversations, filed, restarts)
