"""Agno's ``JiraTools``, reading only, made without a network call.

The ``jira`` package's client asks the server for its version when it is made, and Agno's
``JiraTools.__init__`` makes one, so building an agent with it would wait on Jira (with no
timeout). Here the client is made on the first tool call instead; the tools are Agno's own
methods, which reach the client through ``self.jira``. Importing this module needs the ``jira``
package (through ``agno.tools.jira``).
"""

from __future__ import annotations

import threading
from typing import Any

from agno.tools import Toolkit
from agno.tools.jira import JIRA, JiraTools

# The tools given to the agent: JiraTools' reading ones.
READ_TOOLS = ("get_issue", "search_issues")


class JiraReader(JiraTools):
    """``JiraTools.get_issue`` and ``search_issues``; the client connects when first used."""

    def __init__(self, server_url: str, username: str | None, token: str | None) -> None:
        # Not JiraTools.__init__: it makes the client (a request to the server) right away.
        self.server_url = server_url
        self.username = username
        self.password = None
        self.token = token
        self._client: Any = None
        self._client_lock = threading.Lock()
        Toolkit.__init__(self, name="jira_tools", tools=[getattr(self, n) for n in READ_TOOLS])

    @property
    def jira(self) -> Any:
        """The ``jira`` client, made (and connected: it reads the server's version) once."""
        with self._client_lock:
            if self._client is None:
                auth = (self.username, self.token) if self.username and self.token else None
                self._client = JIRA(server=self.server_url, basic_auth=auth)
            return self._client

    @jira.setter
    def jira(self, client: Any) -> None:
        self._client = client
