"""The LiteLLM ``CustomLLM`` that runs Agno agents: referenced from ``proxy_config.yaml`` as
``agentllm.provider.handler.agno_llm`` under ``litellm_settings.custom_provider_map``.

One path serves every request (docs/architecture.md): validate (``request``, ``identity``), get
the built agent (``agent_cache``, off the loop), hold the conversation (``storage``), plan the turn
(``conversation``, pure), run it (``kinds``), and turn its items into LiteLLM's types (``reply``).
The synchronous entry points drive the same async path (``bridge``).
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import AbstractAsyncContextManager, nullcontext
from dataclasses import dataclass, replace
from typing import Any

from litellm.llms.custom_llm import CustomLLM
from litellm.types.utils import GenericStreamingChunk, ModelResponse, ModelResponseStream

from agentllm import agents
from agentllm.compat.litellm import request_headers
from agentllm.compat.openwebui import background_task
from agentllm.config import Settings, settings
from agentllm.locks import LocalLocks, LockTimeout
from agentllm.provider.agent_cache import AgentCache, Served
from agentllm.provider.bridge import SyncBridge
from agentllm.provider.conversation import Plan, needs_stored_runs, plan_turn
from agentllm.provider.errors import (
    AgentTimeout,
    bad_request,
    conversation_busy,
    is_database_unavailable,
    no_final_output,
    not_stored,
    store_unavailable,
    unknown_agent,
)
from agentllm.provider.identity import RequestIdentity, parse_identity
from agentllm.provider.kinds import Call
from agentllm.provider.reply import stream_chunks, whole_reply
from agentllm.provider.request import parse_request
from agentllm.provider.storage import TurnStorage, turn_storage
from agentllm.provider.tool_calls import ToolView, display_for
from agentllm.provider.types import (
    ChatRequest,
    Display,
    Finished,
    ImageLimits,
    Item,
    RequestError,
)

Chunk = GenericStreamingChunk | ModelResponseStream


@dataclass(frozen=True)
class PreparedRun:
    """A validated request: everything needed to run one turn."""

    request: ChatRequest
    identity: RequestIdentity
    timeout: float
    # How the tools the agent runs are shown in its reply.
    display: Display = "off"

    @property
    def model(self) -> str:
        return self.request.model

    @property
    def session_id(self) -> str | None:
        """The stored conversation this turn belongs to; None: nothing is stored."""
        if self.request.background_task:
            return None
        return self.identity.session_id_for(self.request.agent)


class AgnoLLM(CustomLLM):
    """Serves every registered agent as ``agno/<name>``."""

    def __init__(self, config: Settings | None = None) -> None:
        super().__init__()
        self._config = config
        self._agents: AgentCache | None = None
        # Conversations of agents whose database is not a ConversationStore: this process only.
        self.locks = LocalLocks()
        self._sync = SyncBridge()

    @property
    def config(self) -> Settings:
        if self._config is None:
            self._config = settings()
        return self._config

    @property
    def agents(self) -> AgentCache:
        if self._agents is None:
            self._agents = AgentCache(self.config.agent_cache_size)
        return self._agents

    # --- one turn -------------------------------------------------------------------------------

    def prepare(
        self, model: str, messages: list, optional_params: dict, litellm_params: dict | None
    ) -> PreparedRun:
        """Validate the request and find its agent; raises LiteLLM 400/404 exceptions."""
        limits = ImageLimits(self.config.max_image_bytes, self.config.max_images)
        try:
            request = parse_request(model, messages, optional_params, limits)
            identity = parse_identity(litellm_params, self.config.trust_openwebui_headers)
        except RequestError as exc:
            raise bad_request(exc, model) from None
        if not request.history and background_task(
            request_headers(litellm_params), request.message, self.config.background_task_pattern
        ):
            request = replace(request, background_task=True)
        try:
            spec = agents.get_spec(request.agent)
        except KeyError:
            raise unknown_agent(request.agent, agents.agent_names()) from None
        return PreparedRun(
            request=request,
            identity=identity,
            timeout=spec.timeout or self.config.request_timeout,
            display=display_for(self.config.tool_display, identity.open_webui),
        )

    async def _served(self, run: PreparedRun) -> Served:
        """The built agent for ``run`` (built off the loop on first use); refuses what it cannot
        take."""
        stateful = run.session_id is not None
        served = await self.agents.get(run.request.agent, run.request.params, stateful)
        if run.request.has_images:
            reason = served.kind.refuses_images(served.runner, run.model)
            if reason is not None:
                raise bad_request(RequestError(reason, "messages"), run.model)
        return served

    def _storage(
        self, run: PreparedRun, served: Served
    ) -> AbstractAsyncContextManager[TurnStorage | None]:
        """Hold the conversation for the whole turn (nothing to hold without a session)."""
        if run.session_id is None:
            return nullcontext(None)
        return turn_storage(
            served.db,
            run.session_id,
            run.identity.user_id,
            served.kind.session_type,
            self.locks,
            run.timeout,
        )

    @staticmethod
    async def _call(run: PreparedRun, served: Served, storage: TurnStorage | None) -> Call:
        """Plan the turn against the stored conversation and build the run call."""
        request, kind = run.request, served.kind
        if storage is None:
            plan = Plan(use_stored_history=False, record=request.history)
        else:
            full = run.identity.sends_full_history
            # Read once, off the loop; Agno's own read of the session is served from it.
            needed = not kind.reads_own_history or needs_stored_runs(request.history, full)
            # Without history to reconcile, the agent sees only its window of the stored runs:
            # no more is read, so a turn costs the same however long the conversation is.
            runs = await storage.runs(None if needed else kind.history_window(served.runner))
            stored = kind.turns(runs) if needed else []
            plan = plan_turn(stored, request.history, full, kind.reads_own_history)
            await storage.supersede(runs, plan.superseded)
        kwargs: dict[str, Any] = {
            "stream": True,
            # Tool calls arrive as events only with stream_events (so do Agno's step events).
            "stream_events": True,
            "user_id": run.identity.user_id,
        }
        if run.session_id is not None:
            kwargs["session_id"] = run.session_id
        return kind.call(served.runner, request, plan, kwargs)

    async def events(self, run: PreparedRun) -> AsyncIterator[Item]:
        """The turn's reply items; the run's end (``Finished``) comes last, once it is stored."""
        try:
            served = await self._served(run)
            async with self._storage(run, served) as storage:
                target, given, kwargs = await self._call(run, served, storage)
                translate = served.kind.translator(served.runner, run.model)
                stream: Any = target.arun(given, **kwargs)
                try:
                    async with asyncio.timeout(run.timeout):
                        finished = None
                        async for event in stream:
                            for item in translate(event):
                                if isinstance(item, Finished):
                                    finished = item  # Agno's last event: its stream ends here
                                else:
                                    yield item
                        if storage is not None:
                            await storage.flush()
                        yield _ended(run, finished, storage)
                except TimeoutError:
                    raise AgentTimeout(
                        f"agent {run.model!r} did not finish within {run.timeout:g} s "
                        "(AGENTLLM_REQUEST_TIMEOUT, or the agent's own timeout)",
                        run.model,
                    ) from None
                finally:
                    # Close Agno's stream now, in this task, so that a failed, timed-out or
                    # disconnected run leaves nothing running behind it.
                    await stream.aclose()
        except LockTimeout:
            raise conversation_busy(run.model, run.timeout) from None
        except Exception as exc:
            if is_database_unavailable(exc):
                raise store_unavailable(run.model) from None
            raise

    async def _reply(self, run: PreparedRun, response: ModelResponse) -> ModelResponse:
        items = [item async for item in self.events(run)]
        return whole_reply(response, run.model, items, ToolView(run.display))

    def _chunks(self, run: PreparedRun) -> AsyncIterator[Chunk]:
        return stream_chunks(self.events(run), f"chatcmpl-{uuid.uuid4()}", ToolView(run.display))

    # --- LiteLLM's entry points -----------------------------------------------------------------

    async def acompletion(
        self,
        model: str,
        messages: list,
        api_base: str,
        custom_prompt_dict: dict,
        model_response: ModelResponse,
        print_verbose: Callable,
        encoding: Any,
        api_key: Any,
        logging_obj: Any,
        optional_params: dict,
        acompletion: Any = None,
        litellm_params: Any = None,
        logger_fn: Any = None,
        headers: Any = None,
        timeout: Any = None,
        client: Any = None,
    ) -> ModelResponse:
        run = self.prepare(model, messages, optional_params, litellm_params)
        return await self._reply(run, model_response)

    def astreaming(  # type: ignore[override]
        self,
        model: str,
        messages: list,
        api_base: str,
        custom_prompt_dict: dict,
        model_response: ModelResponse,
        print_verbose: Callable,
        encoding: Any,
        api_key: Any,
        logging_obj: Any,
        optional_params: dict,
        acompletion: Any = None,
        litellm_params: Any = None,
        logger_fn: Any = None,
        headers: Any = None,
        timeout: Any = None,
        client: Any = None,
    ) -> AsyncIterator[Chunk]:
        # A plain function returning the stream, so a bad request fails before the stream starts.
        run = self.prepare(model, messages, optional_params, litellm_params)
        return self._chunks(run)

    def completion(
        self,
        model: str,
        messages: list,
        api_base: str,
        custom_prompt_dict: dict,
        model_response: ModelResponse,
        print_verbose: Callable,
        encoding: Any,
        api_key: Any,
        logging_obj: Any,
        optional_params: dict,
        acompletion: Any = None,
        litellm_params: Any = None,
        logger_fn: Any = None,
        headers: Any = None,
        timeout: Any = None,
        client: Any = None,
    ) -> ModelResponse:
        run = self.prepare(model, messages, optional_params, litellm_params)
        return self._sync.run(self._reply(run, model_response))

    def streaming(  # type: ignore[override]
        self,
        model: str,
        messages: list,
        api_base: str,
        custom_prompt_dict: dict,
        model_response: ModelResponse,
        print_verbose: Callable,
        encoding: Any,
        api_key: Any,
        logging_obj: Any,
        optional_params: dict,
        acompletion: Any = None,
        litellm_params: Any = None,
        logger_fn: Any = None,
        headers: Any = None,
        timeout: Any = None,
        client: Any = None,
    ) -> Iterator[Chunk]:
        run = self.prepare(model, messages, optional_params, litellm_params)
        return self._sync.iterate(self._chunks(run))


def _ended(run: PreparedRun, finished: Finished | None, storage: TurnStorage | None) -> Finished:
    """The run's end, once it is certain the turn is stored; else the error to answer."""
    if finished is None:
        raise no_final_output(run.model)
    if storage is not None and not storage.stored:
        raise not_stored(run.model)
    return finished


agno_llm = AgnoLLM()
