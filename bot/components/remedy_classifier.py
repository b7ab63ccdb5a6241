"""Reads the remedy a whole message asks for, where no known phrase says it.

The RemedyResolver finds remedies said in words the training data has used, in request position.
Shoppers ask in words nobody annotated yet ("帮我跟进一下", "少收我点钱也行", "你们看看怎么弄"),
and sometimes a phrase's value is right for the phrase but not for the message ("东西我寄回去了，
钱退我" asks for a return with a refund). This component runs after the resolver: a logistic
regression over TF-IDF character n-grams of the whole message (identifiers masked), trained on
every training line labelled with the remedy it asks for or `none`, reads the message as a whole.

It only acts in messages whose intent may ask for a remedy, and only when it is sure:
- nothing was found and its best reading is a remedy with probability >= `add_threshold`: that
  remedy is added, on the span of a known phrase of that value when the message has one, on the
  whole message otherwise;
- exactly one remedy was found and it reads another one with probability >= `swap_threshold`:
  the value is replaced, on the same span.
Two remedies found are left alone, and so is a reading of `none`: the classifier never removes.
The thresholds were chosen on split E (which is a tuning split since), docs/performance.md.
"""

from __future__ import annotations

from typing import Any, Dict, List, Optional, Text, Tuple

from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.shared.nlu.constants import (
    ENTITIES,
    ENTITY_ATTRIBUTE_END,
    ENTITY_ATTRIBUTE_START,
    ENTITY_ATTRIBUTE_TYPE,
    ENTITY_ATTRIBUTE_VALUE,
    INTENT,
    INTENT_NAME_KEY,
    TEXT,
)
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression

from components.pickled_model import PickledModelComponent, char_ngrams
from components.remedy_resolver import ASKS_FOR_A_REMEDY, by_what_is_sent, not_asked_here
from knowledge_base.textnorm import mask_identifiers

_REMEDY = "remedy"
NONE = "none"
EXTRACTOR = "RemedyValueClassifier"


def line_remedy(example: Message) -> str:
    """The remedy a training line asks for: its first annotated value in sorted order, or none."""
    values = sorted(
        str(e.get(ENTITY_ATTRIBUTE_VALUE))
        for e in example.get(ENTITIES) or []
        if e.get(ENTITY_ATTRIBUTE_TYPE) == _REMEDY and e.get(ENTITY_ATTRIBUTE_VALUE)
    )
    return values[0] if values else NONE


def phrases_by_value(training_data: TrainingData) -> Dict[str, List[str]]:
    """Each remedy value's annotated phrases and synonyms, longest first."""
    phrases: Dict[str, set[str]] = {}
    for example in training_data.entity_examples:
        text = (example.get(TEXT) or "").lower()
        for entity in example.get(ENTITIES) or []:
            if entity.get(ENTITY_ATTRIBUTE_TYPE) == _REMEDY:
                phrase = text[entity[ENTITY_ATTRIBUTE_START] : entity[ENTITY_ATTRIBUTE_END]].strip()
                if len(phrase) >= 2:
                    phrases.setdefault(str(entity.get(ENTITY_ATTRIBUTE_VALUE)), set()).add(phrase)
    for phrase, value in training_data.entity_synonyms.items():
        if value in phrases and len(phrase) >= 2:
            phrases[value].add(phrase.lower())
    return {value: sorted(group, key=len, reverse=True) for value, group in phrases.items()}


