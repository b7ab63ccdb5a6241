"""Gives every remedy entity a canonical value, or drops it.

DIET finds where a shopper states the remedy well, but its span edges wander ("补偿点优惠券吧"
comes out as "补偿点"), and EntitySynonymMapper only maps exact spans. This component runs
after the mapper: a remedy whose value is not canonical is resolved through the longest known
remedy phrase (the training data's synonyms and annotations) that overlaps its span; one that
overlaps none is dropped, because a form slot cannot use it. Duplicates of a value are merged.
"""

from __future__ import annotations

import json
from typing import Any, Dict, List, Optional, Text

from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.shared.nlu.constants import (
    ENTITIES,
    ENTITY_ATTRIBUTE_END,
    ENTITY_ATTRIBUTE_START,
    ENTITY_ATTRIBUTE_TYPE,
    ENTITY_ATTRIBUTE_VALUE,
    TEXT,
)
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

_LEXICON_FILE = "remedy_lexicon.json"
_REMEDY = "remedy"


@DefaultV1Recipe.register([DefaultV1Recipe.ComponentType.ENTITY_EXTRACTOR], is_trainable=True)
class RemedyResolver(GraphComponent):
    """Maps remedy entities with a non-canonical value to the canonical one, or drops them."""

    def __init__(
        self, model_storage: ModelStorage, resource: Resource, lexicon: Optional[Dict[str, str]] = None
    ) -> None:
        self._model_storage = model_storage
        self._resource = resource
        self.lexicon: Dict[str, str] = lexicon or {}
        self.canonical = set(self.lexicon.values())

    @classmethod
    def create(
        cls,
        config: Dict[Text, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> "RemedyResolver":
        return cls(model_storage, resource)

    def train(self, training_data: TrainingData) -> Resource:
        lexicon: Dict[str, str] = {}
        for example in training_data.entity_examples:
            text = example.get(TEXT) or ""
            for entity in example.get(ENTITIES) or []:
                if entity.get(ENTITY_ATTRIBUTE_TYPE) != _REMEDY:
                    continue
                phrase = text[entity[ENTITY_ATTRIBUTE_START] : entity[ENTITY_ATTRIBUTE_END]].lower()
                if phrase.strip():
                    lexicon[phrase] = str(entity.get(ENTITY_ATTRIBUTE_VALUE))
        canonical = set(lexicon.values())
        for phrase, value in training_data.entity_synonyms.items():
            if value in canonical:
                lexicon[phrase.lower()] = value
        for value in canonical:
            lexicon.setdefault(value, value)
        self.lexicon, self.canonical = lexicon, canonical
        with self._model_storage.write_to(self._resource) as directory:
            (directory / _LEXICON_FILE).write_text(json.dumps(lexicon, ensure_ascii=False), encoding="utf-8")
        return self._resource

    @classmethod
    def load(
        cls,
        config: Dict[Text, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
        **kwargs: Any,
    ) -> "RemedyResolver":
        try:
            with model_storage.read_from(resource) as directory:
                lexicon = json.loads((directory / _LEXICON_FILE).read_text(encoding="utf-8"))
        except (ValueError, FileNotFoundError):
            lexicon = {}
        return cls(model_storage, resource, lexicon)

    def resolve(self, text: str, start: int, end: int) -> Optional[tuple[str, int, int]]:
        """The canonical value of the longest known phrase overlapping text[start:end]."""
        lowered = text.lower()
        best: Optional[tuple[str, int, int]] = None
        for phrase, value in self.lexicon.items():
            position = lowered.find(phrase)
            while position != -1:
                overlaps = position < end and position + len(phrase) > start
                if overlaps and (best is None or len(phrase) > best[2] - best[1]):
                    best = (value, position, position + len(phrase))
                position = lowered.find(phrase, position + 1)
        return best

    def process(self, messages: List[Message]) -> List[Message]:
        if not self.lexicon:
            return messages
        for message in messages:
            entities = message.get(ENTITIES) or []
            if not any(e.get(ENTITY_ATTRIBUTE_TYPE) == _REMEDY for e in entities):
                continue
            text = message.get(TEXT) or ""
            kept: List[Dict[Text, Any]] = []
            values: set[str] = set()
            for entity in entities:
                if entity.get(ENTITY_ATTRIBUTE_TYPE) != _REMEDY:
                    kept.append(entity)
                    continue
                value = entity.get(ENTITY_ATTRIBUTE_VALUE)
                if value not in self.canonical:
                    start, end = entity[ENTITY_ATTRIBUTE_START], entity[ENTITY_ATTRIBUTE_END]
                    resolved = self.resolve(text, start, end)
                    if resolved is None:
                        continue
                    value = resolved[0]
                    entity = {**entity, ENTITY_ATTRIBUTE_VALUE: value}
                if value not in values:
                    values.add(value)
                    kept.append(entity)
            message.set(ENTITIES, kept, add_to_output=True)
        return messages
