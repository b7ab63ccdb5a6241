"""Session fixtures that start real services once: an embedded redis-server, the API, and the whole
stack (Redis, triage API, action server, Rasa) for the end-to-end and browser tests."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import redis as redis_sync
from fastapi.testclient import TestClient

from devstack.redis_server import free_port, start_redis
from devstack.settings import StackSettings
from devstack.stack import Stack
from devstack.training import model_path
from triage_api.core.settings import Settings
from triage_api.main import create_app

AGENT = {"Authorization": "Bearer dev-agent-token"}
BOT = {"Authorization": "Bearer dev-bot-token"}


class RedisServer:
    """A real redis-server with AOF in a temporary directory; can be stopped and restarted."""

    def __init__(self, data_dir: Path) -> None:
        self.data_dir = data_dir
        self.port = free_port()
        self.process = start_redis(data_dir, self.port)

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def client(self) -> redis_sync.Redis:
        return redis_sync.Redis.from_url(self.url, decode_responses=True)

    def restart(self) -> None:
        self.stop()
        self.process = start_redis(self.data_dir, self.port)

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait(timeout=20)


@pytest.fixture(scope="session")
def redis_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RedisServer]:
    server = RedisServer(tmp_path_factory.mktemp("redis"))
    yield server
    server.stop()


@pytest.fixture()
def api_settings(redis_server: RedisServer) -> Settings:
    redis_server.client().flushdb()
    return Settings(redis_url=redis_server.url, kb_enabled=False, max_body_bytes=64 * 1024)


@pytest.fixture()
def api(api_settings: Settings) -> Iterator[TestClient]:
    with TestClient(create_app(api_settings)) as client:
        yield client


@pytest.fixture(scope="session")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    # One process of each, whatever the environment says: the tests that kill one know its name.
    settings = StackSettings.on_free_ports(
        tmp_path_factory.mktemp("stack"), api_instances=1, rasa_instances=1
    )
    if not model_path(settings).exists():
        pytest.fail("no trained Rasa model for the current bot and data: run `make train` first")
    running = Stack(settings)
    try:
        running.start()
        running.start_supervisor()  # a child killed by a fault test comes back, as under make run
        yield running
    finally:
        running.stop()
