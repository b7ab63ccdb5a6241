"""Urgent signals in what a shopper wrote: the one reader shared by the triage policy and the bot.

Reads the `urgent_signals`, `negation_before` and `figurative` sections of policy.yaml. Only
the standard library, PyYAML and the shared normaliser are imported, because the action server
(Rasa's Python 3.10 environment) uses this module too, to hand a case over at once when a
shopper threatens exposure or reports harm.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from knowledge_base.textnorm import normalize

CLAUSE_SPLIT = re.compile(r"[，,。.!！?？;；\n]+")
DEFAULT_POLICY_PATH = Path(__file__).resolve().parent / "policy.yaml"


@dataclass(frozen=True)
class SignalRule:
    name: str
    raises_to: str
    patterns: tuple[re.Pattern[str], ...]
    withdrawn_by: tuple[re.Pattern[str], ...] = ()


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
    ) -> None:
        self.rules = rules
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
            )
            for name, rule in raw["urgent_signals"].items()
        )
        negation = raw["negation_before"]
        return cls(
            rules=rules,
            negation_window=int(negation["window"]),
            negation=re.compile(negation["pattern"] + r"\S{0,3}$"),
            figurative=tuple(re.compile(p) for p in raw.get("figurative", [])),
        )

    @classmethod
    def load(cls, path: Path = DEFAULT_POLICY_PATH) -> SignalReader:
        with path.open(encoding="utf-8") as handle:
            return cls.from_policy(yaml.safe_load(handle))

    def read(self, texts: list[str]) -> SignalReading:
        """Reads the turns in order: a signal counts from its first meaningful mention until a
        later clause withdraws it (卡已经冻结了), and counts again if re-raised."""
        active: dict[str, SignalHit] = {}
        withdrawn: dict[str, SignalHit] = {}
        for text in texts:
            for clause in CLAUSE_SPLIT.split(normalize(text)):
                for rule in self.rules:
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
