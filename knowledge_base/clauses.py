"""What a shopper's message asks, without the social wrapping and pasted system text around it.

Real messages carry a greeting, a story and a request at once ("你好，…坏了，怎么办，谢谢"),
and shoppers paste order cards ("[订单编号:…，订单金额:…，下单时间:…]") or platform
boilerplate ("咨询订单号:… 订单业务咨询"). A classifier reading all of it is pulled towards
`greet`, `thank` or `inform`. `focus_aligned` blanks, with spaces so that entity offsets stay
valid:

- greeting, politeness and thanks clauses at the start and the end of a message (and a greeting
  glued to the front: "你好我的快递呢", thanks glued to the end: "…麻烦处理下谢谢"), but only
  when a substantive clause remains — a message that is only "你好" or "好的谢谢" keeps
  everything;
- a leading "好的 / 嗯 / 行" when a later clause asks for something ("好的，那麻烦帮我催一下"), and
  a leading "对 / 嗯 对 / 是的 (就是这个)" glued to a question ("对 就是这个申请 啥时候能有结果");
- the live-stream forms of address at the start ("主播 …", "小助理 …", "家人们 …") and the item's
  link number ("拍的3号链接"), which say where the shopper bought, not what they ask;
- labels of pasted cards and boilerplate (订单编号:, 下单时间: and its timestamp, 商品ID: and its
  value, 订单业务咨询, @mentions, the brackets), keeping the values that are entities (order
  numbers, amounts, product names).

Pure functions over text already normalised by `textnorm.normalize_aligned`; the bot's
normaliser component applies them before tokenisation, to training data and messages alike.
"""

from __future__ import annotations

import re

_CLAUSE = re.compile(r"[^,，。.!！?？;；~～\n…]+")
# How a live stream's shoppers address the host and the helpers.
_LIVE_STREAM_ADDRESS = r"主播|小助理|家人们|宝子们|老铁们"
_SOCIAL_WORD = (
    r"(?:你好|您好|hello|hi|hey|嗨|哈喽|哈啰|哈罗|在吗|在嘛|在么|在不在|在不|有人吗|有人在吗|有人不|"
    r"客服|人工|亲亲|亲爱的|亲|小姐姐|小哥哥|美女|帅哥|老板|掌柜的|掌柜|店家|宝宝|"
    r"打扰了|打扰一下|打扰下|不好意思|请问一下|请问|问一下|问下|"
    r"谢谢你们|谢谢你|谢谢您|谢谢啦|谢谢了|谢谢|谢啦|谢了|多谢|感谢|感恩|thx|thanks|thank you|"
    r"辛苦了|辛苦啦|辛苦|拜托了|拜托|麻烦了|麻烦你了|麻烦您了|麻烦啦|"
    rf"早上好|上午好|中午好|下午好|晚上好|早|晚安|{_LIVE_STREAM_ADDRESS}|助理|宝子|老铁)"
)
_SOCIAL_CLAUSE = re.compile(rf"^\s*(?:{_SOCIAL_WORD}[呀啊哈呢吗嘛啦哦噢喔咯哇了的\s]*)+$", re.IGNORECASE)
_GREETING_PREFIX = re.compile(
    rf"^\s*(?:(?:你好|您好|在吗|在不在|在么|亲亲|亲|客服|hello|hi|哈喽|{_LIVE_STREAM_ADDRESS})"
    r"[呀啊哈呢吗嘛啦哦\s]*)+(?=\S{4,})",
    re.IGNORECASE,
)
_THANKS_SUFFIX = re.compile(
    r"(?:谢谢你们|谢谢你|谢谢您|谢谢啦|谢谢了|谢谢|谢啦|谢了|多谢|感谢|辛苦了|辛苦啦)[呀啊哈啦哦~\s]*$"
)
_AGREEMENT_CLAUSE = re.compile(
    r"^\s*(?:好的|好滴|好吧|好|嗯嗯|嗯|哦哦|哦|行|ok|okay|可以|收到|明白了?)[的吧呀啊哈啦了\s]*$", re.I
)
# "对 就是这个 …" / "嗯 对 …": agreement glued to what follows, with no punctuation between.
_AGREEMENT_PREFIX = re.compile(
    r"^\s*(?:(?:嗯嗯|嗯|对的|对|是的|没错|好的|好滴)\s+)+(?:(?:就是这个|就是那个|就这个|就是它)\s*)?"
)
_ASKS_SOMETHING = re.compile(
    r"帮|麻烦|请|能不能|能否|可不可以|可以.{0,12}[吗嘛么]|给我|我要|我想|尽快|赶紧|催|怎么|咋|为什么|为啥|"
    r"什么时候|啥时候|多久|几天|[吗嘛么呢]\s*$"
)
# Labels of pasted order cards and platform boilerplate; the value after the label stays.
_CARD_LABEL = re.compile(
    r"(?:咨询订单号|订单编号|订单号码|订单号|售后服务单号|售后单号|服务单号|物流单号|快递单号|运单号|"
    r"商品ID|商品id|商品编号|订单金额|实付金额|实付款|商品名称|商品规格|规格|数量|下单时间|付款时间|成交时间|"
    r"订单状态|申请时间)\s*[:：]"
)
_CARD_TIME = re.compile(r"(?<=[:：])\s*\d{4}[-/.]\d{1,2}[-/.]\d{1,2}(?:\s+\d{1,2}:\d{2}(?::\d{2})?)?")
# A product's or SKU's id is not an order number: the label and its value go.
_PRODUCT_ID = re.compile(r"(?:商品ID|商品id|商品编号|SKU|sku)\s*[:：]?\s*[A-Za-z0-9\-]*")
_BOILERPLATE = re.compile(
    r"订单业务咨询|商品咨询|售后咨询|来自.{0,8}的订单|\[图片\]|\[表情\]|\[链接\]|\[商品卡片\]"
)
# "拍的3号链接" / "8号链接拍的": which item of the live stream, not what is asked.
_LINK_NUMBER = re.compile(r"(?:拍的|拍了|买的)?\s*[0-9一二三四五六七八九十]{1,3}\s*号链接(?:拍的|拍了|的)?")
_MENTION = re.compile(r"@[^\s@,，:：。!！?？]{1,24}")
_BRACKETS = re.compile(r"[\[\]【】〔〕［］#]")
_SUBSTANCE = re.compile(r"[\u4e00-\u9fffA-Za-z0-9]")
_MIN_SUBSTANCE = 3


