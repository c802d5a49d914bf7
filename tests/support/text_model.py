"""A model that takes no images, for tests: like the offline echo model, but it says so.

Selected with ``AGENTLLM_MODEL=python:tests.support.text_model:TextOnlyModel``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from agentllm.models.offline import OfflineModel


@dataclass
class TextOnlyModel(OfflineModel):
    id: str = "text-only"
    name: str = "TextOnlyModel"
    accepts_images: ClassVar[bool] = False
