"""Bearer-token authentication: tokens are stored as SHA-256 hashes and carry one role."""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
from dataclasses import dataclass
from enum import Enum

from fastapi import Depends, HTTPException, Request, status
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from triage_api.core.settings import Environment, Settings

log = logging.getLogger(__name__)


class Role(str, Enum):
    bot = "bot"
    agent = "agent"
    supervisor = "supervisor"
    trainer = "trainer"


# Used only in development mode when no tokens are configured, and announced loudly.
DEVELOPMENT_TOKENS = {
    "dev-bot-token": ("dev-bot", Role.bot),
    "dev-agent-token": ("dev-agent", Role.agent),
    "dev-supervisor-token": ("dev-supervisor", Role.supervisor),
    "dev-trainer-token": ("dev-trainer", Role.trainer),
}


@dataclass(frozen=True)
class Principal:
    """Who is calling: a named bot, agent, supervisor or trainer."""

    name: str
    role: Role


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


class TokenRegistry:
    """Resolves a presented bearer token to a principal by comparing hashes in constant time."""

    def __init__(self, entries: dict[str, Principal]) -> None:
        self._by_hash = entries

    @classmethod
    def from_settings(cls, settings: Settings) -> TokenRegistry:
        entries: dict[str, Principal] = {}
        if settings.agent_tokens.strip():
            for item in json.loads(settings.agent_tokens):
                entries[str(item["token_sha256"]).lower()] = Principal(
                    name=str(item["name"]), role=Role(item["role"])
                )
        elif settings.env is Environment.development:
            log.warning(
                "DEVELOPMENT MODE: no TRIAGE_AGENT_TOKENS configured, accepting the well-known "
                "development tokens %s. Never run like this in production.",
                ", ".join(DEVELOPMENT_TOKENS),
            )
            for token, (name, role) in DEVELOPMENT_TOKENS.items():
                entries[hash_token(token)] = Principal(name=name, role=role)
        return cls(entries)

    def principal_named(self, name: str) -> Principal | None:
        """The configured principal called `name` (transfers name the receiving agent)."""
        return next((p for p in self._by_hash.values() if p.name == name), None)

    def resolve(self, token: str) -> Principal | None:
        presented = hash_token(token)
        for stored, principal in self._by_hash.items():
            if hmac.compare_digest(stored, presented):
                return principal
        return None


_bearer = HTTPBearer(auto_error=False)


def current_principal(
    request: Request, credentials: HTTPAuthorizationCredentials | None = Depends(_bearer)
) -> Principal:
    if credentials is None or not credentials.credentials:
        raise HTTPException(
            status.HTTP_401_UNAUTHORIZED,
            detail="missing bearer token",
            headers={"WWW-Authenticate": "Bearer"},
        )
    registry: TokenRegistry = request.app.state.tokens
    principal = registry.resolve(credentials.credentials)
    if principal is None:
        raise HTTPException(
            status.HTTP_401_UNAUTHORIZED,
            detail="unknown bearer token",
            headers={"WWW-Authenticate": "Bearer"},
        )
    return principal


def require_roles(*roles: Role):  # type: ignore[no-untyped-def]
    """Dependency factory: the caller must hold one of `roles`."""

    def check(principal: Principal = Depends(current_principal)) -> Principal:
        if principal.role not in roles:
            raise HTTPException(
                status.HTTP_403_FORBIDDEN,
                detail=f"role {principal.role.value} may not do this",
            )
        return principal

    return check
