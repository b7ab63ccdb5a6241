"""Gives every remedy entity a canonical value, or drops it.

DIET finds where a shopper states the remedy well, but its span edges wander ("补偿点优惠券吧"
comes out as "补偿点"), and EntitySynonymMapper only maps exact spans. This component runs
after the mapper: a remedy whose value is not canonical is resolved through the longest known
remedy phrase (the training data's synonyms and annotations) that overlaps its span; one that
overlaps none is dropped, because a form slot cannot use it. Duplicates of a value are merged.

When DIET finds no remedy in a complaint, the same lexicon is searched in request position
only: a known phrase at the end of a clause or after a request word (给我/帮我/要/麻烦 …), and
not in a question or a negation ("退款还没到账", "不想退了"). Beside the phrases, trainers'
patterns (`remedy_<value>` regexes in nlu_data/remedy_cues.yml) say how each remedy is asked
for in words no annotation has used yet ("重新给我寄一个", "差价补给我").

Neither DIET's remedy nor the lexicon's counts in a clause about a process under way: "申请退款
一周了还没到" complains about a refund, it does not ask for one.
"""

from __future__ import annotations

import json
import re
from typing import Any, Dict, Iterator, List, Optional, Text

from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.shared.nlu.constants import (
    ENTITIES,
    ENTITY_ATTRIBUTE_END,
    ENTITY_ATTRIBUTE_START,
    ENTITY_ATTRIBUTE_TYPE,
    ENTITY_ATTRIBUTE_VALUE,
    INTENT,
    INTENT_NAME_KEY,
    TEXT,
)
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