@DefaultV1Recipe.register([DefaultV1Recipe.ComponentType.ENTITY_EXTRACTOR], is_trainable=True)
class RemedyValueClassifier(PickledModelComponent):
    """Adds or corrects the remedy from a whole-message reading when it is sure."""

    model_file = "remedy_classifier.pkl"

    @staticmethod
    def get_default_config() -> Dict[Text, Any]:
        return {"C": 30.0, "min_ngram": 1, "max_ngram": 3, "add_threshold": 0.6, "swap_threshold": 0.7}

    def use_model(self, model: Optional[Tuple[Any, ...]]) -> None:
        self.vectorizer: Optional[TfidfVectorizer]
        self.classifier: Optional[LogisticRegression]
        self.phrases: Dict[str, List[str]]
        self.vectorizer, self.classifier, self.phrases = model or (None, None, {})

    def train(self, training_data: TrainingData) -> Resource:
        examples = [e for e in training_data.intent_examples if (e.get(TEXT) or "").strip()]
        labels = [line_remedy(e) for e in examples]
        if len(set(labels)) < 2:  # nothing to learn: no remedy annotated
            return self._resource
        vectorizer = char_ngrams(int(self.config["min_ngram"]), int(self.config["max_ngram"]))
        features = vectorizer.fit_transform([mask_identifiers(e.get(TEXT)) for e in examples])
        classifier = LogisticRegression(max_iter=3000, C=float(self.config["C"]))
        classifier.fit(features, labels)
        return self.save_model((vectorizer, classifier, phrases_by_value(training_data)))

    def reading(self, text: str) -> Tuple[str, float]:
        """The classifier's best remedy for the whole text (or none) and its probability."""
        if self.vectorizer is None or self.classifier is None:
            return NONE, 0.0
        probabilities = self.classifier.predict_proba(self.vectorizer.transform([mask_identifiers(text)]))[0]
        best = int(probabilities.argmax())
        return str(self.classifier.classes_[best]), float(probabilities[best])

    def _span(self, text: str, value: str) -> Tuple[int, int]:
        lowered = text.lower()
        for phrase in self.phrases.get(value, []):
            position = lowered.find(phrase)
            if position != -1:
                return position, position + len(phrase)
        return 0, len(text)

    def process(self, messages: List[Message]) -> List[Message]:
        for message in messages:
            intent = str((message.get(INTENT) or {}).get(INTENT_NAME_KEY) or "")
            text = message.get(TEXT) or ""
            if not text.strip() or not intent.startswith(ASKS_FOR_A_REMEDY):
                continue
            entities = list(message.get(ENTITIES) or [])
            remedies = [e for e in entities if e.get(ENTITY_ATTRIBUTE_TYPE) == _REMEDY]
            if len(remedies) > 1:
                continue
            value, probability = self.reading(text)
            if value == NONE:
                continue
            if not remedies and probability >= float(self.config["add_threshold"]):
                start, end = self._span(text, value)
                read = {
                    ENTITY_ATTRIBUTE_TYPE: _REMEDY,
                    ENTITY_ATTRIBUTE_VALUE: value,
                    ENTITY_ATTRIBUTE_START: start,
                    ENTITY_ATTRIBUTE_END: end,
                    "confidence_entity": probability,
                    "extractor": EXTRACTOR,
                }
                # What is sent or given back decides the value, as for the resolver's ("少的那盒退钱").
                if (start, end) != (0, len(text)) and not_asked_here(text.lower(), read):
                    continue  # the phrase it stands on is told or refused ("客服说会补", "不点退款")
                entities.append(by_what_is_sent(text, [read], intent)[0])
            elif (
                remedies
                and remedies[0].get(ENTITY_ATTRIBUTE_VALUE) != value
                and probability >= float(self.config["swap_threshold"])
            ):
                found = remedies[0]
                read = {
                    **found,
                    ENTITY_ATTRIBUTE_VALUE: value,
                    "confidence_entity": probability,
                    "extractor": EXTRACTOR,
                }
                swapped = by_what_is_sent(text, [read], intent)[0]
                if swapped[ENTITY_ATTRIBUTE_VALUE] == found.get(ENTITY_ATTRIBUTE_VALUE):
                    continue  # the resolver's value stands: it is what is sent back
                entities[entities.index(found)] = swapped
            else:
                continue
            message.set(ENTITIES, entities, add_to_output=True)
        return messages
