"""Master-key authentication through LiteLLM's ``general_settings.custom_auth`` hook.

Stock LiteLLM without a database answers a missing key with 500 and a wrong key with 400
("No connected db."); this hook answers both with 401 and an OpenAI error body.
"""

from __future__ import annotations

import hmac

from fastapi import Request
from litellm.proxy._types import LitellmUserRoles, ProxyException, UserAPIKeyAuth

from agentllm.config import settings

# Paths that must answer without a key (health checks of orchestrators and load balancers).
PUBLIC_PATHS = frozenset({"/health/liveliness", "/health/liveness", "/health/readiness"})


def _unauthorized(message: str) -> ProxyException:
    return ProxyException(message=message, type="auth_error", param="api_key", code=401)


async def user_api_key_auth(request: Request, api_key: str) -> UserAPIKeyAuth:
    """Accept the master key (``Authorization: Bearer <key>``), refuse everything else with 401."""
    if request.url.path in PUBLIC_PATHS:
        return UserAPIKeyAuth()
    if not api_key:
        raise _unauthorized("Missing API key: send 'Authorization: Bearer <LITELLM_MASTER_KEY>'.")
    master_key = settings().master_key.get_secret_value()
    if not hmac.compare_digest(api_key.encode(), master_key.encode()):
        raise _unauthorized("Invalid API key.")
    return UserAPIKeyAuth(api_key=master_key, user_role=LitellmUserRoles.PROXY_ADMIN)