_LEXICON_FILE = "remedy_lexicon.json"
_REMEDY = "remedy"
# Where a remedy phrase is a request: what may follow it, or what may come right before it.
_REQUEST_AFTER = re.compile(
    r"(?:[吧呗哈啊呀嘛啦咯]|就好|就行|就可以|总可以|总行|也行|可以吗|行吗|行不行|好吗|成吗|给我|一下|再说|并|或者|还要|然后|外加|$|[,.!?~\s，。！？～])"
)
_REQUEST_BEFORE = re.compile(r"(?:要|给我|帮我|麻烦|请|要求|申请|直接|赶紧|就|希望|想|必须|马上|立刻)\s*$")
# Where it is not: a complaint about the process, a question, or a refusal.
_NOT_AFTER = re.compile(
    r"(?:了?(?:吗|没|么|呢)|还没|没|被|卡|一直|失败|到账|到了|进度|申请|的钱|款|流程|规则|多久|怎么|不了|不给|不到)"
)
_NOT_BEFORE = re.compile(
    r"(?:(?:不|没|别)(?:有|点|按)?(?:要|想|用|申请|打算|有|是)?|不想要|不需要|不稀罕|不要(?:你们|你家)的?|(?:不想|懒得|不)折腾|"
    r"懒得|别这么|别再|已经|已|(?:答应|承诺|同意)(?:了|过)?(?:要)?(?:给我|帮我)?|怎么|如何|是否|被|领取?|"
    r"(?:要是|如果|假如|万一)(?:给我|帮我|我)?)$"
)
# A remedy turned down by what follows it: "换新太麻烦了", "退货就算了".
_REFUSED_AFTER = re.compile(r"的?(?:太麻烦|就算了|就不用了|就免了|不考虑)")
# A remedy the shopper meant to ask for before changing their mind: "本来想退货的，算了，…".
_MEANT_BEFORE = re.compile(
    r"(?:(?:本来|原本|原来)(?:是)?(?:想|打算|准备|要)|(?<!根)本(?:想|打算))(?:直接|着|整个|全部?)?$"
)
# A request put as a question ("能帮我换一个吗"): 吗 after it does not make it a status question.
_POLITE = re.compile(r"(?:帮我|给我|帮忙|能不能|能否|能|可不可以|可以|麻烦)[^,.!?，。！？]{0,3}$")
_POLITE_START = re.compile(r"(?:帮我|给我|帮忙|麻烦)")
_QUESTION_END = re.compile(r"[吗么呢]")
# Remedies that are a statement of their own, wherever they stand ("还没想好要退还是换").
_STANDALONE = {"unsure"}
# Remedies that are something the agent does: at the start of a clause they are an order ("查清楚…").
_ADDRESSED = {"investigate", "expedite", "exchange", "reship"}
# A clause telling how an earlier request is going, not making one.
_PROCESS = re.compile(
    r"(?:还没|还是没|没到|没收到|没退|没给|没人|不到账|一直|被拒|驳回|拒绝|拒了|不给|不同意|不通过|卡在|卡住|"
    r"多久|进度|审核|[几一两三四五六七八九十好]+(?:天|周|个星期|个月)了|半个月|怎么还|为什么还|为啥还|咋还|"
    r"提交了|申请了|已经申请|申请过|退过(?!来)|换过(?![来新])|补发过(?!来)|上次|不支持|拖着|关闭|非要|才肯|才给|才能|说会|说(?:今天|明天|当天)|说好(?!了)|无理由|哪去了|退哪|"
    r"只给我退|只退了|退了一半|去哪|的那次|未收到|未到账|至今|钱呢|没法提交|无法提交|"
    r"still no|not received|haven't received|hasn't arrived|yet to)"
)
# …except for the ask to look into it: "帮我查查钱去哪了" asks for an investigation of that process.
_LOOK_INTO_IT = re.compile(r"(?:帮我|帮忙|麻烦|给我|请|你们)?(?:查|核查|核实)")
_CLAUSE_MARKS = r",.!?;~\s，。！？；～、…—"  # what ends a clause
_CLAUSE = re.compile(f"[^{_CLAUSE_MARKS}]+")
_CLAUSE_START = re.compile(f"(?:^|[{_CLAUSE_MARKS}])$")
# Intents in which a shopper may ask for a remedy (the remedy classifier reads the same ones).
ASKS_FOR_A_REMEDY = ("report_", "request_remedy", "inform")
# Intents that ask about something (a rule, a status, an order change) or only keep the
# conversation going: never for a remedy (DIET's remedies there are dropped), except that a status
# question may ask to hurry (`_STATUS_QUESTIONS` below).
_NEVER_ASKS = (
    "ask_faq",
    "cancel",
    "check_status",
    "track_order",
    "change_order",
    "request_invoice",
    "out_of_scope",
    "greet",
    "goodbye",
    "thank",
    "bot_challenge",
)
# A status question may carry one ask, to hurry ("帮我催一下售后，看看到哪了"): only that is read there.
_STATUS_QUESTIONS = ("check_status", "track_order")
_HURRY = "expedite"
# Complaints about a remedy's process: DIET's remedy counts only in request position there, and
# an application or a parcel already sent back marks a clause as telling the process.
_ABOUT_THE_PROCESS = ("report_refund_problem",)
_PROCESS_TOLD = re.compile(  # …but not an application asked for: "可以先帮我申请仅退款吗"
    r"(?:(?<!帮我)(?<!给我)(?<!帮忙)(?<!我要)(?<!我想)申请|寄回去了|退回去了|寄回了|退回了)"
)
_PATTERN_PREFIX = "remedy_"
# (a remedy, one it includes): a return with a refund includes the refund.
_IMPLIES = (("return_refund", "refund_only"),)
# What is sent again or given back decides the remedy: a coupon, points or a reward sent again or
# returned ("券补发一张", "积分退回来") is compensation, not a parcel shipped again or a refund;
# money sent again ("满减的钱补给我") and a refund of part of the price ("运费退给我") are a
# partial refund.
_NOT_GOODS = re.compile(r"(?:优惠券|券|积分|奖励|红包|补贴|返现|返利|金币|津贴|会员|权益|购物金|余额|金豆)")
_MONEY = re.compile(r"(?:钱|差价|运费|费|[0-9]+(?:块|元)|块钱)")
_MONEY_SENT = re.compile(
    r"(?:钱|差价|运费|块|元|[0-9])(?:都|也|得|要)?补$"
)  # "满减的钱补给我", "少退的30补给我"
_PART_OF_THE_PRICE = re.compile(r"(?:运费|差价|满减|立减|减的|少减|优惠的?钱|补贴的?钱|价保)")
# …and, outside complaints about money taken (where "多扣的" is a whole charge), what is kept back
# of the price: "多出来的钱退我", "碎的那瓶钱退我", "按烂的比例退款".
_PART_KEPT_BACK = re.compile(
    r"(?:多出来|多付|多收|(?<![0-9十百千万])多的|少退|少的|差的|缺的|剩下|剩余|(?:碎|烂|坏|破)(?:了|掉)?的|坏掉|那部分|比例|折成钱|"
    r"那[一两三四五六七八九十几0-9]+[个件盒瓶包袋双份箱斤]的钱)"
)
# A whole charge (a duplicate payment), not part of a price: "多扣的那笔退回".
_WHOLE_CHARGE = re.compile(r"(?:那笔|一笔|两笔|那单|几单|两单)")
# Complaints about a promotion: anything sent again is the coupon or points it names ("红包…能给我补一个吗").
_ABOUT_THE_COUPON = ("report_promotion_rules",)
# Complaints about a price or a promotion: an amount given back is part of the price.
_ABOUT_THE_PRICE = ("report_promotion_rules", "report_false_advertising")
_AMOUNT = re.compile(r"[0-9]+")
# Complaints about money taken, where nothing is sent back: a "return" is the money's.
_ABOUT_MONEY_TAKEN = ("report_order_anomaly", "report_payment_security")
_GOODS_BACK = re.compile(r"(?:退货|寄回|退回去|寄回去|东西|商品|货)")
# The shopper sends the goods back: a refund asked beside it is a return with a refund.
_SENDS_BACK = re.compile(
    r"(?<![不别没要让叫我法能])我?(?:寄回去|寄回|退回去|拉回去|拉走|拿回去|取回去|收回去|上门取)(?!.{0,2}(?:了|过))"
)
# The old one goes back when the new one comes: "寄个新的过来，旧的我寄回去" is an exchange.
_OLD_GOES_BACK = re.compile(r"旧的.{0,6}(?:寄回|退回|拿走|带走|拉走|取走|收走)")
# A difference in price given back: "这差价你们要补给我", "把少退的补上".
_DIFFERENCE = re.compile(r"(?:差价|差额|少退的?|少的钱|少了的钱|多扣的)")
# An amount back in a complaint about goods the shopper keeps: "给我退两百算了".
_ABOUT_THE_GOODS = (
    "report_damaged_in_transit",
    "report_quality_defect",
    "report_not_as_described",
    "report_wrong_or_missing_item",
)
_SOME_MONEY = re.compile(
    r"(?:[0-9]+|[一二两三四五六七八九十几]+[十百]?)(?:块|元|块钱)|[一二两三四五六七八九几]百(?!分)"
)
_WHOLE_PRICE = re.compile(r"(?:全额|全部|全款|所有的?钱|整单)")
_ONLY_THE_MONEY = re.compile(
    r"(?:仅|只)退|(?:不|不用|不想|不要|懒得|没法|无法)(?:再)?(?:退货|寄回|退回去|寄还)|不用寄"
)
# A part replaced is a repair, not an exchange of the product: "换条拉链", "换个外壳就行".
_PART_REPLACED = re.compile(
    r"换(?:个|条|根|块|一下)?(?:拉链|外壳|壳子|零件|配件|电池|屏幕|扣子|纽扣|轮子|把手)"
)
# A shopper taking an ask back for another: "退款吧，不对，还是换个新的吧", "我要退款，哦不对，是换货"
# (a correction right before the later ask).
_CORRECTED = re.compile(
    r"(?:不对|不行|算了|不了|想了想)[\s,，、]*还是|"
    r"(?:不对|说错了|我搞错了|打错了|写错了|口误)[\s,，、。！!]*(?:哦|噢|呃)?(?:(?:应该|我要的|要的)?(?:是|要|改成)|我?(?:想要|要|想)(?:个|一个|的是)?)[\s,，、]*$"
)
# Two remedies offered as alternatives beside "you decide": "退还是换我都行，你们定".
_ALTERNATIVES = re.compile(r"还是")
# In a message that only asks for a remedy, any known phrase is the ask ("换成白色的 谢谢").
_ONLY_ASKS = ("request_remedy",)
_HURRIED = re.compile(r"(?:催|催一下|催催|尽快|赶紧|赶快|快点|抓紧)(?:给我|帮我)?$")
# What joins two asks: "退款并道歉", "补发或者给点优惠券", "退款 查批次".
_JOINED = re.compile(
    r"[\s,，、]*(?:并且?|而且|还要|还得|再|或者|或|要么|然后|同时|以及|和|跟|外加|加上)?[\s,，、]*(?:给(?:我)?点?|要)?"
)
_WHEN = re.compile(r"(?:时|的时候|之后|以后|的话)")  # "退货时要不要…": a question about the remedy
# A remedy named as the case beside another ask: "我那个换货的事赶紧给我办了" asks to hurry.
_NAMES_THE_CASE = re.compile(r"(?:的|那个)?(?:事|事情|那单|单子|申请单?|问题)")
# A remedy the shopper threatens to take if something else does not happen: "再不发我就申请退款了"
# Without 我 it is a fallback beside another ask ("差价退给我，不然就退货"); alone it tells the shop
# what to do ("再不到就退款").
_THREATENED = re.compile(
    r"(?:再不|不然|否则|要不然|要是再|如果再)[^。！？!?]{0,12}?(?P<own>我)?就(?:要|去|直接|只能)?(?:申请?|要求?)?$"
)
# A remedy someone else spoke of, not the shopper's ask: "客服说会补", "主播说不满意包退", "客服答应给我
# 退款" (but "按主播说的给我换" asks for it).
_QUOTED = re.compile(
    r"(?<![按照])(?:客服|主播|商家|店家|卖家|小二|店铺|平台|直播间|快递公司|快递员|快递|物流|他们|老公|老婆|朋友|她|他)"
    r"(?:之前|上次|当时|明明|亲口|也|都)?(?:说|讲|答应|承诺|保证|告诉我|同意)(?:了|过)?[^,.!?;\s，。！？；]{0,8}$"
)
# …unless the shopper takes the offer up after it: "客服说可以补偿个优惠券，那就麻烦给我发一张吧".
_TAKEN_UP = re.compile(
    r"[,，。!！\s~～]\s*那(?:就|你们就|你就)?[\s,，]*(?:麻烦|请|赶紧|尽快)?(?:你们?)?(?:给我|帮我|按这个|照这个|发|办|安排|弄)"
)
# An ask withdrawn after it: "那个退差价的申请我不要了".
_WITHDRAWN_AFTER = re.compile(
    r"(?:[¥￥]?[0-9.]+(?:元|块)?)?(?:的?(?:申请|那单|单子|事)[\s,，]*(?:我|我们)?|[\s,，]*(?:我|我们))(?:不要了|不想要了|不申请了|不弄了|不办了|撤(?:销|回)了|取消(?:掉)?了)"
)
# A case named as told already: "我要退款的事上午已经说过了".
_TOLD_ALREADY = re.compile(r"的?(?:事|事情|申请)[^,，。！!？?]{0,6}(?:说过|讲过|提过|反映过|登记过)")
# Said before without a speaker ("买的时候说支持30天价保"), or asked about before ("我只是问能不能换颜色").
_SAID_BEFORE = re.compile(r"(?:的时候|当时|明明|不是)(?:说|讲|承诺|保证)(?:了|过)?[^,.!?;\s，。！？；]{0,8}$")
_ASKED_BEFORE = re.compile(
    r"(?:(?:只是|就是|刚才?|之前|上次)问(?:了|过)?|问(?:了|过))(?:一下|下)?(?:能不能|可不可以|能否|可以|能)?$"
)
# Not the goods changed: "快递能不能换一家", "换个客服" (exchange); "修补一下" (reship).
_NOT_THE_GOODS_CHANGED = re.compile(r"[一个]?(?:家|快递|物流|客服|真人|人工|人)")
_MENDED_BEFORE = re.compile(r"(?:修|弥|填)$")
# A hurry before a refund asks to hurry it when the refund is under way ("退款还没到，尽快退");
# "催" always does, and otherwise the refund is the ask ("请尽快退还多扣的款项").
_URGED = re.compile(r"催(?:一下|催|下)?(?:给我|帮我)?$")
_HURRY_AND_REFUND = re.compile(r"(?:尽快|赶紧|赶快|快点|马上|立刻|抓紧)(?:给我|帮我)?(?:退|把钱退)")


