"""Urgency benchmark: precision and recall of "this case is urgent" on two labelled sets.

Both sets were written from the taxonomy alone by writers who never saw the signal rules:
- dev and dev2 (bench/data/urgency_dev*.yaml): used to tune the rules in urgency/signals.yaml
  (dev2 was written later, deliberately avoiding the obvious keywords; dev3, 2026-12-02, weighted
  towards money still being taken and harm told in plain words, not yet tuned on);
- sealed (bench/data/urgency_sealed.yaml): never used for a decision; reported on after the
  rules' last change, so it counts as looked at since 2026-12-02;
- sealed E (bench/data/urgency_sealed_e.yaml): written blind later, never used for a decision;
  measured after urgency v3 (2026-12-02);
- sealed F (bench/data/urgency_sealed_f.yaml): written blind on 2026-12-02 (266 cases, 4 near
  copies of earlier sets removed unread), committed before the changes it measures; its misses
  were read after v4 (2026-12-02), so it counts as looked at since.
- sealed G and H (2026-12-03): written blind the same way; H was committed before urgency v5
  and measured before and after it; neither was used for a decision nor had its misses read.
- sealed I (2026-12-03): measured three times around urgency v6, so it is used up: a tuning set
  from 2026-12-04 on.
- sealed J (2026-12-04, 258 cases, 10 near copies removed unread): measured two or three times
  around urgency v7; its misses were read on 2026-12-04 (evening), so it is used up since.
- sealed K (2026-12-04, evening, 265 cases, 5 near copies removed unread): committed before the
  changes it measures; measured around v8, its misses read on 2026-12-05 (v9) and it then moved
  into the meaning model's data, so it is used up.
- L (2026-12-07, 275 cases, 5 near copies removed unread): written blind the same way and
  committed before v9 and set M, measured before and after them; its misses were then read (v10)
  and it moved into the meaning model's data, so it is used up.
- N (2026-12-07, 280 cases, none nearly copying an earlier set): written blind the same way and
  committed before v10, measured before and after it; its misses were then read (v11) and it
  moved into the meaning model's data, so it is used up.
- Q (2026-12-07, morning): written blind the same way by two writers and committed before v11,
  measured before and after it; its misses were then read (v12), so it is used up.
- S (2026-12-07, midday, 280 cases, none nearly copying an earlier set): written blind the
  same way by two writers and committed before v12, measured before and after it; its misses were
  then read (v13) and it moved into the meaning model's data, so it is used up.
- U (2026-12-07, afternoon, 280 cases): written blind for the meaning model's training only; its
  misses under v13's first draft were read to finish v13, so it is a tuning set.
- T (2026-12-07, afternoon, 275 cases, 5 near copies removed unread): written blind the same
  way by two writers (older shoppers, voice-input transcripts, live-stream comments, pasted order
  text) and committed before v13, measured before and after it; its misses were then read, so it
  is used up.
- sealed V (2026-12-07, evening, 280 cases, none nearly copying an earlier set): written blind the
  same way by two writers (rants, quoting others, self-corrections, Cantonese and Taiwanese phrasing,
  harm and theft told in long stories) and committed before the changes it measures; sealed.
About half of each set are hard negatives (idioms, hyperbole, negated or withdrawn threats,
product names with 火/爆/毒/烫/炸 in them).

A case is urgent when the shopper's turns carry a signal that raises severity to urgent. The
baseline is what a keyword list does: any of the taxonomy's example words, no negation, no
figurative filter, no withdrawal.

Run: `.venv/bin/python bench/urgency_reading.py [--misses dev]` (a sealed set's misses are never printed).
"""

from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path
from typing import Any, Callable

import yaml

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from knowledge_base.textnorm import normalize  # noqa: E402
from urgency import SignalReader, version  # noqa: E402

