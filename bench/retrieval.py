"""Retrieval benchmark: hit@1, hit@3, MRR and latency for BM25 only, dense only and hybrid.

Queries come from bench/data/retrieval_heldout.yaml, written apart from the indexed questions.
Run: `.venv/bin/python bench/retrieval.py` (after `make kb`).
"""

from __future__ import annotations

import statistics
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import yaml

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from knowledge_base.retrieval.embedder import Embedder
from knowledge_base.retrieval.search import Retriever
from knowledge_base.retrieval.settings import get_retrieval_settings

HELDOUT = Path(__file__).resolve().parent / "data" / "retrieval_heldout.yaml"


@dataclass
class Scores:
    mode: str
    hit1: float
    hit3: float
    mrr: float
    p50_ms: float
    p95_ms: float


def evaluate(retriever: Retriever, queries: list[dict[str, str]], mode: str) -> Scores:
    hit1 = hit3 = reciprocal = 0.0
    latencies: list[float] = []
    for query in queries:
        started = time.perf_counter()
        hits = retriever.search(query["q"], k=10, kind=query.get("kind", "faq"), mode=mode)
        latencies.append((time.perf_counter() - started) * 1000)
        ids = [hit.document.id for hit in hits]
        if ids[:1] == [query["expected"]]:
            hit1 += 1
        if query["expected"] in ids[:3]:
            hit3 += 1
        if query["expected"] in ids:
            reciprocal += 1 / (ids.index(query["expected"]) + 1)
    count = len(queries)
    return Scores(
        mode=mode,
        hit1=hit1 / count,
        hit3=hit3 / count,
        mrr=reciprocal / count,
        p50_ms=statistics.median(latencies),
        p95_ms=float(np.percentile(latencies, 95)),
    )


def main() -> int:
    settings = get_retrieval_settings()
    queries = yaml.safe_load(HELDOUT.read_text(encoding="utf-8"))["queries"]
    retriever = Retriever.from_dir(
        settings.index_dir, Embedder(settings.embedding_model, settings.max_seq_length)
    )
    retriever.search("预热", k=1)  # first call loads kernels; not part of the figures
    print(f"{len(queries)} held-out queries, model {settings.embedding_model}")
    print(f"{'mode':<8} {'hit@1':>6} {'hit@3':>6} {'MRR':>6} {'p50 ms':>8} {'p95 ms':>8}")
    for mode in ("bm25", "dense", "hybrid"):
        scores = evaluate(retriever, queries, mode)
        print(
            f"{scores.mode:<8} {scores.hit1:>6.3f} {scores.hit3:>6.3f} {scores.mrr:>6.3f} "
            f"{scores.p50_ms:>8.1f} {scores.p95_ms:>8.1f}"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
