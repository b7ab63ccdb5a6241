"""Our names and policy follow ../shared/spec/taxonomy.yaml: nothing renamed, nothing missing."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from devstack.settings import REPO_ROOT
from triage_api.core.settings import Settings
from triage_api.tickets.schemas import (
    Channel,
    IssueType,
    Queue,
    Remedy,
    Responsibility,
    Severity,
    TicketStatus,
)

TAXONOMY_PATH = REPO_ROOT.parent / "shared" / "spec" / "taxonomy.yaml"
pytestmark = pytest.mark.skipif(not TAXONOMY_PATH.exists(), reason="../shared is not beside the repo")


def taxonomy() -> dict:
    return yaml.safe_load(TAXONOMY_PATH.read_text(encoding="utf-8"))


def test_enums_hold_every_taxonomy_name() -> None:
    spec = taxonomy()
    assert {e.value for e in IssueType} >= set(spec["issue_types"])
    assert {e.value for e in Remedy} >= set(spec["remedies"])
    assert {e.value for e in Severity} >= set(spec["severity"])
    assert {e.value for e in Queue} >= set(spec["queues"])
    assert {e.value for e in Channel} >= set(spec["channels"])
    assert {e.value for e in TicketStatus} >= set(spec["ticket_status"])
    assert {e.value for e in Responsibility} >= set(spec["responsibility"])


def test_policy_defaults_match_the_taxonomy() -> None:
    spec = taxonomy()
    policy = yaml.safe_load(Path(Settings().policy_path).read_text(encoding="utf-8"))
    assert policy["severity_by_issue_type"] == spec["severity_by_issue_type"]
    assert policy["responsibility_by_issue_type"] == spec["responsibility_by_issue_type"]
    assert policy["sla"] == spec["sla_defaults"]


def test_bot_domain_declares_every_intent() -> None:
    domain = yaml.safe_load((REPO_ROOT / "bot" / "domain" / "intents.yml").read_text(encoding="utf-8"))
    assert set(domain["intents"]) == set(taxonomy()["intents"])
