"""Looks up the status of the shopper's existing tickets from this conversation."""

from __future__ import annotations

from typing import List, Text

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions import labels, triage_client


class ActionCheckStatus(Action):
    def name(self) -> Text:
        return "action_check_status"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> List[EventType]:
        try:
            found = await triage_client.tickets_of_conversation(tracker.sender_id)
        except triage_client.TriageUnavailable:
            dispatcher.utter_message(text="抱歉，进度查询暂时不可用，请稍后再试～")
            return []
        tickets = found.get("items") or []
        if not tickets:
            dispatcher.utter_message(
                text="暂时没有查到您在这里提交的工单～如果是在其他渠道提交的，请告诉我工单号和订单号，我帮您查。"
            )
            return []
        latest = tickets[-1]
        status = labels.STATUS.get(latest["status"], latest["status"])
        dispatcher.utter_message(text=f"您的工单 {latest['id']} 当前状态：{status}。")
        return []
