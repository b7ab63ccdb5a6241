"""Reads what a tracker holds: the channel, the customer and the transcript of the conversation."""

from __future__ import annotations

from typing import Any, Dict, List

from rasa_sdk import Tracker

from actions.settings import get_settings

CHANNELS = ("live_comment", "app_chat", "message")


def latest_metadata(tracker: Tracker) -> Dict[str, Any]:
    for event in reversed(tracker.events):
        if event.get("event") == "user":
            metadata = event.get("metadata") or {}
            return metadata if isinstance(metadata, dict) else {}
    return {}


def channel_of(tracker: Tracker) -> str:
    slot = tracker.get_slot("channel")
    if slot in CHANNELS:
        return str(slot)
    channel = latest_metadata(tracker).get("channel")
    return channel if channel in CHANNELS else get_settings().default_channel


def verified_identity(tracker: Tracker) -> Dict[str, Any]:
    """The identity the gateway verified from the shop's signed token ({} when anonymous).
    The gateway drops every unsigned claim, so `identity` can only have come from it."""
    for event in reversed(tracker.events):
        if event.get("event") == "user":
            identity = (event.get("metadata") or {}).get("identity")
            if isinstance(identity, dict) and identity.get("verified") is True:
                return identity
    return {}


def customer_of(tracker: Tracker) -> Dict[str, Any]:
    """Customer id and VIP flag from the verified identity only; anonymous: the conversation id."""
    identity = verified_identity(tracker)
    customer: Dict[str, Any] = {
        "id": str(identity.get("customer_id") or tracker.sender_id)[:128],
        "vip": identity.get("vip") is True,
    }
    phone = tracker.get_slot("phone")
    if phone:
        customer["phone"] = str(phone)[:32]
    return customer


def transcript_of(tracker: Tracker, limit: int = 400) -> List[Dict[str, Any]]:
    turns: List[Dict[str, Any]] = []
    for event in tracker.events:
        kind = event.get("event")
        text = event.get("text")
        if kind in ("user", "bot") and text:
            turns.append({"role": kind, "text": str(text)[:4000], "ts": event.get("timestamp")})
    return turns[-limit:]


def shopper_texts(tracker: Tracker) -> List[str]:
    return [turn["text"] for turn in transcript_of(tracker) if turn["role"] == "user"]
