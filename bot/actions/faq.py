"""Answers common questions from the knowledge base, only when retrieval is confident."""

from __future__ import annotations

import logging
from typing import List, Text

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions import triage_client

log = logging.getLogger(__name__)


class ActionAnswerFaq(Action):
    def name(self) -> Text:
        return "action_answer_faq"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> List[EventType]:
        question = tracker.latest_message.get("text") or ""
        try:
            found = await triage_client.search_faq(question)
        except triage_client.TriageUnavailable as error:
            log.warning("knowledge-base search failed: %s", error)
            dispatcher.utter_message(response="utter_faq_not_sure")
            return []
        results = found.get("results") or []
        if found.get("confident") and results:
            dispatcher.utter_message(text=results[0]["text"])
        else:
            dispatcher.utter_message(response="utter_faq_not_sure")
        return []
