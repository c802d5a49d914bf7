"""Translation between LiteLLM and Agno, and the CustomLLM handler."""