_BEFORE = 6  # how far before a phrase a negation or a change of mind is looked for


def _just_before(text: str, start: int, width: int = _BEFORE) -> str:
    """The `width` characters before text[start:], where a negation, a threat or a quote is looked for."""
    return text[max(0, start - width) : start]


def _refused_before(text: str, start: int) -> bool:
    """A negation, a refusal or a thing already done just before text[start:] ("不想要", "已经")."""
    return _NOT_BEFORE.search(_just_before(text, start)) is not None


def _in_request_position(text: str, start: int, end: int, value: str) -> bool:
    """The phrase at text[start:end] asks for the remedy: no negation or status question around
    it, and a request word before it, a clause end or particle after it, or a polite question."""
    before, after = _just_before(text, start), text[end : end + 4]
    polite = bool(_POLITE.search(before) or _POLITE_START.match(text, start))
    if _refused_before(text, start) or _REFUSED_AFTER.match(after):
        return False
    if _NOT_AFTER.match(after) and not (polite and _QUESTION_END.match(after)):
        return False
    if value in _STANDALONE:
        return True
    imperative = value in _ADDRESSED and _CLAUSE_START.search(before) is not None  # "…，查清楚是谁的问题"
    return bool(_REQUEST_AFTER.match(after) or _REQUEST_BEFORE.search(before) or polite or imperative)


