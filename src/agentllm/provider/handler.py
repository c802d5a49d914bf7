"""The LiteLLM ``CustomLLM`` that runs Agno agents: referenced from ``proxy_config.yaml`` as
``agentllm.provider.handler.agno_llm`` under ``litellm_settings.custom_provider_map``.

It owns the agents, the conversation locks and the event loop side; everything it translates is
done by the pure functions in ``transformation``, ``identity`` and ``conversation``.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator, Callable, Iterable, Iterator
from contextlib import asynccontextmanager, contextmanager
from dataclasses import dataclass
from typing import Any

from agno.models.message import Message
from agno.team import Team
from agno.workflow import Workflow
from litellm.llms.custom_llm import CustomLLM
from litellm.types.utils import GenericStreamingChunk, ModelResponse, ModelResponseStream

from agentllm import agents
from agentllm.config import Settings, settings
from agentllm.locks import LocalLocks, LockTimeout
from agentllm.provider.agent_cache import REQUEST_SYSTEM_KEY, AgentCache
from agentllm.provider.conversation import Plan, needs_stored_runs, reconcile, spelled_out
from agentllm.provider.errors import (
    AgentTimeout,
    RequestError,
    bad_request,
    conversation_busy,
    is_database_unavailable,
    no_final_output,
    not_stored,
    store_unavailable,
    unknown_agent,
)
from agentllm.provider.identity import RequestIdentity, parse_identity
from agentllm.provider.images import (
    ImageLimits,
    accepts_images,
    no_images,
)
from agentllm.provider.runs import (
    Runner,
    completed_turns,
    mark_superseded,
    run_input,
    session_runs,
)
from agentllm.provider.tool_calls import Display, ToolView, display_for
from agentllm.provider.transformation import (
    ChatRequest,
    Finished,
    Item,
    parse_request,
    run_item,
    stream_chunk,
    whole_reply,
)
from agentllm.provider.workflows import WorkflowReply
from agentllm.provider.workflows import no_images as workflow_no_images
from agentllm.store import ConversationStore, TurnWrites


@dataclass(frozen=True)
class PreparedRun:
    """Everything needed to start one agent run."""

    request: ChatRequest
    identity: RequestIdentity
    agent: Runner
    model: str
    timeout: float
    # How the tools the agent runs are shown in its reply.
    display: Display = "off"

    @property
    def session_id(self) -> str | None:
        if self.request.is_background_task:
            return None
        return self.identity.session_id_for(self.request.agent)


def _translator(run: PreparedRun) -> Callable[[Any], Iterable[Item]]:
    """How this run's Agno events become reply items (a workflow's depend on its steps)."""
    if isinstance(run.agent, Workflow):
        return WorkflowReply(run.agent, run.model).items
    team = isinstance(run.agent, Team)

    def items(event: Any) -> Iterable[Item]:
        item = run_item(event, run.model, team)
        return () if item is None else (item,)

    return items


class AgnoLLM(CustomLLM):
    """Serves every registered agent as ``agno/<name>``."""

    def __init__(self, config: Settings | None = None) -> None:
        super().__init__()
        self._config = config
        self._agents: AgentCache | None = None
        # Conversations of agents whose database is not a ConversationStore: this process only.
        self.locks = LocalLocks()

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

    # --- request preparation (shared by the four entry points) ---------------------------------

    def prepare(
        self, model: str, messages: list, optional_params: dict, litellm_params: dict | None
    ) -> PreparedRun:
        """Validate the request and pick the agent; raises LiteLLM 400/404 exceptions."""
        limits = ImageLimits(self.config.max_image_bytes, self.config.max_images)
        try:
            request = parse_request(model, messages, optional_params, limits)
            identity = parse_identity(litellm_params, self.config.trust_openwebui_headers)
        except RequestError as exc:
            raise bad_request(exc, model) from None
        stateful = identity.chat_id is not None and not request.is_background_task
        try:
            spec = agents.get_spec(request.agent)
        except KeyError:
            raise unknown_agent(request.agent, agents.agent_names()) from None
        agent = self.agents.get(request.agent, request.params, stateful)
        if request.has_images:
            if isinstance(agent, Workflow):
                message = workflow_no_images(f"agno/{request.agent}")
                raise bad_request(RequestError(message, "messages"), model)
            if not accepts_images(agent.model):
                message = no_images(f"agno/{request.agent}", agent.model)
                raise bad_request(RequestError(message, "messages"), model)
        return PreparedRun(
            request=request,
            identity=identity,
            agent=agent,
            model=f"agno/{request.agent}",
            timeout=spec.timeout or self.config.request_timeout,
            display=display_for(self.config.tool_display, identity.open_webui),
        )

    def _plan(self, run: PreparedRun) -> tuple[Runner, str | list[Message], dict[str, Any]]:
        """Reconcile with the stored conversation (caller holds its lock) and build the run call."""
        request, session_id = run.request, run.session_id
        workflow = isinstance(run.agent, Workflow)
        if session_id is None:
            plan = Plan(use_stored_history=False, record=request.history)
        else:
            full, user_id = run.identity.sends_full_history, run.identity.user_id
            # Reading the store is skipped when the plan cannot depend on it (Agno reads it
            # anyway); a workflow does not read its history, so it is given all of it.
            runs = (
                session_runs(run.agent, session_id, user_id)
                if workflow or needs_stored_runs(request.history, full)
                else []
            )
            stored = completed_turns(runs)
            plan = reconcile(stored, request.history, full)
            if workflow:
                plan = spelled_out(plan, stored)
            mark_superseded(run.agent, session_id, user_id, runs, plan.superseded)
        kwargs: dict[str, Any] = {
            "stream": True,
            # Tool calls arrive as events only with stream_events (so do Agno's step events).
            "stream_events": True,
            "user_id": run.identity.user_id,
        }
        if session_id is not None:
            kwargs["session_id"] = session_id
        messages = run_input(request, plan)
        if workflow:
            # Its first step gets the conversation (the request's system messages first).
            system = [Message(role="system", content=text) for text in request.system]
            return run.agent, system + messages, kwargs
        kwargs["yield_run_output"] = True
        kwargs["add_history_to_context"] = plan.use_stored_history
        if request.system:
            kwargs["metadata"] = {REQUEST_SYSTEM_KEY: list(request.system)}
        if not isinstance(run.agent, Team):
            return run.agent, messages, kwargs
        # A team takes one message per run (it flattens a list into one); earlier turns reach its
        # leader as the team's additional input, on a copy for this run only.
        *earlier, newest = messages
        team = run.agent.deep_copy(update={"additional_input": earlier}) if earlier else run.agent
        # Its images go beside the text: a team stores an input message's images as bytes
        # (its run then cannot be written), but the images of a run as references.
        kwargs["images"] = newest.images
        return team, newest.get_content_string(), kwargs

    @asynccontextmanager
    async def _aturn(self, run: PreparedRun) -> AsyncIterator[TurnWrites | None]:
        """Hold the conversation for the whole turn; yields the record of its writes."""
        session_id, db = run.session_id, run.agent.db
        try:
            if session_id is None:
                yield None
            elif isinstance(db, ConversationStore):
                async with db.aturn(session_id, run.timeout) as writes:
                    yield writes
            else:
                async with self.locks.hold(session_id, run.timeout):
                    yield None
        except LockTimeout:
            raise conversation_busy(run.model, run.timeout) from None

    @contextmanager
    def _turn(self, run: PreparedRun) -> Iterator[TurnWrites | None]:
        """:meth:`_aturn` for the synchronous path."""
        session_id, db = run.session_id, run.agent.db
        try:
            if session_id is None:
                yield None
            elif isinstance(db, ConversationStore):
                with db.turn(session_id, run.timeout) as writes:
                    yield writes
            else:
                with self.locks.hold_sync(session_id, run.timeout):
                    yield None
        except LockTimeout:
            raise conversation_busy(run.model, run.timeout) from None

    @staticmethod
    def _ended(run: PreparedRun, finished: Finished | None, writes: TurnWrites | None) -> Finished:
        """The run's end, once it is certain the turn is stored; else the error to answer."""
        if finished is None:
            raise no_final_output(run.model)
        if writes is not None and not writes.stored:
            raise not_stored(run.model)
        return finished

    # --- async ------------------------------------------------------------------------------

    async def _aevents(self, run: PreparedRun) -> AsyncIterator[Item]:
        try:
            async with self._aturn(run) as writes:
                runner, messages, kwargs = self._plan(run)
                translate = _translator(run)
                stream = runner.arun(messages, **kwargs)
                try:
                    async with asyncio.timeout(run.timeout):
                        finished = None
                        async for event in stream:
                            for item in translate(event):
                                if isinstance(item, Finished):
                                    finished = item  # Agno's last event: its stream ends here
                                else:
                                    yield item
                        yield self._ended(run, finished, writes)
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
        except Exception as exc:
            if is_database_unavailable(exc):
                raise store_unavailable(run.model) from None
            raise

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
        items = [item async for item in self._aevents(run)]
        return whole_reply(model_response, run.model, items, ToolView(run.display))

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
    ) -> AsyncIterator[GenericStreamingChunk | ModelResponseStream]:
        # A plain function returning the stream, so a bad request fails before the stream starts.
        run = self.prepare(model, messages, optional_params, litellm_params)
        return self._achunks(run)

    async def _achunks(
        self, run: PreparedRun
    ) -> AsyncIterator[GenericStreamingChunk | ModelResponseStream]:
        stream_id, view = f"chatcmpl-{uuid.uuid4()}", ToolView(run.display)
        async for item in self._aevents(run):
            if (chunk := stream_chunk(item, stream_id, view)) is not None:
                yield chunk

    # --- sync -------------------------------------------------------------------------------

    def _events(self, run: PreparedRun) -> Iterator[Item]:
        try:
            with self._turn(run) as writes:
                runner, messages, kwargs = self._plan(run)
                translate, finished = _translator(run), None
                for event in runner.run(messages, **kwargs):
                    for item in translate(event):
                        if isinstance(item, Finished):
                            finished = item
                        else:
                            yield item
                yield self._ended(run, finished, writes)
        except Exception as exc:
            if is_database_unavailable(exc):
                raise store_unavailable(run.model) from None
            raise

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
        items = list(self._events(run))
        return whole_reply(model_response, run.model, items, ToolView(run.display))

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
    ) -> Iterator[GenericStreamingChunk | ModelResponseStream]:
        run = self.prepare(model, messages, optional_params, litellm_params)
        return self._chunks(run)

    def _chunks(self, run: PreparedRun) -> Iterator[GenericStreamingChunk | ModelResponseStream]:
        stream_id, view = f"chatcmpl-{uuid.uuid4()}", ToolView(run.display)
        for item in self._events(run):
            if (chunk := stream_chunk(item, stream_id, view)) is not None:
                yield chunk


agno_llm = AgnoLLM()
