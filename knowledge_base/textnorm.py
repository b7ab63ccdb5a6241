"""Text normalisation shared by the bot's NLU pipeline and the knowledge-base retrieval.

Shoppers write Traditional characters, full-width digits, emoji and order numbers with
separators; every component must see the same canonical text, so the rules live here once.
Only the standard library, `regex` (for Unicode's emoji properties) and OpenCC are imported: the
Rasa environment loads this module too.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache

import regex
from opencc import OpenCC

MAX_MESSAGE_CHARS = 2000

_WHITESPACE = re.compile(r"\s+")
# Emoji and pictographs carry mood, not meaning, for intent and retrieval; they become a space
# so that "退款😡😡" and "退款" look the same but "好😡差" still separates two words.
# Every emoji Unicode knows (Extended_Pictographic: ⌚ ⏰ ㊗ 😡 …) and the pieces emoji are built
# from: skin tones, flags' regional indicators, variation selectors, the zero-width joiner,
# keycaps and tag characters.
_EMOJI = regex.compile(
    r"[\p{Extended_Pictographic}\U0001F3FB-\U0001F3FF\U0001F1E6-\U0001F1FF\uFE0E\uFE0F\u200D\u20E3"
    r"\U000E0020-\U000E007F]+"
)
# C0 control characters but tab, newline and carriage return, and DEL.
_C0_CONTROLS = r"\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f"
_CONTROL = re.compile(rf"[{_C0_CONTROLS}\u200b\u200c\u2060\ufeff]")  # …and zero-width marks

# What may never pass the door: lone surrogates (not encodable, they broke every later handoff of
# a conversation) and control characters other than newline and tab.
_SURROGATE = re.compile("[\ud800-\udfff]")
_DOOR_CONTROL = re.compile(rf"[{_C0_CONTROLS}]")

# An order number: an optional two- to four-letter platform prefix, then 10-20 digits that
# may be split by spaces, dashes, underscores or dots. Digits here are already half-width.
_ORDER_RUN = re.compile(
    r"(?:(?<![A-Za-z])(?P<prefix>[A-Za-z]{2,4})[\s\-_:#.]{0,2})?"
    r"(?<![0-9])(?P<body>\d(?:[\s\-_.]?\d)*)(?![0-9])"
)
_LETTERS_AFTER = re.compile(r"[A-Za-z]+")
_DIGIT_GROUP = re.compile(r"\d+(?:[\-_.]\d+)*")
_MOBILE = re.compile(r"^1[3-9]\d{9}$")
_ORDER_DIGITS_MIN = 10
_ORDER_DIGITS_MAX = 20
# Pinyin abbreviations shoppers put before numbers (tk=退款, dd=订单 …) are not platform prefixes.
_NOT_A_PREFIX = frozenset(
    {"TK", "KF", "WL", "ZB", "TH", "HH", "BF", "DD", "NO", "ID", "QQ", "VX", "WX", "TEL"}
)
# Digit groups written apart with spaces ("2025 1123 1234 5678") belong together while each is
# short; a long group stands alone, so "2025112312345678 13812345678" is an order and a phone.
_SHORT_GROUP_DIGITS = 8
# What names a number as something other than an order, right before it.
_NAMED_OTHERWISE = re.compile(
    r"(?:快递单号?|快递号|运单号?|物流单号?|物流号|包裹号|售后(?:服务)?单号?|服务单号?|工单号?|退款单号?|退货单号?|"
    r"申请单号?|投诉单号?|商品(?:ID|id|编号|编码|码)|SKU|sku|货号|发票(?:号码|号|代码)|税号|身份证(?:号码|号)?|"
    r"(?:银行)?卡号|银行卡|交易(?:单)?号|流水号|支付单号|会员(?:号|ID|id)|QQ号?|微信号?)"
    r"[\s:：#=]{0,3}(?:是|为)?[\s:：]{0,2}$"
)


@lru_cache(maxsize=1)
def _t2s() -> OpenCC:
    return OpenCC("t2s")


def safe_text(text: str) -> str:
    """Text any process can encode and store: a lone surrogate becomes U+FFFD, a control
    character (but newline and tab) a space. Applied at the door, before anything keeps it."""
    return _DOOR_CONTROL.sub(" ", _SURROGATE.sub("\ufffd", text))


def safe_json(value: object) -> object:
    """`safe_text` on every string of a decoded JSON value (keys included)."""
    if isinstance(value, str):
        return safe_text(value)
    if isinstance(value, list):
        return [safe_json(item) for item in value]
    if isinstance(value, dict):
        return {safe_text(str(k)): safe_json(v) for k, v in value.items()}
    return value


def to_simplified(text: str) -> str:
    """Convert Traditional Chinese characters to Simplified; other text passes unchanged."""
    return str(_t2s().convert(text))


def normalize_aligned(text: str) -> str:
    """Normalise character by character so that the result has exactly the length of `text`.

    NLU training data carries entity offsets; this keeps them valid. Full-width forms fold
    to half-width (NFKC where it maps one character to one), Traditional becomes Simplified,
    and emoji and control characters become spaces.
    """
    folded = []
    for char in text:
        if _EMOJI.match(char) or _CONTROL.match(char):
            folded.append(" ")
            continue
        nfkc = unicodedata.normalize("NFKC", char)
        folded.append(nfkc if len(nfkc) == 1 else char)
    result = "".join(folded)
    simplified = to_simplified(result)
    if len(simplified) == len(result):
        return simplified
    return "".join(to_simplified(char) if len(to_simplified(char)) == 1 else char for char in result)


def normalize(text: str) -> str:
    """Return the canonical form of a shopper's message.

    NFKC folds full-width letters, digits and punctuation to half-width; OpenCC converts
    Traditional to Simplified; emoji and control characters go; runs of whitespace collapse;
    text beyond MAX_MESSAGE_CHARS is cut so that a pasted novel cannot stall the pipeline.
    """
    if not text:
        return ""
    text = normalize_aligned(text[: MAX_MESSAGE_CHARS * 2])
    text = _WHITESPACE.sub(" ", text).strip()
    return text[:MAX_MESSAGE_CHARS]


def is_mobile_number(digits: str) -> bool:
    """True for a mainland mobile number (11 digits starting 13-19), optionally +86/86-prefixed."""
    digits = re.sub(r"\D", "", digits)
    if digits.startswith("86") and len(digits) == 13:
        digits = digits[2:]
    return bool(_MOBILE.match(digits))


@dataclass(frozen=True)
class OrderIdMatch:
    """An order number found in a text: canonical value and its span in that text."""

    value: str
    start: int
    end: int


def _digit_chunks(body: str, offset: int) -> list[tuple[str, int, int]]:
    """Split a run of digit groups into candidate numbers: (digits, start, end)."""
    chunks: list[tuple[str, int, int]] = []
    current: tuple[str, int, int] | None = None
    current_is_short = False
    for group in _DIGIT_GROUP.finditer(body):
        digits = re.sub(r"\D", "", group.group())
        start, end = offset + group.start(), offset + group.end()
        short = len(digits) <= _SHORT_GROUP_DIGITS
        if (
            current is not None
            and short
            and current_is_short
            and len(current[0]) + len(digits) <= _ORDER_DIGITS_MAX
        ):
            current = (current[0] + digits, current[1], end)
            continue
        if current is not None:
            chunks.append(current)
        current, current_is_short = (digits, start, end), short
    if current is not None:
        chunks.append(current)
    return chunks


def _inside_a_code(text: str, start: int, end: int, first: bool) -> bool:
    """Digits glued to letters that are no platform prefix belong to another code.

    A ticket id ("T2026112512345678"), a serial number ("SN…X") or a tracking code: one letter
    or five and more before the digits, or letters right after them (other than a pinyin
    abbreviation such as "tk"), make the run part of that code, not an order number.
    """
    if first and start > 0 and text[start - 1].isascii() and text[start - 1].isalpha():
        return True
    after = _LETTERS_AFTER.match(text, end)
    return after is not None and after.group().upper() not in _NOT_A_PREFIX


def find_order_ids(text: str) -> list[OrderIdMatch]:
    """Find order numbers in already normalised text, canonicalised (PREFIX + digits).

    A mobile number is never an order number, even when written with separators
    ("138 1234 5678") or with the +86 country code; nor is a number named as something else
    right before it: a tracking number, a product id, an after-sales or ticket number, a bank
    card, an identity card or an invoice ("快递单号SF…", "商品ID:…", "银行卡号…").
    """
    return [m for m in _order_shaped(text) if not _named_otherwise(text, m.start)]


def _named_otherwise(text: str, start: int) -> bool:
    return _NAMED_OTHERWISE.search(text[max(0, start - 12) : start]) is not None


def _order_shaped(text: str) -> list[OrderIdMatch]:
    """Every run shaped like an order number (10-20 digits, an optional platform prefix), but phones."""
    found: list[OrderIdMatch] = []
    for match in _ORDER_RUN.finditer(text):
        prefix = (match.group("prefix") or "").upper()
        if prefix in _NOT_A_PREFIX:
            prefix = ""
        chunks = _digit_chunks(match.group("body"), match.start("body"))
        for index, (digits, start, end) in enumerate(chunks):
            if not _ORDER_DIGITS_MIN <= len(digits) <= _ORDER_DIGITS_MAX or is_mobile_number(digits):
                continue
            if _inside_a_code(text, start, end, first=index == 0 and match.group("prefix") is None):
                continue
            own_prefix = prefix if index == 0 else ""
            if own_prefix:
                start = match.start("prefix")
            found.append(OrderIdMatch(value=f"{own_prefix}{digits}", start=start, end=end))
    return found


def canonical_order_id(raw: str) -> str | None:
    """Canonicalise one order number as typed by a shopper, or None if it is not one."""
    matches = find_order_ids(normalize(raw))
    return matches[0].value if len(matches) == 1 else None


_PHONE_IN_TEXT = re.compile(r"(?<!\d)(?:\+?86[\s\-]?)?(1[3-9]\d)[\s\-]?(\d{4})[\s\-]?(\d{4})(?!\d)")


def find_phones(text: str) -> list[OrderIdMatch]:
    """Mobile numbers in text, as 11 digits with their spans (+86 and separators allowed)."""
    return [
        OrderIdMatch(value="".join(m.groups()), start=m.start(), end=m.end())
        for m in _PHONE_IN_TEXT.finditer(text)
    ]


def mask_phones(text: str) -> str:
    """Mask mobile numbers as 138****5678 so that logs and public replies never carry them."""
    return _PHONE_IN_TEXT.sub(lambda m: f"{m.group(1)}****{m.group(3)}", text)


def mask_identifiers(text: str, order_mark: str = "#", phone_mark: str = "@") -> str:
    """Replace order numbers and mobile numbers in normalised text by one mark each.

    Their digits say nothing about what the shopper wants, but as character n-grams they pull
    every message that carries one towards the intents whose examples carry many (inform).
    """
    spans = [(m.start, m.end, order_mark) for m in _order_shaped(text)]  # any long number
    spans += [(m.start, m.end, phone_mark) for m in find_phones(text)]
    return replace_spans(text, spans)


def replace_spans(text: str, spans: list[tuple[int, int, str]]) -> str:
    """Replace each (start, end) span of text by its replacement, skipping overlapped spans."""
    pieces: list[str] = []
    position = 0
    for start, end, replacement in sorted(spans):
        if start < position:
            continue
        pieces.append(text[position:start])
        pieces.append(replacement)
        position = end
    pieces.append(text[position:])
    return "".join(pieces)
