"""Authoritative order-number and phone extraction, after the statistical extractors.

Order numbers follow strict rules (10-20 digits, optional letter prefix, separators, never a
mobile number), so rules beat a learned model here: this component drops whatever order_id or
phone entities earlier extractors guessed and adds the canonical ones it finds. Likewise, where
RegexEntityExtractor matched an entity (an amount such as "159元"), DIET's overlapping guess of
the same type is dropped, so each fact arrives once, with exact edges.
"""

from __future__ import annotations

import re
from typing import Any, Dict, List, Text

from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.extractors.extractor import EntityExtractorMixin
from rasa.shared.nlu.constants import (
    ENTITIES,
    ENTITY_ATTRIBUTE_END,
    ENTITY_ATTRIBUTE_START,
    ENTITY_ATTRIBUTE_TYPE,
    ENTITY_ATTRIBUTE_VALUE,
    TEXT,
)
from rasa.shared.nlu.training_data.message import Message

from knowledge_base.textnorm import OrderIdMatch, find_order_ids, find_phones

_RULE_TYPES = {"order_id", "phone"}
_REGEX_EXTRACTOR = "RegexEntityExtractor"
# A number taken back for the next one: "订单号3712…，打错了，是3712…".
_CORRECTION = re.compile(r"(?:打错了?|写错了?|输错了?|发错了?|不对|更正|错了|说错了?|应该是|正确的是)")


def _without_corrected(text: str, found: List[OrderIdMatch]) -> List[OrderIdMatch]:
    """Drops an order number the shopper corrects by a later one."""
    if not found:
        return found
    return [
        match
        for match, later in zip(found, [*found[1:], None], strict=True)
        if later is None or not _CORRECTION.search(text[match.end : later.start])
    ]


def _without_guesses_under_regex_matches(entities: List[Dict[Text, Any]]) -> List[Dict[Text, Any]]:
    exact = [e for e in entities if e.get("extractor") == _REGEX_EXTRACTOR]

    def under_exact(entity: Dict[Text, Any]) -> bool:
        return entity.get("extractor") != _REGEX_EXTRACTOR and any(
            other[ENTITY_ATTRIBUTE_TYPE] == entity.get(ENTITY_ATTRIBUTE_TYPE)
            and other[ENTITY_ATTRIBUTE_START] < entity[ENTITY_ATTRIBUTE_END]
            and entity[ENTITY_ATTRIBUTE_START] < other[ENTITY_ATTRIBUTE_END]
            for other in exact
        )

    return [e for e in entities if not under_exact(e)]


@DefaultV1Recipe.register([DefaultV1Recipe.ComponentType.ENTITY_EXTRACTOR], is_trainable=False)
class OrderIdExtractor(GraphComponent, EntityExtractorMixin):
    """Extracts canonical order_id and phone entities by rule."""

    @classmethod
    def create(
        cls,
        config: Dict[Text, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> "OrderIdExtractor":
        return cls()

    def process(self, messages: List[Message]) -> List[Message]:
        for message in messages:
            text = message.get(TEXT) or ""
            kept = [e for e in message.get(ENTITIES, []) if e.get(ENTITY_ATTRIBUTE_TYPE) not in _RULE_TYPES]
            kept = _without_guesses_under_regex_matches(kept)
            found = []
            for match in _without_corrected(text, find_order_ids(text)):
                found.append(self._entity("order_id", match.value, match.start, match.end))
            for match in find_phones(text):
                found.append(self._entity("phone", match.value, match.start, match.end))
            message.set(ENTITIES, kept + self.add_extractor_name(found), add_to_output=True)
        return messages

    @staticmethod
    def _entity(entity_type: str, value: str, start: int, end: int) -> Dict[Text, Any]:
        return {
            ENTITY_ATTRIBUTE_TYPE: entity_type,
            ENTITY_ATTRIBUTE_VALUE: value,
            ENTITY_ATTRIBUTE_START: start,
            ENTITY_ATTRIBUTE_END: end,
            "confidence_entity": 1.0,
        }
