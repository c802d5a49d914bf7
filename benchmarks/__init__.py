"""``make bench``: the agent path against LiteLLM's own floor on the same proxy (issue #4)."""
