"""Sign-in for a OneDrive source: azure-identity credentials chosen from the environment.

* A service (unattended ``serve``): ``QUICKNAV_ONEDRIVE_CLIENT_SECRET`` → ``ClientSecretCredential``,
  or ``QUICKNAV_ONEDRIVE_CERTIFICATE`` (a PEM/PFX path; ``QUICKNAV_ONEDRIVE_CERTIFICATE_PASSWORD``)
  → ``CertificateCredential``. Both need the source's tenant and client id.
* A person: ``DeviceCodeCredential`` (the code is printed on stderr) with a persistent token cache
  that the OS protects (DPAPI, Keychain, libsecret), so the sign-in survives restarts.

Secrets are read here, at the moment a credential is built, and handed straight to azure-identity:
they are deliberately not :class:`~quicknav_mcp.config.Config` fields, so no settings dump, log line
or database row can ever hold them. azure-identity is imported lazily (it is not needed to serve
``tools/list``).
"""

from __future__ import annotations

import os
import sys
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from quicknav_mcp.errors import ConfigError

ENV_CLIENT_SECRET = "QUICKNAV_ONEDRIVE_CLIENT_SECRET"
ENV_CERTIFICATE = "QUICKNAV_ONEDRIVE_CERTIFICATE"
ENV_CERTIFICATE_PASSWORD = "QUICKNAV_ONEDRIVE_CERTIFICATE_PASSWORD"
#: The name of the persistent token cache (one per user profile, shared by QuickNav processes).
TOKEN_CACHE_NAME = "quicknav-onedrive"
#: Microsoft's public client for the Graph CLI/PowerShell: lets a person sign in by device code
#: without registering an app. A firm that registered its own app passes ``--client-id``.
DEFAULT_PUBLIC_CLIENT_ID = "14d82eec-204b-4c2f-b7e8-296a70dab67e"


@dataclass(frozen=True, slots=True)
class SignIn:
    """Who signs in to a source (never a secret: those stay in the environment)."""

    tenant: str | None
    client_id: str | None
    authority: str  # host of the Entra ID authority: login.microsoftonline.com, login.microsoftonline.us, ...


def describe(sign_in: SignIn, env: Mapping[str, str] | None = None) -> str:
    """Which kind of credential :func:`make_credential` would build (for ``onedrive list``)."""
    env = os.environ if env is None else env
    if env.get(ENV_CLIENT_SECRET):
        return "client secret (from the environment)"
    if env.get(ENV_CERTIFICATE):
        return "certificate (from the environment)"
    return "device code (persistent token cache)"


def is_service(env: Mapping[str, str] | None = None) -> bool:
    env = os.environ if env is None else env
    return bool(env.get(ENV_CLIENT_SECRET) or env.get(ENV_CERTIFICATE))


def make_credential(
    sign_in: SignIn,
    env: Mapping[str, str] | None = None,
    *,
    record: str | None = None,
    interactive: bool = True,
) -> Any:
    """An azure-identity credential for ``sign_in`` (see the module docstring for the choice).

    ``record`` is the person's serialized AuthenticationRecord (finds the cached token without a
    prompt); with ``interactive`` False a person who must sign in again gets an error, not a prompt.
    """
    env = os.environ if env is None else env
    try:
        import azure.identity as identity
    except ImportError as exc:  # pragma: no cover - a dependency of the package
        raise ConfigError("OneDrive sign-in needs azure-identity: pip install azure-identity") from exc
    authority = sign_in.authority
    secret = env.get(ENV_CLIENT_SECRET, "")
    certificate = env.get(ENV_CERTIFICATE, "")
    if secret or certificate:
        if not sign_in.tenant or not sign_in.client_id:
            raise ConfigError("a service sign-in (client secret or certificate) needs --tenant and --client-id")
        if secret:
            return identity.ClientSecretCredential(sign_in.tenant, sign_in.client_id, secret, authority=authority)
        return identity.CertificateCredential(
            sign_in.tenant,
            sign_in.client_id,
            certificate_path=certificate,
            password=env.get(ENV_CERTIFICATE_PASSWORD) or None,
            authority=authority,
        )
    cache = identity.TokenCachePersistenceOptions(name=TOKEN_CACHE_NAME)
    extra: dict[str, Any] = {}
    if record:
        extra["authentication_record"] = identity.AuthenticationRecord.deserialize(record)
    return identity.DeviceCodeCredential(
        client_id=sign_in.client_id or DEFAULT_PUBLIC_CLIENT_ID,
        tenant_id=sign_in.tenant or "organizations",
        authority=authority,
        cache_persistence_options=cache,
        prompt_callback=_prompt,
        disable_automatic_authentication=not interactive,
        **extra,
    )


def sign_in_person(credential: Any, scope: str) -> str:
    """Sign a person in now (device code, or silently from the cache) and return the record to keep."""
    return str(credential.authenticate(scopes=[scope]).serialize())


def _prompt(verification_uri: str, user_code: str, expires_on: Any) -> None:
    # stdout is the MCP channel when serving: the sign-in instruction goes to stderr.
    print(f"To sign in to OneDrive, open {verification_uri} and enter the code {user_code}", file=sys.stderr)


__all__ = [
    "ENV_CERTIFICATE",
    "ENV_CLIENT_SECRET",
    "SignIn",
    "describe",
    "is_service",
    "make_credential",
    "sign_in_person",
]
