"""Hybrid search: dense (faiss) and BM25 (bm25s over jieba tokens) fused by reciprocal rank.

Each retriever ranks documents by their best-matching view (title, a question, the body);
the two rankings are fused with RRF. `confidence` is the calibrated probability that the best
hit answers the query, so the bot can answer only when confident and hand over otherwise.
"""

from __future__ import annotations

import math
import threading
from dataclasses import dataclass
from pathlib import Path

import bm25s
import jieba
import numpy as np

from knowledge_base.retrieval.content import Document
from knowledge_base.retrieval.embedder import Embedder
from knowledge_base.retrieval.index import LoadedIndex, load_index
from knowledge_base.textnorm import normalize

jieba.setLogLevel(60)
_STOP_TOKENS = frozenset(" ，。？！,.?!、的了吗呢啊呀吧么嘛我你们是在有就都")

# Logistic calibration of the fused evidence (top dense cosine, and whether both retrievers
# agree on the top document) into a probability of being right; fitted by bench/retrieval.py.
CALIBRATION = {"bias": -14.0, "cosine": 17.0, "agree": 2.0}


def tokenize(text: str) -> list[str]:
    return [t for t in jieba.lcut_for_search(normalize(text).lower()) if t.strip() and t not in _STOP_TOKENS]


@dataclass(frozen=True)
class SearchHit:
    document: Document
    score: float  # fused RRF score, higher is better
    dense: float  # best cosine similarity of the document's views
    confidence: float


class Retriever:
    """Search over a loaded index; `mode` is hybrid, dense or bm25 (the last two for benchmarks)."""

    def __init__(self, index: LoadedIndex, embedder: Embedder, rrf_k: int = 60, candidates: int = 30) -> None:
        self.index = index
        self.embedder = embedder
        self.rrf_k = rrf_k
        self.candidates = candidates
        self._bm25 = bm25s.BM25()
        tokenized = [tokenize(text) or ["<empty>"] for text in index.view_text]
        self._bm25.index(tokenized, show_progress=False)
        self._vocab = set(self._bm25.vocab_dict)
        self._view_doc = np.asarray(index.view_doc, dtype=np.int64)

    @classmethod
    def from_dir(
        cls, index_dir: Path, embedder: Embedder, rrf_k: int = 60, candidates: int = 30
    ) -> Retriever:
        return cls(load_index(index_dir), embedder, rrf_k, candidates)

    def _dense(self, query: str) -> dict[int, float]:
        vector = self.embedder.encode([query])
        count = min(self.index.vectors.ntotal, self.candidates * 4)
        if count == 0:
            return {}
        scores, rows = self.index.vectors.search(vector, count)
        best: dict[int, float] = {}
        for score, row in zip(scores[0], rows[0], strict=False):
            if row < 0:
                continue
            doc = int(self._view_doc[row])
            best[doc] = max(best.get(doc, -1.0), float(score))
        return best

    def _lexical(self, query: str) -> dict[int, float]:
        tokens = [t for t in tokenize(query) if t in self._vocab]
        if not tokens:
            return {}
        scores = self._bm25.get_scores(tokens)
        top = np.argsort(-scores)[: self.candidates * 4]
        best: dict[int, float] = {}
        for row in top:
            if scores[row] <= 0:
                break
            doc = int(self._view_doc[row])
            best[doc] = max(best.get(doc, 0.0), float(scores[row]))
        return best

    def search(
        self,
        query: str,
        k: int = 5,
        kind: str | None = None,
        issue_type: str | None = None,
        mode: str = "hybrid",
    ) -> list[SearchHit]:
        query = normalize(query)
        if not query:
            return []
        dense = self._dense(query) if mode in ("hybrid", "dense") else {}
        lexical = self._lexical(query) if mode in ("hybrid", "bm25") else {}

        def allowed(position: int) -> bool:
            document = self.index.documents[position]
            if kind and document.kind != kind:
                return False
            return not (issue_type and document.issue_types and issue_type not in document.issue_types)

        fused: dict[int, float] = {}
        for ranking in (dense, lexical):
            ordered = [d for d, _ in sorted(ranking.items(), key=lambda item: -item[1]) if allowed(d)]
            for rank, doc in enumerate(ordered[: self.candidates]):
                fused[doc] = fused.get(doc, 0.0) + 1.0 / (self.rrf_k + rank + 1)
        ordered_hits = sorted(fused.items(), key=lambda item: -item[1])[:k]
        top_dense = max(dense, key=lambda d: dense[d]) if dense else None
        top_lexical = max(lexical, key=lambda d: lexical[d]) if lexical else None
        hits = []
        for position, score in ordered_hits:
            cosine = dense.get(position, 0.0)
            agree = 1.0 if position == top_dense == top_lexical else 0.0
            hits.append(
                SearchHit(
                    document=self.index.documents[position],
                    score=score,
                    dense=cosine,
                    confidence=calibrated_confidence(cosine, agree),
                )
            )
        return hits


def calibrated_confidence(cosine: float, agree: float) -> float:
    z = CALIBRATION["bias"] + CALIBRATION["cosine"] * cosine + CALIBRATION["agree"] * agree
    return 1.0 / (1.0 + math.exp(-z))


class SwappableRetriever:
    """Holds the live retriever; a rebuilt index is swapped in without dropping requests."""

    def __init__(self, retriever: Retriever | None = None) -> None:
        self._retriever = retriever
        self._lock = threading.Lock()

    @property
    def current(self) -> Retriever | None:
        return self._retriever

    def swap(self, retriever: Retriever) -> None:
        with self._lock:
            self._retriever = retriever
