"""Credentials for live discovery, one per `--auth` method, behind one guard.

Every credential is wrapped in `GuardedCredential`: it asks the underlying credential once per
scope (one device-code prompt, not one per SDK client), and remembers the token strings it handed
out so every message discovery writes can be scrubbed of them. Tokens are never logged or stored.
"""

from __future__ import annotations

import base64
import json
import os
import sys
import time
from collections.abc import Callable
from typing import Any

from aksfw_tui.errors import InputError

AUTH_METHODS = ("default", "cli", "env", "workload-identity", "managed-identity", "device-code", "browser",
                "access-token")
INTERACTIVE = frozenset({"device-code", "browser"})
TOKEN_VARIABLE = "AZURE_ACCESS_TOKEN"
REFRESH_MARGIN = 300  # seconds before expiry that a cached token is asked for again
REDACTED = "[redacted]"


def check_auth(auth: str, headless: bool) -> None:
    """Refuse what cannot work before anything starts: unknown methods, interactive sign-in with
    nobody to complete it, an access token that is not there."""
    if auth not in AUTH_METHODS:
        raise InputError(f"--auth {auth}: expected one of {', '.join(AUTH_METHODS)}")
    if headless and auth in INTERACTIVE:
        usable = ", ".join(m for m in AUTH_METHODS if m not in INTERACTIVE)
        raise InputError(f"--auth {auth} needs a person to sign in and cannot run headless; "
                         f"use one of {usable}")
    if auth == "access-token" and not os.environ.get(TOKEN_VARIABLE, "").strip():
        raise InputError(f"--auth access-token reads the bearer token from {TOKEN_VARIABLE}, which is "
                         "not set; e.g. export AZURE_ACCESS_TOKEN=$(az account get-access-token "
                         "--query accessToken --output tsv)")


def make_credential(auth: str, *, authority: str, tenant_id: str | None = None,
                    prompt: Callable[[str], None] | None = None) -> Any:
    """The async credential for `auth` (an azure.core AsyncTokenCredential)."""
    check_auth(auth, headless=False)
    if auth == "access-token":
        return AccessTokenCredential(os.environ[TOKEN_VARIABLE].strip())
    from azure.identity import aio

    if auth == "default":
        return aio.DefaultAzureCredential(authority=authority, exclude_interactive_browser_credential=True,
                                          additionally_allowed_tenants=["*"] if tenant_id else [])
    if auth == "cli":
        return aio.AzureCliCredential(tenant_id=tenant_id or "")
    if auth == "env":
        return aio.EnvironmentCredential(authority=authority)
    if auth == "workload-identity":
        return aio.WorkloadIdentityCredential(authority=authority, tenant_id=tenant_id)
    if auth == "managed-identity":
        return aio.ManagedIdentityCredential()
    return ThreadedCredential(_interactive(auth, authority, tenant_id, prompt))


def _interactive(auth: str, authority: str, tenant_id: str | None,
                 prompt: Callable[[str], None] | None) -> Any:
    # azure-identity has no async device-code or browser credential: run the sync one in a thread.
    from azure.identity import DeviceCodeCredential, InteractiveBrowserCredential

    tenant: dict[str, Any] = {"tenant_id": tenant_id} if tenant_id else {}
    if auth == "browser":
        return InteractiveBrowserCredential(authority=authority, **tenant)
    say = prompt or (lambda text: print(text, file=sys.stderr, flush=True))

    def show(uri: str, code: str, _expires: Any) -> None:
        say(f"To sign in, open {uri} and enter the code {code}")

    return DeviceCodeCredential(authority=authority, prompt_callback=show, **tenant)


class AccessTokenCredential:
    """A bearer token the caller already holds (`az account get-access-token`), from AZURE_ACCESS_TOKEN."""

    def __init__(self, token: str) -> None:
        self._token = token
        self._expires_on = _jwt_expiry(token) or int(time.time()) + 3600

    def __repr__(self) -> str:
        return "AccessTokenCredential(token=[redacted])"

    async def get_token(self, *scopes: str, **kwargs: Any) -> Any:
        from azure.core.credentials import AccessToken

        return AccessToken(self._token, self._expires_on)

    async def close(self) -> None:
        return None


class ThreadedCredential:
    """A synchronous credential used from async code: each token request runs in a worker thread."""

    def __init__(self, inner: Any) -> None:
        self._inner = inner

    async def get_token(self, *scopes: str, **kwargs: Any) -> Any:
        import asyncio

        return await asyncio.to_thread(self._inner.get_token, *scopes, **kwargs)

    async def close(self) -> None:
        close = getattr(self._inner, "close", None)
        if close:
            close()


class GuardedCredential:
    """Caches tokens per (scopes, tenant), serialises sign-in, and remembers tokens for `redact`."""

    def __init__(self, inner: Any, tenant_id: str | None = None) -> None:
        self._inner = inner
        self._tenant_id = tenant_id
        self._cache: dict[tuple[Any, ...], Any] = {}
        self._issued: set[str] = set()
        self._lock: Any = None  # an asyncio.Lock, made inside the event loop that uses it

    def __repr__(self) -> str:
        return f"GuardedCredential({type(self._inner).__name__})"

    async def get_token(self, *scopes: str, claims: str | None = None, tenant_id: str | None = None,
                        **kwargs: Any) -> Any:
        tenant = tenant_id or self._tenant_id
        import asyncio  # here, not at the top: `--demo --headless` never loads asyncio

        key = (scopes, tenant, claims)
        self._lock = self._lock or asyncio.Lock()
        async with self._lock:
            cached = self._cache.get(key)
            if cached is not None and cached.expires_on - REFRESH_MARGIN > time.time():
                return cached
            options: dict[str, Any] = dict(kwargs)
            if claims:
                options["claims"] = claims
            if tenant and not isinstance(self._inner, AccessTokenCredential | ThreadedCredential):
                options["tenant_id"] = tenant
            token = await self._inner.get_token(*scopes, **options)
            self._issued.add(token.token)
            self._cache[key] = token
            return token

    def redact(self, text: str) -> str:
        """`text` with every token this credential handed out replaced (a server could echo one)."""
        for token in self._issued:
            if len(token) >= 8:
                text = text.replace(token, REDACTED)
        return text

    async def close(self) -> None:
        await self._inner.close()

    async def __aenter__(self) -> GuardedCredential:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()


def _jwt_expiry(token: str) -> int | None:
    """The `exp` claim of a JWT access token, if the token is one (no signature check: it only
    decides when to stop reusing it)."""
    parts = token.split(".")
    if len(parts) != 3:
        return None
    try:
        payload = json.loads(base64.urlsafe_b64decode(parts[1] + "=" * (-len(parts[1]) % 4)))
    except (ValueError, UnicodeDecodeError):
        return None
    exp = payload.get("exp") if isinstance(payload, dict) else None
    return exp if isinstance(exp, int) else None
