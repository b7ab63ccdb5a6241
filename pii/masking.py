"""Masking of shoppers' personal data: phones, street addresses and labelled names.

Lists, analytics, the audit trail and every process's logs show `138****5678`,
`广东省深圳市****` and `收件人：张*`: the province and city stay readable for the review (复盘 by
region); district, street and house number do not; a name keeps its surname only.
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


# A name is personal data where the text says it is one: after a label (收件人：张伟). Unlabelled
# names are not recognised (a list of surnames would mask half of everyday Chinese).
_LABELLED_NAME = re.compile(
    rf"(?P<label>(?:收件人|收货人|联系人|姓名|寄件人)[:：\s]*)(?P<surname>[{_HAN}])(?P<given>[{_HAN}]{{1,3}})"
)


def mask_names(text: str) -> str:
    """收件人：张伟 -> 收件人：张*."""
    return _LABELLED_NAME.sub(lambda m: m.group("label") + m.group("surname") + "*", text)


def mask_personal_data(text: str) -> str:
    """Phones, street addresses and labelled names masked: for every view but the ticket's own."""
    return mask_names(mask_addresses(mask_phones(text)))
