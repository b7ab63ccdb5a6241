"""Hands the case to people through the triage API and tells the shopper what happens next."""

from __future__ import annotations

import logging
import math
import uuid
from datetime import datetime
from typing import Any, Dict, List, Optional, Text

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions import labels, metrics, outbox, triage_client
from actions.conversation import channel_of, customer_of, transcript_of
from actions.forms import intake_reset
from knowledge_base.labels import shopper_message
from urgency import version as urgency_version

log = logging.getLogger(__name__)

_REASON_BY_INTENT = {
    "report_safety_hazard": "safety_hazard",
    "request_human": "request_human",
    "nlu_fallback": "bot_misunderstood",
}


def _minutes_until(due: str, since: str) -> int:
    delta = datetime.fromisoformat(due.replace("Z", "+00:00")) - datetime.fromisoformat(
        since.replace("Z", "+00:00")
    )
    return max(1, math.ceil(delta.total_seconds() / 60))


def handoff_payload(tracker: Tracker, reason: str, issue_type: Optional[str]) -> Dict[str, Any]:
    return {
        "conversation_id": tracker.sender_id,
        "channel": channel_of(tracker),
        "order_id": tracker.get_slot("order_id"),
        "issue_type": issue_type or "other",
        "remedy": tracker.get_slot("remedy"),
        "transcript": transcript_of(tracker),
        "customer": customer_of(tracker),
        "reason": reason,
        "product": tracker.get_slot("product"),
        "host": tracker.get_slot("host"),
        "amount": tracker.get_slot("amount"),
        # The API compares it with its own: two images with different urgency rules are noticed.
        "urgency_version": urgency_version(),
        # One key per handoff: an attempt that timed out but arrived, and its stored copy, make
        # one ticket.
        "handoff_key": uuid.uuid4().hex,
    }


def handoff_message(ticket: Dict[str, Any]) -> str:
    minutes = _minutes_until(ticket["sla"]["first_response_due"], ticket["created_at"])
    team = labels.QUEUE.get(ticket["queue"], "人工客服")
    if ticket["severity"] == "urgent":
        text = (
            f"您反映的情况我们非常重视，已作为紧急事项转给{team}，工单号 {ticket['id']}。"
            f"专人会在{minutes}分钟内联系您。"
        )
        if ticket["queue"] == "safety":
            text += "如有身体不适请先及时就医，并保留好商品、包装和就医凭证。"
        return text
    return (
        f"已为您转给{team}，工单号 {ticket['id']}，客服会在{minutes}分钟内回复您。"
        "处理进度可以随时问我“工单进度”～"
    )


class ActionHandoff(Action):
    """POST /api/v1/handoffs with everything gathered, then the ticket id and the promise."""

    def name(self) -> Text:
        return "action_handoff"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> List[EventType]:
        intent = (tracker.latest_message.get("intent") or {}).get("name", "")
        reason = _REASON_BY_INTENT.get(intent, "intake_complete")
        if tracker.get_slot("urgency") == "urgent" and reason == "intake_complete":
            reason = "urgent_signal"
        issue_type = tracker.get_slot("issue_type")
        if intent == "report_safety_hazard":
            issue_type = "safety_hazard"
        payload = handoff_payload(tracker, reason, issue_type)
        try:
            ticket = await triage_client.create_handoff(payload)
        except triage_client.TriageUnavailable as error:
            log.error("handoff failed for a conversation: %s", error)
            if await outbox.store_handoff(payload):
                # Stored durably: the API delivers it once it is back, and the shopper hears then.
                metrics.HANDOFFS.labels(outcome="stored").inc()
                dispatcher.utter_message(text=shopper_message("handoff_stored"))
                return intake_reset()
            metrics.HANDOFFS.labels(outcome="lost").inc()
            dispatcher.utter_message(response="utter_handoff_unavailable")
            return []
        metrics.HANDOFFS.labels(outcome="posted").inc()
        dispatcher.utter_message(text=handoff_message(ticket))
        return [*intake_reset(), SlotSet("ticket_id", ticket["id"])]
