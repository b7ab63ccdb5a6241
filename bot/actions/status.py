"""Looks up the status of a shopper's case: by ticket id + order number, or this conversation's."""

from __future__ import annotations

import re
from typing import List, Optional, Text

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions import labels, triage_client
from knowledge_base.textnorm import normalize

_TICKET_ID = re.compile(r"\bT\d{8}[0-9A-Z]{8}\b")


def _order_in_message(tracker: Tracker) -> Optional[str]:
    for entity in tracker.latest_message.get("entities", []):
        if entity.get("entity") == "order_id":
            return str(entity.get("value"))
    return tracker.get_slot("order_id")


class ActionCheckStatus(Action):
    def name(self) -> Text:
        return "action_check_status"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> List[EventType]:
        text = normalize(tracker.latest_message.get("text") or "").upper()
        ticket_id = _TICKET_ID.search(text)
        order_id = _order_in_message(tracker)
        try:
            if ticket_id and order_id:
                found = await triage_client.shopper_status(ticket_id.group(), order_id)
                status = found.get("status_text") or labels.STATUS.get(found.get("status", ""), "处理中")
                dispatcher.utter_message(text=f"您的工单 {found['ticket_id']} 当前状态：{status}。")
                return []
            tickets = (await triage_client.tickets_of_conversation(tracker.sender_id)).get("items") or []
        except triage_client.TriageUnavailable:
            if ticket_id and order_id:
                dispatcher.utter_message(text="没有查到这个工单号和订单号对应的工单，麻烦核对一下～")
            else:
                dispatcher.utter_message(text="抱歉，进度查询暂时不可用，请稍后再试～")
            return []
        if not tickets:
            dispatcher.utter_message(
                text="暂时没有查到您在这里提交的工单～请把工单号和订单号一起发给我（例如“工单T2025…，订单2025…”），我帮您查。"
            )
            return []
        latest = tickets[-1]
        status = labels.STATUS.get(latest["status"], latest["status"])
        dispatcher.utter_message(text=f"您的工单 {latest['id']} 当前状态：{status}。")
        return []
