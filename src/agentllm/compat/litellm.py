"""LiteLLM (1.108.7): where a request's headers, body and users reach a ``CustomLLM``, how a
custom provider is registered in-process, the proxy's parsed-body cache, and the stream chunks
it passes through from a custom provider.

Nothing here imports LiteLLM at module level: the CLI imports it only when it needs it.
"""

from __future__ import annotations

from collections.abc import Mapping, MutableMapping
from typing import Any

# The ASGI scope key under which the proxy caches a request's parsed JSON body.
PARSED_BODY_SCOPE_KEY = "parsed_body"

# A custom provider's ``streaming``/``astreaming`` may yield ``ModelResponseStream`` objects (not
# only ``GenericStreamingChunk`` dicts); only they carry ``delta.reasoning_content``.
# Relies on: ``CustomStreamWrapper._dispatch_provider_chunk``
# (litellm/litellm_core_utils/streaming_handler.py) passing such a chunk through when
# ``custom_llm_provider in litellm._custom_providers``; it strips a ``finish_reason`` that rides
# on a content chunk and emits its own terminal chunk.
STREAM_CHUNK_PASSTHROUGH = "litellm.types.utils.ModelResponseStream"


def _mapping(value: Any) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}


def request_headers(litellm_params: Mapping[str, Any] | None) -> dict[str, str]:
    """The request's headers, names lower-cased, from wherever LiteLLM put them.

    Relies on: the proxy's ``add_litellm_data_to_request``
    (litellm/proxy/litellm_pre_call_utils.py) copying the (credential-redacted) headers to
    ``data["proxy_server_request"]["headers"]`` and ``data["metadata"]["headers"]``, and
    ``litellm.acompletion`` handing both to the provider in ``litellm_params``
    (``get_litellm_params`` in litellm/litellm_core_utils/get_litellm_params.py). In the SDK a
    caller sets ``metadata={"headers": {...}}`` itself (cli/streams.py). The proxy's copy wins.
    """
    params = _mapping(litellm_params)
    found: dict[str, str] = {}
    for source in (
        _mapping(params.get("proxy_server_request")).get("headers"),
        _mapping(params.get("metadata")).get("headers"),
    ):
        for name, value in _mapping(source).items():
            if isinstance(name, str) and isinstance(value, str):
                found.setdefault(name.lower(), value)
    return found


def request_body(litellm_params: Mapping[str, Any] | None) -> Mapping[str, Any]:
    """The request's JSON body as the client sent it (empty outside the proxy).

    Relies on: ``refresh_proxy_server_request_body_snapshot``
    (litellm/proxy/litellm_pre_call_utils.py) storing the body in
    ``data["proxy_server_request"]["body"]``, which reaches the provider in ``litellm_params``.
    """
    proxy_request = _mapping(_mapping(litellm_params).get("proxy_server_request"))
    return _mapping(proxy_request.get("body"))


def end_user_id(litellm_params: Mapping[str, Any] | None) -> Any:
    """The end user the proxy resolved for the request (the body's ``user``, or a header), or
    ``None``. Relies on: ``LiteLLMProxyRequestSetup.get_sanitized_user_information_from_key``
    (litellm/proxy/litellm_pre_call_utils.py) writing ``metadata["user_api_key_end_user_id"]``;
    in the SDK the caller sets it in ``metadata`` (tests/support/handler.py)."""
    return _mapping(_mapping(litellm_params).get("metadata")).get("user_api_key_end_user_id")


def key_user_id(litellm_params: Mapping[str, Any] | None) -> Any:
    """The user the API key belongs to, or ``None``. Relies on: the same function writing
    ``metadata["user_api_key_user_id"]`` from ``UserAPIKeyAuth.user_id``."""
    return _mapping(_mapping(litellm_params).get("metadata")).get("user_api_key_user_id")


def register_custom_provider(provider: str, handler: Any) -> None:
    """Serve ``<provider>/<model>`` with ``handler`` (a ``litellm.CustomLLM``) in this process,
    as the proxy does for ``custom_provider_map`` in its config.

    Relies on: ``litellm.custom_provider_map`` (documented) and ``litellm.utils.custom_llm_setup``
    (not documented; the proxy's ``load_config`` calls it, and so does ``function_setup`` before
    every call), which adds the provider to ``litellm.provider_list`` and
    ``litellm._custom_providers``.
    """
    import litellm
    from litellm.utils import custom_llm_setup

    others = [m for m in litellm.custom_provider_map if m.get("provider") != provider]
    litellm.custom_provider_map = [*others, {"provider": provider, "custom_handler": handler}]
    custom_llm_setup()


def set_parsed_body(scope: MutableMapping[str, Any], body: dict[str, Any]) -> None:
    """Hand the proxy a request body that is already parsed, so it does not parse it again.

    Relies on: ``_read_request_body`` (litellm/proxy/common_utils/http_parsing_utils.py)
    returning ``_safe_get_request_parsed_body(request)`` when ``request.scope["parsed_body"]`` is
    a ``(keys, body)`` tuple, the shape ``safe_set_request_parsed_body`` writes; it returns a new
    dict of those keys (shallow: nested values are ``body``'s own).
    """
    scope[PARSED_BODY_SCOPE_KEY] = (tuple(body), body)
