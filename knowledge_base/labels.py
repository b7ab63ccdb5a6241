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
def _raw() -> Dict[str, Dict[str, object]]:
    return dict(yaml.safe_load(LABELS_PATH.read_text(encoding="utf-8")) or {})


@lru_cache(maxsize=1)
def all_labels() -> Dict[str, Dict[str, str]]:
    """Every section of plain labels: section -> name -> Chinese text."""
    return {
        str(section): {str(k): str(v) for k, v in (values or {}).items()}
        for section, values in _raw().items()
        if section != "intent_choice"
    }


@lru_cache(maxsize=1)
def intent_choices() -> Dict[str, Dict[str, str]]:
    """intent -> {title, says}: how the bot offers a reading of a message it is unsure about."""
    return {
        str(intent): {"title": str(entry["title"]), "says": str(entry["says"])}  # type: ignore[index]
        for intent, entry in (_raw().get("intent_choice") or {}).items()
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
