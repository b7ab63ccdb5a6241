"""Masking of phones and addresses for lists, analytics, the audit trail and logs."""

from __future__ import annotations

import logging
import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from pii.logs import mask_record
from triage_api.core.privacy import excerpt, mask_addresses, mask_personal_data, mask_phone_number

MOBILE = re.compile(r"1[3-9]\d{9}")


@pytest.mark.parametrize(
    ("text", "masked"),
    [
        ("广东省深圳市南山区科技园路88号3栋501室", "广东省深圳市****"),
        ("收货地址：上海市浦东新区张江镇碧波路690号，谢谢", "收货地址：上海市****，谢谢"),
        ("北京市朝阳区建国路93号院万达广场8号楼", "北京市****"),
        ("新疆维吾尔自治区乌鲁木齐市天山区解放北路8号", "新疆维吾尔自治区乌鲁木齐市****"),
        ("寄到杭州市西湖区文三路", "寄到杭州市****"),
        ("送到幸福小区5栋2单元301", "****"),
    ],
)
def test_addresses_keep_the_city_and_lose_the_rest(text: str, masked: str) -> None:
    assert mask_addresses(text) == masked


@pytest.mark.parametrize(
    "text",
    [
        "广东省深圳市",
        "我不知道路怎么走",
        "快递放在小区门口了",
        "我住3栋501室",
        "订单2025112312345678",
        "1号线地铁",
    ],
)
def test_text_that_locates_nobody_is_left_alone(text: str) -> None:
    assert mask_addresses(text) == text


def test_phone_fields_keep_only_what_identifies_nobody() -> None:
    assert mask_phone_number("13812345678") == "138****5678"
    assert mask_phone_number("+86 138-1234-5678") == "138****5678"
    assert mask_phone_number("021-61234567") == "****4567"


@given(
    before=st.text(max_size=30),
    phone=st.from_regex(r"1[3-9]\d{9}", fullmatch=True),
    after=st.text(max_size=30),
)
def test_no_mobile_number_survives_masking(before: str, phone: str, after: str) -> None:
    masked = mask_personal_data(f"{before} {phone} {after}")
    assert phone not in masked


@given(st.text(max_size=80))
def test_masking_is_idempotent(text: str) -> None:
    once = mask_personal_data(text)
    assert mask_personal_data(once) == once


@given(st.text(max_size=300))
def test_excerpts_are_short(text: str) -> None:
    assert len(excerpt(text)) <= 80


def test_log_lines_never_carry_phones_or_addresses() -> None:
    record = logging.LogRecord(
        "t",
        logging.INFO,
        __file__,
        1,
        "shopper %s at %s",
        ("13812345678", "广东省深圳市南山区科技园路88号"),
        None,
    )
    mask_record(record)
    assert record.getMessage() == "shopper 138****5678 at 广东省深圳市****"
    assert not MOBILE.search(record.getMessage())
