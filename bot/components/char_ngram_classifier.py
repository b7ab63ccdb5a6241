"""Intent ensemble: DIET's ranking averaged with a character n-gram logistic regression.

On a few dozen examples per intent, a linear model over TF-IDF character n-grams generalises
to unseen Chinese phrasings better than DIET alone (bench/nlu.py shows both); their average is
better than either. Order and mobile numbers are masked to one mark before featurising: their
digits say nothing about the intent, but unmasked they drag any message that carries one towards
`inform`. The component runs right after DIET and rewrites the intent and ranking.
"""

from __future__ import annotations

import os
import pickle
from typing import Any, Dict, List, Optional, Text

import numpy as np
from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.classifiers.classifier import IntentClassifier
from rasa.shared.nlu.constants import INTENT, INTENT_RANKING_KEY, TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression

from knowledge_base.textnorm import mask_identifiers

_MODEL_FILE = "char_ngram_intents.pkl"
# Benchmarks set this to get both sources of the ensemble in the parse output, so that the weight
# can be tuned on a held-out split without retraining (bench/nlu_weights.py).
SOURCES_ENV = "BOT_NLU_EXPOSE_ENSEMBLE_SOURCES"


@DefaultV1Recipe.register([DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER], is_trainable=True)
class CharNgramIntentClassifier(GraphComponent, IntentClassifier):
    """Averages DIET's intent ranking with a TF-IDF character n-gram logistic regression."""

    @staticmethod
    def get_default_config() -> Dict[Text, Any]:
        return {"min_ngram": 1, "max_ngram": 3, "C": 10.0, "weight": 0.5, "ranking_length": 10}

    def __init__(
        self,
        config: Dict[Text, Any],
        model_storage: ModelStorage,
        resource: Resource,
        vectorizer: Optional[TfidfVectorizer] = None,
        classifier: Optional[LogisticRegression] = None,
    ) -> None:
        self.config = {**self.get_default_config(), **config}
        self._model_storage = model_storage
        self._resource = resource
        self.vectorizer = vectorizer
        self.classifier = classifier
        self.expose_sources = os.environ.get(SOURCES_ENV) == "1"

    @classmethod
    def create(
        cls,
        config: Dict[Text, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> "CharNgramIntentClassifier":
        return cls(config, model_storage, resource)

    def train(self, training_data: TrainingData) -> Resource:
        examples = [e for e in training_data.intent_examples if e.get(TEXT) and e.get(INTENT)]
        self.vectorizer = TfidfVectorizer(
            analyzer="char_wb",
            ngram_range=(self.config["min_ngram"], self.config["max_ngram"]),
            sublinear_tf=True,
        )
        features = self.vectorizer.fit_transform([mask_identifiers(e.get(TEXT)) for e in examples])
        self.classifier = LogisticRegression(max_iter=3000, C=float(self.config["C"]))
        self.classifier.fit(features, [e.get(INTENT) for e in examples])
        with self._model_storage.write_to(self._resource) as directory:
            (directory / _MODEL_FILE).write_bytes(pickle.dumps((self.vectorizer, self.classifier)))
        return self._resource

    @classmethod
    def load(
        cls,
        config: Dict[Text, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
        **kwargs: Any,
    ) -> "CharNgramIntentClassifier":
        try:
            with model_storage.read_from(resource) as directory:
                vectorizer, classifier = pickle.loads((directory / _MODEL_FILE).read_bytes())
        except (ValueError, FileNotFoundError):
            return cls(config, model_storage, resource)
        return cls(config, model_storage, resource, vectorizer, classifier)

    def process(self, messages: List[Message]) -> List[Message]:
        if self.vectorizer is None or self.classifier is None:
            return messages
        weight = float(self.config["weight"])
        for message in messages:
            text = message.get(TEXT) or ""
            if not text.strip():
                continue
            linear = self.classifier.predict_proba(self.vectorizer.transform([mask_identifiers(text)]))[0]
            scores = {
                str(name): weight * float(p) for name, p in zip(self.classifier.classes_, linear, strict=True)
            }
            for entry in message.get(INTENT_RANKING_KEY) or []:
                name = entry.get("name")
                if name:
                    scores[name] = scores.get(name, 0.0) + (1 - weight) * float(entry.get("confidence") or 0)
            if self.expose_sources:
                message.set(
                    "intent_sources",
                    {
                        "char_ngram": {
                            str(n): float(p) for n, p in zip(self.classifier.classes_, linear, strict=True)
                        },
                        "diet": {
                            str(e.get("name")): float(e.get("confidence") or 0)
                            for e in message.get(INTENT_RANKING_KEY) or []
                        },
                    },
                    add_to_output=True,
                )
            ranking = sorted(scores.items(), key=lambda item: -item[1])
            top_name, top_score = ranking[0]
            message.set(
                INTENT, {"name": top_name, "confidence": float(np.clip(top_score, 0, 1))}, add_to_output=True
            )
            message.set(
                INTENT_RANKING_KEY,
                [{"name": n, "confidence": float(s)} for n, s in ranking[: self.config["ranking_length"]]],
                add_to_output=True,
            )
        return messages
