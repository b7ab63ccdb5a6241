"""Every process's log lines pass one mask: decoded, query strings dropped, personal data masked."""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Iterator

import pytest

from devstack.training import run_in_rasa_env
from pii import logs
from pii.masking import mask_names, mask_personal_data

PHONE = "13812345678"


@pytest.fixture()
def captured() -> Iterator[io.StringIO]:
    logs.install()
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(logging.Formatter("%(message)s %(request)s"))
    logger = logging.getLogger("tests.pii")
    logger.addHandler(handler)
    logger.setLevel(logging.DEBUG)
    logger.propagate = False
    yield stream
    logger.removeHandler(handler)


def test_a_phone_hidden_by_percent_encoding_is_masked(captured: io.StringIO) -> None:
    logging.getLogger("tests.pii").info(
        '%s - "%s %s HTTP/%s" %d',
        "127.0.0.1:5",
        "GET",
        "/api/v1/x/%E7%9A%84" + PHONE,
        "1.1",
        200,
        extra={"request": ""},
    )
    line = captured.getvalue()
    assert PHONE not in line and "的138****5678" in line, line


def test_query_strings_are_dropped_with_the_order_numbers_and_tokens_in_them(captured: io.StringIO) -> None:
    log = logging.getLogger("tests.pii")
    log.info("GET %s", "/api/v1/shopper/tickets/T-1?order_id=2025112312345678", extra={"request": ""})
    log.info("calling http://127.0.0.1:5055/webhook?token=actions-secret", extra={"request": "POST /x?q=1"})
    line = captured.getvalue()
    assert "2025112312345678" not in line and "actions-secret" not in line and "q=1" not in line, line
    assert "/api/v1/shopper/tickets/T-1?…" in line and "http://127.0.0.1:5055/webhook?…" in line


def test_extra_fields_and_tracebacks_are_masked_and_formats_kept(captured: io.StringIO) -> None:
    log = logging.getLogger("tests.pii")
    log.info("%2d items, %5.1f%%", 3, 12.5, extra={"request": f"GET /call/{PHONE}"})
    try:
        raise ValueError(f"收件人：张伟 {PHONE}")
    except ValueError:
        log.exception("failed", extra={"request": ""})
    line = captured.getvalue()
    assert " 3 items,  12.5%" in line
    assert PHONE not in line and "张伟" not in line and "收件人：张*" in line, line


def test_install_is_idempotent() -> None:
    logs.install()
    first = logging.Logger.makeRecord
    logs.install()
    assert logging.Logger.makeRecord is first


@pytest.mark.parametrize(
    ("text", "masked"),
    [
        ("收件人：张伟，电话13812345678", "收件人：张*，电话138****5678"),
        ("联系人 欧阳娜娜", "联系人 欧*"),
        ("姓名李四", "姓名李*"),
    ],
)
def test_labelled_names_keep_the_surname_only(text: str, masked: str) -> None:
    assert mask_personal_data(text) == masked


def test_unlabelled_words_are_not_names() -> None:
    assert mask_names("我叫了快递，张师傅说明天到") == "我叫了快递，张师傅说明天到"


RASA_PROCESS_CHECK = r"""
import json, logging
import channels.gateway  # what `rasa run` loads from credentials.yml
written = []
class Keep(logging.Handler):
    def emit(self, record):
        written.append(record.getMessage() + " " + str(getattr(record, "request", "")))
logging.basicConfig(handlers=[Keep()], level=logging.DEBUG)
logging.getLogger("rasa.core.processor").debug("Received user message '我的电话13812345678' with intent ...")
access = {"request": "GET /conversations/x/tracker?token=rasa-secret"}
logging.getLogger("sanic.access").info("", extra=access)
print(json.dumps(" | ".join(written)))
"""


def test_the_rasa_process_masks_its_own_and_sanics_log_lines() -> None:
    completed = run_in_rasa_env(["-c", RASA_PROCESS_CHECK], timeout=300)
    assert completed.returncode == 0, completed.stderr[-2000:]
    written = json.loads(completed.stdout.strip().splitlines()[-1])
    assert "138****5678" in written and PHONE not in written and "rasa-secret" not in written, written


ACTION_SERVER_CHECK = r"""
import json, logging, os
os.environ.pop("ACTIONS_SERVER_SECRET", None)
from actions import serve
written = []
class Keep(logging.Handler):
    def emit(self, record):
        written.append(record.getMessage())
logging.getLogger().addHandler(Keep())
code = serve.main()
logging.getLogger("rasa_sdk.executor").warning("action_handoff failed for 13812345678")
print(json.dumps({"code": code, "written": written}, ensure_ascii=False))
"""


def test_the_action_server_masks_its_logs_and_refuses_to_start_without_its_secret() -> None:
    completed = run_in_rasa_env(["-c", ACTION_SERVER_CHECK], timeout=300)
    assert completed.returncode == 0, completed.stderr[-2000:]
    result = json.loads(completed.stdout.strip().splitlines()[-1])
    assert result["code"] == 2
    written = " | ".join(result["written"])
    assert "ACTIONS_SERVER_SECRET is not set" in written
    assert "138****5678" in written and PHONE not in written, written
