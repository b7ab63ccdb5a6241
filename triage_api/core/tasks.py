"""Stopping the API's background tasks within a bound, whatever a library does with a cancellation."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Iterable

log = logging.getLogger(__name__)

RECANCEL_SECONDS = 0.5  # a task still running this long after a cancellation is cancelled again


async def stop_tasks(tasks: Iterable[asyncio.Task[None]], within: float = 10.0) -> list[str]:
    """Cancels the tasks and waits until they have ended, cancelling again any that swallowed
    the cancellation (a client library may catch it at an unlucky moment and carry on); gives up
    after `within` seconds and names the tasks still running, with where they wait, in the log.
    Returns the names of the tasks that did not stop."""
    pending = {task for task in tasks if not task.done()}
    deadline = time.monotonic() + within
    rounds = 0
    while pending and time.monotonic() < deadline:
        if rounds:
            log.warning("background tasks %s ignored a cancellation; cancelled again", _named(pending))
        for task in pending:
            task.cancel()
        _, pending = await asyncio.wait(pending, timeout=min(RECANCEL_SECONDS, deadline - time.monotonic()))
        rounds += 1
    for task in pending:
        log.error("background task %s did not stop in %.0f s (at %s)", task.get_name(), within, _where(task))
    return sorted(task.get_name() for task in pending)


async def close_within(closing: Awaitable[None], name: str, within: float = 5.0) -> None:
    """Awaits a client's close, logging instead of hanging when it does not finish in time."""
    try:
        await asyncio.wait_for(closing, within)
    except TimeoutError:
        log.error("closing %s took more than %.0f s; left to the process exit", name, within)


def _named(tasks: Iterable[asyncio.Task[None]]) -> str:
    return ", ".join(f"{task.get_name()} (at {_where(task)})" for task in tasks)


def _where(task: asyncio.Task[None]) -> str:
    return "; ".join(f"{frame.f_code.co_filename}:{frame.f_lineno}" for frame in task.get_stack(limit=8))
