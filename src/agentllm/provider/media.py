"""Images between our plain values and Agno: ``ImageInput`` -> Agno ``Image`` (the agent gets the
bytes, the store a reference), stored images back to ``ImageInput``, and which models take images.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from typing import Any

from agno.media import Image, MediaReference
from agno.models.message import Message

from agentllm.provider.images import media_type_of
from agentllm.provider.types import ImageInput

# ``MediaReference.storage_backend`` of a stored image: no backend keeps the bytes, the client does.
KEPT_BY = "client"
# Models known to take images, by class; any other model says so with ``accepts_images = True``.
IMAGE_MODELS = frozenset(
    {
        "agno.models.google.gemini.Gemini",
        "agno.models.openai.chat.OpenAIChat",
        "agno.models.openai.responses.OpenAIResponses",
        "agno.models.anthropic.claude.Claude",
    }
)


def agno_image(image: ImageInput) -> Image:
    """The Agno image the agent's model gets; stored, it keeps only its reference."""
    if image.url is not None:
        return Image(url=image.url, detail=image.detail)
    # Agno stores an image's reference instead of its content when it has one (to_dict).
    reference = MediaReference(
        media_id=str(image.sha256),
        storage_key=f"sha256:{image.sha256}",
        storage_backend=KEPT_BY,
        mime_type=image.media_type,
        size=image.size,
        content_hash=image.sha256,
        media_type="image",
    )
    return Image(
        content=image.data,
        mime_type=image.media_type,
        detail=image.detail,
        media_reference=reference,
    )


def stored_image(image: Image) -> ImageInput:
    """An image read back from the store, comparable with the images of a request."""
    reference = image.media_reference
    if reference is not None and reference.content_hash:
        return ImageInput(
            media_type=reference.mime_type, sha256=reference.content_hash, size=reference.size
        )
    if image.url:
        return ImageInput(url=image.url)
    if isinstance(image.content, bytes):
        return ImageInput(
            media_type=image.mime_type or media_type_of(image.content),
            sha256=hashlib.sha256(image.content).hexdigest(),
            size=len(image.content),
        )
    return ImageInput()


def agno_images(images: Sequence[ImageInput]) -> list[Image] | None:
    """The Agno images of a message (None: it has none)."""
    return [agno_image(image) for image in images] or None


def message_images(message: Message) -> tuple[ImageInput, ...]:
    """The images of a stored user message, comparable with the images of a request."""
    if message.role != "user":
        return ()
    return tuple(stored_image(image) for image in message.images or ())


def accepts_images(model: Any) -> bool:
    """Whether an Agno model takes images: it says so (``accepts_images``), or is known to."""
    declared = getattr(model, "accepts_images", None)
    if isinstance(declared, bool):
        return declared
    # Subclasses too: build_model runs Agno's Gemini and OpenAIChat as subclasses of its own.
    return any(f"{k.__module__}.{k.__qualname__}" in IMAGE_MODELS for k in type(model).__mro__)


def no_images(agent: str, model: Any) -> str:
    """Why ``agent`` cannot be sent images: its model takes none."""
    return (
        f"agent {agent!r} runs on model {getattr(model, 'id', '?')!r} "
        f"({type(model).__name__}), which does not accept images; send text only, or use a model "
        "that takes images"
    )
