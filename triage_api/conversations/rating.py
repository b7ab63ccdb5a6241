"""Reads a shopper's answer to the revisit prompt: a 1-5 rating, "没解决", and a comment."""

from __future__ import annotations

import re
from dataclasses import dataclass

from knowledge_base.textnorm import normalize

_DIGIT_WORDS = {"一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5}
# A digit alone or with its unit ("5", "4分", "给3星"); a Chinese numeral only with its unit, since
# "一直…" or "两件…" start ordinary messages. What follows must end the score: the end, a space or
# a punctuation mark, or the start of a comment ("很满意", "吧", "谢谢"), so "5点前…", "3周了",
# "5折", "三星手机", "两星期", "一分钱" and "12315" are never scores.
_AFTER_SCORE = r"(?=$|[\s，,。.!！~～、]|很|非常|满意|不满|谢|吧|好|不错|挺|还|一般|差|太)"
_NUMBER_GOES_ON = r"(?!\s*(?:分钟|[0-9点周斤份折天个块元号月日件次钟秒小]))"
_RATING = re.compile(
    r"^\s*(?:打|给|评)?\s*(?:([1-5])" + _NUMBER_GOES_ON + r"\s*(?:分|星|颗星)?"
    r"|([一二两三四五])\s*(?:分|星|颗星))" + _AFTER_SCORE
)
_STARS = re.compile(r"^\s*(⭐|★){1,5}")
_UNSOLVED = re.compile(r"(没|未|还没|并没|没有)(解决|处理好|弄好|搞定)|不满意|问题还在|还是不行")
_SOLVED_WORDS = re.compile(r"^(很满意|非常满意|满意|挺满意|解决了|已解决|好评)")


@dataclass(frozen=True)
class RatingAnswer:
    csat: int | None  # 1-5 when the shopper gave a number
    solved: bool | None  # False when the shopper said it is not solved
    comment: str


def read_rating(text: str) -> RatingAnswer | None:
    """The shopper's rating answer, or None when the message is about something else."""
    plain = normalize(text).strip()
    if not plain or len(plain) > 500:
        return None
    stars = _STARS.match(text.strip())
    if stars:
        count = len(re.findall(r"⭐|★", stars.group(0)))
        return RatingAnswer(csat=count, solved=None, comment=text.strip()[stars.end() :].strip(" ，,。"))
    match = _RATING.match(plain)
    unsolved = bool(_UNSOLVED.search(plain))
    if match:
        raw = match.group(1) or match.group(2)
        csat = int(raw) if raw.isdigit() else _DIGIT_WORDS[raw]
        comment = plain[match.end() :].strip(" ，,。!！")
        return RatingAnswer(csat=csat, solved=False if unsolved else None, comment=comment)
    if unsolved:
        return RatingAnswer(csat=None, solved=False, comment=plain)
    if _SOLVED_WORDS.match(plain):
        return RatingAnswer(csat=5, solved=True, comment=plain)
    return None
