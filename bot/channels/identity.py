"""Who the shopper is, as the shop's front end vouches for it: a signed identity token.

The shop's front end knows its logged-in customer; it signs that knowledge as a JSON Web Token
(HS256, with the secret it shares with us, `SHOPPER_IDENTITY_SECRET`) and sends it with each
message as `metadata.identity_token`:

    {"sub": "<customer id>", "vip": true, "exp": <unix seconds>, "conv": "<sender>"}

`sub` and `exp` are required; `conv`, when present, binds the token to one conversation. The
gateway replaces whatever the message claims with `metadata.identity` = the verified facts, and
drops plain `customer_id`, `vip` and `identity` keys: a shopper's own client cannot buy the VIP
deadline. Without a valid token the shopper is anonymous: customer id = conversation id, no VIP.
"""

from __future__ import annotations

import logging
from typing import Any, Dict, Optional, Tuple

import jwt

log = logging.getLogger(__name__)

TOKEN_KEY = "identity_token"
VERIFIED_KEY = "identity"
# Keys only the server may set: a message that carries them unsigned has them removed.
CLAIM_KEYS = ("customer_id", "vip", VERIFIED_KEY)
MAX_TOKEN_CHARS = 4096
MAX_CUSTOMER_ID_CHARS = 128
LEEWAY_SECONDS = 30


def verified_identity(token: object, secret: str, sender: str) -> Optional[Dict[str, Any]]:
    """The customer id and VIP flag the token vouches for, or None (and a log line) if it does not."""
    if not isinstance(token, str) or not token or len(token) > MAX_TOKEN_CHARS or not secret:
        return None
    try:
        claims = jwt.decode(
            token, secret, algorithms=["HS256"], options={"require": ["sub", "exp"]}, leeway=LEEWAY_SECONDS
        )
    except jwt.PyJWTError as error:
        log.warning("identity token refused (%s): the shopper is anonymous", type(error).__name__)
        return None
    customer_id, vip, conversation = claims.get("sub"), claims.get("vip", False), claims.get("conv")
    if (
        not isinstance(customer_id, str)
        or not customer_id.strip()
        or len(customer_id) > MAX_CUSTOMER_ID_CHARS
    ):
        log.warning("identity token refused (bad sub): the shopper is anonymous")
        return None
    if conversation is not None and conversation != sender:
        log.warning("identity token refused (issued for another conversation): the shopper is anonymous")
        return None
    return {"customer_id": customer_id, "vip": vip is True, "verified": True}


def trusted_metadata(
    metadata: Optional[Dict[str, Any]], secret: str, sender: str
) -> Tuple[Optional[Dict[str, Any]], bool]:
    """The message's metadata with claims replaced by what the token proves; and whether any
    unsigned claim was dropped (the caller logs it)."""
    if metadata is None:
        return None, False
    cleaned = {key: value for key, value in metadata.items() if key not in CLAIM_KEYS and key != TOKEN_KEY}
    dropped = any(key in metadata for key in CLAIM_KEYS)
    identity = verified_identity(metadata.get(TOKEN_KEY), secret, sender)
    if identity is not None:
        cleaned[VERIFIED_KEY] = identity
    return cleaned, dropped
