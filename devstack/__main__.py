"""`python -m devstack run` starts the whole stack; `python -m devstack train` trains if stale."""

from __future__ import annotations

import signal
import sys
import threading

from devstack.settings import StackSettings
from devstack.stack import Stack
from devstack.training import train_if_stale


def run() -> int:
    settings = StackSettings()
    stack = Stack(settings)
    stopping = threading.Event()

    def request_stop(signum: int, _frame: object) -> None:
        stopping.set()

    signal.signal(signal.SIGINT, request_stop)
    signal.signal(signal.SIGTERM, request_stop)
    try:
        print("starting Redis, triage API, action server and Rasa server …", flush=True)
        stack.start()
        print(stack.banner(), flush=True)
        # A child that dies is restarted with back-off; the others keep serving meanwhile.
        while not stopping.wait(0.5):
            for name in stack.supervise_once():
                print(f"{name} started again", flush=True)
        return 0
    except (RuntimeError, TimeoutError) as error:
        print(f"start-up failed: {error}", file=sys.stderr, flush=True)
        return 1
    finally:
        print("stopping …", flush=True)
        stack.stop()
        print("stopped.", flush=True)


def main(argv: list[str]) -> int:
    command = argv[1] if len(argv) > 1 else "run"
    if command == "run":
        return run()
    if command == "train":
        train_if_stale(StackSettings())
        return 0
    print(f"unknown command {command!r}; use run or train", file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv))