SETS = {
    "dev (tuning)": ROOT / "bench" / "data" / "urgency_dev.yaml",
    "dev2 (tuning)": ROOT / "bench" / "data" / "urgency_dev2.yaml",
    "dev3 (tuning)": ROOT / "bench" / "data" / "urgency_dev3.yaml",
    "sealed (looked at)": ROOT / "bench" / "data" / "urgency_sealed.yaml",
    "E (tuning)": ROOT / "bench" / "data" / "urgency_sealed_e.yaml",
    "F (looked at)": ROOT / "bench" / "data" / "urgency_sealed_f.yaml",
    "G (tuning)": ROOT / "bench" / "data" / "urgency_sealed_g.yaml",
    "H (tuning)": ROOT / "bench" / "data" / "urgency_sealed_h.yaml",
    "I (used up)": ROOT / "bench" / "data" / "urgency_sealed_i.yaml",
    "J (used up)": ROOT / "bench" / "data" / "urgency_sealed_j.yaml",
    "K (used up)": ROOT / "bench" / "data" / "urgency_sealed_k.yaml",
    "L (used up)": ROOT / "bench" / "data" / "urgency_sealed_l.yaml",
    "N (used up)": ROOT / "bench" / "data" / "urgency_sealed_n.yaml",
    "Q (used up)": ROOT / "bench" / "data" / "urgency_sealed_q.yaml",
    "S (used up)": ROOT / "bench" / "data" / "urgency_sealed_s.yaml",
    "U (training)": ROOT / "bench" / "data" / "urgency_train_u.yaml",
    "T (used up)": ROOT / "bench" / "data" / "urgency_sealed_t.yaml",
    "sealed V": ROOT / "bench" / "data" / "urgency_sealed_v.yaml",
}
SEALED = ("sealed V",)  # the meaning model never learnt from it, no rule was read from it
# `--misses` names every other set by its first word (dev, sealed, I …): a sealed set's never print.
MISSES = {name.split()[0]: name for name in SETS if name not in SEALED}
# The taxonomy's urgent_signals examples as bare keywords.
KEYWORDS = re.compile(
    r"拉肚子|中毒|异物|玻璃|虫子|金属|过敏|受伤|烫伤|触电|住院|起火|爆炸|冒烟|"
    r"扣钱|扣款|盗刷|被盗|曝光|媒体|记者|微博|抖音|12315|消协|市场监管|报警|律师|起诉"
)


def load(path: Path) -> list[dict[str, Any]]:
    return list(yaml.safe_load(path.read_text(encoding="utf-8"))["cases"])


def ours(meaning: bool = True) -> Callable[[list[str]], bool]:
    reader = SignalReader.load(meaning=meaning)
    if meaning and reader.meaning is None:
        raise SystemExit("no urgency meaning model: run `make urgency` first")
    urgent = {rule.name for rule in reader.rules if rule.raises_to == "urgent"}
    return lambda turns: any(hit.signal in urgent for hit in reader.read(turns).hits)


def keywords(turns: list[str]) -> bool:
    return any(KEYWORDS.search(normalize(turn)) for turn in turns)


def scores(cases: list[dict[str, Any]], predict: Callable[[list[str]], bool]) -> dict[str, float]:
    tp = fp = fn = 0
    hard_fp = 0
    for case in cases:
        said = predict(case["turns"])
        tp += said and case["urgent"]
        fp += said and not case["urgent"]
        fn += not said and case["urgent"]
        hard_fp += said and bool(case.get("hard_negative"))
    hard = sum(1 for c in cases if c.get("hard_negative"))
    return {
        "precision": tp / max(tp + fp, 1),
        "recall": tp / max(tp + fn, 1),
        "hard_negatives_flagged": hard_fp / max(hard, 1),
    }


def recall_by_signal(cases: list[dict[str, Any]], predict: Callable[[list[str]], bool]) -> dict[str, str]:
    result = {}
    for signal in ("safety", "money_at_risk", "public_exposure"):
        urgent = [c for c in cases if c["signal"] == signal]
        found = sum(1 for c in urgent if predict(c["turns"]))
        result[signal] = f"{found}/{len(urgent)}"
    return result


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--misses",
        choices=list(MISSES),
        help="print the misses of a set that is not sealed (tuning, looked at or used up)",
    )
    args = parser.parse_args()
    reader = ours()
    systems = {
        f"reader v{version()} + meaning (ours)": reader,
        f"rules v{version().split('-')[0]} alone": ours(meaning=False),
        "keyword list": keywords,
    }
    sets = {name: load(path) for name, path in SETS.items()}
    print(
        f"{'urgency':<30} {'set':<18} {'cases':>5} {'precision':>9} {'recall':>7} {'hard neg. flagged':>17}"
    )
    for set_name, cases in sets.items():
        for system, predict in systems.items():
            if "meaning" in system and set_name not in SEALED:
                system += " *"
            s = scores(cases, predict)
            print(
                f"{system:<30} {set_name:<18} {len(cases):>5} {s['precision']:>9.3f} {s['recall']:>7.3f}"
                f" {s['hard_negatives_flagged']:>17.3f}"
            )
    print("* trained on, tuned with or looked at: only " + ", ".join(SEALED) + " measures the reader")
    print(
        f"\n{'recall by signal (ours)':<30} " + " ".join(f"{k:>16}" for k in ("safety", "money", "exposure"))
    )
    for set_name, cases in sets.items():
        by_signal = recall_by_signal(cases, reader)
        print(f"{set_name:<30} " + " ".join(f"{v:>16}" for v in by_signal.values()))
    if args.misses:
        print(f"\n{args.misses} misses:")
        for case in sets[MISSES[args.misses]]:
            if reader(case["turns"]) != case["urgent"]:
                kind = "missed " + case["signal"] if case["urgent"] else "false alarm"
                print(f"  {kind:<24} {' || '.join(case['turns'])}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
