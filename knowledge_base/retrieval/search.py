"""Hybrid search: dense (m3e + faiss) and BM25 (bm25s over words and characters), score-fused.

Every document has several views (title, each paraphrased question, the body). Each retriever
scores every view; a document's score is a decaying mean of its best three views, so an entry
that several paraphrases support outranks one that a single lucky view matches. The hybrid score
is the dense score plus a weight times the BM25 score divided by the query's best BM25 score.
The few parameters and the confidence calibration come from `tuning.json`, fitted on a dev
split of the FAQ and script questions by `python -m knowledge_base.retrieval.tune`.
`confidence` is the calibrated probability that a hit answers the query, so the bot can answer
only when confident and hand over otherwise.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from pathlib import Path

import bm25s
import numpy as np

from knowledge_base.retrieval.content import Document
from knowledge_base.retrieval.embedder import Embedder
from knowledge_base.retrieval.index import LoadedIndex, load_index
from knowledge_base.retrieval.lexicon import analyze
from knowledge_base.retrieval.params import FusionParams, Tuning
from knowledge_base.textnorm import normalize

MODES = ("hybrid", "dense", "bm25")
VIEWS_PER_DOCUMENT = 3  # how many of a document's best views count towards its score


@dataclass(frozen=True)
class SearchHit:
    document: Document
    score: float  # the mode's fused score, higher is better
    dense: float  # best cosine similarity of the document's views
    lexical: float  # BM25 score relative to the query's best document, 0..1
    confidence: float  # calibrated probability that this hit answers the query
    features: dict[str, float] = field(default_factory=dict)  # what the calibration saw


@dataclass(frozen=True)
class Evidence:
    """What the retrievers saw for one query: a score per index view, and term coverage."""

    dense: np.ndarray | None  # cosine per view
    lexical: np.ndarray | None  # BM25 per view
    coverage: float  # share of the query's BM25 terms that occur in the index


@dataclass(frozen=True)
class DocumentScores:
    dense: np.ndarray  # decaying mean of the best view cosines
    dense_best: np.ndarray  # best single view cosine
    lexical: np.ndarray  # decaying mean of the best view BM25 scores


@dataclass(frozen=True)
class Ranking:
    order: list[int]  # document positions, best first
    fused: np.ndarray  # the mode's score per document
    scores: DocumentScores
    lexical: np.ndarray  # BM25 relative to the best allowed document, 0..1
    positions: np.ndarray  # the allowed documents


def aggregate(view_scores: np.ndarray, layout: np.ndarray, decay: float, floor: float = 0.0) -> np.ndarray:
    """Per document: weighted mean of its best views' scores with weights 1, decay, decay²."""
    padded = np.append(view_scores, floor)[layout]
    best = -np.sort(-padded, axis=1)[:, :VIEWS_PER_DOCUMENT]
    weights = decay ** np.arange(best.shape[1], dtype=np.float64)
    return np.asarray(best @ weights / weights.sum(), dtype=np.float64)


def _margin(scores: np.ndarray, positions: np.ndarray, position: int) -> float:
    """How far a document's score lies above (or below) the best of the other allowed documents."""
    others = positions[positions != position]
    return float(scores[position] - scores[others].max()) if others.size else float(scores[position])


