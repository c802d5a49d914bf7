"""What agentllm relies on in LiteLLM, Agno, uvicorn and Open WebUI that they do not document.

Each item is a named function or constant in one module per dependency, whose docstring says
where in the dependency it lives; ``tests/unit/test_compat.py`` has a contract test per item that
fails with ``compat: <item>`` when an upgrade changes it. docs/compat.md has the same list and how
to upgrade a dependency with it. Importing this package imports no dependency; each module
imports its own (``compat.litellm`` only inside its functions: the CLI starts without LiteLLM).

Checked against LiteLLM 1.108.7, Agno 3.1.10, uvicorn 0.54.0, Open WebUI 0.12.4.

Item (module.name)                  Used in                          Contract test
----------------------------------  -------------------------------  -----------------------------
litellm.request_headers             provider/identity.py             test_compat (headers)
litellm.request_body                provider/identity.py             test_compat (body)
litellm.end_user_id, key_user_id    provider/identity.py             test_compat (API key users)
litellm.register_custom_provider    cli/streams.py                   test_compat (custom provider)
litellm.set_parsed_body             proxy/guard.py                   test_compat (parsed body)
litellm.STREAM_CHUNK_PASSTHROUGH    provider/reply.py                test_compat (stream chunks)
agno.instructions_of                provider/kinds.py                test_compat (instructions)
agno.MODEL_OVERRIDES                models/{gemini,openai,local,     test_compat (model overrides)
                                    offline}.py, models/reporting
Agno's event enums (public)         provider/events.py,              test_compat (event classes)
                                    provider/workflows.py
uvicorn.JSON400H11Protocol          proxy/http.py                    test_compat (400 response)
openwebui.background_task           provider/handler.py              test_compat (task signal)

Left where they are, with their own contract tests:
- LiteLLM's auth imports ``litellm.integrations.otel.logger`` on every request:
  tests/unit/test_litellm_auth_path.py.
- Agno's ``BaseDb`` session and run methods the store wraps (store.py): tests/unit/test_store.py
  (``test_every_agno_session_and_run_method_is_overridden_or_passed_through_on_purpose``).
- ``litellm.proxy._types`` (``ProxyException``, ``UserAPIKeyAuth``, ``LitellmUserRoles``),
  a private module name that LiteLLM's own docs import from: proxy/auth.py, proxy/hooks.py;
  any failure is an ImportError at start-up, covered by every proxy test.
"""
