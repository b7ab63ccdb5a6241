"""Fits the fusion parameters and the confidence calibration on a dev split of the content.

`python -m knowledge_base.retrieval.tune` (writes knowledge_base/retrieval/tuning.json).

Dev split, cross-validation style: every FAQ and script `question` belongs to one of K folds
(question i of an entry goes to fold i mod K, so each entry loses only one or two questions at a
time). For each fold those questions are taken out of the index (dense vectors and BM25 alike)
and searched for; the entry they came from is the right answer. A small grid of BM25 and
fusion parameters is scored by mean reciprocal rank over all folds, and the best is kept.
Then a logistic regression maps the evidence about each out-of-fold best hit (and about the
best hit for off-topic chatter in dev_off_topic.yaml, never right) to the probability that the
hit is right. The benchmark's held-out queries (bench/data) are never read here.
"""

from __future__ import annotations

import argparse
import itertools
import sys
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import yaml

from knowledge_base.retrieval.build import embedder_for
from knowledge_base.retrieval.embedder import Embedder
from knowledge_base.retrieval.index import LoadedIndex, build_index, is_stale, load_index
from knowledge_base.retrieval.params import (
    CALIBRATION_FEATURES,
    Bm25Params,
    Calibration,
    FusionParams,
    Tuning,
)
from knowledge_base.retrieval.search import Evidence, Retriever
from knowledge_base.retrieval.settings import RetrievalSettings, get_retrieval_settings
from knowledge_base.textnorm import normalize

DEV_OFF_TOPIC = Path(__file__).resolve().parent / "dev_off_topic.yaml"
FOLDS = 5
# Share of the queries reaching the knowledge base assumed to be off-topic chatter: the dev
# chatter is weighted to this share when fitting, so probabilities are calibrated for that mix.
OFF_TOPIC_SHARE = 0.2
BM25_GRID = [
    Bm25Params(k1=k1, b=b) for k1, b in ((0.4, 0.1), (0.6, 0.2), (0.9, 0.3), (1.2, 0.4), (1.2, 0.75))
]
FUSION_GRID = [
    FusionParams(dense_decay=d, lexical_decay=lx, lexical_weight=w)
    for d, lx, w in itertools.product(
        (0.0, 0.3, 0.5, 0.7, 1.0), (0.3, 0.5, 0.7, 1.0), (0.04, 0.07, 0.1, 0.14, 0.2)
    )
]


@dataclass(frozen=True)
class DevQuery:
    text: str
    expected: str
    kind: str
    fold: int
    view_row: int


@dataclass
class Probe:
    """One searched dev query: the fold's retriever and what it saw."""

    query: DevQuery
    retriever: Retriever
    evidence: Evidence


def dev_queries(index: LoadedIndex, folds: int = FOLDS) -> list[DevQuery]:
    queries = []
    seen: dict[int, int] = {}
    for row, (position, text) in enumerate(zip(index.view_doc, index.view_text, strict=True)):
        document = index.documents[position]
        # views are title, questions…, body: the questions are rows 1..n of each document
        ordinal = seen.get(position, -1) + 1
        seen[position] = ordinal
        if 1 <= ordinal <= len(document.questions):
            queries.append(DevQuery(text, document.id, document.kind, (ordinal - 1) % folds, row))
    return queries


def probes_for(
    index: LoadedIndex, embedder: Embedder, queries: list[DevQuery], bm25: Bm25Params, folds: int
) -> list[Probe]:
    probes = []
    tuning = Tuning(bm25=bm25)
    for fold in range(folds):
        held_out = {q.view_row for q in queries if q.fold == fold}
        keep = [row for row in range(len(index.view_text)) if row not in held_out]
        retriever = Retriever(index.subset(keep), embedder, tuning)
        for query in queries:
            if query.fold == fold:
                probes.append(Probe(query, retriever, retriever.evidence(normalize(query.text), "hybrid")))
    return probes


