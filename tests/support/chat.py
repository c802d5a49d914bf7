"""One chat turn through the proxy with the official openai client, streamed or not."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass
class Answer:
    """What the client received."""

    text: str
    finish: str | None
    usage: Any
    reasoning: str = ""
    pieces: list[str] = field(default_factory=list)


def ask(
    proxy,
    model: str,
    text: str = "When do we ship 2.0?",
    stream: bool = False,
    chat: str | None = None,
    on_first_piece=None,
    **params: Any,
) -> Answer:
    """One chat turn through the proxy with the openai client."""
    client = proxy.client()
    headers = {"X-Session-Id": chat} if chat else {}
    messages = [{"role": "user", "content": text}]
    if not stream:
        reply = client.chat.completions.create(
            model=model, messages=messages, extra_headers=headers, **params
        )
        message = reply.choices[0].message
        return Answer(
            text=message.content or "",
            finish=reply.choices[0].finish_reason,
            usage=reply.usage,
            reasoning=getattr(message, "reasoning_content", None) or "",
        )
    answer = Answer(text="", finish=None, usage=None)
    for chunk in client.chat.completions.create(
        model=model,
        messages=messages,
        stream=True,
        stream_options={"include_usage": True},
        extra_headers=headers,
        **params,
    ):
        answer.usage = chunk.usage or answer.usage
        if not chunk.choices:
            continue
        delta = chunk.choices[0].delta
        if delta.content:
            if not answer.pieces and on_first_piece:
                on_first_piece()
            answer.pieces.append(delta.content)
        answer.reasoning += getattr(delta, "reasoning_content", None) or ""
        answer.finish = chunk.choices[0].finish_reason or answer.finish
    answer.text = "".join(answer.pieces)
    return answer


def usage_of(answer: Answer) -> tuple[int, int, int]:
    u = answer.usage
    return (u.prompt_tokens, u.completion_tokens, u.total_tokens)
