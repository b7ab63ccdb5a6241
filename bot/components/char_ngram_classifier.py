"""Intent ensemble: DIET's ranking averaged with two logistic regressions.

On a few dozen examples per intent, a linear model over TF-IDF character n-grams generalises
to unseen Chinese phrasings better than DIET alone (bench/nlu.py shows both); their average is
better than either. A second linear model over m3e-small sentence vectors (the knowledge base's
embedding model, run with onnxruntime: `knowledge_base.onnx_encoder.OnnxSentenceEncoder`) reads paraphrases
that share no characters with any training line ("钱被吞了" / "退款没到账"); it is weaker alone and
makes the average better (docs/performance.md). Order and mobile numbers are masked to one mark
before featurising: their digits say nothing about the intent, but unmasked they drag any message
that carries one towards `inform`. DIET cannot be given the masked text (its entity extractor
needs the digits), so when DIET alone says `inform` for a message that carried a number, and the
two models that read it masked agree on another intent ("单号 … 的东西和直播间说的不一样"), DIET's
vote is set aside for that message. A message the char n-gram model finds nothing in (its best
class under `_CLUELESS`) while DIET and the sentence vectors disagree, or one on
which all three readers name a different intent and the average stays under `_SPLIT` (text
written as a command: "report_safety_hazard{…}"), or one whose character pairs the training lines
have almost never used (keyboard mash "asdfghjkl", "嘀嘀嗒嗒 咚咚锵": at least `_UNFAMILIAR_PAIRS`
pairs and under `_FAMILIAR` of them known), gets confidence 0, so the FallbackClassifier
asks the shopper with the ranking's two best readings instead of DIET's overconfident guess.
The component runs right after DIET and rewrites the intent and ranking: `weight` is the char
n-gram model's share, `dense_weight` the sentence vectors',
DIET has the rest.
"""

from __future__ import annotations

import os
import re
from typing import Any, Callable, Dict, List, Optional, Text, Tuple

import numpy as np
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.nlu.classifiers.classifier import IntentClassifier
from rasa.shared.nlu.constants import INTENT, INTENT_RANKING_KEY, TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression

from components.pickled_model import PickledModelComponent, char_ngrams
from knowledge_base.onnx_encoder import DEFAULT_ENCODER_DIR, OnnxSentenceEncoder
from knowledge_base.textnorm import mask_identifiers

# Benchmarks set this to get both sources of the ensemble in the parse output, so that the weight
# can be tuned on a held-out split without retraining (bench/nlu_weights.py).
SOURCES_ENV = "BOT_NLU_EXPOSE_ENSEMBLE_SOURCES"
INFORM = "inform"
# Below this, the char n-gram model has found nothing it knows (chosen on A-D and F: no line of
# them changes; uniform over the 29 intents is 0.034).
_CLUELESS = 0.15
_SPLIT = 0.3  # three different readings, none above this: on A-D and F one line of 1 899 changes
# A message of at least this many character pairs, of which fewer than this share occur in the
# training lines, is not written in any words the model knows. Chosen on A-F: no line of their
# 2 472 is that unfamiliar (the least familiar with 4+ pairs has a third known); short words the
# training lines lack ("哈罗", "对头") have fewer pairs and are left to the models.
_UNFAMILIAR_PAIRS = 4
_FAMILIAR = 0.2
# Latin letters only ("qwertyuiop"): unfamiliar when no word of two or more letters is one the
# training lines have (all its character triples, with the word's edges, known) and the words
# make up at least `_LATIN_LETTERS` letters. "refund please", "where is my package" stay familiar;
# on A-F no line changes. A letter held ("okkkkk") counts as written twice.
_LATIN_WORD = re.compile(r"[a-z]{2,}")
_HAN = re.compile(r"[\u4e00-\u9fff]")
_HELD = re.compile(r"([a-z])\1{2,}")
_LATIN_LETTERS = 6


def _top(ranking: Dict[str, float]) -> Optional[str]:
    return max(ranking, key=lambda name: ranking[name]) if ranking else None


def _pulled_to_inform_by_digits(sources: Dict[str, Dict[str, float]]) -> bool:
    """DIET alone reads `inform`; the masked readers agree on another intent."""
    masked = _top(sources["char_ngram"])
    return (
        _top(sources.get("diet", {})) == INFORM
        and masked != INFORM
        and ("dense" not in sources or _top(sources["dense"]) == masked)
    )


def _clueless(sources: Dict[str, Dict[str, float]]) -> bool:
    """Nothing known in the characters, and the two other readers disagree."""
    return (
        max(sources["char_ngram"].values(), default=0.0) < _CLUELESS
        and "dense" in sources
        and _top(sources["dense"]) != _top(sources.get("diet", {}))
    )


def unfamiliar(text: str, analyze: Callable[[str], List[str]], vocabulary: Dict[str, int]) -> bool:
    """Almost none of the text's character pairs occur in the lines the vectorizer (its analyzer
    and vocabulary) was fitted on, or, in Latin letters only, none of its words does."""
    pairs = [gram for gram in analyze(text) if len(gram) == 2 and " " not in gram]
    known = sum(gram in vocabulary for gram in pairs)
    if len(pairs) >= _UNFAMILIAR_PAIRS and known < _FAMILIAR * len(pairs):
        return True
    lowered = text.lower()
    words = _LATIN_WORD.findall(lowered)
    if _HAN.search(lowered) or sum(map(len, words)) < _LATIN_LETTERS:
        return False
    return not any(_known_word(_HELD.sub(r"\1\1", word), vocabulary) for word in words)


def _known_word(word: str, vocabulary: Dict[str, int]) -> bool:
    padded = f" {word} "
    return all(padded[i : i + 3] in vocabulary for i in range(len(padded) - 2))


