"""agentllm: Agno agents served as OpenAI-compatible chat models through the LiteLLM proxy."""

import os

# Importing litellm otherwise downloads its model cost map, which stalls without internet.
os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")

__version__ = "0.1.0"
