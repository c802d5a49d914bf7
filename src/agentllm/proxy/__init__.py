"""Running the LiteLLM proxy with agentllm's configuration, authentication and request guard."""
