"""Tunes the intent ensemble's shares on tuning splits, for one or more trained models.

The pipeline averages DIET's ranking with the char n-gram regression (`weight` = its share) and
the sentence-vector regression (`dense_weight`), then the FallbackClassifier turns a top score
under its threshold, or two scores closer than its ambiguity threshold, into `nlu_fallback`. With
`BOT_NLU_EXPOSE_ENSEMBLE_SOURCES=1` the classifier reports every source, so every pair of shares
is scored from one pass per model. Only tuning and looked-at splits (A, D, F) are accepted: a
sealed split is never used for a decision.

Run: `.venv/bin/python bench/nlu_weights.py --model var/rasa/models/intake-….tar.gz [--model …]`
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from nlu import intent_scores, load_nlu, rasa_predictions  # noqa: E402

TUNING = {
    "A": ROOT / "bench" / "data" / "nlu_holdout.yml",
    "D": ROOT / "bench" / "data" / "nlu_tuning_d.yml",
    "F": ROOT / "bench" / "data" / "nlu_holdout_f.yml",
}
WEIGHTS = (0.0, 0.3, 0.5, 0.6, 0.7, 0.8, 0.9, 1.0)
DENSE_WEIGHTS = (0.0, 0.2, 0.3, 0.4)


def fallback_settings() -> tuple[float, float]:
    config = yaml.safe_load((ROOT / "bot" / "config.yml").read_text(encoding="utf-8"))
    step = next(s for s in config["pipeline"] if s["name"] == "FallbackClassifier")
    return float(step["threshold"]), float(step["ambiguity_threshold"])


def sources(model: Path, texts: list[str]) -> list[dict[str, dict[str, float]]]:
    parsed = rasa_predictions(texts, model, extra_env={"BOT_NLU_EXPOSE_ENSEMBLE_SOURCES": "1"})
    return [p["sources"] for p in parsed]


def decide(
    source: dict[str, dict[str, float]], weight: float, dense: float, threshold: float, ambiguity: float
) -> str:
    scores: dict[str, float] = {}
    for name, share in (("char_ngram", weight), ("dense", dense), ("diet", 1 - weight - dense)):
        for intent, p in source.get(name, {}).items():
            scores[intent] = scores.get(intent, 0.0) + share * p
    ranking = sorted(scores.values(), reverse=True)
    best = max(scores, key=lambda name: scores[name])
    if ranking[0] < threshold or (len(ranking) > 1 and ranking[0] - ranking[1] < ambiguity):
        return "nlu_fallback"
    return best


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", type=Path, action="append", required=True)
    parser.add_argument("--splits", default="ADF", help="tuning splits to score: A, D and/or F")
    args = parser.parse_args()
    threshold, ambiguity = fallback_settings()
    splits = {
        name: load_nlu([path]) for name, path in TUNING.items() if name in args.splits and path.exists()
    }
    print(
        f"fallback threshold {threshold}, ambiguity {ambiguity}; splits "
        + ", ".join(f"{k} {len(v)}" for k, v in splits.items())
    )
    header = "".join(f" {name + ' acc':>8} {'F1':>6}" for name in splits)
    for model in args.model:
        per_split = {name: sources(model, [e.text for e in examples]) for name, examples in splits.items()}
        print(f"\n{model.name}\n{'shares: char n-gram, sentence vectors':<40}{header}")
        for dense in DENSE_WEIGHTS:
            for weight in (w for w in WEIGHTS if w + dense <= 1 + 1e-9):
                cells = ""
                for name, examples in splits.items():
                    predicted = [decide(s, weight, dense, threshold, ambiguity) for s in per_split[name]]
                    accuracy, macro = intent_scores([e.intent for e in examples], predicted)
                    cells += f" {accuracy:>8.3f} {macro:>6.3f}"
                print(f"{f'{weight:.1f}, {dense:.1f}':<40}{cells}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
