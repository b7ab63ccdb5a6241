"""When the NLU is unsure: ask with its two best readings, and after two misses in a row, a person.

A message the FallbackClassifier turns into `nlu_fallback` still carries the ranking of what it
might mean. The shopper is asked to pick one of the two best readings that the bot can act on
(buttons whose words the NLU reads as that intent, from `labels.yaml`'s `intent_choice`), or to
say it differently. The second misunderstanding in a row hands the case over with everything
gathered so far, instead of a third "我没太明白" (the escape hatch of Rasa's financial demo).
"""

from __future__ import annotations

from typing import Any, Dict, List, Text

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions.handoff import ActionHandoff
from knowledge_base.labels import intent_choices, shopper_message

FALLBACK_INTENT = "nlu_fallback"
MISSES_BEFORE_HANDOFF = 2


def misses_in_a_row(tracker: Tracker) -> int:
    """How many of the latest shopper turns, counting back from the last, the NLU did not understand."""
    misses = 0
    for event in reversed(tracker.events):
        if event.get("event") != "user":
            continue
        intent = ((event.get("parse_data") or {}).get("intent") or {}).get("name")
        if intent != FALLBACK_INTENT:
            break
        misses += 1
    return misses


def best_readings(parse_data: Dict[str, Any], count: int = 2) -> List[str]:
    """The best-ranked intents the bot can offer as a choice (social intents are never offered)."""
    choices = intent_choices()
    ranking = parse_data.get("intent_ranking") or []
    offered: List[str] = []
    for entry in ranking:
        name = entry.get("name")
        if name in choices and name not in offered:
            offered.append(name)
        if len(offered) == count:
            break
    return offered


def choice_buttons(intents: List[str]) -> List[Dict[str, str]]:
    choices = intent_choices()
    return [{"title": choices[i]["title"], "payload": choices[i]["says"]} for i in intents]


class ActionClarify(Action):
    """Asks which reading was meant, or hands over on the second miss in a row."""

    def name(self) -> Text:
        return "action_clarify"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> List[EventType]:
        if misses_in_a_row(tracker) >= MISSES_BEFORE_HANDOFF:
            dispatcher.utter_message(text=shopper_message("misunderstood_handoff"))
            return await ActionHandoff().run(dispatcher, tracker, domain)
        readings = best_readings(tracker.latest_message or {})
        titles = [intent_choices()[i]["title"] for i in readings]
        if len(readings) == 2:
            text = shopper_message("clarify_two", {"first": titles[0], "second": titles[1]})
        elif readings:
            text = shopper_message("clarify_one", {"first": titles[0]})
        else:
            dispatcher.utter_message(response="utter_default")
            return []
        # a person is always on offer
        offered = readings if "request_human" in readings else [*readings, "request_human"]
        dispatcher.utter_message(text=text, buttons=choice_buttons(offered))
        return []
