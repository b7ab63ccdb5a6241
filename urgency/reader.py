"""Urgent signals in what a shopper wrote: the one reader shared by the triage policy and the bot.

Reads `signals.yaml` beside it (`urgent_signals`, `negation_before`, `figurative`), and, when it
is trained, the meaning model (`urgency.meaning`) that adds what the rules miss and doubts what
they take too literally. The standard library, PyYAML, numpy, onnxruntime, `tokenizers` and the
shared normaliser are all it imports, because the action server (Rasa's Python 3.10
environment) uses this package too, to hand a case over at once when a shopper reports harm,
money still being taken or a threat of exposure.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from knowledge_base.textnorm import normalize
from urgency.meaning import MeaningModel, model_stamp

CLAUSE_SPLIT = re.compile(r"[，,。.!！?？;；\n]+")
SIGNALS_PATH = Path(__file__).resolve().parent / "signals.yaml"


@dataclass(frozen=True)
class SignalRule:
    name: str
    raises_to: str
    patterns: tuple[re.Pattern[str], ...]
    withdrawn_by: tuple[re.Pattern[str], ...] = ()
    kept_by: tuple[re.Pattern[str], ...] = ()  # harm done anywhere in the turns: no withdrawal counts
    needs_context: tuple[re.Pattern[str], ...] = ()  # somewhere in the turns, or the rule stays silent
    context_issue_types: frozenset[str] = frozenset()  # …unless the case is already one of these


@dataclass(frozen=True)
class SignalHit:
    signal: str
    text: str
    source: str = "rules"  # or "meaning": read by the meaning model, with `confidence`
    confidence: float = 1.0


@dataclass(frozen=True)
class SignalReading:
    """Signals still meant at the end of the conversation, and those a later turn withdrew."""

    hits: list[SignalHit]
    withdrawn: list[SignalHit]
    doubted: list[SignalHit] = field(default_factory=list)  # rule hits the meaning model vetoed


class SignalReader:
    """Finds what the shopper's turns mean, clause by clause, skipping negated or figurative mentions."""

    def __init__(
        self,
        rules: tuple[SignalRule, ...],
        negation_window: int,
        negation: re.Pattern[str],
        figurative: tuple[re.Pattern[str], ...],
        hypothetical: tuple[re.Pattern[str], ...] = (),
        meaning: MeaningModel | None = None,
        condition: re.Pattern[str] | None = None,
        corrections: tuple[re.Pattern[str], ...] = (),
        told_aside: tuple[re.Pattern[str], ...] = (),
    ) -> None:
        self.rules = rules
        self.corrections = corrections
        self.told_aside = told_aside
        self.meaning = meaning
        self.hypothetical = hypothetical
        self.negation_window = negation_window
        self.negation = negation
        self.condition = condition
        self.figurative = figurative

    @classmethod
    def from_policy(cls, raw: dict[str, Any], meaning: MeaningModel | None = None) -> SignalReader:
        rules = tuple(
            SignalRule(
                name=name,
                raises_to=str(rule["raises_to"]),
                patterns=tuple(re.compile(p) for p in rule["patterns"]),
                withdrawn_by=tuple(re.compile(p) for p in rule.get("withdrawn_by", [])),
                kept_by=tuple(re.compile(p) for p in rule.get("kept_by", [])),
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
            meaning=meaning,
            condition=re.compile(negation["condition"]) if negation.get("condition") else None,
            corrections=tuple(re.compile(p) for p in raw.get("corrections", [])),
            told_aside=tuple(re.compile(p) for p in raw.get("told_aside", [])),
        )

    def with_meaning(self, meaning: MeaningModel | None) -> SignalReader:
        """The same rules read beside another meaning model (or none)."""
        return SignalReader(
            self.rules,
            self.negation_window,
            self.negation,
            self.figurative,
            self.hypothetical,
            meaning,
            self.condition,
            self.corrections,
            self.told_aside,
        )

    @classmethod
    def load(cls, path: Path = SIGNALS_PATH, meaning: bool = True) -> SignalReader:
        """The rules, with the trained meaning model unless `meaning` is False (rules alone)."""
        with path.open(encoding="utf-8") as handle:
            raw = yaml.safe_load(handle)
        return cls.from_policy(raw, MeaningModel.load() if meaning else None)

    def read(self, texts: list[str], issue_type: str | None = None) -> SignalReading:
        """Reads the turns in order: a signal counts from its first meaningful mention until a
        later clause withdraws it (卡已经冻结了), and counts again if re-raised. A rule that needs
        context (money still being taken needs someone else taking it) counts only when the turns
        give it or the case's `issue_type` is one of the rule's."""
        active: dict[str, SignalHit] = {}
        withdrawn: dict[str, SignalHit] = {}
        numbered = [
            (turn, clause)
            for turn, text in enumerate(texts)
            for clause in self.spoken_clauses(normalize(text))
            if not self.is_hypothetical(clause)
        ]
        clauses = [clause for _, clause in numbered]
        rules = [
            rule
            for rule in self.rules
            if not rule.needs_context
            or issue_type in rule.context_issue_types
            # A context word tells what the case is about, negated or past included: after
            # "之前被盗刷过一次" a charge that is still going on is someone else's doing.
            or any(p.search(c) for p in rule.needs_context for c in clauses)
        ]
        # "嘴巴划破了，还好没咽下去": the harm is done, what was luckily not swallowed takes nothing back.
        kept = {
            rule.name
            for rule in rules
            if rule.kept_by and any(self.meaningful_match(rule.kept_by, c) is not None for c in clauses)
        }
        for turn, clause in numbered:
            if turn > 0 and any(p.search(clause) for p in self.corrections):
                # "打错了，是报警器" / "搞清楚了，没事了": a later turn takes back what was said before it.
                for name in [name for name in active if name not in kept]:
                    withdrawn[name] = SignalHit(signal=name, text=clause[:80])
                    active.pop(name)
            for rule in rules:
                said_at = self.meaningful_match(rule.patterns, clause)
                taken_back_at = None
                if rule.name not in kept:
                    taken_back_at = max(
                        (m.start() for p in rule.withdrawn_by for m in p.finditer(clause)), default=None
                    )
                if said_at is not None and (taken_back_at is None or said_at > taken_back_at):
                    active.setdefault(rule.name, SignalHit(signal=rule.name, text=clause[:80]))
                    withdrawn.pop(rule.name, None)
                elif taken_back_at is not None and (rule.name in active or said_at is not None):
                    active.pop(rule.name, None)
                    withdrawn[rule.name] = SignalHit(signal=rule.name, text=clause[:80])
        doubted: list[SignalHit] = []
        if self.meaning is not None and clauses:
            verdict = self.meaning.judge(texts, set(active))
            if verdict.vetoed:
                doubted = [hit for name, hit in active.items() if self.meaning.vetoable(name)]
                for hit in doubted:
                    active.pop(hit.signal)
            elif verdict.added and verdict.added not in withdrawn:
                said = next((t for t in reversed(texts) if t.strip()), "")
                active[verdict.added] = SignalHit(
                    verdict.added,
                    normalize(said)[:80],
                    "meaning",
                    round(verdict.probabilities[verdict.added], 3),
                )
        return SignalReading(list(active.values()), list(withdrawn.values()), doubted)

    def spoken_clauses(self, text: str) -> list[str]:
        """The turn's clauses, less those inside a remark told aside, which spans clauses
        ("我妈住院了，家里没人收快递": a hospital stay that only delays a delivery)."""
        aside = [m.span() for p in self.told_aside for m in p.finditer(text)]
        spans, start = [], 0
        for separator in CLAUSE_SPLIT.finditer(text):
            spans.append((start, separator.start()))
            start = separator.end()
        spans.append((start, len(text)))
        return [
            text[begin:end]
            for begin, end in spans
            if not any(a < end and begin < b for a, b in aside)
        ]

    def is_hypothetical(self, clause: str) -> bool:
        """A clause about what might happen or what others said (万一…, 听说…)."""
        return any(p.search(clause) for p in self.hypothetical)

    def meaningful_match(self, patterns: tuple[re.Pattern[str], ...], clause: str) -> int | None:
        """Where the first match not negated and not figurative starts, or None."""
        figurative_spans = [m.span() for p in self.figurative for m in p.finditer(clause)]
        found: int | None = None
        for pattern in patterns:
            for match in pattern.finditer(clause):
                start, end = match.span()
                if any(fs <= start < fe or fs < end <= fe for fs, fe in figurative_spans):
                    continue
                if self.negated(clause[max(0, start - self.negation_window) : start]):
                    continue
                found = start if found is None else min(found, start)
                break
        return found

    def negated(self, before: str) -> bool:
        """A negation just before a match, unless it is the condition of a threat ("不退款就起诉")."""
        negation = self.negation.search(before)
        if negation is None:
            return False
        return self.condition is None or not self.condition.search(before, negation.start())


def version(path: Path = SIGNALS_PATH) -> str:
    """The version of the signal data (`bench/urgency_reading.py` prints it beside its figures),
    with the meaning model's stamp when one is trained ("6-1a2b3c4d"): the bot and the API compare
    versions on every handoff, so a process reading with another model, or none, shows up."""
    with path.open(encoding="utf-8") as handle:
        rules = str(yaml.safe_load(handle)["version"])
    stamp = model_stamp()
    return f"{rules}-{stamp}" if stamp else rules
