"""Two triage API processes behind one address (a round-robin proxy, as a load balancer in a
deployment): a `kill -9` of one of them while shoppers are being handed over loses, doubles and
strands no case, and nobody is told anything untrue. Its own stack, started with two API
processes and supervised as under `make run`."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from devstack.stack import Stack
from knowledge_base.labels import shopper_message
from tests.e2e.load import kill_under_load, own_stack
from tests.e2e.test_faults import MISUNDERSTOOD, intake_despite_faults, wait_healthy
from tests.e2e.test_intake_slice import tickets_of

# Its own stack's start-up and the waits for recovery, under CI's load: more than the default.
pytestmark = [pytest.mark.e2e, pytest.mark.timeout(900)]

SHOPPERS = 10


@pytest.fixture(scope="module")
def two_apis(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    with own_stack(Path(tmp_path_factory.mktemp("two-apis")), api_instances=2) as running:
        yield running


def test_both_processes_serve_behind_the_one_address(two_apis: Stack) -> None:
    assert set(two_apis.api_ports) == {"triage-api", "triage-api-2"}
    assert two_apis.settings.triage_port not in two_apis.api_ports.values()
    for _ in range(6):  # each request opens a new connection: the proxy alternates
        assert httpx.get(f"{two_apis.triage_url}/health", timeout=5).status_code == 200
    assert two_apis.api_proxy is not None and min(two_apis.api_proxy.connections) >= 1


def test_a_killed_api_process_under_load_loses_doubles_and_strands_no_case(two_apis: Stack) -> None:
    senders = [f"api-worker-load-{n}" for n in range(SHOPPERS)]
    health = f"{two_apis.triage_url}/health"
    run = kill_under_load(
        two_apis, senders, "triage-api", lambda s, sender: intake_despite_faults(s, sender, health)
    )
    conversations, filed_before_kill, restarts = run.conversations, run.filed_before_kill, run.restarts_before
    assert filed_before_kill < SHOPPERS  # the kill came while cases were still being handed over
    wait_healthy(f"http://127.0.0.1:{two_apis.api_ports['triage-api']}/health")
    assert two_apis.service("triage-api").restarts == restarts + 1
    # A handoff that met the dead process went to the inbox stream, which the living process
    # drains (and a dead consumer's unacknowledged entries are claimed again after 30 s idle).
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        if all(tickets_of(two_apis, sender) for sender in senders):
            break
        time.sleep(0.5)
    for sender, told in zip(senders, conversations, strict=True):
        assert not any(MISUNDERSTOOD in line for line in told), (sender, told)
        assert len(tickets_of(two_apis, sender)) == 1, (sender, told)  # none lost, none doubled
        # Each was told its case is with a person: the ticket's own message, or that it was kept
        # and will be filed (true: it is).
        assert any("工单" in line or line == shopper_message("handoff_stored") for line in told), told
