"""The triage policy: grades a handed-over case from its issue type and what the shopper said.

All rules come from a versioned data file (policy.yaml); this module only interprets them.
Every decision carries an `explain` list so an agent can see why a ticket got its severity.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import yaml

from knowledge_base.textnorm import normalize
from triage_api.tickets.schemas import Channel, IssueType, Queue, Responsibility, Severity

_SEVERITY_ORDER = {Severity.normal: 0, Severity.important: 1, Severity.urgent: 2}
_CLAUSE_SPLIT = re.compile(r"[，,。.!！?？;；\n]+")
_DURATION = re.compile(r"^(\d+)\s*([smhd])$")


def parse_duration(text: str) -> timedelta:
    """'5m' -> 5 minutes; units s, m, h, d."""
    match = _DURATION.match(str(text).strip())
    if not match:
        raise ValueError(f"bad duration {text!r}: use a number and one of s, m, h, d")
    amount, unit = int(match.group(1)), match.group(2)
    return {
        "s": timedelta(seconds=amount),
        "m": timedelta(minutes=amount),
        "h": timedelta(hours=amount),
        "d": timedelta(days=amount),
    }[unit]


@dataclass(frozen=True)
class SignalRule:
    name: str
    raises_to: Severity
    patterns: tuple[re.Pattern[str], ...]


@dataclass(frozen=True)
class RoutingRule:
    queue: Queue
    when_signal: str | None = None
    when_issue_types: frozenset[IssueType] | None = None

    def matches(self, issue_type: IssueType, signals: set[str]) -> bool:
        if self.when_signal is not None:
            return self.when_signal in signals
        if self.when_issue_types is not None:
            return issue_type in self.when_issue_types
        return True


@dataclass(frozen=True)
class SignalHit:
    signal: str
    text: str


@dataclass
class TriageDecision:
    """What the policy concluded for one case, with the reasons."""

    severity: Severity
    responsibility: Responsibility
    queue: Queue
    complexity: str
    priority: float
    first_response_due: datetime
    resolution_due: datetime
    signals: list[str]
    policy_version: str
    explain: list[str] = field(default_factory=list)


class TriagePolicy:
    """An immutable, validated view of policy.yaml."""

    def __init__(self, raw: dict[str, Any]) -> None:
        self.version = str(raw["version"])
        self.severity_by_issue_type = {
            IssueType(k): Severity(v) for k, v in raw["severity_by_issue_type"].items()
        }
        self.responsibility_by_issue_type = {
            IssueType(k): Responsibility(v) for k, v in raw["responsibility_by_issue_type"].items()
        }
        self.signals = tuple(
            SignalRule(
                name=name,
                raises_to=Severity(rule["raises_to"]),
                patterns=tuple(re.compile(p) for p in rule["patterns"]),
            )
            for name, rule in raw["urgent_signals"].items()
        )
        negation = raw["negation_before"]
        self.negation_window = int(negation["window"])
        self.negation = re.compile(negation["pattern"] + r"\S{0,3}$")
        self.figurative = tuple(re.compile(p) for p in raw.get("figurative", []))
        self.routing = tuple(
            RoutingRule(
                queue=Queue(rule["queue"]),
                when_signal=rule.get("when_signal"),
                when_issue_types=(
                    frozenset(IssueType(t) for t in rule["when_issue_type"])
                    if "when_issue_type" in rule
                    else None
                ),
            )
            for rule in raw["queue_routing"]
        )
        self.complex_issue_types = frozenset(IssueType(t) for t in raw["complex_issue_types"])
        sla = raw["sla"]
        self.first_response = {key: parse_duration(value) for key, value in sla["first_response"].items()}
        self.resolution = {key: parse_duration(value) for key, value in sla["resolution"].items()}
        self.severity_rank = {Severity(k): float(v) for k, v in raw["priority"]["severity_rank"].items()}
        self.vip_bonus = float(raw["priority"]["vip_bonus"])
        missing = set(IssueType) - set(self.severity_by_issue_type)
        if missing:
            raise ValueError(f"policy has no severity for issue types {sorted(missing)}")
        if self.routing[-1].when_signal or self.routing[-1].when_issue_types:
            raise ValueError("the last queue_routing rule must be a catch-all")

    @classmethod
    def load(cls, path: Path) -> TriagePolicy:
        with path.open(encoding="utf-8") as handle:
            return cls(yaml.safe_load(handle))

    def detect_signals(self, texts: list[str]) -> list[SignalHit]:
        """Urgent signals meant by the shopper's turns; negated or figurative mentions are skipped."""
        hits: list[SignalHit] = []
        seen: set[str] = set()
        for text in texts:
            for clause in _CLAUSE_SPLIT.split(normalize(text)):
                for rule in self.signals:
                    if rule.name in seen:
                        continue
                    if self._clause_means(rule, clause):
                        seen.add(rule.name)
                        hits.append(SignalHit(signal=rule.name, text=clause[:80]))
        return hits

    def _clause_means(self, rule: SignalRule, clause: str) -> bool:
        figurative_spans = [m.span() for p in self.figurative for m in p.finditer(clause)]
        for pattern in rule.patterns:
            for match in pattern.finditer(clause):
                start, end = match.span()
                if any(fs <= start < fe or fs < end <= fe for fs, fe in figurative_spans):
                    continue
                before = clause[max(0, start - self.negation_window) : start]
                if self.negation.search(before):
                    continue
                return True
        return False

    def decide(
        self,
        *,
        issue_type: IssueType,
        channel: Channel,
        vip: bool,
        shopper_texts: list[str],
        created_at: datetime,
        repeat_complaints: int = 0,
    ) -> TriageDecision:
        explain: list[str] = []
        severity = self.severity_by_issue_type[issue_type]
        explain.append(f"issue type {issue_type.value} starts at {severity.value}")
        hits = self.detect_signals(shopper_texts)
        for hit in hits:
            rule = next(r for r in self.signals if r.name == hit.signal)
            if _SEVERITY_ORDER[rule.raises_to] > _SEVERITY_ORDER[severity]:
                severity = rule.raises_to
            explain.append(f"signal {hit.signal} in 「{hit.text}」 raises to {rule.raises_to.value}")
        if repeat_complaints > 0 and severity is Severity.normal:
            severity = Severity.important
            explain.append(
                f"{repeat_complaints} earlier complaint(s) about the same order or customer "
                "raise normal to important"
            )
        signals = {hit.signal for hit in hits}
        queue = next(rule for rule in self.routing if rule.matches(issue_type, signals)).queue
        explain.append(f"routed to queue {queue.value}")
        responsibility = self.responsibility_by_issue_type.get(issue_type, Responsibility.unknown)
        complexity = "complex" if issue_type in self.complex_issue_types else "simple"
        if severity is Severity.urgent or vip:
            first_response = self.first_response["urgent_any_channel"]
            if vip:
                explain.append("VIP customer: urgent first-response deadline and served first")
        else:
            first_response = self.first_response[channel.value]
        resolution = self.resolution[complexity]
        due = created_at + resolution
        priority = self.severity_rank[severity] - (self.vip_bonus if vip else 0.0)
        # Earlier deadlines first within the same band: a fraction keeps bands apart.
        priority += (due.timestamp() % 10**9) / 10**10
        return TriageDecision(
            severity=severity,
            responsibility=responsibility,
            queue=queue,
            complexity=complexity,
            priority=round(priority, 10),
            first_response_due=created_at + first_response,
            resolution_due=due,
            signals=sorted(signals),
            policy_version=self.version,
            explain=explain,
        )
