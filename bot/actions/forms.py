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
from actions.settings import get_settings
from knowledge_base.textnorm import canonical_order_id, is_mobile_number, normalize, replace_spans
from urgency import SignalReader

_MANY_DIGITS = re.compile(r"\d[\d\s\-]{5,}\d")
# Words that only introduce a fact ("单号 …", "我的电话是 …"); what remains describes a problem.
_FACT_INTRO = re.compile(r"订单编号|订单号码|订单号|订单|单号|单子|手机号|手机|电话|号码|我的|是|补充一下")
_CJK = re.compile(r"[\u4e00-\u9fff]")
_DESCRIBES_A_PROBLEM = 4  # Chinese characters left once facts and their intros are removed
# The urgency package, the triage policy's own reader: the bot hands over at once on what the
# triage API grades urgent (harm, money still being taken, exposure threats) and on strong anger.
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
        if tracker.get_slot("urgency") == "urgent":
            return {}
        # The case so far (since the last handoff), as the triage API reads it: context and
        # withdrawals span turns.
        texts: List[str] = []
        for event in tracker.events:
            if event.get("event") == "action" and event.get("name") == "action_handoff":
                texts = []
            elif event.get("event") == "user":
                texts.append(str(event.get("text") or ""))
        if _SIGNALS.read(texts[-20:], tracker.get_slot("issue_type")).hits:
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

    async def extract_issue_type(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> Dict[Text, Any]:
        """A message read as plain information that also describes a problem names the issue.

        "单号 2025-1123-5555-6666 的东西和直播间说的不一样 tk" is mostly order number, so NLU may
        rank `inform` first; the complaint ranked next is then the best reading of the problem.
        The confirmation summary shows it, and the shopper can still correct it.
        """
        if tracker.get_slot("issue_type"):
            return {}
        latest = tracker.latest_message
        if (latest.get("intent") or {}).get("name") not in ("inform", "request_remedy"):
            return {}
        if len(_CJK.findall(_FACT_INTRO.sub("", text_without_entities(latest)))) < _DESCRIBES_A_PROBLEM:
            return {}
        threshold = get_settings().issue_guess_confidence
        for entry in latest.get("intent_ranking") or []:
            name = str(entry.get("name") or "")
            if name.startswith("report_") and float(entry.get("confidence") or 0) >= threshold:
                return {"issue_type": name.removeprefix("report_")}
        return {}

    def validate_order_id(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> Dict[Text, Any]:
        canonical = canonical_order_id(str(value)) if value else None
        if canonical is not None:
            previous = slot_before_latest_message(tracker, "order_id")
            if previous and previous != canonical:
                # A correction ("不对，订单号是…"): say it was taken, so nobody wonders which one counts.
                shown = shown_order_id(canonical, channel_of(tracker))
                dispatcher.utter_message(text=f"好的，订单号已更正为{shown}。")
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
            # Payloads are words, read by the NLU like typed text: the gateway never lets a
            # shopper's message be a Rasa command (/intent{...}).
            buttons=[
                {"title": "是，提交", "payload": "是的"},
                {"title": "有不对", "payload": "不对"},
            ],
        )
        return []


def text_without_entities(message: Dict[Text, Any]) -> str:
    """The message text with every extracted entity cut out."""
    text = str(message.get("text") or "")
    spans = [
        (int(e["start"]), int(e["end"]), "")
        for e in message.get("entities", [])
        if "start" in e and "end" in e
    ]
    return normalize(replace_spans(text, spans))


def slot_before_latest_message(tracker: Tracker, slot: str) -> Any:
    """The slot's value before the latest user message (the tracker already holds the new one)."""
    seen_user = False
    for event in reversed(tracker.events):
        if event.get("event") == "user":
            seen_user = True
        elif seen_user and event.get("event") == "slot" and event.get("name") == slot:
            return event.get("value")
        elif seen_user and event.get("event") == "restart":
            return None
    return None


def intake_reset() -> List[EventType]:
    return [SlotSet(slot, None) for slot in ("order_id", "issue_type", "remedy", "confirmed", "urgency")]
