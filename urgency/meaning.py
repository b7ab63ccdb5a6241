"""The urgency reader's learned half: what the turns mean, from m3e-small sentence vectors.

The rules in `signals.yaml` hold their precision on new writers but miss harm, ongoing theft and
threats told in words no pattern has seen (recall 0.69–0.77 on sets they were not tuned on). A
logistic regression over the m3e-small vector of the joined turns and their character 1–3-grams
(TF-IDF: the words that carry a hazard, read in the context the vector gives), with the classes
safety / money_at_risk / public_exposure / none, trained on the labelled urgency sets by
`urgency.train_meaning`, reads those: a signal it gives at least `threshold` probability is
added to the rules' hits, and a rule's money or exposure hit is dropped when the model is sure
(`veto`) that nothing urgent is meant; a safety hit never is. The settings were chosen by
leave-one-set-out over sets the rules were never tuned on (docs/performance.md).

The weights are a small JSON file beside the ONNX encoder (`var/models/urgency-meaning.json`);
without it the reader is the rules alone, and says so in the log.
"""

from __future__ import annotations

import json
import logging
import math
import os
import re
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from knowledge_base.onnx_encoder import DEFAULT_ENCODER_DIR, OnnxSentenceEncoder
from knowledge_base.textnorm import normalize

log = logging.getLogger(__name__)

MODEL_ENV = "URGENCY_MEANING_MODEL"
DEFAULT_MODEL = Path(__file__).resolve().parents[1] / "var" / "models" / "urgency-meaning.json"
NONE = "none"
ENCODER_FILE = "model_int8.onnx"
# Rule hits the model may doubt: money still being taken and exposure threats, never safety.
VETOABLE = frozenset({"money_at_risk", "public_exposure"})


def model_stamp(path: Path | None = None) -> str | None:
    """The trained model's source digest (its sets, encoder and trainer), or None without one."""
    path = Path(os.environ.get(MODEL_ENV) or path or DEFAULT_MODEL)
    try:
        return str(json.loads(path.read_text(encoding="utf-8"))["source"])[:8]
    except (OSError, ValueError, KeyError):
        return None


def joined(texts: list[str]) -> str:
    """The turns as the model reads them: normalised, one sentence each."""
    return "。".join(normalize(text) for text in texts if text.strip())


_WHITESPACE = re.compile(r"\s\s+")
NGRAMS = (1, 3)


def char_ngrams(text: str) -> list[str]:
    """Character 1–3-grams of the lowered text, as scikit-learn's `analyzer="char"` makes them."""
    text = _WHITESPACE.sub(" ", text.lower())
    low, high = NGRAMS
    return [text[i : i + n] for n in range(low, min(high, len(text)) + 1) for i in range(len(text) - n + 1)]


@dataclass(frozen=True)
class NgramWeights:
    """The TF-IDF half of the features: each known n-gram's column and inverse document frequency;
    term frequencies are sublinear (1 + ln tf) and the row is L2-normalised, as in training."""

    columns: dict[str, int]
    idf: np.ndarray

    def features(self, text: str) -> dict[int, float]:
        counts = Counter(self.columns[gram] for gram in char_ngrams(text) if gram in self.columns)
        weights = {column: (1.0 + math.log(n)) * float(self.idf[column]) for column, n in counts.items()}
        norm = math.sqrt(sum(w * w for w in weights.values())) or 1.0
        return {column: w / norm for column, w in weights.items()}


@dataclass(frozen=True)
class MeaningVerdict:
    added: str | None  # a signal the rules did not find, read with at least `threshold`
    vetoed: bool  # the model is sure nothing urgent is meant
    probabilities: dict[str, float]


class MeaningModel:
    """Logistic regression weights over sentence vectors, with the encoder they were trained on."""

    def __init__(
        self,
        encoder: OnnxSentenceEncoder,
        classes: list[str],
        coef: np.ndarray,
        intercept: np.ndarray,
        threshold: float,
        veto: float,
        ngrams: NgramWeights | None = None,
    ) -> None:
        self.encoder = encoder
        self.ngrams = ngrams
        self.classes = classes
        self.coef = coef
        self.intercept = intercept
        self.threshold = threshold
        self.veto = veto

    @classmethod
    def load(cls, path: Path | None = None, encoder_dir: str | None = None) -> MeaningModel | None:
        """The trained model, or None (rules only) when its file or the encoder is missing."""
        path = Path(os.environ.get(MODEL_ENV) or path or DEFAULT_MODEL)
        try:
            raw = json.loads(path.read_text(encoding="utf-8"))
            encoder = OnnxSentenceEncoder(encoder_dir or DEFAULT_ENCODER_DIR, ENCODER_FILE)
        except (OSError, ValueError, ImportError) as error:
            log.warning("urgency meaning model unavailable, reading with the rules only: %s", error)
            return None
        ngrams = None
        if "ngrams" in raw:
            ngrams = NgramWeights(
                {gram: i for i, gram in enumerate(raw["ngrams"])}, np.array(raw["idf"], dtype=np.float32)
            )
        return cls(
            encoder,
            list(raw["classes"]),
            np.array(raw["coef"], dtype=np.float32),
            np.array(raw["intercept"], dtype=np.float32),
            float(raw["threshold"]),
            float(raw["veto"]),
            ngrams,
        )

    def probabilities(self, texts: list[str]) -> dict[str, float]:
        text = joined(texts)
        if not text:
            return {name: float(name == NONE) for name in self.classes}
        return self.probabilities_of(text, self.encoder.sentence_vectors([text])[0])

    def probabilities_of(self, text: str, vector: np.ndarray) -> dict[str, float]:
        """The class probabilities of a joined text whose sentence vector is known."""
        dim = len(vector)
        logits = self.coef[:, :dim] @ vector + self.intercept
        if self.ngrams is not None:
            features = self.ngrams.features(text)
            if features:
                columns = np.fromiter(features, dtype=np.int64) + dim
                logits = logits + self.coef[:, columns] @ np.fromiter(features.values(), dtype=np.float32)
        exp = np.exp(logits - logits.max())
        return dict(zip(self.classes, map(float, exp / exp.sum()), strict=True))

    def judge(self, texts: list[str], found: set[str]) -> MeaningVerdict:
        """What the model adds to the signals the rules `found`, and whether it vetoes them."""
        probabilities = self.probabilities(texts)
        signals = {name: p for name, p in probabilities.items() if name != NONE}
        best = max(signals, key=lambda name: signals[name]) if signals else None
        added = best if best and signals[best] >= self.threshold and best not in found else None
        return MeaningVerdict(added, probabilities.get(NONE, 0.0) >= self.veto, probabilities)

    @staticmethod
    def vetoable(signal: str) -> bool:
        """Harm is never doubted: a missed injury costs more than any false alarm."""
        return signal in VETOABLE
