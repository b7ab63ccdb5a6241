"""One masking for every log line of every process (triage API, Rasa, action server, devstack).

`install()` wraps `Logger.makeRecord`, so every record is masked when it is made, whichever library
logs it and whichever handler later writes it: Rasa's, Sanic's and uvicorn's loggers included, and
the `extra` fields access loggers use (Sanic's `request`). The message and each string argument are
masked separately, so formatters that read `record.args` by position (uvicorn's access formatter)
keep working. In every string:
- percent-encoded text is decoded first (`%E7%9A%84 13812345678` hides a phone from a plain mask;
  not in a message template with arguments, where `%2d` is a format);
- query strings of paths and URLs are dropped: they carry order numbers (the shopper lookup),
  and tokens (`?token=` of Rasa's HTTP API and of the action server);
- phones, street addresses and labelled names are masked (`pii.masking`).
A traceback is formatted and masked when its record is made.
"""

from __future__ import annotations

import logging
import re
from typing import Any
from urllib.parse import unquote

from pii.masking import mask_personal_data

# A path or URL and its query string: /api/v1/shopper/tickets/T1?order_id=… -> …/T1?…
_QUERY = re.compile(r"(?P<path>(?:https?://[^\s/?#\"']+)?/[^\s?#\"']*)\?[^\s#\"']*")
_ENCODED = re.compile(r"%[0-9A-Fa-f]{2}")
_MARK = "_pii_masking"


# The attributes every record has; any other is an `extra` field of the logging call.
_STANDARD = frozenset(logging.LogRecord("", 0, "", 0, "", None, None).__dict__) | {"message", "asctime"}


def mask_log_text(text: str, decode: bool = True) -> str:
    """A log string as it may be written: decoded, without query strings, personal data masked."""
    if "?" in text:
        text = _QUERY.sub(lambda m: m.group("path") + "?…", text)
    if decode and _ENCODED.search(text):
        text = unquote(text)
    return mask_personal_data(text)


def _masked(value: Any) -> Any:
    return mask_log_text(value) if isinstance(value, str) else value


def mask_record(record: logging.LogRecord) -> None:
    """Masks a record in place: its message template, its arguments and its traceback."""
    if isinstance(record.msg, str):
        record.msg = mask_log_text(record.msg, decode=not record.args)
    if isinstance(record.args, tuple):
        record.args = tuple(_masked(arg) for arg in record.args)
    elif isinstance(record.args, dict):
        record.args = {key: _masked(arg) for key, arg in record.args.items()}
    if record.exc_info and not record.exc_text:
        record.exc_text = mask_log_text(logging.Formatter().formatException(record.exc_info))
    for name, value in record.__dict__.items():
        if name not in _STANDARD and isinstance(value, str):
            record.__dict__[name] = mask_log_text(value)


def install() -> None:
    """Masks every log record this process makes from now on (idempotent)."""
    original = logging.Logger.makeRecord
    if getattr(original, _MARK, False):
        return

    def make_masked_record(self: logging.Logger, *args: Any, **kwargs: Any) -> logging.LogRecord:
        record = original(self, *args, **kwargs)
        try:
            mask_record(record)
        except Exception:  # never write what could not be masked; never lose that a line was logged
            record.msg, record.args = "(a log line that could not be masked)", None
            record.exc_info, record.exc_text = None, None
        return record

    setattr(make_masked_record, _MARK, True)
    logging.Logger.makeRecord = make_masked_record  # type: ignore[method-assign]
