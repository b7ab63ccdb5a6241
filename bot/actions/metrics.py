"""Prometheus metrics of the action server, served at /metrics by actions/serve.py (with the
server's secret): actions run, their latency, handoffs posted or stored, triage API failures."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Histogram, ProcessCollector

# The server's own registry: rasa-sdk imports every module of the package, and a second import
# under another name must not clash with the first in a process-wide one.
REGISTRY = CollectorRegistry()
ProcessCollector(registry=REGISTRY)

ACTION_RUNS = Counter(
    "actions_runs",
    "actions run, by name and outcome: ok, rejected (a form refused) or error",
    ["action", "outcome"],
    registry=REGISTRY,
)
ACTION_SECONDS = Histogram(
    "actions_run_duration_seconds",
    "time to run one action call of Rasa, by action",
    ["action"],
    registry=REGISTRY,
    buckets=(0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30),
)
HANDOFFS = Counter(
    "actions_handoffs",
    "handoffs by outcome: posted (the API made the ticket), stored (in the outbox for the API "
    "to deliver) or lost (neither; the shopper was asked to try again)",
    ["outcome"],
    registry=REGISTRY,
)
TRIAGE_API_FAILURES = Counter(
    "actions_triage_api_failures",
    "calls to the triage API that failed after their retries: unreachable (no answer, time-out, "
    "5xx) or refused (4xx)",
    ["call", "reason"],
    registry=REGISTRY,
)

for outcome in ("posted", "stored", "lost"):
    HANDOFFS.labels(outcome=outcome)  # present at 0 from the start, so rates need no first event


def outcome_of(status: int) -> str:
    """The outcome of an action call by the status rasa-sdk answered it with."""
    if status < 400:
        return "ok"
    return "rejected" if status == 400 else "error"
