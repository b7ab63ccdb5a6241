"""The Chinese labels of taxonomy names and the shopper-facing case texts, from `labels.yaml`.

Imports only the standard library and PyYAML, so the bot, the action server and the triage API
all read the same file (like `textnorm.py`).
"""

from __future__ import annotations

import re
from functools import lru_cache
from pathlib import Path
from typing import Dict, Mapping

import yaml

LABELS_PATH = Path(__file__).with_name("labels.yaml")
_FIELD = re.compile(r"\{([a-z_]+)\}")


@lru_cache(maxsize=1)
def all_labels() -> Dict[str, Dict[str, str]]:
    """Every section of the labels file: section -> name -> Chinese text."""
    raw = yaml.safe_load(LABELS_PATH.read_text(encoding="utf-8")) or {}
    return {
        str(section): {str(k): str(v) for k, v in (values or {}).items()} for section, values in raw.items()
    }


def label(section: str, name: str | None, default: str = "") -> str:
    """The Chinese label of `name` in `section` (issue_type, remedy, queue, status …)."""
    if not name:
        return default
    return all_labels().get(section, {}).get(name, default or name)


def shopper_message(name: str, values: Mapping[str, object] | None = None) -> str:
    """A shopper-facing case text with its fields filled; an unknown or empty field reads as ''."""
    template = all_labels()["shopper_message"][name]
    given = values or {}
    return _FIELD.sub(lambda m: str(given.get(m.group(1)) or ""), template).strip()
