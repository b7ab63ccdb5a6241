"""Fusion parameters and confidence calibration, fitted on the dev split by `tune` and kept in a
small versioned JSON file next to the code (`tuning.json`)."""

from __future__ import annotations

import json
import logging
import math
from pathlib import Path

from pydantic import BaseModel, Field

log = logging.getLogger(__name__)

TUNING_VERSION = 1
# Evidence about the best hit that the calibration turns into a probability of being right.
#   cosine          best cosine similarity between the query and one of the hit's views
#   dense_margin    the hit's dense score minus the best other document's (negative below the top)
#   lexical_margin  the same for the raw BM25 score
#   agree           1 when the hit is the top document of both retrievers
#   coverage        share of the query's BM25 terms that occur anywhere in the index
CALIBRATION_FEATURES = ("cosine", "dense_margin", "lexical_margin", "agree", "coverage")


class Bm25Params(BaseModel):
    k1: float = 1.2
    b: float = 0.4


class FusionParams(BaseModel):
    """A document's score per retriever is its best view plus `decay`-weighted runner-up views
    (best + decay·second + decay²·third); hybrid = dense + lexical_weight · BM25 / best BM25."""

    dense_decay: float = Field(0.5, ge=0, le=1)
    lexical_decay: float = Field(0.5, ge=0, le=1)
    lexical_weight: float = Field(0.25, ge=0)


class Calibration(BaseModel):
    """Logistic model: P(best hit is right) = sigmoid(bias + Σ weight·feature)."""

    bias: float = -14.0
    weights: dict[str, float] = Field(default_factory=lambda: {"cosine": 17.0, "agree": 2.0})

    def probability(self, features: dict[str, float]) -> float:
        z = self.bias + sum(weight * features.get(name, 0.0) for name, weight in self.weights.items())
        z = max(-60.0, min(60.0, z))
        return 1.0 / (1.0 + math.exp(-z))


class Tuning(BaseModel):
    version: int = TUNING_VERSION
    fitted_on: dict[str, str | int | float] = Field(default_factory=dict)
    bm25: Bm25Params = Field(default_factory=Bm25Params)
    fusion: FusionParams = Field(default_factory=FusionParams)
    calibration: Calibration = Field(default_factory=Calibration)
    dev_metrics: dict[str, dict[str, float]] = Field(default_factory=dict)

    @classmethod
    def load(cls, path: Path) -> Tuning:
        """The fitted parameters; built-in defaults (and a warning) when the file is missing."""
        if not path.exists():
            log.warning("no tuning file at %s: untuned defaults (run knowledge_base.retrieval.tune)", path)
            return cls()
        tuning = cls.model_validate(json.loads(path.read_text(encoding="utf-8")))
        if tuning.version != TUNING_VERSION:
            raise ValueError(f"{path}: tuning version {tuning.version}, this code reads {TUNING_VERSION}")
        return tuning

    def save(self, path: Path) -> None:
        path.write_text(json.dumps(self.model_dump(), ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
