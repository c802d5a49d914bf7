"""The in-process model (``AGENTLLM_MODEL=local``): real llama.cpp, the bundled SmolLM2 file,
loaded in the test's own process (``test_local_model.py`` runs it in the proxy).

Needs the optional ``local`` extra, which ``make test`` installs; every assertion is about
behaviour (chunks, usage, limits, turn-taking, cancellation), never about the model's wording.
"""

from __future__ import annotations

import asyncio
import copy
import threading
from dataclasses import dataclass

import pytest
from agno.exceptions import ContextWindowExceededError
from agno.models.message import Message

from agentllm.config import local_model_available
from agentllm.models import build_model, gguf
from agentllm.models import local as local_module
from agentllm.models.local import (
    LocalModel,
    load,
    model_file,
    template_messages,
)

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module", autouse=True)
def installed():
    # A missing extra is a failure here, not a skip: `make test` installs it.
    assert local_model_available(), "install the local model: `uv sync --extra local`"


def ask(text: str) -> list[Message]:
    return [Message(role="user", content=text)]


@dataclass
class Reply:
    """One streamed reply as the caller sees it: its chunks, usage and finish reason."""

    pieces: list[str]
    prompt_tokens: int
    completion_tokens: int
    finish_reason: str


async def stream(model: LocalModel, messages: list[Message]) -> Reply:
    """Stream one reply; the last delta carries the usage and the finish reason."""
    pieces: list[str] = []
    last = None
    async for delta in model.ainvoke_stream(messages, Message(role="assistant")):
        if delta.content:
            pieces.append(delta.content)
        last = delta
    assert last is not None and last.response_usage is not None and last.provider_data
    usage = last.response_usage
    assert usage.total_tokens == usage.input_tokens + usage.output_tokens
    return Reply(
        pieces, usage.input_tokens, usage.output_tokens, last.provider_data["finish_reason"]
    )


async def test_streams_a_reply_in_several_chunks_with_usage():
    reply = await stream(LocalModel(max_tokens=40), ask("Name three colours."))
    assert len(reply.pieces) > 1
    assert "".join(reply.pieces).strip()
    assert reply.prompt_tokens > 0
    assert 0 < reply.completion_tokens <= 40
    assert reply.finish_reason in ("stop", "length")


async def test_max_tokens_ends_the_reply_with_length():
    reply = await stream(
        LocalModel(max_tokens=5), ask("Write a long story about a lighthouse keeper.")
    )
    assert reply.finish_reason == "length"
    assert reply.completion_tokens == 5
    assert 1 <= len(reply.pieces) <= 5


def test_sync_invoke_gives_the_whole_reply_and_usage():
    response = LocalModel(max_tokens=8).invoke(
        ask("Write a long story about a dragon."), Message(role="assistant")
    )
    assert response.content
    assert response.response_usage is not None
    assert 0 < response.response_usage.output_tokens <= 8
    assert response.provider_data == {"finish_reason": "length"}


async def test_temperature_zero_is_deterministic_and_seeded_sampling_repeats():
    prompt = ask("Describe the sea in one sentence.")
    greedy = [await stream(LocalModel(temperature=0.0, max_tokens=20), prompt) for _ in (1, 2)]
    assert greedy[0].pieces == greedy[1].pieces
    seeded = [
        await stream(LocalModel(temperature=1.5, seed=7, max_tokens=20), prompt) for _ in (1, 2)
    ]
    assert seeded[0].pieces == seeded[1].pieces


async def test_the_second_turn_reaches_the_model_with_the_first():
    model = LocalModel(temperature=0.0, max_tokens=20)
    first_question = "My name is Ada. Say hello."
    first = await stream(model, ask(first_question))
    answer = "".join(first.pieces)
    history = [
        Message(role="user", content=first_question),
        Message(role="assistant", content=answer),
        Message(role="user", content="What is my name?"),
    ]
    prompt = model.loaded().render(template_messages(history))
    assert first_question in prompt and answer.strip() in prompt
    second = await stream(model, history)
    # The second prompt holds the first question and answer, so it is longer than both together.
    assert second.prompt_tokens > first.prompt_tokens + len(first.pieces)