def _blank(chars: list[str], start: int, end: int) -> None:
    for i in range(start, end):
        chars[i] = " "


def _substance(text: str) -> int:
    return len(_SUBSTANCE.findall(text))


def strip_pasted(text: str) -> str:
    """Card labels, their timestamps, boilerplate phrases, @mentions and brackets become spaces."""
    chars = list(text)
    for pattern in (_CARD_TIME, _PRODUCT_ID, _CARD_LABEL, _BOILERPLATE, _LINK_NUMBER, _MENTION, _BRACKETS):
        for match in pattern.finditer(text):
            _blank(chars, *match.span())
    return "".join(chars)


def strip_social(text: str) -> str:
    """Social clauses at the edges become spaces when a substantive clause remains."""
    clauses = [m.span() for m in _CLAUSE.finditer(text) if m.group().strip()]
    if not clauses:
        return text
    social = [bool(_SOCIAL_CLAUSE.match(text[s:e])) for s, e in clauses]
    first, last = 0, len(clauses)
    while first < last and social[first]:
        first += 1
    while last > first and social[last - 1]:
        last -= 1
    if first == last:  # nothing but social words: that is the message
        return text
    if last - first > 1 and _AGREEMENT_CLAUSE.match(text[slice(*clauses[first])]):
        rest = text[clauses[first + 1][0] : clauses[last - 1][1]]
        if _ASKS_SOMETHING.search(rest) and _substance(rest) >= _MIN_SUBSTANCE:
            first += 1
    kept_start, kept_end = clauses[first][0], clauses[last - 1][1]
    if _substance(text[kept_start:kept_end]) < _MIN_SUBSTANCE:
        return text
    chars = list(text)
    _blank(chars, 0, kept_start)
    _blank(chars, kept_end, len(chars))
    prefix = _GREETING_PREFIX.match(text, kept_start)
    if prefix and _substance(text[prefix.end() : kept_end]) >= _MIN_SUBSTANCE:
        _blank(chars, kept_start, prefix.end())
        kept_start = prefix.end()
    agreement = _AGREEMENT_PREFIX.match(text, kept_start)
    if (
        agreement
        and _ASKS_SOMETHING.search(text, agreement.end(), kept_end)
        and _substance(text[agreement.end() : kept_end]) >= _MIN_SUBSTANCE
    ):
        _blank(chars, kept_start, agreement.end())
        kept_start = agreement.end()
    suffix = _THANKS_SUFFIX.search(text, kept_start, kept_end)  # "…麻烦处理下谢谢"
    if suffix and _substance(text[kept_start : suffix.start()]) >= _MIN_SUBSTANCE:
        _blank(chars, suffix.start(), suffix.end())
    return "".join(chars)


def focus_aligned(text: str) -> str:
    """The part of the message that carries its request, same length as `text` (see module)."""
    stripped = strip_pasted(text)
    if _substance(stripped) == 0:
        return text  # a message that is only a card or a mention: keep it (it is `inform`)
    return strip_social(stripped)
