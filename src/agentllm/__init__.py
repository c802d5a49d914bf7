"""agentllm: Agno agents served as OpenAI-compatible chat models through the LiteLLM proxy."""

import os

# Importing litellm otherwise downloads its model cost map, which stalls without internet.
os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")
# Agno sends a telemetry event to its cloud for every agent run unless told not to; opt in with
# AGNO_TELEMETRY=true.
os.environ.setdefault("AGNO_TELEMETRY", "false")

__version__ = "0.1.0"
