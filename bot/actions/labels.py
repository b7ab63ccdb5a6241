"""Chinese names of taxonomy values as shoppers read them: views of `knowledge_base/labels.yaml`."""

from __future__ import annotations

from knowledge_base.labels import all_labels

_LABELS = all_labels()
ISSUE_TYPE = _LABELS["issue_type"]
REMEDY = _LABELS["remedy"]
QUEUE = _LABELS["queue"]
STATUS = _LABELS["shopper_status"]