def _in_process_clause(text: str, start: int, end: int, intent: str = "") -> bool:
    for clause in _CLAUSE.finditer(text):
        if clause.start() <= start < clause.end():
            told = intent in _ABOUT_THE_PROCESS and _PROCESS_TOLD.search(clause.group())
            return bool(_PROCESS.search(clause.group()) or told)
    return False


def _without_implied(remedies: List[Dict[Text, Any]]) -> List[Dict[Text, Any]]:
    """Drops a remedy another one found includes: "东西我寄回，钱退给我" asks for 退货退款, and its
    "钱退给我" is the refund part of it, not a second ask for 仅退款."""
    values = {e[ENTITY_ATTRIBUTE_VALUE] for e in remedies}
    implied = {inner for outer, inner in _IMPLIES if outer in values}
    return [e for e in remedies if e[ENTITY_ATTRIBUTE_VALUE] not in implied]


def by_what_is_sent(text: str, remedies: List[Dict[Text, Any]], intent: str = "") -> List[Dict[Text, Any]]:
    """Corrects a remedy's value by what its clause (or, for a reship, the clause before) says is
    sent or given back: a coupon or points make it compensation, money sent again or part of the
    price given back a partial refund, and a "return" of money taken a refund only."""
    lowered = text.lower()
    clauses = list(_CLAUSE.finditer(lowered))
    under_way = intent in _ABOUT_THE_PROCESS or _PROCESS.search(lowered) is not None  # a refund under way
    result = []
    for entity in remedies:
        value, start = entity[ENTITY_ATTRIBUTE_VALUE], entity[ENTITY_ATTRIBUTE_START]
        at = next((i for i, c in enumerate(clauses) if c.start() <= start < c.end()), None)
        own = "" if at is None else clauses[at].group()
        nearby = "" if at is None else "".join(c.group() for c in clauses[max(0, at - 1) : at + 1])
        corrected = value
        if value == "reship" and (
            _NOT_GOODS.search(nearby) or (intent in _ABOUT_THE_COUPON and _NOT_GOODS.search(lowered))
        ):
            corrected = "compensation"
        elif value == "reship" and (
            _MONEY_SENT.search(lowered[max(0, start - 3) : start + 1]) or _DIFFERENCE.search(own)
        ):
            corrected = "partial_refund"
        elif value == "reship" and _OLD_GOES_BACK.search(lowered):
            corrected = "exchange"
        elif value in ("refund_only", "return_refund") and _NOT_GOODS.search(own) and not _MONEY.search(own):
            corrected = "compensation"
        elif value == "refund_only" and (
            _PART_OF_THE_PRICE.search(own)
            or (intent in _ABOUT_THE_PRICE and (_AMOUNT.search(own) or _SOME_MONEY.search(own)))
            or (
                intent not in _ABOUT_MONEY_TAKEN
                and _PART_KEPT_BACK.search(own)
                and not _WHOLE_CHARGE.search(own)
            )
        ):
            corrected = "partial_refund"
        elif (
            value == "refund_only"
            and _SENDS_BACK.search(_nearby_both(clauses, at))
            and not _ONLY_THE_MONEY.search(lowered)
        ):
            corrected = "return_refund"
        elif value == "return_refund" and _ONLY_THE_MONEY.search(_nearby_both(clauses, at)):
            corrected = "refund_only"  # "直接退钱不寄回去了"
        elif value == "exchange" and _PART_REPLACED.search(own):
            corrected = "repair"
        elif value == "return_refund" and intent in _ABOUT_MONEY_TAKEN and not _GOODS_BACK.search(lowered):
            corrected = "refund_only"
        elif (
            value == "refund_only"
            and intent in _ABOUT_THE_GOODS
            and _SOME_MONEY.search(own)
            and not _WHOLE_PRICE.search(lowered)
        ):
            corrected = "partial_refund"  # an amount back for goods the shopper keeps
        hurried = _just_before(lowered, start, 4)
        if value == _HURRY and not under_way and _HURRY_AND_REFUND.match(lowered, start):
            corrected = "refund_only"  # "请尽快退还多扣的款项": the refund is the ask
        if (
            value in ("refund_only", "return_refund")
            and _HURRIED.search(hurried)
            and (_URGED.search(hurried) or under_way)
        ):
            # "催一下退款", "退款还没到，尽快退": the refund is asked already, its speed is
            corrected = "expedite"
        result.append({**entity, ENTITY_ATTRIBUTE_VALUE: corrected} if corrected != value else entity)
    return result


