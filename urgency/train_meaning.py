"""Trains the urgency meaning model (`urgency.meaning`) on the labelled urgency sets.

Every set in `TRAINING_SETS` was written from the taxonomy by writers who never saw the rules;
sealed set V is left out: it measures the result (bench/urgency_reading.py). J joined on
2026-12-04 (evening), after it had been measured around v7 and its misses read; K on 2026-12-05
(v9), after it had been measured around v8 and its misses read; M (2026-12-07) was written for
training only, by writers who saw neither the rules nor any set, and so was U (2026-12-07,
afternoon; its misses were read for v13 before it joined); L on 2026-12-07 (v10), after
its misses were read; N on 2026-12-07 (v11), Q the same day (v12) and S (v13), each after its misses
were read, and T (v14) after its misses were read. The features (the
sentence vector and character 1–3-gram TF-IDF), C, the threshold and the veto were chosen by
leave-one-set-out over E, G, H and I, the sets the rules had not been tuned on until then (v7's
rule changes were read from their misses afterwards; `--folds` reprints the table). Writes
`var/models/urgency-meaning.json`.

Run: `.venv/bin/python -m urgency.train_meaning [--if-stale] [--folds]` (make urgency runs it).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
from pathlib import Path
from typing import Any

import numpy as np
import yaml
from scipy import sparse
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression

from knowledge_base.onnx_encoder import DEFAULT_ENCODER_DIR, OnnxSentenceEncoder
from urgency.meaning import DEFAULT_MODEL, ENCODER_FILE, NONE, MeaningModel, NgramWeights, char_ngrams, joined
from urgency.reader import SignalReader

DATA = Path(__file__).resolve().parents[1] / "bench" / "data"
TRAINING_SETS = (
    "urgency_dev.yaml",
    "urgency_dev2.yaml",
    "urgency_dev3.yaml",
    "urgency_sealed.yaml",
    "urgency_sealed_e.yaml",
    "urgency_sealed_f.yaml",
    "urgency_sealed_g.yaml",
    "urgency_sealed_h.yaml",
    "urgency_sealed_i.yaml",
    "urgency_sealed_j.yaml",
    "urgency_sealed_k.yaml",
    "urgency_train_m.yaml",
    "urgency_sealed_l.yaml",
    "urgency_sealed_n.yaml",
    "urgency_sealed_q.yaml",
    "urgency_sealed_s.yaml",
    "urgency_train_u.yaml",
    "urgency_sealed_t.yaml",
)
FOLDS = ("urgency_sealed_e.yaml", "urgency_sealed_g.yaml", "urgency_sealed_h.yaml", "urgency_sealed_i.yaml")
C = 100.0
THRESHOLD = 0.7
VETO = 0.8
MIN_DF = 2


def label(case: dict[str, Any]) -> str:
    return str(case["signal"]) if case["urgent"] else NONE


def load_sets() -> dict[str, list[dict[str, Any]]]:
    return {
        name: yaml.safe_load((DATA / name).read_text(encoding="utf-8"))["cases"] for name in TRAINING_SETS
    }


def source_digest(encoder_dir: Path) -> str:
    digest = hashlib.sha256(Path(__file__).read_bytes())
    digest.update((encoder_dir / "stamp.json").read_bytes())
    for name in TRAINING_SETS:
        digest.update((DATA / name).read_bytes())
    return digest.hexdigest()[:16]


def current(digest: str) -> bool:
    if not DEFAULT_MODEL.is_file():
        return False
    return bool(json.loads(DEFAULT_MODEL.read_text(encoding="utf-8")).get("source") == digest)


def fit(
    encoder: OnnxSentenceEncoder, texts: list[str], vectors: np.ndarray, labels: list[str]
) -> MeaningModel:
    """Logistic regression over [sentence vector | char n-gram TF-IDF], as a `MeaningModel`."""
    tfidf = TfidfVectorizer(analyzer=char_ngrams, sublinear_tf=True, min_df=MIN_DF)
    grams = tfidf.fit_transform(texts)
    features = sparse.hstack([sparse.csr_matrix(vectors), grams]).tocsr()
    fitted = LogisticRegression(max_iter=5000, C=C, class_weight="balanced").fit(features, labels)
    columns = {str(gram): int(i) for gram, i in tfidf.vocabulary_.items()}
    model = MeaningModel(
        encoder,
        [str(c) for c in fitted.classes_],
        fitted.coef_.astype(np.float32),
        fitted.intercept_.astype(np.float32),
        THRESHOLD,
        VETO,
        NgramWeights(columns, tfidf.idf_.astype(np.float32)),
    )
    expected = fitted.predict_proba(features)
    for i in range(0, len(texts), max(1, len(texts) // 50)):  # the model reads as scikit-learn did
        read = model.probabilities_of(texts[i], vectors[i])
        if any(abs(read[str(c)] - expected[i][k]) > 1e-3 for k, c in enumerate(fitted.classes_)):
            raise RuntimeError("the model's own featurisation does not reproduce the classifier's")
    return model


def fold_table(
    sets: dict[str, list[dict[str, Any]]], texts: dict[str, list[str]], vectors: dict[str, np.ndarray]
) -> None:
    """Rules alone against rules with the meaning model, each fold held out of the training; the
    model is read through `SignalReader`, as the bot and the API read it."""
    rules = SignalReader.load(meaning=False)
    urgent = {rule.name for rule in rules.rules if rule.raises_to == "urgent"}
    encoder = OnnxSentenceEncoder(DEFAULT_ENCODER_DIR, ENCODER_FILE)
    print(f"{'held-out set':<26} {'rules P / R':>13} {'with meaning P / R':>20}")
    for fold in FOLDS:
        train = [n for n in TRAINING_SETS if n != fold]
        model = fit(
            encoder,
            [text for n in train for text in texts[n]],
            np.vstack([vectors[n] for n in train]),
            [label(c) for n in train for c in sets[n]],
        )
        both = rules.with_meaning(model)
        cells = []
        for reader in (rules, both):
            said = [bool({h.signal for h in reader.read(c["turns"]).hits} & urgent) for c in sets[fold]]
            truth = [bool(c["urgent"]) for c in sets[fold]]
            hits = sum(s and t for s, t in zip(said, truth, strict=True))
            cells.append(f"{hits / max(sum(said), 1):.3f} / {hits / max(sum(truth), 1):.3f}")
        print(f"{fold:<26} {cells[0]:>13} {cells[1]:>20}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--if-stale", action="store_true", help="do nothing when the model is current")
    parser.add_argument("--folds", action="store_true", help="print the leave-one-set-out table")
    args = parser.parse_args(argv)
    encoder_dir = Path(DEFAULT_ENCODER_DIR)
    digest = source_digest(encoder_dir)
    if args.if_stale and not args.folds and current(digest):
        print(f"urgency meaning model is current: {DEFAULT_MODEL}")
        return 0
    encoder = OnnxSentenceEncoder(str(encoder_dir), ENCODER_FILE)
    sets = load_sets()
    texts = {n: [joined(c["turns"]) for c in cases] for n, cases in sets.items()}
    vectors = {n: encoder.sentence_vectors(texts[n]) for n in sets}
    if args.folds:
        fold_table(sets, texts, vectors)
    all_texts = [text for group in texts.values() for text in group]
    all_vectors = np.vstack(list(vectors.values()))
    model = fit(encoder, all_texts, all_vectors, [label(c) for group in sets.values() for c in group])
    assert model.ngrams is not None
    raw = {
        "source": digest,
        "classes": model.classes,
        "coef": model.coef.round(6).tolist(),
        "intercept": model.intercept.round(6).tolist(),
        "ngrams": sorted(model.ngrams.columns, key=model.ngrams.columns.__getitem__),
        "idf": model.ngrams.idf.round(6).tolist(),
        "threshold": THRESHOLD,
        "veto": VETO,
        "trained_on": list(TRAINING_SETS),
        "cases": len(all_texts),
    }
    DEFAULT_MODEL.parent.mkdir(parents=True, exist_ok=True)
    DEFAULT_MODEL.write_text(json.dumps(raw, ensure_ascii=False), encoding="utf-8")
    stored = MeaningModel.load(DEFAULT_MODEL)
    for i in range(0, len(all_texts), max(1, len(all_texts) // 40)):  # the file reads as the model
        want = model.probabilities_of(all_texts[i], all_vectors[i])
        got = stored.probabilities_of(all_texts[i], all_vectors[i]) if stored else {}
        if not got or any(abs(want[k] - got[k]) > 1e-3 for k in want):
            DEFAULT_MODEL.unlink()
            raise RuntimeError("the stored weights would not reproduce the classifier's probabilities")
    print(f"trained the urgency meaning model on {raw['cases']} cases: {DEFAULT_MODEL}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
