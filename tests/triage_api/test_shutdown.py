"""The API stops within a bound: a background task that swallows a cancellation is cancelled again,
one that never stops is named in the log instead of hanging the process."""

from __future__ import annotations

import asyncio
import time

import pytest

from triage_api.core.tasks import close_within, stop_tasks


async def swallows_the_first_cancellation(stopped: list[str]) -> None:
    try:
        await asyncio.sleep(3600)
    except asyncio.CancelledError:
        asyncio.current_task().uncancel()  # type: ignore[union-attr]  # as a client library may
    try:
        await asyncio.sleep(3600)
    finally:
        stopped.append("second cancellation")


async def never_stops() -> None:
    while True:
        try:
            await asyncio.sleep(3600)
        except asyncio.CancelledError:
            asyncio.current_task().uncancel()  # type: ignore[union-attr]


def test_a_task_that_swallows_a_cancellation_is_cancelled_again() -> None:
    async def scenario() -> tuple[list[str], list[str], float]:
        stopped: list[str] = []
        tasks = [asyncio.create_task(swallows_the_first_cancellation(stopped), name="swallower")]
        tasks.append(asyncio.create_task(asyncio.sleep(3600), name="plain"))
        await asyncio.sleep(0)
        started = time.monotonic()
        left = await stop_tasks(tasks, within=5.0)
        return left, stopped, time.monotonic() - started

    left, stopped, took = asyncio.run(scenario())
    assert (left, stopped) == ([], ["second cancellation"])
    assert took < 2.0


def test_a_task_that_never_stops_is_named_and_the_shutdown_goes_on(caplog: pytest.LogCaptureFixture) -> None:
    async def scenario() -> tuple[list[str], float]:
        task = asyncio.create_task(never_stops(), name="stubborn")
        await asyncio.sleep(0)
        started = time.monotonic()
        left = await stop_tasks([task], within=1.0)
        took = time.monotonic() - started
        task.get_coro().close()  # type: ignore[union-attr]
        return left, took

    left, took = asyncio.run(scenario())
    assert left == ["stubborn"]
    assert 0.9 < took < 2.0
    assert "stubborn did not stop in" in caplog.text


def test_a_close_that_hangs_is_given_up_on(caplog: pytest.LogCaptureFixture) -> None:
    async def scenario() -> float:
        started = time.monotonic()
        await close_within(asyncio.sleep(3600), "a hanging client", within=0.2)
        return time.monotonic() - started

    assert asyncio.run(scenario()) < 1.0
    assert "closing a hanging client took more than" in caplog.text
