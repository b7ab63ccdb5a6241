"""Customer identity and VIP come from the shop's signed token, never from what a message claims.

The tokens are minted here by hand (HS256 is HMAC-SHA256 over base64url header.payload), so the
test does not share the gateway's JWT library.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
from typing import Any

import httpx
import pytest

from devstack.stack import Stack
from tests.e2e.test_intake_slice import SLICE_MESSAGE, say, tickets_of

pytestmark = pytest.mark.e2e


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def identity_token(secret: str, **claims: Any) -> str:
    claims.setdefault("exp", int(time.time()) + 600)
    signing_input = (
        _b64(json.dumps({"alg": "HS256", "typ": "JWT"}).encode()) + "." + _b64(json.dumps(claims).encode())
    )
    signature = hmac.new(secret.encode(), signing_input.encode(), hashlib.sha256).digest()
    return signing_input + "." + _b64(signature)


def customer_after_intake(stack: Stack, sender: str, **metadata: object) -> dict[str, Any]:
    """Runs one whole intake with `metadata` on every message; the ticket's customer."""
    assert "核对" in "".join(say(stack, sender, SLICE_MESSAGE, **metadata))
    say(stack, sender, "是的", **metadata)
    (ticket,) = tickets_of(stack, sender)
    answer = httpx.get(
        f"{stack.triage_url}/api/v1/tickets/{ticket['id']}",
        headers={"Authorization": f"Bearer {stack.tokens.supervisor}"},
        timeout=10,
    )
    answer.raise_for_status()
    return dict(answer.json()["customer"])


def test_plain_vip_and_customer_id_in_the_metadata_buy_nothing(stack: Stack) -> None:
    sender = "identity-plain-claims"
    customer = customer_after_intake(
        stack, sender, vip=True, customer_id="vip-9999", identity={"vip": True, "verified": True}
    )
    assert customer["vip"] is False
    assert customer["id"] == sender


def test_a_signed_token_names_the_customer_and_their_vip_status(stack: Stack) -> None:
    sender = "identity-signed"
    token = identity_token(stack.tokens.shopper_identity, sub="shop-customer-42", vip=True, conv=sender)
    customer = customer_after_intake(stack, sender, identity_token=token)
    assert (customer["id"], customer["vip"]) == ("shop-customer-42", True)


@pytest.mark.parametrize(
    ("case", "make"),
    [
        ("wrong-secret", lambda stack, sender: identity_token("not-the-shop-secret", sub="c-1", vip=True)),
        (
            "expired",
            lambda stack, sender: identity_token(
                stack.tokens.shopper_identity, sub="c-1", vip=True, exp=int(time.time()) - 3600
            ),
        ),
        (
            "other-conversation",
            lambda stack, sender: identity_token(
                stack.tokens.shopper_identity, sub="c-1", vip=True, conv="someone-else"
            ),
        ),
        ("not-a-token", lambda stack, sender: "eyJhbGciOiJub25lIn0.eyJzdWIiOiJjLTEiLCJ2aXAiOnRydWV9."),
    ],
)
def test_a_token_that_does_not_verify_leaves_the_shopper_anonymous(
    stack: Stack, case: str, make: Any
) -> None:
    sender = f"identity-bad-{case}"
    customer = customer_after_intake(stack, sender, identity_token=make(stack, sender))
    assert (customer["id"], customer["vip"]) == (sender, False)
