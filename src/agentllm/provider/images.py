"""Images in chat requests: OpenAI ``image_url`` parts in, ``ImageInput`` values out (``media``
turns them into Agno images).

Pure functions over plain data, like ``request``. An image is a base64 ``data:`` URL
(what Open WebUI sends for an upload) or an http(s) URL, which is passed on as it is: nothing
here fetches it. The agent gets the bytes; the conversation store gets a reference (media type,
size, SHA-256), because a client that sends images sends them again with every turn (Open WebUI
does). The reasons are in docs/images.md.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
from collections.abc import Mapping
from typing import Any
from urllib.parse import urlsplit

from agentllm.provider.types import ImageInput, ImageLimits

# What Gemini and OpenAI take, by the media type its bytes show.
MEDIA_TYPES = ("image/png", "image/jpeg", "image/webp", "image/gif", "image/heic", "image/heif")
DETAILS = ("auto", "low", "high")
MAX_URL_CHARS = 4096
_HEIC_BRANDS = frozenset({b"heic", b"heix", b"heim", b"heis", b"hevc", b"hevx", b"hevm", b"hevs"})
_HEIF_BRANDS = frozenset({b"mif1", b"msf1"})
_NAMES = "PNG, JPEG, WebP, GIF, HEIC or HEIF"


class ImageError(ValueError):
    """An image part the agent cannot be given; the message names where it is and why, ``param``
    the field (``messages[2].content[0].image_url.url``)."""

    def __init__(self, message: str, param: str) -> None:
        super().__init__(message)
        self.message = message
        self.param = param


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
        raise ImageError(
            f"{where} is not a data URL of the form data:<media type>;base64,<data>", where
        )
    declared, *parameters = (p.strip().lower() for p in header.split(";"))
    if not declared:
        raise ImageError(f"{where} names no media type: use data:image/png;base64,<data>", where)
    if not parameters or parameters[-1] != "base64":
        raise ImageError(f"{where} must be base64-encoded: data:<media type>;base64,<data>", where)
    if declared not in MEDIA_TYPES:
        raise ImageError(
            f"{where} has media type {_shown(declared)}; accepted: {', '.join(MEDIA_TYPES)}",
            where,
        )
    if not payload:
        raise ImageError(f"{where} holds no data", where)
    try:
        data = base64.b64decode(payload, validate=True)
    except (binascii.Error, ValueError):
        raise ImageError(f"{where} is not valid base64", where) from None
    if len(data) > limits.max_bytes:
        raise ImageError(
            f"{where} is an image of {len(data)} bytes; the limit is {limits.max_bytes} bytes "
            "(AGENTLLM_MAX_IMAGE_BYTES)",
            where,
        )
    media_type = media_type_of(data)
    if media_type is None:
        raise ImageError(f"{where} holds no image: its bytes are not a {_NAMES} image", where)
    return ImageInput(
        media_type=media_type,
        sha256=hashlib.sha256(data).hexdigest(),
        size=len(data),
        data=data,
        detail=detail,
    )


def _web_image(url: str, where: str, detail: str | None) -> ImageInput:
    if len(url) > MAX_URL_CHARS:
        raise ImageError(f"{where} is longer than {MAX_URL_CHARS} characters", where)
    try:
        netloc = urlsplit(url).netloc
    except ValueError:
        netloc = ""
    if not netloc or any(c.isspace() or not c.isprintable() for c in url):
        raise ImageError(f"{where} is not a valid http(s) URL", where)
    return ImageInput(url=url, detail=detail)


def parse_image_part(part: Mapping[str, Any], where: str, limits: ImageLimits) -> ImageInput:
    """The image of an ``image_url`` content part at ``where`` (``messages[i].content[j]``)."""
    image_url = part.get("image_url")
    if not isinstance(image_url, Mapping):
        raise ImageError(f"{where}.image_url must be an object with a 'url'", f"{where}.image_url")
    url = image_url.get("url")
    if not isinstance(url, str):
        raise ImageError(f"{where}.image_url.url must be a string", f"{where}.image_url.url")
    detail = image_url.get("detail")
    if detail is not None and detail not in DETAILS:
        raise ImageError(
            f"{where}.image_url.detail must be one of {', '.join(DETAILS)}",
            f"{where}.image_url.detail",
        )
    scheme = url.split(":", 1)[0].lower() if ":" in url else ""
    if scheme == "data":
        return _data_image(url, f"{where}.image_url.url", limits, detail)
    if scheme in ("http", "https"):
        return _web_image(url, f"{where}.image_url.url", detail)
    shown = f", not {_shown(scheme + ':', 20)}" if scheme else ""
    raise ImageError(
        f"{where}.image_url.url must be a data: URL (base64) or an http(s) URL{shown}",
        f"{where}.image_url.url",
    )