def _nearby_both(clauses: List["re.Match[str]"], at: Optional[int]) -> str:
    """The clause at `at` with the ones just before and after it."""
    return "" if at is None else "".join(c.group() for c in clauses[max(0, at - 1) : at + 2])


def _second_thoughts(text: str, remedies: List[Dict[Text, Any]]) -> List[Dict[Text, Any]]:
    """Drops an ask the shopper took back ("退款吧，不对，还是换") and, beside "you decide"
    (unsure), the remedies it offers as alternatives ("退还是换我都行，你们定")."""
    if not remedies:
        return remedies
    lowered = text.lower()
    ordered = sorted(remedies, key=lambda e: e[ENTITY_ATTRIBUTE_START])
    kept = [
        e
        for e, later in zip(ordered, [*ordered[1:], None], strict=True)
        if (
            later is None
            or not _CORRECTED.search(lowered[e[ENTITY_ATTRIBUTE_END] : later[ENTITY_ATTRIBUTE_START]])
        )
        and not told_not_asked(lowered, e)
        and not (len(ordered) > 1 and _threatened(lowered, e, own=False))
        and not _hurries_the_next(e, later)
        and not (len(ordered) > 1 and _NAMES_THE_CASE.match(lowered, e[ENTITY_ATTRIBUTE_END]))
    ]
    if any(e[ENTITY_ATTRIBUTE_VALUE] == "unsure" for e in kept):
        kept = [
            e
            for e in kept
            if e[ENTITY_ATTRIBUTE_VALUE] == "unsure"
            or not _ALTERNATIVES.search(
                lowered[max(0, e[ENTITY_ATTRIBUTE_START] - 3) : e[ENTITY_ATTRIBUTE_END] + 3]
            )
        ]
    return kept


