"""What may be shown in a public live-comment reply: never a full order or phone number."""

from __future__ import annotations

from typing import Optional


def shown_order_id(order_id: Optional[str], channel: str) -> str:
    if not order_id:
        return "未提供"
    if channel == "live_comment":
        return f"尾号{order_id[-4:]}的订单"
    return order_id
