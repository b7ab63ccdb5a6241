"""Urgent signals in what a shopper wrote: the one reader shared by the triage policy and the bot.

Reads `signals.yaml` beside it (`urgent_signals`, `negation_before`, `figurative`). Only the
standard library, PyYAML and the shared normaliser are imported, because the action server
(Rasa's Python 3.10 environment) uses this package too, to hand a case over at once when a
shopper reports harm, money still being taken or a threat of exposure.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from knowledge_base.textnorm import normalize

CLAUSE_SPLIT = re.compile(r"[，,。.!！?？;；\n]+")
SIGNALS_PATH = Path(__file__).resolve().parent / "signals.yaml"


@dataclass(frozen=True)
class SignalRule:
    name: str
    raises_to: str
    patterns: tuple[re.Pattern[str], ...]
    withdrawn_by: tuple[re.Pattern[str], ...] = ()
    needs_context: tuple[re.Pattern[str], ...] = ()  # somewhere in the turns, or the rule stays silent
    context_issue_types: frozenset[str] = frozenset()  # …unless the case is already one of these


@dataclass(frozen=True)
class SignalHit:
    signal: str
    text: str


@dataclass(frozen=True)
class SignalReading:
    """Signals still meant at the end of the conversation, and those a later turn withdrew."""

    hits: list[SignalHit]
    withdrawn: list[SignalHit]


class SignalReader:
    """Finds what the shopper's turns mean, clause by clause, skipping negated or figurative mentions."""

    def __init__(
        self,
        rules: tuple[SignalRule, ...],
        negation_window: int,
        negation: re.Pattern[str],
        figurative: tuple[re.Pattern[str], ...],
        hypothetical: tuple[re.Pattern[str], ...] = (),
    ) -> None:
        self.rules = rules
        self.hypothetical = hypothetical
        self.negation_window = negation_window
        self.negation = negation
        self.figurative = figurative

    @classmethod
    def from_policy(cls, raw: dict[str, Any]) -> SignalReader:
        rules = tuple(
            SignalRule(
                name=name,
                raises_to=str(rule["raises_to"]),
                patterns=tuple(re.compile(p) for p in rule["patterns"]),
                withdrawn_by=tuple(re.compile(p) for p in rule.get("withdrawn_by", [])),
                needs_context=tuple(re.compile(p) for p in rule.get("needs_context", [])),
                context_issue_types=frozenset(rule.get("context_issue_types", [])),
            )
            for name, rule in raw["urgent_signals"].items()
        )
        negation = raw["negation_before"]
        return cls(
            rules=rules,
            negation_window=int(negation["window"]),
            negation=re.compile(negation["pattern"] + r"\S{0,3}$"),
            figurative=tuple(re.compile(p) for p in raw.get("figurative", [])),
            hypothetical=tuple(re.compile(p) for p in raw.get("hypothetical", [])),
        )

    @classmethod
    def load(cls, path: Path = SIGNALS_PATH) -> SignalReader:
        with path.open(encoding="utf-8") as handle:
            return cls.from_policy(yaml.safe_load(handle))

    def read(self, texts: list[str], issue_type: str | None = None) -> SignalReading:
        """Reads the turns in order: a signal counts from its first meaningful mention until a
        later clause withdraws it (卡已经冻结了), and counts again if re-raised. A rule that needs
        context (money still being taken needs someone else taking it) counts only when the turns
        give it or the case's `issue_type` is one of the rule's."""
        active: dict[str, SignalHit] = {}
        withdrawn: dict[str, SignalHit] = {}
        clauses = [
            clause
            for text in texts
            for clause in CLAUSE_SPLIT.split(normalize(text))
            if not any(p.search(clause) for p in self.hypothetical)
        ]
        rules = [
            rule
            for rule in self.rules
            if not rule.needs_context
            or issue_type in rule.context_issue_types
            # A context word tells what the case is about, negated or past included: after
            # "之前被盗刷过一次" a charge that is still going on is someone else's doing.
            or any(p.search(c) for p in rule.needs_context for c in clauses)
        ]
        for clause in clauses:
            for rule in rules:
                said_at = self.meaningful_match(rule.patterns, clause)
                taken_back_at = max(
                    (m.start() for p in rule.withdrawn_by for m in p.finditer(clause)), default=None
                )
                if said_at is not None and (taken_back_at is None or said_at > taken_back_at):
                    active.setdefault(rule.name, SignalHit(signal=rule.name, text=clause[:80]))
                    withdrawn.pop(rule.name, None)
                elif taken_back_at is not None and (rule.name in active or said_at is not None):
                    active.pop(rule.name, None)
                    withdrawn[rule.name] = SignalHit(signal=rule.name, text=clause[:80])
        return SignalReading(hits=list(active.values()), withdrawn=list(withdrawn.values()))

    def meaningful_match(self, patterns: tuple[re.Pattern[str], ...], clause: str) -> int | None:
        """Where the first match not negated and not figurative starts, or None."""
        figurative_spans = [m.span() for p in self.figurative for m in p.finditer(clause)]
        found: int | None = None
        for pattern in patterns:
            for match in pattern.finditer(clause):
                start, end = match.span()
                if any(fs <= start < fe or fs < end <= fe for fs, fe in figurative_spans):
                    continue
                before = clause[max(0, start - self.negation_window) : start]
                if self.negation.search(before):
                    continue
                found = start if found is None else min(found, start)
                break
        return found


def version(path: Path = SIGNALS_PATH) -> str:
    """The version of the signal data (`bench/urgency_reading.py` prints it beside its figures)."""
    with path.open(encoding="utf-8") as handle:
        return str(yaml.safe_load(handle)["version"])