def evaluate(probes: list[Probe], fusion: FusionParams, mode: str = "hybrid") -> dict[str, float]:
    hit1 = hit3 = reciprocal = 0.0
    for probe in probes:
        retriever = probe.retriever
        ranking = retriever.ranking(probe.evidence, retriever.allowed(probe.query.kind), mode, fusion)
        ids = [retriever.index.documents[p].id for p in ranking.order[:10]] if ranking else []
        rank = ids.index(probe.query.expected) if probe.query.expected in ids else None
        if rank is not None:
            hit1 += rank == 0
            hit3 += rank < 3
            reciprocal += 1 / (rank + 1)
    count = max(len(probes), 1)
    return {"hit@1": hit1 / count, "hit@3": hit3 / count, "mrr": reciprocal / count}


def _standardise(features: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    mean = features.mean(axis=0)
    scale = features.std(axis=0)
    scale[scale == 0] = 1.0
    return mean, scale


def fit_calibration(features: np.ndarray, labels: np.ndarray, weights: np.ndarray) -> Calibration:
    """Logistic regression on standardised features, folded back into raw-feature weights."""
    from sklearn.linear_model import LogisticRegression

    mean, scale = _standardise(features)
    model = LogisticRegression(C=1.0, max_iter=2000)
    model.fit((features - mean) / scale, labels, sample_weight=weights)
    coefficients = model.coef_[0] / scale
    bias = float(model.intercept_[0] - (coefficients * mean).sum())
    named = zip(CALIBRATION_FEATURES, coefficients, strict=True)
    return Calibration(bias=round(bias, 4), weights={name: round(float(w), 4) for name, w in named})


def cross_validated_probabilities(
    features: np.ndarray, labels: np.ndarray, weights: np.ndarray, strata: np.ndarray, folds: int = FOLDS
) -> np.ndarray:
    """Each row's probability from a calibration fitted without it: honest reliability figures."""
    from sklearn.model_selection import StratifiedKFold

    probabilities = np.zeros(len(labels))
    for train, test in StratifiedKFold(folds, shuffle=True, random_state=0).split(features, strata):
        calibration = fit_calibration(features[train], labels[train], weights[train])
        probabilities[test] = [
            calibration.probability(dict(zip(CALIBRATION_FEATURES, row, strict=True)))
            for row in features[test]
        ]
    return probabilities


def expected_calibration_error(probabilities: np.ndarray, labels: np.ndarray, bins: int = 10) -> float:
    edges = np.linspace(0, 1, bins + 1)
    which = np.clip(np.digitize(probabilities, edges[1:-1]), 0, bins - 1)
    error = 0.0
    for b in range(bins):
        members = which == b
        if members.any():
            error += members.mean() * abs(probabilities[members].mean() - labels[members].mean())
    return float(error)


def load_index_for_tuning(settings: RetrievalSettings, embedder: Embedder, workdir: Path) -> LoadedIndex:
    if not is_stale(settings.index_dir, settings.content_dir, embedder.model_name, embedder.encoder_id):
        return load_index(settings.index_dir)
    build_index(settings.content_dir, workdir / "index", embedder, progress=True)
    return load_index(workdir / "index")


def select_fusion(
    index: LoadedIndex, embedder: Embedder, queries: list[DevQuery], folds: int, say: Callable[[str], None]
) -> tuple[Bm25Params, FusionParams, list[Probe]]:
    """The grid point with the best dev MRR (then hit@1), and the probes it was measured on."""
    best: tuple[tuple[float, float], Bm25Params, FusionParams, list[Probe]] | None = None
    for bm25 in BM25_GRID:
        probes = probes_for(index, embedder, queries, bm25, folds)
        for fusion in FUSION_GRID:
            scores = evaluate(probes, fusion)
            key = (scores["mrr"], scores["hit@1"])
            if best is None or key > best[0]:
                best = (key, bm25, fusion, probes)
        assert best is not None
        say(f"  after bm25 k1={bm25.k1} b={bm25.b}: best MRR {best[0][0]:.3f} hit@1 {best[0][1]:.3f}")
    assert best is not None
    return best[1], best[2], best[3]


def calibration_data(
    probes: list[Probe], full: Retriever, off_topic: list[str], fusion: FusionParams
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Features of each out-of-fold best hit (label: right or not) and of each off-topic
    query's best FAQ hit (never right), with the mask of off-topic rows."""
    rows: list[list[float]] = []
    labels: list[int] = []
    for probe in probes:
        allowed = probe.retriever.allowed(probe.query.kind)
        top = probe.retriever.rank(probe.evidence, allowed, "hybrid", 1, fusion)[0]
        rows.append([top.features[name] for name in CALIBRATION_FEATURES])
        labels.append(int(top.document.id == probe.query.expected))
    for text in off_topic:
        hits = full.search(text, k=1, kind="faq")
        if hits:
            rows.append([hits[0].features[name] for name in CALIBRATION_FEATURES])
            labels.append(0)
    return np.asarray(rows), np.asarray(labels), np.arange(len(labels)) >= len(probes)


def reliability(
    probabilities: np.ndarray, labels: np.ndarray, chatter: np.ndarray, threshold: float
) -> dict[str, float]:
    answered = probabilities >= threshold
    on_topic = ~chatter
    right_answers = labels[on_topic & answered]
    return {
        "ece": expected_calibration_error(probabilities, labels),
        "ece_on_topic": expected_calibration_error(probabilities[on_topic], labels[on_topic]),
        "answered": float(answered[on_topic].mean()),
        "precision_answered": float(right_answers.mean()) if right_answers.size else 0.0,
        "off_topic_answered": float(answered[chatter].mean()) if chatter.any() else 0.0,
    }


def tune(settings: RetrievalSettings, folds: int = FOLDS, verbose: bool = True) -> Tuning:
    say: Callable[[str], None] = print if verbose else (lambda _: None)
    embedder = embedder_for(settings, cache_size=100_000)  # every dev query is embedded once
    with tempfile.TemporaryDirectory() as workdir:
        index = load_index_for_tuning(settings, embedder, Path(workdir))
    queries = dev_queries(index, folds)
    say(f"{len(queries)} dev questions in {folds} folds; {len(BM25_GRID)} x {len(FUSION_GRID)} settings")
    bm25, fusion, probes = select_fusion(index, embedder, queries, folds, say)
    dev_metrics = {mode: evaluate(probes, fusion, mode) for mode in ("bm25", "dense", "hybrid")}

    full = Retriever(index, embedder, Tuning(bm25=bm25, fusion=fusion))
    off_topic = [str(text) for text in yaml.safe_load(DEV_OFF_TOPIC.read_text(encoding="utf-8"))["queries"]]
    features, labels, chatter = calibration_data(probes, full, off_topic, fusion)
    weights = np.ones(len(labels))
    if chatter.any():
        weights[chatter] = OFF_TOPIC_SHARE / (1 - OFF_TOPIC_SHARE) * (~chatter).sum() / chatter.sum()
    calibration = fit_calibration(features, labels, weights)
    held = cross_validated_probabilities(features, labels, weights, labels * 2 + chatter)
    dev_metrics["calibration"] = reliability(held, labels, chatter, settings.answer_threshold)
    return Tuning(
        fitted_on={
            "content_hash": index.stamp.content_hash,
            "model": Path(index.stamp.model).name,
            "encoder": index.stamp.encoder,
            "folds": folds,
            "dev_questions": len(queries),
            "dev_off_topic": int(chatter.sum()),
            "off_topic_share": OFF_TOPIC_SHARE,
        },
        bm25=bm25,
        fusion=fusion,
        calibration=calibration,
        dev_metrics={name: {k: round(v, 4) for k, v in d.items()} for name, d in dev_metrics.items()},
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--output", type=Path, default=None, help="default: KB_TUNING_PATH")
    parser.add_argument("--folds", type=int, default=FOLDS)
    args = parser.parse_args(argv)
    settings = get_retrieval_settings()
    tuning = tune(settings, args.folds)
    output = args.output or settings.tuning_path
    tuning.save(output)
    print(f"bm25 {tuning.bm25.model_dump()} fusion {tuning.fusion.model_dump()}")
    print(f"calibration {tuning.calibration.model_dump()}")
    for name, values in tuning.dev_metrics.items():
        print(f"  dev {name:<11} " + "  ".join(f"{k} {v:.3f}" for k, v in values.items()))
    print(f"wrote {output}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
