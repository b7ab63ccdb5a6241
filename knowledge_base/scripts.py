"""Fills the placeholders of agent scripts (话术) safely, for a message a shopper will read.

A placeholder is `{name}` with a name from PLACEHOLDERS. Values are sanitised and rendered in
natural Chinese (an order number becomes 订单…, a remedy name its Chinese label, an ISO deadline
a Beijing-time date); a missing or unusable value becomes a generic phrase (您的订单, 尽快 …), so
a reply never shows `None` or a brace. Substitution is one regex pass over the template, never
`str.format`: a value cannot inject placeholders or format fields. Unknown placeholders are left
as written, for the trainer to notice.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

from knowledge_base.labels import all_labels
from knowledge_base.textnorm import canonical_order_id, normalize

PLACEHOLDERS = ("order_id", "remedy", "deadline", "agent_name", "product", "ticket_id")
FALLBACKS = {
    "order_id": "您的订单",
    "remedy": "相应的处理",
    "deadline": "尽快",
    "agent_name": "客服",
    "product": "您购买的商品",
    "ticket_id": "您的工单",
}
# Taxonomy remedy names as they read inside a sentence (labels.yaml `remedy_in_sentence`).
REMEDY_LABELS = all_labels()["remedy_in_sentence"]
MAX_VALUE_CHARS = {"agent_name": 20, "product": 40, "remedy": 30, "deadline": 30}
SHOPPER_TIMEZONE = timezone(timedelta(hours=8), "Asia/Shanghai")

_PLACEHOLDER = re.compile(r"\{([A-Za-z_][A-Za-z0-9_]*)\}")
_MISSING_WORDS = frozenset({"none", "null", "nil", "nan", "undefined"})
_UNSAFE = re.compile(r"[{}<>\u0000-\u001f\u007f]")
_TICKET_ID = re.compile(r"^[A-Za-z0-9_-]{4,40}$")
_CJK = re.compile(r"[\u3400-\u9fff]")


@dataclass(frozen=True)
class RenderedScript:
    text: str
    filled: tuple[str, ...]  # placeholders filled from the given values
    defaulted: tuple[str, ...]  # placeholders that got the generic phrase
    unknown: tuple[str, ...]  # placeholders this code does not know, left as written


def clean_value(value: object) -> str | None:
    """A value as plain one-line text without braces or markup characters; None when empty."""
    if value is None:
        return None
    text = normalize(str(value))
    text = _UNSAFE.sub("", text)
    text = re.sub(r"\s+", " ", text).strip()
    if not text or text.lower() in _MISSING_WORDS:
        return None
    return text


def _deadline(text: str) -> str:
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return text
    if moment.tzinfo is not None:
        moment = moment.astimezone(SHOPPER_TIMEZONE)
    if len(text) == len("2025-11-24"):  # a date without a time of day
        return f"在{moment.month}月{moment.day}日前"
    return f"在{moment.month}月{moment.day}日{moment:%H:%M}前"


def render_value(name: str, value: object) -> str | None:
    """How one placeholder's value reads in a reply, or None when it cannot be used."""
    text = clean_value(value)
    if text is None:
        return None
    if name == "order_id":
        order = canonical_order_id(text)
        return f"订单{order}" if order else None
    if name == "ticket_id":
        return f"工单{text}" if _TICKET_ID.match(text) else None
    if name == "remedy":
        if text in REMEDY_LABELS:
            return REMEDY_LABELS[text]
        # other taxonomy names (unsure) or stray identifiers: only Chinese wording is shown
        text = text if _CJK.search(text) else ""
    elif name == "deadline":
        text = _deadline(text)
    limit = MAX_VALUE_CHARS.get(name)
    return text[:limit] if limit and text else text or None


def render_script(template: str, values: Mapping[str, object] | None = None) -> RenderedScript:
    """Fill every known placeholder of `template` from `values` (missing ones get a fallback)."""
    values = values or {}
    filled: list[str] = []
    defaulted: list[str] = []
    unknown: list[str] = []

    def substitute(match: re.Match[str]) -> str:
        name = match.group(1)
        if name not in FALLBACKS:
            unknown.append(name)
            return match.group(0)
        rendered = render_value(name, values.get(name))
        (filled if rendered else defaulted).append(name)
        return rendered or FALLBACKS[name]

    text = _PLACEHOLDER.sub(substitute, template)
    return RenderedScript(
        text=text,
        filled=tuple(dict.fromkeys(filled)),
        defaulted=tuple(dict.fromkeys(defaulted)),
        unknown=tuple(dict.fromkeys(unknown)),
    )
