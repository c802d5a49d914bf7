"""``python -m agentllm``: the ``agentllm`` command."""

from agentllm.cli import main

main()