async def test_concurrent_generations_on_one_model_take_turns():
    model_a, model_b = LocalModel(max_tokens=12), LocalModel(max_tokens=12)
    loaded = model_a.loaded()
    assert model_b.loaded() is loaded  # loaded once per process, shared
    original = loaded.lock
    both_asked = threading.Barrier(2, timeout=60)

    class Watched:
        """The loaded model's lock, noting who waits for it and how many hold it at once."""

        holders = 0
        most = 0
        waited = 0

        def __enter__(self):
            both_asked.wait()  # the two requests reach the model before either gets it
            if not original.acquire(blocking=False):
                Watched.waited += 1
                original.acquire()
            Watched.holders += 1
            Watched.most = max(Watched.most, Watched.holders)

        def __exit__(self, *exc):
            Watched.holders -= 1
            original.release()

    started = loaded.started
    loaded.lock = Watched()  # type: ignore[assignment]
    try:
        results = await asyncio.gather(
            stream(model_a, ask("Count to five.")), stream(model_b, ask("Name two fruits."))
        )
    finally:
        loaded.lock = original
    assert Watched.most == 1  # never two generations at once
    assert Watched.waited == 1  # one request queued behind the other...
    assert loaded.started == started + 2  # ...and then ran: neither failed
    assert all(r.pieces and r.completion_tokens > 0 for r in results)
    assert all(r.finish_reason in ("stop", "length") for r in results)


async def test_a_reader_that_leaves_stops_the_generation():
    model = LocalModel(temperature=0.8, seed=1, max_tokens=400)
    loaded = model.loaded()
    replies = model.ainvoke_stream(
        ask("Write a very long story about a cat."), Message(role="assistant")
    )
    received = 0
    async for delta in replies:
        received += bool(delta.content)
        if received == 3:
            break
    await replies.aclose()
    # The worker thread ends its turn by releasing the lock: wait for that, then look.
    freed = await asyncio.to_thread(loaded.lock.acquire, True, 60)
    assert freed
    loaded.lock.release()
    record = loaded.generations[-1]
    assert record.finish_reason == "cancelled"
    assert record.completion_tokens < 400
    # The model is free for the next request.
    after = await stream(LocalModel(max_tokens=3), ask("Hi"))
    assert after.finish_reason in ("stop", "length")


async def test_a_cancelled_task_stops_the_generation():
    model = LocalModel(temperature=0.8, seed=2, max_tokens=400)
    loaded = model.loaded()
    got_some = asyncio.Event()

    async def read():
        async for delta in model.ainvoke_stream(
            ask("Write a very long story about a dog."), Message(role="assistant")
        ):
            if delta.content:
                got_some.set()

    task = asyncio.create_task(read())
    await got_some.wait()
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    freed = await asyncio.to_thread(loaded.lock.acquire, True, 60)
    assert freed
    loaded.lock.release()
    record = loaded.generations[-1]
    assert record.finish_reason == "cancelled"
    assert record.completion_tokens < 400


def test_the_model_file_is_loaded_once_per_process():
    path = model_file("local")
    assert load(path) is load(path)
    assert LocalModel().loaded() is load(path)


def test_any_gguf_file_by_path(monkeypatch):
    path = model_file("local")
    monkeypatch.setenv("AGENTLLM_MODEL", f"llamacpp:{path}")
    model = build_model("google:gemini-2.5-flash", max_tokens=4)
    assert isinstance(model, LocalModel) and model.loaded().path == path


async def test_a_conversation_past_the_context_window_is_refused_not_cut():
    model = LocalModel(max_tokens=local_module.CONTEXT_TOKENS)
    with pytest.raises(ContextWindowExceededError, match="context window"):
        await stream(model, ask("Hello"))
    # The refusal released the model.
    assert (await stream(LocalModel(max_tokens=2), ask("Hi"))).completion_tokens > 0


def test_copies_of_a_model_share_the_loaded_file():
    # Agno deep-copies models; the copy must not load the file again or get its own lock.
    model = LocalModel(max_tokens=3)
    loaded = model.loaded()
    twin = copy.deepcopy(model)
    assert twin.loaded() is loaded and twin.loaded().lock is loaded.lock
    assert twin.max_tokens == 3


async def test_an_unset_max_tokens_takes_the_room_left_in_the_context():
    long_prompt = ask("word " * (local_module.CONTEXT_TOKENS - 150))
    reply = await stream(LocalModel(temperature=0.0), long_prompt)
    assert reply.prompt_tokens + reply.completion_tokens <= local_module.CONTEXT_TOKENS
    with pytest.raises(ContextWindowExceededError):
        await stream(LocalModel(max_tokens=local_module.DEFAULT_MAX_TOKENS), long_prompt)


def test_exit_does_not_free_a_model_under_a_running_generation(monkeypatch):
    loaded = load(model_file("local"))
    monkeypatch.setattr(gguf, "CLOSE_WAIT_SECONDS", 0.01)
    with loaded.lock:  # a generation holds the model, as a reply still streaming at exit would
        gguf._close_all()
        assert loaded.llama.tokenize(b"still loaded")  # not freed under the generation
    loaded.llama.close()
    assert load(model_file("local")) is not loaded  # the next use loads it again
