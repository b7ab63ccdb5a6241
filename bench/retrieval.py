"""Retrieval benchmark: BM25 only, dense only and hybrid side by side, plus confidence reliability.

Queries come from bench/data/retrieval_heldout.yaml (paraphrases written apart from the indexed
questions) and bench/data/retrieval_offtopic.yaml (chatter no FAQ answers). Quality: hit@1,
hit@3, MRR. Latency: wall time of `Retriever.search` per query including the query embedding,
with the embedding cache bypassed, p50 and p95 (and the searching thread's CPU time, which other
processes on the machine do not inflate). Reliability of `confidence` (hybrid, the mode
the API serves): expected calibration error, share of held-out queries answered at
KB_ANSWER_THRESHOLD and the precision of those answers, and the share of off-topic queries
answered anyway (false answers).
Run: `.venv/bin/python bench/retrieval.py` (after `make kb`).
"""

from __future__ import annotations

import argparse
import itertools
import os
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import yaml

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from knowledge_base.retrieval.build import embedder_for
from knowledge_base.retrieval.index import is_stale
from knowledge_base.retrieval.params import Tuning
from knowledge_base.retrieval.search import Retriever
from knowledge_base.retrieval.settings import get_retrieval_settings
from knowledge_base.retrieval.tune import expected_calibration_error

DATA = Path(__file__).resolve().parent / "data"
HELDOUT = DATA / "retrieval_heldout.yaml"
OFF_TOPIC = DATA / "retrieval_offtopic.yaml"
MODES = ("bm25", "dense", "hybrid")


@dataclass
class Scores:
    mode: str
    hit1: float
    hit3: float
    mrr: float
    p50_ms: float
    p95_ms: float
    cpu_p50_ms: float  # CPU time of the searching thread: what the search costs without contention
    confidences: np.ndarray  # confidence of each query's top hit
    correct: np.ndarray  # whether that top hit was the expected entry


def evaluate(retriever: Retriever, queries: list[dict[str, str]], mode: str, passes: int) -> Scores:
    """Quality from the first pass; latency from every pass (embedding cache bypassed)."""
    ranks: list[int | None] = []
    confidences: list[float] = []
    latencies: list[float] = []
    cpu: list[float] = []
    for number in range(passes):
        for query in queries:
            started, started_cpu = time.perf_counter(), time.thread_time()
            hits = retriever.search(query["q"], k=10, kind=query.get("kind", "faq"), mode=mode, cached=False)
            latencies.append((time.perf_counter() - started) * 1000)
            cpu.append((time.thread_time() - started_cpu) * 1000)
            if number == 0:
                ids = [hit.document.id for hit in hits]
                ranks.append(ids.index(query["expected"]) if query["expected"] in ids else None)
                confidences.append(hits[0].confidence if hits else 0.0)
    count = len(queries)
    return Scores(
        mode=mode,
        hit1=sum(r == 0 for r in ranks) / count,
        hit3=sum(r is not None and r < 3 for r in ranks) / count,
        mrr=sum(1 / (r + 1) for r in ranks if r is not None) / count,
        p50_ms=float(np.percentile(latencies, 50)),
        p95_ms=float(np.percentile(latencies, 95)),
        cpu_p50_ms=float(np.percentile(cpu, 50)),
        confidences=np.asarray(confidences),
        correct=np.asarray([r == 0 for r in ranks], dtype=float),
    )


def embedding_latency(retriever: Retriever, queries: list[dict[str, str]]) -> tuple[float, float]:
    latencies = []
    for query in queries:
        started = time.perf_counter()
        retriever.embedder.encode_query(query["q"], cached=False)
        latencies.append((time.perf_counter() - started) * 1000)
    return float(np.percentile(latencies, 50)), float(np.percentile(latencies, 95))


def reliability(scores: Scores, off_topic: np.ndarray, threshold: float) -> list[str]:
    answered = scores.confidences >= threshold
    precision = scores.correct[answered].mean() if answered.any() else float("nan")
    ece = expected_calibration_error(scores.confidences, scores.correct)
    lines = [
        f"confidence (hybrid, threshold {threshold:g}): ECE {ece:.3f}"
        f" | answered {answered.mean():.3f} of held-out, precision {precision:.3f}"
        f" | off-topic answered (false answers) {(off_topic >= threshold).mean():.3f} of {len(off_topic)}",
        "reliability  bin        n  mean conf  accuracy",
    ]
    edges = np.linspace(0, 1, 6)
    for low, high in itertools.pairwise(edges):
        members = (scores.confidences >= low) & ((scores.confidences < high) | (high == 1.0))
        if members.any():
            confidence, accuracy = scores.confidences[members].mean(), scores.correct[members].mean()
            row = f"{low:.1f}-{high:.1f}  {members.sum():>4}  {confidence:>9.3f}  {accuracy:>8.3f}"
            lines.append(f"{'':13}{row}")
    return lines


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--passes", type=int, default=2, help="latency passes over the queries per mode")
    args = parser.parse_args(argv)
    settings = get_retrieval_settings()
    embedder = embedder_for(settings)
    if is_stale(settings.index_dir, settings.content_dir, embedder.model_name, embedder.encoder_id):
        print(f"the index in {settings.index_dir} is stale: run `make kb` first", file=sys.stderr)
        return 1
    tuning = Tuning.load(settings.tuning_path)
    retriever = Retriever.from_dir(settings.index_dir, embedder, tuning, settings.candidates)
    queries = yaml.safe_load(HELDOUT.read_text(encoding="utf-8"))["queries"]
    off_topic = [str(q) for q in yaml.safe_load(OFF_TOPIC.read_text(encoding="utf-8"))["queries"]]
    for query in queries[:20]:  # warm-up: kernels, allocator, caches; not part of the figures
        retriever.search(query["q"], k=10, cached=False)
    load_before = os.getloadavg()[0]
    model = Path(settings.embedding_model).name
    print(
        f"{len(queries)} held-out queries, {len(off_topic)} off-topic; model {model} ({embedder.encoder_id}),"
        f" torch threads {settings.torch_threads}, fusion {tuning.fusion.model_dump()}"
    )
    print(f"{'mode':<8} {'hit@1':>6} {'hit@3':>6} {'MRR':>6} {'p50 ms':>8} {'p95 ms':>8} {'CPU p50 ms':>11}")
    results = {}
    for mode in MODES:
        scores = evaluate(retriever, queries, mode, args.passes)
        results[mode] = scores
        print(
            f"{scores.mode:<8} {scores.hit1:>6.3f} {scores.hit3:>6.3f} {scores.mrr:>6.3f} "
            f"{scores.p50_ms:>8.1f} {scores.p95_ms:>8.1f} {scores.cpu_p50_ms:>11.1f}"
        )
    embed_p50, embed_p95 = embedding_latency(retriever, queries)
    print(f"(query embedding alone: p50 {embed_p50:.1f} ms, p95 {embed_p95:.1f} ms)")
    off_topic_hits = [retriever.search(q, k=1, kind="faq", cached=False) for q in off_topic]
    off_topic_confidence = np.asarray([hits[0].confidence if hits else 0.0 for hits in off_topic_hits])
    for line in reliability(results["hybrid"], off_topic_confidence, settings.answer_threshold):
        print(line)
    print(f"load average {load_before:.2f} before, {os.getloadavg()[0]:.2f} after ({os.cpu_count()} cores)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
