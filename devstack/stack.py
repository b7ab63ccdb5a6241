"""Starts Redis, the triage API, the action server and the Rasa server, and stops them cleanly."""

from __future__ import annotations

import contextlib
import json
import os
import secrets
import signal
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO
from urllib.parse import urlparse

from devstack.proxy import RoundRobinProxy
from devstack.redis_server import free_port, start_redis, wait_for_port
from devstack.settings import REPO_ROOT, StackSettings
from devstack.training import model_path, rasa_env
from triage_api.core.security import hash_token

TRACKER_DB = 1  # Rasa's trackers live in this database of the stack's Redis


@dataclass
class Tokens:
    """Fresh bearer tokens for one run of the stack; the API only ever sees their hashes."""

    bot: str = field(default_factory=lambda: "bot-" + secrets.token_urlsafe(18))
    agent: str = field(default_factory=lambda: "agent-" + secrets.token_urlsafe(18))
    supervisor: str = field(default_factory=lambda: "supervisor-" + secrets.token_urlsafe(18))
    trainer: str = field(default_factory=lambda: "trainer-" + secrets.token_urlsafe(18))
    # Rasa's HTTP API (trackers, events, trigger_intent) and the action server's webhook: only the
    # stack's own processes know these.
    rasa_api: str = field(default_factory=lambda: "rasa-" + secrets.token_urlsafe(18))
    action_server: str = field(default_factory=lambda: "actions-" + secrets.token_urlsafe(18))
    # The secret the shop's front end signs identity tokens with (customer id, VIP).
    shopper_identity: str = field(default_factory=lambda: "identity-" + secrets.token_urlsafe(24))
    # The HMAC secret of the shoppers' chat tokens (ratings, push streams): never the public
    # development default, or anyone could mint a token for any conversation.
    chat: str = field(default_factory=lambda: "chat-" + secrets.token_urlsafe(24))

    def registry_json(self) -> str:
        return json.dumps(
            [
                {
                    "name": f"dev-{role}",
                    "role": role,
                    "token_sha256": hash_token(token),
                }
                for role, token in (
                    ("bot", self.bot),
                    ("agent", self.agent),
                    ("supervisor", self.supervisor),
                    ("trainer", self.trainer),
                )
            ]
        )


# A child that dies is restarted after 1 s, then 2, 4 … up to 30 s while it keeps dying; one that
# has run for a minute starts again from 1 s.
BACKOFF_FIRST_SECONDS = 1.0
BACKOFF_MAX_SECONDS = 30.0
HEALTHY_AFTER_SECONDS = 60.0


@dataclass
class Service:
    name: str
    process: subprocess.Popen[bytes]
    log_path: Path
    log_file: IO[bytes] | None = None
    launch: Callable[[], subprocess.Popen[bytes]] | None = None  # how to start it again
    restarts: int = 0
    failures: int = 0  # deaths in a row, for the back-off
    started_at: float = field(default_factory=time.monotonic)
    restart_at: float | None = None  # when a dead child is due to start again
    held: bool = False  # stopped on purpose (`stop_service`): not restarted

    def backoff(self) -> float:
        return min(BACKOFF_MAX_SECONDS, BACKOFF_FIRST_SECONDS * 2**self.failures)


def http_ok(url: str, timeout: float = 2.0) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:
            return 200 <= response.status < 300
    except (urllib.error.URLError, OSError, ValueError):
        return False


