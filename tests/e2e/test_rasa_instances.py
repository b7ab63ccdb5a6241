"""Two Rasa servers share one conversation through Redis (trackers and the lock store): turns sent
alternately to each, through a round-robin proxy, and at the same moment, stay one consistent
dialogue with no lost or reordered turn."""

from __future__ import annotations

import os
import signal
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from itertools import pairwise

import httpx
import pytest

from devstack.proxy import RoundRobinProxy
from devstack.redis_server import free_port
from devstack.stack import Stack, http_ok
from tests.e2e.test_intake_slice import SLICE_MESSAGE, tickets_of

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def second_rasa(stack: Stack) -> Iterator[str]:
    url = stack.start_rasa("rasa-2", free_port())
    deadline = time.monotonic() + stack.settings.startup_timeout
    while not http_ok(f"{url}/status?token={stack.tokens.rasa_api}"):
        assert time.monotonic() < deadline, "the second Rasa server did not start"
        time.sleep(0.5)
    # A fresh Rasa's first turns are slow (TensorFlow builds its graphs): warm it as a deployment's
    # readiness check would, so the tests time turns, not start-up.
    say_at(url, "instances-warm-up", "你好")
    yield url
    stack.stop_service("rasa-2")


def say_at(url: str, sender: str, text: str) -> list[str]:
    answer = httpx.post(f"{url}/webhooks/rest/webhook", json={"sender": sender, "message": text}, timeout=120)
    answer.raise_for_status()
    return [m.get("text", "") for m in answer.json()]


def user_turns(stack: Stack, url: str, sender: str) -> list[str]:
    tracker = httpx.get(
        f"{url}/conversations/{sender}/tracker", params={"token": stack.tokens.rasa_api}, timeout=30
    ).json()
    return [e["text"] for e in tracker["events"] if e["event"] == "user"]


def test_turns_alternating_between_two_instances_make_one_intake(stack: Stack, second_rasa: str) -> None:
    sender = "instances-alternating"
    assert "核对" in "".join(say_at(stack.rasa_url, sender, SLICE_MESSAGE))
    say_at(second_rasa, sender, "是的")
    [ticket] = tickets_of(stack, sender)
    assert ticket["order_id"] == "2025112312345678"
    assert user_turns(stack, stack.rasa_url, sender) == user_turns(stack, second_rasa, sender)


def test_a_round_robin_proxy_in_front_of_both_keeps_the_dialogue(stack: Stack, second_rasa: str) -> None:
    proxy = RoundRobinProxy(
        free_port(),
        [("127.0.0.1", stack.rasa_ports["rasa"]), ("127.0.0.1", int(second_rasa.rsplit(":", 1)[1]))],
    )
    proxy.start()
    try:
        url = f"http://127.0.0.1:{proxy.port}"
        sender = "instances-proxy"
        assert "核对" in "".join(say_at(url, sender, SLICE_MESSAGE))
        say_at(url, sender, "是的")
        assert len(tickets_of(stack, sender)) == 1
        assert min(proxy.connections) >= 1, proxy.connections  # both instances served
    finally:
        proxy.stop()


def test_two_messages_at_once_on_both_instances_are_both_kept_in_order(
    stack: Stack, second_rasa: str
) -> None:
    sender = "instances-race"
    texts = [f"第{n}条：快递一直没更新" for n in range(1, 7)]
    with ThreadPoolExecutor(max_workers=6) as pool:
        answers = list(
            pool.map(
                lambda item: say_at([stack.rasa_url, second_rasa][item[0] % 2], sender, item[1]),
                enumerate(texts),
            )
        )
    assert all(answers), answers  # every message got an answer
    kept = user_turns(stack, stack.rasa_url, sender)
    assert sorted(kept) == sorted(texts)  # none lost, none doubled
    tracker = httpx.get(
        f"{stack.rasa_url}/conversations/{sender}/tracker",
        params={"token": stack.tokens.rasa_api},
        timeout=30,
    ).json()
    kinds = [e["event"] for e in tracker["events"] if e["event"] in ("user", "bot")]
    # The lock store serialises the turns: each message's answer comes before the next message.
    assert all(b == "bot" for a, b in pairwise(kinds) if a == "user"), kinds


def test_a_killed_instance_is_skipped_by_the_proxy_and_comes_back(stack: Stack, second_rasa: str) -> None:
    second_port = int(second_rasa.rsplit(":", 1)[1])
    proxy = RoundRobinProxy(
        free_port(), [("127.0.0.1", stack.rasa_ports["rasa"]), ("127.0.0.1", second_port)]
    )
    proxy.start()
    try:
        url = f"http://127.0.0.1:{proxy.port}"
        sender = "instances-kill"
        assert "核对" in "".join(say_at(url, sender, SLICE_MESSAGE))
        second = stack.service("rasa-2")
        restarts = second.restarts
        os.killpg(second.process.pid, signal.SIGKILL)
        second.process.wait(timeout=20)
        say_at(url, sender, "是的")  # whichever instance the proxy picks, the other answers
        assert len(tickets_of(stack, sender)) == 1
        deadline = time.monotonic() + stack.settings.startup_timeout
        while not http_ok(f"{second_rasa}/status?token={stack.tokens.rasa_api}"):
            assert time.monotonic() < deadline, "the killed Rasa server did not come back"
            time.sleep(0.5)
        assert stack.service("rasa-2").restarts == restarts + 1
    finally:
        proxy.stop()