class Retriever:
    """Search over a loaded index; `mode` is hybrid, dense or bm25 (the last two for benchmarks)."""

    def __init__(
        self, index: LoadedIndex, embedder: Embedder, tuning: Tuning | None = None, candidates: int = 30
    ) -> None:
        self.index = index
        self.embedder = embedder
        self.tuning = tuning or Tuning()
        self.candidates = candidates
        self._bm25 = bm25s.BM25(k1=self.tuning.bm25.k1, b=self.tuning.bm25.b)
        self._bm25.index([analyze(text) or ["<empty>"] for text in index.view_text], show_progress=False)
        self._vocab = set(self._bm25.vocab_dict)
        view_doc = np.asarray(index.view_doc, dtype=np.int64)
        views_per_doc = np.bincount(view_doc, minlength=len(index.documents))
        width = max(int(views_per_doc.max(initial=0)), VIEWS_PER_DOCUMENT)
        # layout[d] lists document d's view rows, padded with len(view_doc) (the floor slot).
        self._layout = np.full((len(index.documents), width), len(view_doc), dtype=np.int64)
        filled = np.zeros(len(index.documents), dtype=np.int64)
        for row, doc in enumerate(view_doc):
            self._layout[doc, filled[doc]] = row
            filled[doc] += 1
        self._kinds = np.asarray([d.kind for d in index.documents])

    @classmethod
    def from_dir(
        cls, index_dir: Path, embedder: Embedder, tuning: Tuning | None = None, candidates: int = 30
    ) -> Retriever:
        return cls(load_index(index_dir), embedder, tuning, candidates)

    def evidence(self, query: str, mode: str = "hybrid", cached: bool = True) -> Evidence:
        """Score every view of the index for an already normalised query."""
        dense = lexical = None
        coverage = 0.0
        if mode in ("hybrid", "dense") and self.index.vectors.ntotal:
            vector = self.embedder.encode_query(query, cached=cached)
            scores, rows = self.index.vectors.search(vector, self.index.vectors.ntotal)
            dense = np.zeros(self.index.vectors.ntotal, dtype=np.float64)
            dense[rows[0]] = scores[0]
        if mode in ("hybrid", "bm25"):
            terms = analyze(query)
            known = [t for t in terms if t in self._vocab]
            coverage = len(known) / len(terms) if terms else 0.0
            lexical = (
                np.asarray(self._bm25.get_scores(known), dtype=np.float64)
                if known
                else np.zeros(len(self.index.view_text))
            )
        return Evidence(dense=dense, lexical=lexical, coverage=coverage)

    def document_scores(self, evidence: Evidence, fusion: FusionParams) -> DocumentScores:
        count = len(self.index.documents)
        dense = dense_best = lexical = np.zeros(count)
        if evidence.dense is not None:
            dense = aggregate(evidence.dense, self._layout, fusion.dense_decay)
            dense_best = aggregate(evidence.dense, self._layout, 0.0)
        if evidence.lexical is not None:
            lexical = aggregate(evidence.lexical, self._layout, fusion.lexical_decay)
        return DocumentScores(dense=dense, dense_best=dense_best, lexical=lexical)

    def allowed(self, kind: str | None = None, issue_type: str | None = None) -> np.ndarray:
        mask = np.ones(len(self.index.documents), dtype=bool)
        if kind:
            mask &= self._kinds == kind
        if issue_type:
            mask &= np.asarray(
                [not d.issue_types or issue_type in d.issue_types for d in self.index.documents]
            )
        return mask

    def ranking(
        self,
        evidence: Evidence,
        allowed: np.ndarray,
        mode: str = "hybrid",
        fusion: FusionParams | None = None,
    ) -> Ranking | None:
        """Fuse the retrievers' scores and order the allowed documents, best first."""
        fusion = fusion or self.tuning.fusion
        scores = self.document_scores(evidence, fusion)
        positions = np.flatnonzero(allowed)
        if positions.size == 0:
            return None
        best_lexical = float(scores.lexical[positions].max())
        lexical = scores.lexical / best_lexical if best_lexical > 0 else np.zeros_like(scores.lexical)
        pool: set[int] = set()
        if mode in ("hybrid", "dense"):
            by_dense = np.argsort(-scores.dense[positions], kind="stable")
            pool.update(positions[by_dense[: self.candidates]].tolist())
        if mode in ("hybrid", "bm25"):
            matching = positions[lexical[positions] > 0]
            pool.update(matching[np.argsort(-lexical[matching], kind="stable")[: self.candidates]].tolist())
        if not pool:
            return None
        fused = {
            "hybrid": scores.dense + fusion.lexical_weight * lexical,
            "dense": scores.dense,
            "bm25": scores.lexical,
        }[mode]
        order = sorted(pool, key=lambda d: (-fused[d], d))
        return Ranking(order=order, fused=fused, scores=scores, lexical=lexical, positions=positions)

    def rank(
        self,
        evidence: Evidence,
        allowed: np.ndarray,
        mode: str = "hybrid",
        k: int = 5,
        fusion: FusionParams | None = None,
    ) -> list[SearchHit]:
        """The best `k` allowed documents with their calibrated confidences."""
        ranking = self.ranking(evidence, allowed, mode, fusion)
        if ranking is None:
            return []
        scores, positions = ranking.scores, ranking.positions
        top_dense = int(positions[np.argmax(scores.dense[positions])])
        top_lexical = int(positions[np.argmax(ranking.lexical[positions])]) if ranking.lexical.any() else -1
        hits = []
        for position in ranking.order[:k]:
            features = {
                "cosine": float(scores.dense_best[position]),
                "dense_margin": _margin(scores.dense, positions, position),
                "lexical_margin": _margin(scores.lexical, positions, position),
                "agree": float(position == top_dense == top_lexical),
                "coverage": evidence.coverage,
            }
            hits.append(
                SearchHit(
                    document=self.index.documents[position],
                    score=float(ranking.fused[position]),
                    dense=features["cosine"],
                    lexical=float(ranking.lexical[position]),
                    confidence=self.tuning.calibration.probability(features),
                    features=features,
                )
            )
        return hits

    def search(
        self,
        query: str,
        k: int = 5,
        kind: str | None = None,
        issue_type: str | None = None,
        mode: str = "hybrid",
        cached: bool = True,
    ) -> list[SearchHit]:
        if mode not in MODES:
            raise ValueError(f"mode must be one of {MODES}, not {mode!r}")
        query = normalize(query)
        if not query:
            return []
        evidence = self.evidence(query, mode, cached)
        return self.rank(evidence, self.allowed(kind, issue_type), mode, k)


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