def _meant_before(lowered: str, entity: Dict[Text, Any]) -> bool:
    """The remedy is what the shopper meant to ask for before ("本来想退货的")."""
    start = entity[ENTITY_ATTRIBUTE_START]
    return _MEANT_BEFORE.search(_just_before(lowered, start)) is not None


def told_not_asked(lowered: str, entity: Dict[Text, Any]) -> bool:
    """The remedy at the entity's span is told, not asked for: meant before a change of mind,
    threatened, spoken of (by someone else, or said or asked about before) unless taken up after,
    withdrawn, or not about the goods."""
    return (
        _meant_before(lowered, entity)
        or _withdrawn(lowered, entity)
        or _threatened(lowered, entity)
        or _spoken_of(lowered, entity)
        or _not_the_goods(lowered, entity)
    )


def _spoken_of(lowered: str, entity: Dict[Text, Any]) -> bool:
    """Someone's words, or what was said or asked before ("客服说会补", "我只是问能不能换"), not taken up
    after ("…，那就麻烦给我发一张吧")."""
    start, end = entity[ENTITY_ATTRIBUTE_START], entity[ENTITY_ATTRIBUTE_END]
    before = _just_before(lowered, start, 16)
    if not (_QUOTED.search(before) or _SAID_BEFORE.search(before) or _ASKED_BEFORE.search(before)):
        return False
    return _TAKEN_UP.search(lowered, end, end + 12) is None


def _withdrawn(lowered: str, entity: Dict[Text, Any]) -> bool:
    """Taken back after it ("…的申请我不要了") or named as a case told already ("…的事已经说过了")."""
    end = entity[ENTITY_ATTRIBUTE_END]
    return bool(_WITHDRAWN_AFTER.match(lowered, end) or _TOLD_ALREADY.match(lowered, end))


def not_asked_here(lowered: str, entity: Dict[Text, Any]) -> bool:
    """The remedy phrase at the entity's span is no ask: told (`told_not_asked`) or refused just
    before it ("商家也不点退款")."""
    return told_not_asked(lowered, entity) or _refused_before(lowered, entity[ENTITY_ATTRIBUTE_START])


def _threatened(lowered: str, entity: Dict[Text, Any], own: bool = True) -> bool:
    """The remedy is a threat if something else is not done: the shopper's own ("再不发货我就申请
    退款了") or, with `own` False, any ("不然就退货")."""
    start = entity[ENTITY_ATTRIBUTE_START]
    found = _THREATENED.search(_just_before(lowered, start, 18))
    return found is not None and (not own or found.group("own") is not None)


def _not_the_goods(lowered: str, entity: Dict[Text, Any]) -> bool:
    """An exchange of the courier or the agent ("换一家快递"), a reship that is mending ("修补")."""
    value, start = entity[ENTITY_ATTRIBUTE_VALUE], entity[ENTITY_ATTRIBUTE_START]
    end = entity[ENTITY_ATTRIBUTE_END]
    if value == "exchange":
        return _NOT_THE_GOODS_CHANGED.match(lowered, end) is not None
    return value == "reship" and _MENDED_BEFORE.search(lowered[:start]) is not None


def _hurries_the_next(entity: Dict[Text, Any], later: Optional[Dict[Text, Any]]) -> bool:
    """A hurry said right before the remedy it hurries ("尽快补发", "赶紧换"): one ask, the later one."""
    return (
        later is not None
        and entity[ENTITY_ATTRIBUTE_VALUE] == _HURRY
        and later[ENTITY_ATTRIBUTE_VALUE] != _HURRY
        and 0 <= later[ENTITY_ATTRIBUTE_START] - entity[ENTITY_ATTRIBUTE_END] <= 1
    )


def _occurrences(text: str, phrase: str) -> Iterator[int]:
    position = text.find(phrase)
    while position != -1:
        yield position
        position = text.find(phrase, position + 1)


