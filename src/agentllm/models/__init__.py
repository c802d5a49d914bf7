"""Model selection: turn ``AGENTLLM_MODEL`` (or an agent's default) into a configured Agno model."""

from __future__ import annotations

import importlib
from typing import Any

from agno.models.base import Model
from agno.models.google import Gemini as AgnoGemini
from agno.models.openai import OpenAIChat as AgnoOpenAIChat
from agno.models.utils import get_model

from agentllm.config import OFFLINE_MODEL, ModelSource, Settings, settings
from agentllm.models.gemini import Gemini
from agentllm.models.local import (
    LLAMACPP_PREFIX,
    LocalModel,
    LocalModelUnavailable,
    is_local_spec,
    model_file,
)
from agentllm.models.offline import OfflineModel
from agentllm.models.openai import OpenAIChat

# Where each OpenAI sampling parameter lives on Agno's model classes, first match wins.
_PARAM_ATTRIBUTES: dict[str, tuple[str, ...]] = {
    "temperature": ("temperature",),
    "max_tokens": ("max_tokens", "max_output_tokens", "max_completion_tokens"),
    "top_p": ("top_p",),
    "stop": ("stop", "stop_sequences"),
    "seed": ("seed",),
}
# Ollama takes sampling parameters in an ``options`` dict, under its own names.
_OPTIONS_NAMES = {
    "temperature": "temperature",
    "max_tokens": "num_predict",
    "top_p": "top_p",
    "stop": "stop",
    "seed": "seed",
}


# Agno's model classes -> ours, which also report what Agno leaves out (the finish reason, the
# vendor's HTTP errors).
REPORTING_CLASSES: dict[type[Model], type[Model]] = {
    AgnoGemini: Gemini,
    AgnoOpenAIChat: OpenAIChat,
}


class ModelConfigError(RuntimeError):
    """The configured model string cannot be turned into a model."""


def apply_params(model: Model, params: dict[str, Any]) -> Model:
    """Set the non-None sampling ``params`` on ``model`` where its class supports them."""
    for name, value in params.items():
        if value is None:
            continue
        if name in ("stop",) and isinstance(value, str):
            value = [value]
        for attribute in _PARAM_ATTRIBUTES.get(name, (name,)):
            if hasattr(model, attribute):
                setattr(model, attribute, value)
                break
        else:
            if hasattr(model, "options") and name in _OPTIONS_NAMES:
                options = dict(model.options or {})
                options[_OPTIONS_NAMES[name]] = value
                model.options = options
    return model


PYTHON_PREFIX = "python:"


def python_model(spec: str) -> Model:
    """An instance of the Agno ``Model`` subclass named by ``python:package.module:ClassName``."""
    target = spec.removeprefix(PYTHON_PREFIX)
    module_name, _, class_name = target.partition(":")
    try:
        model_class = getattr(importlib.import_module(module_name), class_name)
    except (ImportError, AttributeError, ValueError) as exc:
        raise ModelConfigError(
            f"cannot import model class {target!r}: {exc}. Use python:package.module:ClassName"
        ) from exc
    if not (isinstance(model_class, type) and issubclass(model_class, Model)):
        raise ModelConfigError(f"{target!r} is not an Agno Model subclass")
    return model_class()  # type: ignore[call-arg]  # subclasses give `id` a default


def local_model(spec: str) -> LocalModel:
    """The in-process model ``spec`` names; fails now, saying how to install, if it cannot run."""
    try:
        path = model_file(spec)
    except LocalModelUnavailable as exc:
        raise ModelConfigError(str(exc)) from exc
    return LocalModel(path=str(path) if spec.startswith(LLAMACPP_PREFIX) else None)


def build_model(default: str, **params: Any) -> Model:
    """The model agents run on: ``AGENTLLM_MODEL`` if set, else ``default`` unless no key exists.

    ``default`` is an Agno ``provider:model_id`` string; ``params`` are OpenAI sampling parameters
    (``temperature``, ``max_tokens``, ``top_p``, ``stop``, ``seed``). ``AGENTLLM_MODEL`` may also be
    ``echo`` (the offline model), ``local`` or ``llamacpp:<file.gguf>`` (a model run in-process,
    agentllm.models.local) or ``python:package.module:ClassName`` (any Agno ``Model`` subclass
    that can be built without arguments).
    """
    config = settings()
    spec = default if config.model_source is ModelSource.GEMINI_DEFAULT else config.agent_model
    if spec == OFFLINE_MODEL:
        model: Model = OfflineModel(delay=config.echo_delay)
    elif is_local_spec(spec):
        model = local_model(spec)
    elif spec.startswith(PYTHON_PREFIX):
        model = python_model(spec)
    else:
        try:
            model = get_model(spec)  # type: ignore[assignment]
        except (ValueError, ImportError) as exc:
            raise ModelConfigError(
                f"cannot use model {spec!r}: {exc}. Set AGENTLLM_MODEL to 'echo' or a "
                "'provider:model_id' string such as 'google:gemini-2.5-flash'."
            ) from exc
        reporting = REPORTING_CLASSES.get(type(model))
        if reporting is not None:
            model = reporting(id=model.id)
        if isinstance(model, AgnoGemini):
            configure_gemini(model, config)
    return apply_params(model, params)


def configure_gemini(model: AgnoGemini, config: Settings) -> AgnoGemini:
    """Give Agno's Gemini the key and, if set, the base URL LiteLLM's Gemini entries use.

    ``GEMINI_API_BASE`` includes the API version (``https://generativelanguage.googleapis.com/v1beta``)
    as LiteLLM expects, so google-genai is told to add none of its own.
    """
    if config.gemini_api_key:
        model.api_key = config.gemini_api_key.get_secret_value()
    if config.gemini_api_base:
        model.client_params = {
            **(model.client_params or {}),
            "http_options": {"base_url": config.gemini_api_base, "api_version": ""},
        }
    return model
