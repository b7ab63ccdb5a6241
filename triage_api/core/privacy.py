"""Masking of shoppers' personal data (phones, street addresses) outside a ticket's own view.

Lists, analytics, the audit trail and logs show `138****5678` and `广东省深圳市****`: the province
and city stay readable for the review (复盘 by region); district, street and house number do not.
"""

from __future__ import annotations

import re

from knowledge_base.textnorm import mask_phones

_HAN = "\u4e00-\u9fff"
_PROVINCE = rf"[{_HAN}]{{2,7}}?(?:省|自治区|特别行政区)"
_CITY = rf"[{_HAN}]{{1,7}}?(?:市|自治州|地区|盟)"
_DISTRICT = rf"[{_HAN}]{{1,7}}?(?:区|县|旗)"
# Street-level words; deliberately not 道 or 里 alone (知道 / 家里 are not addresses).
# A street name never runs across a province, city or district suffix, so that the area before
# it is read as the area (and kept), not swallowed into the street.
_STREET = (
    rf"(?:(?![省市区县旗])[{_HAN}0-9A-Za-z]){{0,15}}?"
    r"(?:大街|大道|路|街|巷|弄|胡同|村|镇|乡|小区|花园|公寓|大厦|广场|社区|苑)"
)
_NUMBER = r"[0-9一二三四五六七八九十百零〇A-Za-z#\-]{1,8}(?:号楼|号院|号|栋|幢|座|单元|楼|层|室|户|段)"
# Bare digits after a unit (5栋2单元301); short, so an order number never passes for one.
_ROOM_DIGITS = r"[0-9]{1,6}(?![0-9])"
_ADDRESS = re.compile(
    rf"(?P<keep>(?:{_PROVINCE})?(?:{_CITY})?)"
    rf"(?P<district>{_DISTRICT})?(?P<parts>(?:[\s,，]*(?:{_STREET}|{_NUMBER}|{_ROOM_DIGITS}))*)"
)
# Every address the pattern masks contains one of these; text without any skips the pattern.
_ADDRESS_HINT = re.compile(r"[路街巷弄胡同村镇乡区县旗小花公大广社苑号栋幢座单楼层室户段]")
_HAS_STREET = re.compile(_STREET)
_HAS_NUMBER = re.compile(_NUMBER)
MASK = "****"


def _mask_one(match: re.Match[str]) -> str:
    keep, district, parts = match.group("keep"), match.group("district"), match.group("parts")
    has_street, has_number = bool(_HAS_STREET.search(parts)), bool(_HAS_NUMBER.search(parts))
    # A street word alone (我在马路上), a house number alone (3栋501室) or an area alone (广东省深圳市)
    # does not locate a person; an area with a street or number, or a street with a number, does.
    if not (has_street or has_number) or not (keep or district or (has_street and has_number)):
        return match.group(0)
    return keep + MASK


def mask_addresses(text: str) -> str:
    """广东省深圳市南山区科技园路88号3栋501室 -> 广东省深圳市****."""
    if not _ADDRESS_HINT.search(text):
        return text
    return _ADDRESS.sub(_mask_one, text)


def mask_personal_data(text: str) -> str:
    """Phones and street addresses masked: for every view but the ticket's own."""
    return mask_addresses(mask_phones(text))


def excerpt(text: str, limit: int = 80) -> str:
    """A masked, shortened line for lists and the audit trail. Cut (with a margin, so a number
    or address across the cut is still recognised) before masking: texts run to 4000 characters."""
    masked = mask_personal_data(text.strip()[: limit + 60])
    return masked if len(masked) <= limit else masked[: limit - 1] + "…"


def mask_phone_number(phone: str) -> str:
    """A contact number for lists: 138****5678 for mobiles, the last four digits otherwise."""
    masked = mask_phones(phone)
    if masked != phone:
        return masked
    digits = re.sub(r"\D", "", phone)
    return MASK + digits[-4:] if len(digits) > 4 else MASK