@DefaultV1Recipe.register([DefaultV1Recipe.ComponentType.ENTITY_EXTRACTOR], is_trainable=True)
class RemedyResolver(GraphComponent):
    """Maps remedy entities with a non-canonical value to the canonical one, or drops them."""

    def __init__(
        self,
        model_storage: ModelStorage,
        resource: Resource,
        lexicon: Optional[Dict[str, str]] = None,
        patterns: Optional[Dict[str, List[str]]] = None,
    ) -> None:
        self._model_storage = model_storage
        self._resource = resource
        self._use_lexicon(lexicon or {}, patterns or {})

    def _use_lexicon(self, lexicon: Dict[str, str], patterns: Dict[str, List[str]]) -> None:
        self.lexicon = lexicon
        self.canonical = set(lexicon.values()) | set(patterns)
        # Longest first, sorted once here rather than for every message.
        self._phrases = sorted((p for p in lexicon if len(p) >= 2), key=len, reverse=True)
        self._compiled = [(re.compile(p), value) for value, group in patterns.items() for p in group]

    def _candidates(self, lowered: str) -> List[tuple[int, int, str]]:
        """Every known phrase and every pattern match: (start, end, value), longest first."""
        found = [
            (start, start + len(phrase), self.lexicon[phrase])
            for phrase in self._phrases
            for start in _occurrences(lowered, phrase)
        ]
        for pattern, value in self._compiled:
            found += [(m.start(), m.end(), value) for m in pattern.finditer(lowered) if m.end() > m.start()]
        return sorted(found, key=lambda c: c[0] - c[1])

    @classmethod
    def create(
        cls,
        config: Dict[Text, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> "RemedyResolver":
        return cls(model_storage, resource)

    def train(self, training_data: TrainingData) -> Resource:
        lexicon: Dict[str, str] = {}
        for example in training_data.entity_examples:
            text = example.get(TEXT) or ""
            for entity in example.get(ENTITIES) or []:
                if entity.get(ENTITY_ATTRIBUTE_TYPE) != _REMEDY:
                    continue
                phrase = text[entity[ENTITY_ATTRIBUTE_START] : entity[ENTITY_ATTRIBUTE_END]].lower()
                if phrase.strip():
                    lexicon[phrase] = str(entity.get(ENTITY_ATTRIBUTE_VALUE))
        canonical = set(lexicon.values())
        for phrase, value in training_data.entity_synonyms.items():
            if value in canonical:
                lexicon[phrase.lower()] = value
        for value in canonical:
            lexicon.setdefault(value, value)
        patterns: Dict[str, List[str]] = {}
        for feature in training_data.regex_features:
            name = str(feature.get("name", ""))
            if name.startswith(_PATTERN_PREFIX) and name[len(_PATTERN_PREFIX) :] in canonical:
                patterns.setdefault(name[len(_PATTERN_PREFIX) :], []).append(str(feature["pattern"]))
        self._use_lexicon(lexicon, patterns)
        saved = {"lexicon": lexicon, "patterns": patterns}
        with self._model_storage.write_to(self._resource) as directory:
            (directory / _LEXICON_FILE).write_text(json.dumps(saved, ensure_ascii=False), encoding="utf-8")
        return self._resource

    @classmethod
    def load(
        cls,
        config: Dict[Text, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
        **kwargs: Any,
    ) -> "RemedyResolver":
        try:
            with model_storage.read_from(resource) as directory:
                saved = json.loads((directory / _LEXICON_FILE).read_text(encoding="utf-8"))
        except (ValueError, FileNotFoundError):
            saved = {}
        if "lexicon" not in saved:  # a model trained before patterns were saved beside the lexicon
            saved = {"lexicon": saved}
        return cls(model_storage, resource, saved.get("lexicon"), saved.get("patterns"))

    def resolve(self, text: str, start: int, end: int) -> Optional[tuple[str, int, int]]:
        """The canonical value of the longest known phrase overlapping text[start:end]."""
        lowered = text.lower()
        best: Optional[tuple[str, int, int]] = None
        for phrase, value in self.lexicon.items():
            for position in _occurrences(lowered, phrase):
                overlaps = position < end and position + len(phrase) > start
                if overlaps and (best is None or len(phrase) > best[2] - best[1]):
                    best = (value, position, position + len(phrase))
        if best is None:
            for pattern, value in self._compiled:
                for match in pattern.finditer(lowered):
                    overlaps = match.start() < end and match.end() > start
                    if overlaps and (best is None or match.end() - match.start() > best[2] - best[1]):
                        best = (value, match.start(), match.end())
        return best

    def requested(self, text: str, intent: str = "") -> List[Dict[Text, Any]]:
        """Known remedy phrases and patterns in request position, longest first, no overlaps."""
        lowered = text.lower()
        taken = [False] * len(lowered)
        found: List[Dict[Text, Any]] = []
        for start, end, value in self._candidates(lowered):
            if any(taken[start:end]):
                continue
            if intent in _ONLY_ASKS:
                if _refused_before(lowered, start) or _WHEN.match(lowered, end):
                    continue
            elif not _in_request_position(lowered, start, end, value):
                continue
            looks_into_it = value == "investigate" and _LOOK_INTO_IT.match(lowered, start)
            if (
                value not in _STANDALONE
                and not looks_into_it
                and _in_process_clause(lowered, start, end, intent)
            ):
                continue
            taken[start:end] = [True] * (end - start)
            found.append(
                {
                    ENTITY_ATTRIBUTE_TYPE: _REMEDY,
                    ENTITY_ATTRIBUTE_VALUE: value,
                    ENTITY_ATTRIBUTE_START: start,
                    ENTITY_ATTRIBUTE_END: end,
                    "confidence_entity": 1.0,
                    "extractor": "RemedyResolver",
                }
            )
        return found

    def process(self, messages: List[Message]) -> List[Message]:
        if not self.lexicon:
            return messages
        for message in messages:
            entities = message.get(ENTITIES) or []
            intent = str((message.get(INTENT) or {}).get(INTENT_NAME_KEY) or "")
            text = message.get(TEXT) or ""
            others = [e for e in entities if e.get(ENTITY_ATTRIBUTE_TYPE) != _REMEDY]
            remedies = [] if intent in _NEVER_ASKS else self._checked(text, intent, entities)
            if intent in _STATUS_QUESTIONS:
                hurry = [r for r in self.requested(text, intent) if r[ENTITY_ATTRIBUTE_VALUE] == _HURRY]
                remedies = hurry[:1]
            elif not remedies and intent.startswith(ASKS_FOR_A_REMEDY):
                remedies = self.requested(text, intent)
            elif remedies and intent.startswith(ASKS_FOR_A_REMEDY):
                remedies = remedies + self._also_asked(text, intent, remedies)
            unique: List[Dict[Text, Any]] = []
            for entity in by_what_is_sent(text, _second_thoughts(text, remedies), intent):  # one per value
                if all(e[ENTITY_ATTRIBUTE_VALUE] != entity[ENTITY_ATTRIBUTE_VALUE] for e in unique):
                    unique.append(entity)
            unique = _without_implied(unique)
            if unique or len(others) != len(entities):
                message.set(ENTITIES, others + unique, add_to_output=True)
        return messages

    def _also_asked(self, text: str, intent: str, remedies: List[Dict[Text, Any]]) -> List[Dict[Text, Any]]:
        """A second remedy joined to the first ("退款并道歉", "补发或者给点优惠券"): a known phrase
        in request position that does not overlap the first and is joined to it by a conjunction."""
        spans = [(e[ENTITY_ATTRIBUTE_START], e[ENTITY_ATTRIBUTE_END]) for e in remedies]
        lowered = text.lower()
        extra = []
        for found in self.requested(text, intent):
            start, end = found[ENTITY_ATTRIBUTE_START], found[ENTITY_ATTRIBUTE_END]
            if any(start < e and end > s for s, e in spans):
                continue
            between = [lowered[e:start] for s, e in spans if e <= start] + [
                lowered[end:s] for s, e in spans if end <= s
            ]
            if any(_JOINED.fullmatch(gap) for gap in between):
                extra.append(found)
        return extra

    def _checked(self, text: str, intent: str, entities: List[Dict[Text, Any]]) -> List[Dict[Text, Any]]:
        """DIET's remedies with canonical values, outside clauses about a process under way."""
        lowered = text.lower()
        kept: List[Dict[Text, Any]] = []
        for entity in entities:
            if entity.get(ENTITY_ATTRIBUTE_TYPE) != _REMEDY:
                continue
            value = str(entity.get(ENTITY_ATTRIBUTE_VALUE))
            start, end = entity[ENTITY_ATTRIBUTE_START], entity[ENTITY_ATTRIBUTE_END]
            if _in_process_clause(lowered, start, end, intent):
                continue
            if _refused_before(lowered, start):  # 不退货, 没申请退款
                continue
            if _REFUSED_AFTER.match(lowered, end):  # 换新太麻烦了
                continue
            if value not in self.canonical:
                resolved = self.resolve(text, start, end)
                if resolved is None:
                    continue
                value, start, end = resolved  # the phrase's own span, not DIET's wandering one
                entity = {
                    **entity,
                    ENTITY_ATTRIBUTE_VALUE: value,
                    ENTITY_ATTRIBUTE_START: start,
                    ENTITY_ATTRIBUTE_END: end,
                }
            if intent in _ABOUT_THE_PROCESS and not _in_request_position(lowered, start, end, value):
                continue
            kept.append(entity)
        return kept
