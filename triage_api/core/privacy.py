"""The API's views of personal data outside a ticket's own view: excerpts and contact numbers.
The masking itself is the `pii` package's, shared by every process."""

from __future__ import annotations

import re

from knowledge_base.textnorm import mask_phones
from pii.masking import MASK, mask_addresses, mask_personal_data

__all__ = ["MASK", "excerpt", "mask_addresses", "mask_personal_data", "mask_phone_number"]


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
