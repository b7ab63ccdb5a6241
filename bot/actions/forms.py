"""The intake form: validation of order number, issue type, remedy and the confirmation."""

from __future__ import annotations

import re
from typing import Any, Dict, List, Text

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.forms import FormValidationAction, ValidationAction
from rasa_sdk.types import DomainDict

from actions import labels
from actions.conversation import CHANNELS, channel_of, latest_metadata
from actions.privacy import shown_order_id
from knowledge_base.textnorm import canonical_order_id, is_mobile_number, normalize
from triage_api.triage.signals import SignalReader

_MANY_DIGITS = re.compile(r"\d[\d\s\-]{5,}\d")
# The triage policy's own signal reader: the bot hands over at once on exactly what the triage
# API will grade urgent (harm, money still being taken, exposure threats, strong anger).
_SIGNALS = SignalReader.load()


class ValidateSlotMappings(ValidationAction):
    """Global custom mappings: the channel comes from the message metadata."""

    def name(self) -> Text:
        return "action_validate_slot_mappings"

    async def extract_channel(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> Dict[Text, Any]:
        channel = latest_metadata(tracker).get("channel")
        if channel in CHANNELS and channel != tracker.get_slot("channel"):
            return {"channel": channel}
        return {}

    async def extract_urgency(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> Dict[Text, Any]:
        text = tracker.latest_message.get("text") or ""
        if tracker.get_slot("urgency") != "urgent" and _SIGNALS.read([text]).hits:
            return {"urgency": "urgent"}
        return {}


class ValidateIntakeForm(FormValidationAction):
    def name(self) -> Text:
        return "validate_intake_form"

    async def extract_order_id(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> Dict[Text, Any]:
        """When asked for the order number, digits that are not one get a clear re-ask."""
        if tracker.get_slot("requested_slot") != "order_id":
            return {}
        if any(e.get("entity") == "order_id" for e in tracker.latest_message.get("entities", [])):
            return {}
        text = normalize(tracker.latest_message.get("text") or "")
        digits = _MANY_DIGITS.search(text)
        if not digits:
            return {}
        # Returning the digits keeps the form running (a form that fills nothing is rejected and
        # its messages dropped); validate_order_id then explains what is wrong with them.
        return {"order_id": digits.group()}

    def validate_order_id(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> Dict[Text, Any]:
        canonical = canonical_order_id(str(value)) if value else None
        if canonical is not None:
            return {"order_id": canonical}
        if value and is_mobile_number(str(value)):
            dispatcher.utter_message(
                text="这个是手机号哦，不是订单号～订单号在“我的订单”→订单详情里，一般是10到20位数字。"
            )
            return {"order_id": None, "phone": re.sub(r"\D", "", str(value))[-11:]}
        dispatcher.utter_message(response="utter_invalid_order_id")
        return {"order_id": None}

    def validate_issue_type(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> Dict[Text, Any]:
        if value in labels.ISSUE_TYPE:
            return {"issue_type": value}
        return {"issue_type": None}

    def validate_remedy(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> Dict[Text, Any]:
        if value in labels.REMEDY:
            return {"remedy": value}
        return {"remedy": None}

    def validate_confirmed(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> Dict[Text, Any]:
        # A "no" keeps the form open; the next ask shows the corrected summary.
        return {"confirmed": True if value is True else None}


class ActionAskConfirmed(Action):
    """Shows what was gathered and asks the shopper to confirm before the handoff."""

    def name(self) -> Text:
        return "action_ask_confirmed"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> List[EventType]:
        latest = tracker.latest_message
        new_facts = {e.get("entity") for e in latest.get("entities", [])} & {"order_id", "remedy"}
        if (latest.get("intent") or {}).get("name") == "deny" and not new_facts:
            dispatcher.utter_message(response="utter_ask_correction")
            return []
        channel = channel_of(tracker)
        issue = labels.ISSUE_TYPE.get(tracker.get_slot("issue_type") or "other", "其他问题")
        remedy = labels.REMEDY.get(tracker.get_slot("remedy") or "unsure", "请客服给建议")
        order = shown_order_id(tracker.get_slot("order_id"), channel)
        dispatcher.utter_message(
            text=(
                "好的，我跟您核对一下：\n"
                f"· 订单：{order}\n"
                f"· 问题：{issue}\n"
                f"· 希望：{remedy}\n"
                "没问题的话回复“是”，我马上转给专人处理；有不对的地方直接告诉我就行～"
            ),
            buttons=[
                {"title": "是，提交", "payload": "/affirm"},
                {"title": "有不对", "payload": "/deny"},
            ],
        )
        return []


def intake_reset() -> List[EventType]:
    return [SlotSet(slot, None) for slot in ("order_id", "issue_type", "remedy", "confirmed", "urgency")]
