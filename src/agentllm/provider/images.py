"""Images in chat requests: OpenAI ``image_url`` parts in, Agno ``Image`` objects out.

Pure functions over plain data, like ``transformation``. An image is a base64 ``data:`` URL
(what Open WebUI sends for an upload) or an http(s) URL, which is passed on as it is: nothing
here fetches it. The agent gets the bytes; the conversation store gets a reference (media type,
size, SHA-256), because a client that sends images sends them again with every turn (Open WebUI
does). The reasons are in docs/images.md.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from agno.media import Image, MediaReference
from agno.models.message import Message

from agentllm.config import DEFAULT_MAX_IMAGE_BYTES, DEFAULT_MAX_IMAGES

# What Gemini and OpenAI take, by the media type its bytes show.
MEDIA_TYPES = ("image/png", "image/jpeg", "image/webp", "image/gif", "image/heic", "image/heif")
DETAILS = ("auto", "low", "high")
MAX_URL_CHARS = 4096
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
_HEIC_BRANDS = frozenset({b"heic", b"heix", b"heim", b"heis", b"hevc", b"hevx", b"hevm", b"hevs"})
_HEIF_BRANDS = frozenset({b"mif1", b"msf1"})
_NAMES = "PNG, JPEG, WebP, GIF, HEIC or HEIF"


class ImageError(ValueError):
    """An image part the agent cannot be given; the message names where it is and why."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


@dataclass(frozen=True)
class ImageLimits:
    """What a request may carry: ``AGENTLLM_MAX_IMAGE_BYTES`` per image, ``AGENTLLM_MAX_IMAGES``."""

    max_bytes: int = DEFAULT_MAX_IMAGE_BYTES
    max_count: int = DEFAULT_MAX_IMAGES


DEFAULT_LIMITS = ImageLimits()


@dataclass(frozen=True)
class ImageInput:
    """One image of a message: inline bytes, or an http(s) URL.

    Two are the same image when their URLs, or their media types, sizes and SHA-256s, agree: the
    bytes themselves and ``detail`` are not compared, so an image read back from the store (a
    reference, no bytes) equals the same image sent again.
    """

    media_type: str | None = None
    sha256: str | None = None
    size: int | None = None
    url: str | None = None
    data: bytes | None = field(default=None, compare=False, repr=False)
    detail: str | None = field(default=None, compare=False)

    def to_agno(self) -> Image:
        """The Agno image the agent's model gets; stored, it keeps only its reference."""
        if self.url is not None:
            return Image(url=self.url, detail=self.detail)
        # Agno stores an image's reference instead of its content when it has one (to_dict).
        reference = MediaReference(
            media_id=str(self.sha256),
            storage_key=f"sha256:{self.sha256}",
            storage_backend=KEPT_BY,
            mime_type=self.media_type,
            size=self.size,
            content_hash=self.sha256,
            media_type="image",
        )
        return Image(
            content=self.data,
            mime_type=self.media_type,
            detail=self.detail,
            media_reference=reference,
        )


def media_type_of(data: bytes) -> str | None:
    """The accepted image type ``data`` is (by its first bytes), or None."""
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if data.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if data[:6] in (b"GIF87a", b"GIF89a"):
        return "image/gif"
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "image/webp"
    if data[4:8] == b"ftyp":
        if data[8:12] in _HEIC_BRANDS:
            return "image/heic"
        if data[8:12] in _HEIF_BRANDS:
            return "image/heif"
    return None


def _shown(text: str, limit: int = 40) -> str:
    return repr(text if len(text) <= limit else text[:limit] + "…")


def _data_image(url: str, where: str, limits: ImageLimits, detail: str | None) -> ImageInput:
    header, comma, payload = url[len("data:") :].partition(",")
    if not comma:
        raise ImageError(f"{where} is not a data URL of the form data:<media type>;base64,<data>")
    declared, *parameters = (p.strip().lower() for p in header.split(";"))
    if not declared:
        raise ImageError(f"{where} names no media type: use data:image/png;base64,<data>")
    if not parameters or parameters[-1] != "base64":
        raise ImageError(f"{where} must be base64-encoded: data:<media type>;base64,<data>")
    if declared not in MEDIA_TYPES:
        raise ImageError(
            f"{where} has media type {_shown(declared)}; accepted: {', '.join(MEDIA_TYPES)}"
        )
    if not payload:
        raise ImageError(f"{where} holds no data")
    try:
        data = base64.b64decode(payload, validate=True)
    except (binascii.Error, ValueError):
        raise ImageError(f"{where} is not valid base64") from None
    if len(data) > limits.max_bytes:
        raise ImageError(
            f"{where} is an image of {len(data)} bytes; the limit is {limits.max_bytes} bytes "
            "(AGENTLLM_MAX_IMAGE_BYTES)"
        )
    media_type = media_type_of(data)
    if media_type is None:
        raise ImageError(f"{where} holds no image: its bytes are not a {_NAMES} image")
    return ImageInput(
        media_type=media_type,
        sha256=hashlib.sha256(data).hexdigest(),
        size=len(data),
        data=data,
        detail=detail,
    )


def _web_image(url: str, where: str, detail: str | None) -> ImageInput:
    if len(url) > MAX_URL_CHARS:
        raise ImageError(f"{where} is longer than {MAX_URL_CHARS} characters")
    try:
        netloc = urlsplit(url).netloc
    except ValueError:
        netloc = ""
    if not netloc or any(c.isspace() or not c.isprintable() for c in url):
        raise ImageError(f"{where} is not a valid http(s) URL")
    return ImageInput(url=url, detail=detail)


def parse_image_part(part: Mapping[str, Any], where: str, limits: ImageLimits) -> ImageInput:
    """The image of an ``image_url`` content part at ``where`` (``messages[i].content[j]``)."""
    image_url = part.get("image_url")
    if not isinstance(image_url, Mapping):
        raise ImageError(f"{where}.image_url must be an object with a 'url'")
    url = image_url.get("url")
    if not isinstance(url, str):
        raise ImageError(f"{where}.image_url.url must be a string")
    detail = image_url.get("detail")
    if detail is not None and detail not in DETAILS:
        raise ImageError(f"{where}.image_url.detail must be one of {', '.join(DETAILS)}")
    scheme = url.split(":", 1)[0].lower() if ":" in url else ""
    if scheme == "data":
        return _data_image(url, f"{where}.image_url.url", limits, detail)
    if scheme in ("http", "https"):
        return _web_image(url, f"{where}.image_url.url", detail)
    shown = f", not {_shown(scheme + ':', 20)}" if scheme else ""
    raise ImageError(f"{where}.image_url.url must be a data: URL (base64) or an http(s) URL{shown}")


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
    return [image.to_agno() for image in images] or None


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
