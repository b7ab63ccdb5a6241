"""Property tests of the shopper's REST door on the running stack: whatever body arrives, the answer
is a defined one (200 with a list of messages, 400 or 413 with a clear error), never a 500, and the
bot keeps answering the next shopper."""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from devstack.stack import Stack
from tests.e2e.test_intake_slice import say

pytestmark = pytest.mark.e2e

JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=30),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=10), children, max_size=4)
    ),
    max_leaves=12,
)
# Bodies that look like the channel's: the right keys with any values, plus stray keys.
BODIES = st.fixed_dictionaries(
    {},
    optional={
        "sender": st.text(max_size=140) | JSON,
        "message": st.text(max_size=300) | JSON,
        "metadata": st.dictionaries(
            st.sampled_from(["channel", "vip", "customer_id", "identity_token", "x"]), JSON
        )
        | JSON,
    },
)
# Han, emoji, digits, spaces, combining marks, control characters and lone surrogates.
SHOPPER_CHARACTERS = st.characters(categories=["Lo", "So", "Nd", "Zs", "Mn", "Cc", "Cs", "Po"])
FUZZ = settings(
    max_examples=60,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)


def post(stack: Stack, content: bytes) -> httpx.Response:
    return httpx.post(
        f"{stack.rasa_url}/webhooks/rest/webhook",
        content=content,
        headers={"Content-Type": "application/json"},
        timeout=60,
    )


def assert_defined(answer: httpx.Response) -> None:
    assert answer.status_code in (200, 400, 413), (answer.status_code, answer.text[:300])
    body: Any = answer.json()
    if answer.status_code == 200:
        assert isinstance(body, list) and all(isinstance(m, dict) for m in body)
    else:
        assert isinstance(body["error"]["message"], str) and body["error"]["message"]


@FUZZ
@given(body=BODIES | JSON)
def test_any_json_body_gets_a_defined_answer(stack: Stack, body: Any) -> None:
    assert_defined(post(stack, json.dumps(body).encode()))


@FUZZ
@given(raw=st.binary(max_size=200))
def test_any_bytes_get_a_defined_answer(stack: Stack, raw: bytes) -> None:
    assert_defined(post(stack, raw))


@settings(
    max_examples=25,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(text=st.text(SHOPPER_CHARACTERS, min_size=1, max_size=200))
def test_any_text_from_a_shopper_gets_an_answer(stack: Stack, text: str) -> None:
    answer = post(stack, json.dumps({"sender": "fuzz-text", "message": text}).encode())
    assert answer.status_code == 200, answer.text[:300]
    assert isinstance(answer.json(), list)


def test_the_bot_still_answers_after_the_fuzzing(stack: Stack) -> None:
    assert "".join(say(stack, "after-fuzz", "你好"))
