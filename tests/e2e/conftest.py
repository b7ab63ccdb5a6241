"""Starts the whole stack once for end-to-end tests: Redis, triage API, action server, Rasa."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from devstack.settings import StackSettings
from devstack.stack import Stack
from devstack.training import model_path
from tests.conftest import free_port


@pytest.fixture(scope="session")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    settings = StackSettings(
        rasa_port=free_port(),
        action_server_port=free_port(),
        triage_port=free_port(),
        redis_port=free_port(),
        redis_url=None,
        data_dir=tmp_path_factory.mktemp("stack"),
    )
    if not model_path(settings).exists():
        pytest.fail("no trained Rasa model for the current bot and data: run `make train` first")
    running = Stack(settings)
    try:
        running.start()
        yield running
    finally:
        running.stop()