class Stack:
    """The four processes of the product on localhost, as `make run` and the tests use them."""

    def __init__(self, settings: StackSettings, tokens: Tokens | None = None) -> None:
        self.settings = settings
        self.tokens = tokens or Tokens()
        self.services: list[Service] = []
        self.log_dir = settings.data_dir / "log"
        self.redis_url = settings.redis_url or f"redis://127.0.0.1:{settings.redis_port}/0"
        self._stopping = threading.Event()
        self._supervising = threading.Lock()
        self._rasa_env: dict[str, str] = {}
        self.rasa_ports: dict[str, int] = {}  # each Rasa server's own port
        self.proxy: RoundRobinProxy | None = None  # in front of several Rasa servers
        self.api_ports: dict[str, int] = {}  # each triage API process's own port
        self.api_proxy: RoundRobinProxy | None = None  # in front of several API processes

    @property
    def tracker_redis_url(self) -> str:
        """Rasa's trackers: database 1 of the stack's Redis, beside the tickets in database 0."""
        address = urlparse(self.redis_url)
        return address._replace(path=f"/{TRACKER_DB}").geturl()

    @property
    def rasa_url(self) -> str:
        return f"http://127.0.0.1:{self.settings.rasa_port}"

    @property
    def triage_url(self) -> str:
        return f"http://127.0.0.1:{self.settings.triage_port}"

    @property
    def action_url(self) -> str:
        return f"http://127.0.0.1:{self.settings.action_server_port}/webhook"

    def _spawn(self, name: str, args: list[str], cwd: Path, env: dict[str, str]) -> Service:
        self.log_dir.mkdir(parents=True, exist_ok=True)
        log_path = self.log_dir / f"{name}.log"
        log_file = log_path.open("ab")

        def launch() -> subprocess.Popen[bytes]:
            return subprocess.Popen(
                args, cwd=cwd, env=env, stdout=log_file, stderr=subprocess.STDOUT, start_new_session=True
            )

        service = Service(name=name, process=launch(), log_path=log_path, log_file=log_file, launch=launch)
        self.services.append(service)
        return service

    def _api_env(self, port: int) -> dict[str, str]:
        env = dict(os.environ)
        env.update(
            {
                "REDIS_URL": self.redis_url,
                "TRIAGE_PORT": str(port),
                "TRIAGE_HOST": "127.0.0.1",
                "TRIAGE_AGENT_TOKENS": self.tokens.registry_json(),
                "TRIAGE_CHAT_SECRET": self.tokens.chat,
                "TRIAGE_CHAT_BOT_URL": f"{self.rasa_url}/webhooks/rest/webhook",
                "TRIAGE_TRACKER_REDIS_URL": self.tracker_redis_url,
                "PYTHONPATH": str(REPO_ROOT),
            }
        )
        return env

    def start_api(self, name: str = "triage-api", port: int | None = None) -> None:
        """Starts one triage API process (again, after `stop_service(name)` in a fault test); by
        default the one on the API port."""
        if port is None:  # again where it was (behind the proxy), else the API port
            port = self.api_ports.get(name, self.settings.triage_port)
        for old in [s for s in self.services if s.name == name]:
            if old.process.poll() is None:
                raise RuntimeError(f"{name} is running already")
            if old.log_file is not None:
                old.log_file.close()
            self.services.remove(old)
        self._spawn(name, [sys.executable, "-m", "triage_api.main"], REPO_ROOT, self._api_env(port))
        self.api_ports[name] = port

    def _start_instances(
        self, count: int, name: str, port: int, start_one: Callable[[str, int], object]
    ) -> RoundRobinProxy | None:
        """One process on `port`, or `count` of them (`name`, `name-2` …) on free ports behind a
        round-robin proxy on `port`, as a load balancer puts them in a deployment."""
        if count == 1:
            start_one(name, port)
            return None
        ports = [free_port() for _ in range(count)]
        for index, own_port in enumerate(ports):
            start_one(name if index == 0 else f"{name}-{index + 1}", own_port)
        proxy = RoundRobinProxy(port, [("127.0.0.1", p) for p in ports])
        proxy.start()
        return proxy

    def stop_service(self, name: str) -> None:
        """Stops one child and keeps it stopped (a fault test takes the API away mid-conversation)."""
        for service in self.services:
            if service.name == name:
                service.held = True
            if service.name == name and service.process.poll() is None:
                os.killpg(service.process.pid, signal.SIGTERM)
                try:
                    service.process.wait(timeout=20)
                except subprocess.TimeoutExpired:
                    os.killpg(service.process.pid, signal.SIGKILL)
                    service.process.wait()

    def start(self) -> None:
        settings = self.settings
        self.log_dir.mkdir(parents=True, exist_ok=True)
        if settings.redis_url is None:

            def launch_redis() -> subprocess.Popen[bytes]:
                return start_redis(
                    settings.data_dir / "redis", settings.redis_port, self.log_dir / "redis.log"
                )

            self.services.append(
                Service("redis", launch_redis(), self.log_dir / "redis.log", launch=launch_redis)
            )
        # Several API processes share Redis (their atomicity is in Lua scripts, their background
        # workers are consumer groups).
        self.api_proxy = self._start_instances(
            settings.api_instances, "triage-api", settings.triage_port, self.start_api
        )

        env = rasa_env(settings)
        redis_address = urlparse(self.tracker_redis_url)
        env.update(
            {
                "TRIAGE_API_URL": self.triage_url,
                "TRIAGE_BOT_TOKEN": self.tokens.bot,
                "ACTION_SERVER_URL": self.action_url,
                "TRACKER_REDIS_HOST": redis_address.hostname or "127.0.0.1",
                "TRACKER_REDIS_PORT": str(redis_address.port or 6379),
                "TRACKER_REDIS_DB": str(TRACKER_DB),
                "ACTIONS_REDIS_URL": self.redis_url,
                "ACTIONS_SERVER_SECRET": self.tokens.action_server,
                "SHOPPER_IDENTITY_SECRET": self.tokens.shopper_identity,
                "ACTIONS_HOST": "127.0.0.1",
                "ACTIONS_PORT": str(settings.action_server_port),
            }
        )
        self._rasa_env = env
        self._spawn(
            "action-server",
            [str(settings.rasa_venv / "bin" / "python"), "-m", "actions.serve"],
            REPO_ROOT / "bot",
            env,
        )
        # Several Rasa servers share the trackers and locks in Redis.
        self.proxy = self._start_instances(
            settings.rasa_instances, "rasa", settings.rasa_port, self.start_rasa
        )
        self.wait_until_healthy()

    def start_rasa(self, name: str, port: int) -> str:
        """Starts one Rasa server on `port` (after `start()`, e.g. a second instance in a test);
        its base URL."""
        settings = self.settings
        self._spawn(
            name,
            [
                str(settings.rasa_venv / "bin" / "rasa"),
                "run",
                "--enable-api",
                "--auth-token",
                self.tokens.rasa_api,
                "--interface",
                "127.0.0.1",
                "--cors",
                "*",
                "--port",
                str(port),
                "--model",
                str(model_path(settings)),
                "--credentials",
                "credentials.yml",
                "--endpoints",
                "endpoints.yml",
            ],
            REPO_ROOT / "bot",
            self._rasa_env,
        )
        self.rasa_ports[name] = port
        return f"http://127.0.0.1:{port}"

    def wait_until_healthy(self) -> None:
        checks = {
            **{name: f"http://127.0.0.1:{port}/health" for name, port in self.api_ports.items()},
            "action-server": f"http://127.0.0.1:{self.settings.action_server_port}/health",
            **{
                name: f"http://127.0.0.1:{port}/status?token={self.tokens.rasa_api}"
                for name, port in self.rasa_ports.items()
            },
        }
        deadline = time.monotonic() + self.settings.startup_timeout
        pending = dict(checks)
        while pending and time.monotonic() < deadline:
            for service in self.services:
                if service.process.poll() is not None:
                    raise RuntimeError(
                        f"{service.name} exited with {service.process.returncode}; see {service.log_path}"
                    )
            for name, url in list(pending.items()):
                if http_ok(url):
                    del pending[name]
            time.sleep(0.5)
        if pending:
            raise TimeoutError(f"not healthy in time: {', '.join(pending)} (logs in {self.log_dir})")
        for port in self.rasa_ports.values():
            wait_for_port("127.0.0.1", port, timeout=5)

    # ----- supervision: a child that dies is restarted, the others keep serving
    def supervise_once(self, now: float | None = None) -> list[str]:
        """Restarts each dead child whose back-off has passed; the names of those restarted."""
        now = time.monotonic() if now is None else now
        restarted: list[str] = []
        with self._supervising:
            if self._stopping.is_set():
                return restarted
            for service in self.services:
                if service.process.poll() is None:
                    if now - service.started_at >= HEALTHY_AFTER_SECONDS:
                        service.failures = 0
                    continue
                if service.launch is None or service.held:
                    continue
                if service.restart_at is None:
                    service.restart_at = now + service.backoff()
                    print(
                        f"{service.name} exited with {service.process.returncode}; restarting in "
                        f"{service.backoff():.0f} s (see {service.log_path})",
                        flush=True,
                    )
                if now >= service.restart_at:
                    try:
                        service.process = service.launch()
                    except (OSError, RuntimeError) as error:  # e.g. its port still taken: try later
                        print(f"{service.name} could not start again: {error}", flush=True)
                    else:
                        service.restarts += 1
                        restarted.append(service.name)
                    service.failures += 1
                    service.started_at, service.restart_at = now, None
        return restarted

    def start_supervisor(self, interval: float = 0.5) -> None:
        """Watches the children from a background thread until `stop()`."""

        def watch() -> None:
            while not self._stopping.wait(interval):
                self.supervise_once()

        threading.Thread(target=watch, name="stack-supervisor", daemon=True).start()

    def service(self, name: str) -> Service:
        return next(s for s in self.services if s.name == name)

    def stop(self) -> None:
        self._stopping.set()
        for proxy in (self.proxy, self.api_proxy):
            if proxy is not None:
                proxy.stop()
        with self._supervising:
            self._stop_children()

    def _stop_children(self) -> None:
        for service in reversed(self.services):
            if service.process.poll() is None:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(service.process.pid, signal.SIGTERM)
        for service in reversed(self.services):
            try:
                service.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(service.process.pid, signal.SIGKILL)
                service.process.wait()
            if service.log_file is not None:
                service.log_file.close()
        self.services.clear()

    def banner(self) -> str:
        return "\n".join(
            [
                "",
                "After-sales intake stack is up:",
                f"  Rasa server        {self.rasa_url}   (REST: {self.rasa_url}/webhooks/rest/webhook)",
                f"  action server      {self.action_url}",
                f"  triage API         {self.triage_url}   (OpenAPI: {self.triage_url}/docs)",
                f"  agent console      {self.triage_url}/console   (sign in with the agent token below)",
                f"  shopper chat       {self.triage_url}/chat   (a new conversation with the bot)",
                f"  Redis              {self.redis_url}"
                + ("   (embedded, AOF in var/redis)" if self.settings.redis_url is None else ""),
                f"  logs               {self.log_dir}",
                "",
                f"  development agent token:      {self.tokens.agent}",
                f"  Rasa HTTP API token:          {self.tokens.rasa_api}   (as ?token=…)",
                f"  development supervisor token: {self.tokens.supervisor}",
                f"  shopper identity secret:      {self.tokens.shopper_identity}   (HS256 identity tokens)",
                "",
                "Try the whole loop: open the shopper chat, tell the bot your problem, confirm;",
                "then in the console claim the ticket, reply and resolve; rate it back in the chat.",
                "",
                "Or by hand:",
                f"  curl -s {self.rasa_url}/webhooks/rest/webhook -H 'Content-Type: application/json' \\",
                '    -d \'{"sender": "demo-1", '
                '"message": "订单2025112312345678的快递一直没更新，我要退款"}\'',
                "",
                "Press Ctrl-C to stop everything.",
            ]
        )