def _split(sources: Dict[str, Dict[str, float]], top_score: float) -> bool:
    """Each reader names another intent, and their average is not sure of any."""
    tops = {_top(ranking) for ranking in sources.values()}
    return len(sources) == 3 and len(tops) == 3 and top_score < _SPLIT


@DefaultV1Recipe.register([DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER], is_trainable=True)
class CharNgramIntentClassifier(PickledModelComponent, IntentClassifier):
    """Averages DIET's intent ranking with a TF-IDF character n-gram logistic regression."""

    model_file = "char_ngram_intents.pkl"

    @staticmethod
    def get_default_config() -> Dict[Text, Any]:
        return {
            "min_ngram": 1,
            "max_ngram": 3,
            "C": 10.0,
            "weight": 0.5,
            "dense_weight": 0.0,  # 0 turns the sentence-vector model off
            "dense_C": 10.0,
            "encoder_dir": DEFAULT_ENCODER_DIR,
            "encoder_file": "model_int8.onnx",
            "ranking_length": 10,
        }

    def prepare(self) -> None:
        self.encoder: Optional[OnnxSentenceEncoder] = None
        if float(self.config["dense_weight"]) > 0:
            self.encoder = OnnxSentenceEncoder(self.config["encoder_dir"], self.config["encoder_file"])
        self.expose_sources = os.environ.get(SOURCES_ENV) == "1"

    def use_model(self, model: Optional[Tuple[Any, ...]]) -> None:
        self.vectorizer: Optional[TfidfVectorizer]
        self.classifier: Optional[LogisticRegression]
        self.dense_classifier: Optional[LogisticRegression]
        self.vectorizer, self.classifier, self.dense_classifier = model or (None, None, None)
        # built once: the unfamiliar-text guard splits every message with it
        self.analyze = self.vectorizer.build_analyzer() if self.vectorizer is not None else None

    @classmethod
    def validate_config(cls, config: Dict[Text, Any]) -> None:
        weight, dense = float(config.get("weight", 0.5)), float(config.get("dense_weight", 0.0))
        if weight < 0 or dense < 0 or weight + dense > 1:
            raise ValueError("weight and dense_weight must be shares: each >= 0, together <= 1")

    def train(self, training_data: TrainingData) -> Resource:
        examples = [e for e in training_data.intent_examples if e.get(TEXT) and e.get(INTENT)]
        vectorizer = char_ngrams(int(self.config["min_ngram"]), int(self.config["max_ngram"]))
        texts = [mask_identifiers(e.get(TEXT)) for e in examples]
        labels = [e.get(INTENT) for e in examples]
        classifier = LogisticRegression(max_iter=3000, C=float(self.config["C"]))
        classifier.fit(vectorizer.fit_transform(texts), labels)
        dense_classifier = None
        if self.encoder is not None:
            dense_classifier = LogisticRegression(max_iter=3000, C=float(self.config["dense_C"]))
            dense_classifier.fit(self.encoder.sentence_vectors(texts), labels)
        return self.save_model((vectorizer, classifier, dense_classifier))

    def _dense_probabilities(self, texts: List[str]) -> Optional[np.ndarray]:
        if self.encoder is None or self.dense_classifier is None or not texts:
            return None
        return self.dense_classifier.predict_proba(self.encoder.sentence_vectors(texts))

    def process(self, messages: List[Message]) -> List[Message]:
        if self.vectorizer is None or self.classifier is None or self.analyze is None:
            return messages
        weight, dense_weight = float(self.config["weight"]), float(self.config["dense_weight"])
        todo = [m for m in messages if (m.get(TEXT) or "").strip()]
        texts = [mask_identifiers(m.get(TEXT)) for m in todo]
        dense = self._dense_probabilities(texts)
        if dense is None:
            dense_weight = 0.0
        diet_weight = 1 - weight - dense_weight
        for row, (message, text) in enumerate(zip(todo, texts, strict=True)):
            linear = self.classifier.predict_proba(self.vectorizer.transform([text]))[0]
            sources = {
                "char_ngram": dict(zip(map(str, self.classifier.classes_), map(float, linear), strict=True))
            }
            if dense is not None and self.dense_classifier is not None:
                sources["dense"] = dict(
                    zip(map(str, self.dense_classifier.classes_), map(float, dense[row]), strict=True)
                )
            sources["diet"] = {
                str(e.get("name")): float(e.get("confidence") or 0)
                for e in message.get(INTENT_RANKING_KEY) or []
                if e.get("name")
            }
            shares = {"char_ngram": weight, "dense": dense_weight, "diet": diet_weight}
            if (
                text != message.get(TEXT)
                and _pulled_to_inform_by_digits(sources)
                and weight + dense_weight > 0
            ):
                shares = {
                    "char_ngram": weight / (weight + dense_weight),
                    "dense": dense_weight / (weight + dense_weight),
                    "diet": 0.0,
                }
            scores: Dict[str, float] = {}
            for source, share in shares.items():
                for name, p in sources.get(source, {}).items():
                    scores[name] = scores.get(name, 0.0) + share * p
            if self.expose_sources:
                message.set("intent_sources", sources, add_to_output=True)
            ranking = sorted(scores.items(), key=lambda item: -item[1])
            top_name, top_score = ranking[0]
            if (
                _clueless(sources)
                or _split(sources, top_score)
                or unfamiliar(text, self.analyze, self.vectorizer.vocabulary_)
            ):
                top_score = 0.0
            message.set(
                INTENT, {"name": top_name, "confidence": float(np.clip(top_score, 0, 1))}, add_to_output=True
            )
            message.set(
                INTENT_RANKING_KEY,
                [{"name": n, "confidence": float(s)} for n, s in ranking[: self.config["ranking_length"]]],
                add_to_output=True,
            )
        return messages
