"""Tools shared by agents.

Agno's own ``read_chat_history=True`` builds a new closure, and so a new tool schema, on every run
(about a quarter of a stored turn's cost here, docs/BENCHMARKS.md). The same tool as a module
function is derived once and reused: Agno injects ``agent`` and ``run_context`` per call.
"""

from __future__ import annotations

import json
from typing import Any

from agno.agent import Agent
from agno.db.base import SessionType
from agno.run import RunContext


def get_chat_history(agent: Agent, run_context: RunContext, num_chats: int | None = None) -> str:
    """Use this function to get the chat history between the user and agent.

    Args:
        num_chats: The number of chats to return.
            Each chat contains 2 messages. One from the user and one from the agent.
            Default: None

    Returns:
        str: A JSON of a list of dictionaries representing the chat history.

    Example:
        - To get the last chat, use num_chats=1.
        - To get the last 5 chats, use num_chats=5.
        - To get all chats, use num_chats=None.
        - To get the first chat, use num_chats=None and pick the first message.
    """
    session: Any = None
    if agent.db is not None and run_context.session_id:
        session = agent.db.get_session(
            session_id=run_context.session_id,
            session_type=SessionType.AGENT,
            user_id=run_context.user_id,
        )
    history = [message.to_dict() for message in (session.get_messages() if session else [])]
    if num_chats is not None:
        history = history[-num_chats:]
    return json.dumps(history, ensure_ascii=False)
