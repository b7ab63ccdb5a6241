"""The shared normaliser and order-number extraction, with property-based cases."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from knowledge_base.textnorm import (
    canonical_order_id,
    find_order_ids,
    find_phones,
    mask_identifiers,
    mask_phones,
    normalize,
    normalize_aligned,
)

FULL_WIDTH = str.maketrans("0123456789", "０１２３４５６７８９")
order_digits = st.text(alphabet="0123456789", min_size=10, max_size=20).filter(
    # a mobile number, bare or after the country code 86, is a phone by the taxonomy, not an order
    lambda d: (
        not (len(d) == 11 and d[0] == "1" and d[1] in "3456789")
        and not (len(d) == 13 and d.startswith("861") and d[3] in "3456789")
    )
)
prefixes = st.sampled_from(["", "DY", "JD", "TB", "dy", "jd", "Pdd"])
separators = st.sampled_from(["", " ", "-", "_", "."])
mobiles = st.from_regex(r"\A1[3-9][0-9]{9}\Z", fullmatch=True)


def spaced(digits: str, separator: str, every: int = 4) -> str:
    return separator.join(digits[i : i + every] for i in range(0, len(digits), every))


@given(digits=order_digits, prefix=prefixes, separator=separators, full_width=st.booleans())
def test_order_numbers_are_canonicalised(digits: str, prefix: str, separator: str, full_width: bool) -> None:
    written = prefix + spaced(digits, separator)
    if full_width:
        written = written.translate(FULL_WIDTH)
    text = normalize(f"订单号{written}的快递还没到")
    assert [m.value for m in find_order_ids(text)] == [prefix.upper() + digits]


@given(phone=mobiles, separator=st.sampled_from(["", " ", "-"]), country=st.sampled_from(["", "+86", "86 "]))
def test_a_mobile_number_is_never_an_order_number(phone: str, separator: str, country: str) -> None:
    written = country + phone[:3] + separator + phone[3:7] + separator + phone[7:]
    assert find_order_ids(normalize(f"我的手机{written}，订单没到")) == []


@given(digits=order_digits, phone=mobiles)
def test_order_and_phone_side_by_side(digits: str, phone: str) -> None:
    found = find_order_ids(normalize(f"订单{digits} 电话 {phone}"))
    assert [m.value for m in found] == [digits]
    found = find_order_ids(normalize(f"{digits} {phone}"))
    assert [m.value for m in found] == [digits]


@given(text=st.text(max_size=200))
def test_aligned_normalisation_keeps_length(text: str) -> None:
    assert len(normalize_aligned(text)) == len(text)


@given(text=st.text(max_size=300))
def test_normalize_never_crashes_and_is_idempotent(text: str) -> None:
    once = normalize(text)
    assert normalize(once) == once


def test_traditional_full_width_and_emoji_are_folded() -> None:
    assert normalize("訂單２０２５物流沒更新😡😡！！") == "订单2025物流没更新 !!"


def test_short_digit_runs_and_ticket_ids_are_not_orders() -> None:
    assert find_order_ids("我买了3件，花了299元，工单T20251123K7Q2M9XA") == []


def test_canonical_order_id_rejects_two_numbers_and_phones() -> None:
    assert canonical_order_id("JD-2025-1123-4567") == "JD202511234567"
    assert canonical_order_id("13812345678") is None
    assert canonical_order_id("2025112312345678 2025112312345679") is None


def test_phones_are_masked_in_any_writing() -> None:
    assert mask_phones("电话13812345678或+86 139-1234-5678") == "电话138****5678或139****5678"


@given(digits=order_digits, prefix=prefixes, separator=separators, phone=mobiles)
def test_identifiers_are_masked_for_the_intent_model(
    digits: str, prefix: str, separator: str, phone: str
) -> None:
    text = normalize(f"单号 {prefix}{spaced(digits, separator)} 的东西不对 电话{phone} tk")
    masked = mask_identifiers(text)
    assert find_order_ids(masked) == [] and find_phones(masked) == []
    assert masked.startswith("单号 #") and masked.endswith("电话@ tk")


def test_masking_leaves_other_numbers_alone() -> None:
    assert mask_identifiers("买了3件，实付159元") == "买了3件，实付159元"


@given(tail=st.text(alphabet="0123456789ABCDEFGHJKMNPQRSTVWXYZ", min_size=8, max_size=8))
def test_a_ticket_id_is_never_an_order_number(tail: str) -> None:
    # Ticket ids are "T" + date + 8 base-32 characters (triage_api.tickets.service.new_ticket_id).
    assert find_order_ids(normalize(f"工单T20261125{tail}处理到哪了")) == []


def test_codes_glued_to_letters_are_not_order_numbers_but_abbreviations_are_fine() -> None:
    assert find_order_ids("SN2025112312345678X") == []
    assert [m.value for m in find_order_ids("订单2025112312345678tk")] == ["2025112312345678"]


@given(st.text(alphabet=st.characters(min_codepoint=0, max_codepoint=0x10FFFF, blacklist_categories=())))
def test_safe_text_is_always_encodable_and_free_of_control_characters(text: str) -> None:
    from knowledge_base.textnorm import safe_text

    safe = safe_text(text)
    safe.encode("utf-8")  # a lone surrogate would raise here
    assert len(safe) == len(text)
    assert not any((ord(c) < 32 and c not in "\n\t\r") or ord(c) == 127 for c in safe)


def test_safe_json_cleans_every_string_of_a_value() -> None:
    from knowledge_base.textnorm import safe_json

    assert safe_json({"a\ud800": ["x\u0000", 3, {"b": "\udfff"}]}) == {"a\ufffd": ["x ", 3, {"b": "\ufffd"}]}


labels_of_other_numbers = st.sampled_from(
    [
        "快递单号",
        "运单号：",
        "物流单号 ",
        "售后服务单号:",
        "工单号",
        "退款单号 ",
        "商品ID:",
        "发票号码 ",
        "银行卡号",
        "身份证号：",
        "交易号",
        "微信号 ",
    ]
)


@given(label=labels_of_other_numbers, digits=order_digits, prefix=st.sampled_from(["", "SF", "YT", "SH"]))
def test_a_number_named_as_something_else_is_not_an_order(label: str, digits: str, prefix: str) -> None:
    text = normalize(f"你好，{label}{prefix}{digits}，麻烦看一下")
    assert find_order_ids(text) == []
    assert "#" in mask_identifiers(text)  # still masked for the classifiers: a long number is no word


@given(digits=order_digits, other=order_digits)
def test_the_order_is_found_beside_a_tracking_number_and_a_product_id(digits: str, other: str) -> None:
    text = normalize(f"订单号{digits} 快递单号 YT{other} 商品ID:{other}")
    assert [m.value for m in find_order_ids(text)] == [digits]
    assert canonical_order_id(f"单号 {digits}") == digits
