"""What goes wrong, and how the client hears of it: each failure a request can meet as the
LiteLLM exception the proxy answers with the right HTTP status (400 bad request, 404 unknown
agent, 429 busy or rate-limited, 502/503/504 upstream and store), with a message that says what
to do. ``run_failure`` maps an Agno run failure; the rest are one constructor per situation.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import httpx
import litellm
from agno.run.agent import RunEvent
from agno.run.team import TeamRunEvent

from agentllm.provider.types import PROVIDER, RequestError, model_name
from agentllm.upstream import CARRIED, ClientReply, for_client

# Last resort, for failures no model of ours carried (Agno's own, or an Agno model class that is
# not ours): their events keep only Agno's type slug, the same for a 429 and a 500, and the text.
_RATE_LIMIT_HINTS = (
    "429",
    "rate limit",
    "rate_limit",
    "resource_exhausted",
    "quota",
    "too many requests",
)
_AUTH_HINTS = (
    "401",
    "403",
    "api key",
    "api_key",
    "unauthorized",
    "unauthenticated",
    "permission denied",
    "invalid authentication",
)
_TIMEOUT_HINTS = ("timeout", "timed out", "deadline exceeded", "deadline_exceeded")
_CONTEXT_HINTS = ("context window", "context_length", "maximum context length", "too many tokens")


class AgentTimeout(litellm.Timeout):
    """An agent run that took too long: HTTP 504, as a gateway whose upstream timed out."""

    def __init__(self, message: str, model: str) -> None:
        super().__init__(message=message, model=model, llm_provider=PROVIDER)
        self.status_code = 504


_ERROR_EVENTS = (RunEvent.run_error.value, TeamRunEvent.run_error.value)


def _error_message(failure: Any) -> str:
    """What Agno kept of the exception behind ``failure``: ``str()`` of it."""
    # A run output whose status is error keeps its error event; its content may be partial text.
    for event in reversed(getattr(failure, "events", None) or []):
        if getattr(event, "event", None) in _ERROR_EVENTS:
            return str(event.content or "")
    # Workflow and step error events name it ``error``; agent and team ones, ``content``.
    return str(getattr(failure, "error", None) or getattr(failure, "content", None) or "")


def run_failure(event: Any, model: str) -> Exception:
    """The LiteLLM exception for a failed run: Agno's error event (agent, team, workflow, step)
    or a run output whose status is error.

    An upstream HTTP error one of our models raised is found in ``CARRIED`` by the token its
    message ends with, and answered from its attributes; anything else from Agno's error type,
    with hints in the text as the last resort.
    """
    message = _error_message(event)
    upstream = CARRIED.find(message)
    if upstream is not None:
        return client_error(for_client(upstream), model)
    return _not_carried(getattr(event, "error_type", None), message, model)


def _not_carried(error_type: str | None, message: str, model: str) -> Exception:
    kind = (error_type or "").lower()
    text = message.lower()
    detail = f"agent {model!r} failed: {message or 'the run failed'}"
    if kind == "model_authentication_error" or any(h in text for h in _AUTH_HINTS):
        return litellm.AuthenticationError(message=detail, llm_provider=PROVIDER, model=model)
    if "ratelimit" in kind or "rate_limit" in kind or any(h in text for h in _RATE_LIMIT_HINTS):
        return litellm.RateLimitError(message=detail, llm_provider=PROVIDER, model=model)
    if "timeout" in kind or any(h in text for h in _TIMEOUT_HINTS):
        return AgentTimeout(detail, model)
    if "context_window" in kind or any(h in text for h in _CONTEXT_HINTS):
        return litellm.ContextWindowExceededError(
            message=detail, llm_provider=PROVIDER, model=model
        )
    return litellm.BadGatewayError(
        message=f"{detail}; retry the message", llm_provider=PROVIDER, model=model
    )


def client_error(reply: ClientReply, model: str) -> Exception:
    """The LiteLLM exception that answers with ``reply`` (status, message, ``Retry-After``)."""
    message = f"agent {model!r}: {reply.message}"
    status = reply.status
    if status == 401:
        return litellm.AuthenticationError(message=message, llm_provider=PROVIDER, model=model)
    if status == 403:
        return litellm.PermissionDeniedError(
            message=message,
            llm_provider=PROVIDER,
            model=model,
            response=httpx.Response(403, request=httpx.Request("POST", "http://agentllm")),
        )
    if status == 429:
        headers = {"retry-after": str(reply.retry_after)} if reply.retry_after else None
        return litellm.RateLimitError(
            message=message, llm_provider=PROVIDER, model=model, headers=headers
        )
    if status == 400:
        return litellm.BadRequestError(message=message, llm_provider=PROVIDER, model=model)
    if status == 503:
        return litellm.ServiceUnavailableError(message=message, llm_provider=PROVIDER, model=model)
    if status == 504:
        return AgentTimeout(message, model)
    return litellm.BadGatewayError(message=message, llm_provider=PROVIDER, model=model)


def bad_request(error: RequestError, model: str) -> Exception:
    """A ``RequestError`` as the LiteLLM exception the proxy answers with HTTP 400."""
    return litellm.BadRequestError(message=error.message, model=model, llm_provider=PROVIDER)


def unknown_agent(name: str, available: Sequence[str]) -> Exception:
    """HTTP 404 naming the agents that exist."""
    listing = ", ".join(model_name(a) for a in available) or "none"
    return litellm.NotFoundError(
        message=f"unknown agent {model_name(name)!r}; available: {listing}",
        model=model_name(name),
        llm_provider=PROVIDER,
    )


def no_final_output(model: str) -> Exception:
    """HTTP 502: Agno's stream ended without the run's final output (nothing says it finished)."""
    return litellm.BadGatewayError(
        message=f"agent {model!r} stopped without finishing its run; retry the message",
        model=model,
        llm_provider=PROVIDER,
    )


def conversation_busy(model: str, seconds: float) -> Exception:
    """HTTP 429: another turn of the same conversation held it for the whole time limit."""
    return litellm.RateLimitError(
        message=f"another turn of this conversation with {model!r} has been running for "
        f"{seconds:g} s; retry once it has finished",
        model=model,
        llm_provider=PROVIDER,
    )


def store_unavailable(model: str) -> Exception:
    """HTTP 503: the conversation database cannot be reached."""
    return litellm.ServiceUnavailableError(
        message=f"agent {model!r} cannot reach its conversation database; nothing was stored, "
        "retry shortly (details in the proxy log)",
        model=model,
        llm_provider=PROVIDER,
    )


def is_database_unavailable(exc: BaseException) -> bool:
    """Whether ``exc`` says the database could not be reached (not that it refused a write)."""
    from psycopg import OperationalError as PgOperationalError
    from sqlalchemy.exc import DBAPIError

    if isinstance(exc, PgOperationalError):
        return True
    return isinstance(exc, DBAPIError) and (
        exc.connection_invalidated or isinstance(exc.orig, PgOperationalError)
    )


def not_stored(model: str) -> Exception:
    """HTTP 503: the agent answered but the turn could not be committed to the database."""
    return litellm.ServiceUnavailableError(
        message=f"agent {model!r} answered, but the turn could not be stored; the conversation "
        "on disk is unchanged, retry the message (details in the proxy log)",
        model=model,
        llm_provider=PROVIDER,
    )
