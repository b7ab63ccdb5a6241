"""The triage policy: grades a handed-over case from its issue type and what the shopper said.

All rules come from a versioned data file (policy.yaml); this module only interprets them.
Every decision carries an `explain` list so an agent can see why a ticket got its severity.
"""

from __future__ import annotations

import itertools
import re
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import yaml

from knowledge_base.textnorm import normalize
from triage_api.tickets.schemas import Channel, IssueType, Queue, Remedy, Responsibility, Severity
from urgency import CLAUSE_SPLIT, SignalHit, SignalReader, SignalReading
from urgency import version as urgency_version

_SEVERITY_ORDER = {Severity.normal: 0, Severity.important: 1, Severity.urgent: 2}
_BY_ORDER = {rank: severity for severity, rank in _SEVERITY_ORDER.items()}
# The resolution deadline orders tickets within a priority band as a fraction below 0.1:
# one second is 1e-10, counted from 2020, so the fraction stays below 0.1 until 2051. Scores keep
# 13 decimals (a millisecond; a double near 3 resolves 4e-16), so equal cases are served in order.
_DEADLINE_EPOCH = datetime(2020, 1, 1, tzinfo=timezone.utc).timestamp()
_DEADLINE_SCALE = 1e10
_DEADLINE_SPAN = 0.1
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
class ResponsibilityRule:
    responsibility: Responsibility
    pattern: re.Pattern[str]
    when_issue_types: frozenset[IssueType] | None = None


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
    urgency_version: str = ""
    repeat: bool = False
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
        self.signal_reader = SignalReader.load()  # the urgency package: the bot reads the same
        self.urgency_version = urgency_version()
        self.signals = self.signal_reader.rules
        self.responsibility_rules = tuple(
            ResponsibilityRule(
                responsibility=Responsibility(rule["responsibility"]),
                pattern=re.compile(rule["pattern"]),
                when_issue_types=(
                    frozenset(IssueType(t) for t in rule["when_issue_type"])
                    if "when_issue_type" in rule
                    else None
                ),
            )
            for rule in raw.get("responsibility_rules", [])
        )
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
        complexity = raw.get("complexity", {})
        self.complex_remedies = frozenset(Remedy(r) for r in complexity.get("complex_remedies", []))
        self.complex_signals = frozenset(str(s) for s in complexity.get("complex_signals", []))
        self.repeat_on_same_order_is_complex = bool(complexity.get("repeat_on_same_order_is_complex"))
        repeats = raw.get("repeat_complaints", {})
        self.repeat_window = parse_duration(repeats.get("window", "30d"))
        self.same_order_raises_to = Severity(repeats.get("same_order_raises_to", "important"))
        self.same_customer_threshold = int(repeats.get("same_customer_threshold", 1))
        self.same_customer_raises_to = Severity(repeats.get("same_customer_raises_to", "important"))
        sla = raw["sla"]
        self.first_response = {key: parse_duration(value) for key, value in sla["first_response"].items()}
        self.resolution = {key: parse_duration(value) for key, value in sla["resolution"].items()}
        priority = raw["priority"]
        self.severity_rank = {Severity(k): float(v) for k, v in priority["severity_rank"].items()}
        self.escalation_bonus = float(priority.get("escalation_bonus", 0.0))
        self.vip_bonus = float(priority["vip_bonus"])
        self.repeat_bonus = float(priority.get("repeat_bonus", 0.0))
        self.escalation_raises_severity = bool(raw.get("escalation", {}).get("raise_severity", False))
        self.revisit_timeout = parse_duration(raw.get("revisit", {}).get("timeout", "72h"))
        self._check_priority_bands()
        missing = set(IssueType) - set(self.severity_by_issue_type)
        if missing:
            raise ValueError(f"policy has no severity for issue types {sorted(missing)}")
        if self.routing[-1].when_signal or self.routing[-1].when_issue_types:
            raise ValueError("the last queue_routing rule must be a catch-all")
        known_signals = {rule.name for rule in self.signals}
        if not self.complex_signals <= known_signals:
            raise ValueError(
                f"complex_signals names unknown signals {sorted(self.complex_signals - known_signals)}"
            )

    def _check_priority_bands(self) -> None:
        """Each bonus must outweigh every smaller one plus the deadline fraction, and all of them
        together must stay inside one severity band, or the documented order would not hold."""
        smaller = _DEADLINE_SPAN
        for name, bonus in (
            ("repeat_bonus", self.repeat_bonus),
            ("vip_bonus", self.vip_bonus),
            ("escalation_bonus", self.escalation_bonus),
        ):
            if bonus < smaller:
                raise ValueError(f"priority.{name} {bonus} must be at least {smaller:.2f}")
            smaller += bonus
        ranks = sorted(self.severity_rank[s] for s in Severity)
        if any(later - earlier <= smaller for earlier, later in itertools.pairwise(ranks)):
            raise ValueError(f"severity ranks must be more than {smaller:.2f} apart")

    @classmethod
    def load(cls, path: Path) -> TriagePolicy:
        with path.open(encoding="utf-8") as handle:
            return cls(yaml.safe_load(handle))

    def detect_signals(self, texts: list[str]) -> list[SignalHit]:
        """Urgent signals meant by the shopper's turns; negated or figurative mentions are skipped."""
        return self.read_signals(texts).hits

    def read_signals(self, texts: list[str], issue_type: IssueType | None = None) -> SignalReading:
        """Signals still meant at the end of the shopper's turns, and those withdrawn."""
        return self.signal_reader.read(texts, issue_type.value if issue_type else None)

    def _responsibility(
        self, issue_type: IssueType, shopper_texts: list[str], explain: list[str]
    ) -> Responsibility:
        default = self.responsibility_by_issue_type.get(issue_type, Responsibility.unknown)
        clauses = [c for text in shopper_texts for c in CLAUSE_SPLIT.split(normalize(text))]
        for rule in self.responsibility_rules:
            if rule.when_issue_types is not None and issue_type not in rule.when_issue_types:
                continue
            for clause in clauses:
                if self.signal_reader.meaningful_match((rule.pattern,), clause) is not None:
                    if rule.responsibility is not default:
                        explain.append(
                            f"「{clause[:40]}」 points to {rule.responsibility.value} responsibility"
                        )
                    return rule.responsibility
        return default

    def priority(
        self,
        *,
        severity: Severity,
        vip: bool,
        resolution_due: datetime,
        escalated: bool = False,
        repeat: bool = False,
    ) -> float:
        """Queue score, lower first: severity band, escalated, VIP, repeat, earlier deadline."""
        score = self.severity_rank[severity]
        score -= self.escalation_bonus if escalated else 0.0
        score -= self.vip_bonus if vip else 0.0
        score -= self.repeat_bonus if repeat else 0.0
        fraction = (resolution_due.timestamp() - _DEADLINE_EPOCH) / _DEADLINE_SCALE
        score += min(max(fraction, 0.0), _DEADLINE_SPAN - 1e-13)
        return round(score, 13)

    def escalated_severity(self, severity: Severity) -> Severity:
        """The severity after an SLA breach: one step up when the policy says so."""
        if not self.escalation_raises_severity:
            return severity
        return _BY_ORDER[min(_SEVERITY_ORDER[severity] + 1, _SEVERITY_ORDER[Severity.urgent])]

    def resolution_time(self, complexity: str) -> timedelta:
        return self.resolution[complexity]

    def decide(
        self,
        *,
        issue_type: IssueType,
        channel: Channel,
        vip: bool,
        shopper_texts: list[str],
        created_at: datetime,
        remedy: Remedy | None = None,
        earlier_on_order: int = 0,
        earlier_by_customer: int = 0,
    ) -> TriageDecision:
        """Grades one case. `earlier_*` count complaints within `repeat_complaints.window`."""
        explain: list[str] = []
        severity = self.severity_by_issue_type[issue_type]
        explain.append(f"issue type {issue_type.value} starts at {severity.value}")
        reading = self.read_signals(shopper_texts, issue_type)
        for hit in reading.hits:
            rule = next(r for r in self.signals if r.name == hit.signal)
            raises_to = Severity(rule.raises_to)
            severity = _raise(severity, raises_to)
            how = "in" if hit.source == "rules" else f"read from the meaning ({hit.confidence:.2f}) of"
            explain.append(f"signal {hit.signal} {how} 「{hit.text}」 raises to {raises_to.value}")
        for hit in reading.withdrawn:
            explain.append(f"signal {hit.signal} withdrawn by 「{hit.text}」")
        for hit in reading.doubted:
            explain.append(f"signal {hit.signal} in 「{hit.text}」 doubted: the turns do not read as urgent")
        repeat = earlier_on_order > 0 or earlier_by_customer >= self.same_customer_threshold
        if earlier_on_order > 0:
            severity = _raise(severity, self.same_order_raises_to)
            explain.append(
                f"{earlier_on_order} earlier complaint(s) about the same order: at least "
                f"{self.same_order_raises_to.value}"
            )
        if earlier_by_customer >= self.same_customer_threshold:
            severity = _raise(severity, self.same_customer_raises_to)
            explain.append(
                f"{earlier_by_customer} earlier complaint(s) by the same customer: at least "
                f"{self.same_customer_raises_to.value}"
            )
        signals = {hit.signal for hit in reading.hits}
        queue = next(rule for rule in self.routing if rule.matches(issue_type, signals)).queue
        explain.append(f"routed to queue {queue.value}")
        responsibility = self._responsibility(issue_type, shopper_texts, explain)
        complexity = self._complexity(issue_type, remedy, signals, earlier_on_order, explain)
        if severity is Severity.urgent or vip:
            first_response = self.first_response["urgent_any_channel"]
            if vip:
                explain.append("VIP customer: urgent first-response deadline and served first")
        else:
            first_response = self.first_response[channel.value]
        due = created_at + self.resolution[complexity]
        return TriageDecision(
            severity=severity,
            responsibility=responsibility,
            queue=queue,
            complexity=complexity,
            priority=self.priority(severity=severity, vip=vip, resolution_due=due, repeat=repeat),
            first_response_due=created_at + first_response,
            resolution_due=due,
            signals=sorted(signals),
            policy_version=self.version,
            urgency_version=self.urgency_version,
            repeat=repeat,
            explain=explain,
        )

    def _complexity(
        self,
        issue_type: IssueType,
        remedy: Remedy | None,
        signals: set[str],
        earlier_on_order: int,
        explain: list[str],
    ) -> str:
        if issue_type in self.complex_issue_types:
            explain.append(f"complex: {issue_type.value} needs evidence or third parties")
            return "complex"
        if remedy is not None and remedy in self.complex_remedies:
            explain.append(f"complex: remedy {remedy.value} needs investigation")
            return "complex"
        if signals & self.complex_signals:
            explain.append(f"complex: signal {sorted(signals & self.complex_signals)[0]}")
            return "complex"
        if earlier_on_order > 0 and self.repeat_on_same_order_is_complex:
            explain.append("complex: the same order was complained about before")
            return "complex"
        return "simple"


def _raise(severity: Severity, to: Severity) -> Severity:
    """Signals and repeats only ever raise severity."""
    return to if _SEVERITY_ORDER[to] > _SEVERITY_ORDER[severity] else severity
