"""Images in chat requests, by table: OpenAI ``image_url`` parts in, Agno images out."""

from __future__ import annotations

import base64
import hashlib

import pytest
from agno.media import Image

from agentllm.models.offline import OfflineModel
from agentllm.provider.images import ImageError, media_type_of, parse_image_part
from agentllm.provider.media import accepts_images, agno_image, stored_image
from agentllm.provider.types import ImageInput, ImageLimits

MAGIC = {
    "image/png": b"\x89PNG\r\n\x1a\n",
    "image/jpeg": b"\xff\xd8\xff\xe0",
    "image/gif": b"GIF89a",
    "image/webp": b"RIFF\x00\x00\x00\x00WEBPVP8 ",
    "image/heic": b"\x00\x00\x00\x18ftypheic",
    "image/heif": b"\x00\x00\x00\x18ftypmif1",
}
WHERE = "messages[2].content[1]"
LIMITS = ImageLimits(max_bytes=2_000, max_count=4)


def image_bytes(media_type: str = "image/png", size: int = 1234) -> bytes:
    """``size`` bytes that start like an image of ``media_type``."""
    head = MAGIC[media_type]
    return head + b"\0" * (size - len(head))


def data_url(data: bytes, media_type: str = "image/png") -> str:
    return f"data:{media_type};base64,{base64.b64encode(data).decode()}"


def part(url, **extra):
    return {"type": "image_url", "image_url": {"url": url, **extra}}


@pytest.mark.parametrize("media_type", list(MAGIC))
def test_each_accepted_image_type_is_read_from_its_bytes(media_type):
    assert media_type_of(image_bytes(media_type)) == media_type


@pytest.mark.parametrize("data", [b"", b"hello", b"\0\0\0\0", b"\x00\x00\x00\x18ftypavif"])
def test_other_bytes_are_no_accepted_image(data):
    assert media_type_of(data) is None


def test_a_data_url_becomes_an_image_with_its_bytes_size_and_hash():
    data = image_bytes("image/png", 1234)
    image = parse_image_part(part(data_url(data), detail="low"), WHERE, LIMITS)
    assert image.media_type == "image/png"
    assert image.size == 1234
    assert image.sha256 == hashlib.sha256(data).hexdigest()
    assert image.data == data
    assert image.url is None
    assert image.detail == "low"


@pytest.mark.parametrize(
    "url",
    [
        "data:image/PNG;base64,{b64}",
        "data:image/png;name=shot.png;base64,{b64}",
        "DATA:image/png;BASE64,{b64}",
    ],
)
def test_data_url_spellings_that_are_accepted(url):
    data = image_bytes("image/png", 100)
    image = parse_image_part(part(url.format(b64=base64.b64encode(data).decode())), WHERE, LIMITS)
    assert (image.media_type, image.size) == ("image/png", 100)


def test_the_media_type_comes_from_the_bytes_when_the_url_mislabels_them():
    image = parse_image_part(part(data_url(image_bytes("image/jpeg"), "image/png")), WHERE, LIMITS)
    assert image.media_type == "image/jpeg"


@pytest.mark.parametrize(
    "url", ["https://example.com/cat.png", "http://127.0.0.1:9/x?y=1", "HTTPS://EXAMPLE.COM/a"]
)
def test_an_http_url_is_passed_on_not_fetched(url):
    image = parse_image_part(part(url), WHERE, LIMITS)
    assert image == ImageInput(url=url)
    assert image.data is None and image.media_type is None


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


PNG = b64(image_bytes("image/png", 100))

# (id, the content part, fragment of the error message)
BAD_PARTS = [
    ("no image_url", {"type": "image_url"}, "image_url must be an object"),
    ("image_url a string", {"type": "image_url", "image_url": "https://x/y.png"}, "object"),
    ("image_url a list", {"type": "image_url", "image_url": ["x"]}, "object"),
    ("url missing", {"type": "image_url", "image_url": {}}, "url must be a string"),
    ("url a number", part(42), "url must be a string"),
    ("url null", part(None), "url must be a string"),
    ("url empty", part(""), "data: URL"),
    ("file url", part("file:///etc/passwd"), "'file:'"),
    ("ftp url", part("ftp://example.com/x.png"), "'ftp:'"),
    ("javascript url", part("javascript:alert(1)"), "'javascript:'"),
    ("bare path", part("/etc/passwd"), "data: URL"),
    ("http without host", part("http:///x.png"), "http(s) URL"),
    ("http with a space", part("https://example.com/a b.png"), "http(s) URL"),
    ("http url too long", part("https://example.com/" + "a" * 5000), "4096"),
    ("detail unknown", part(f"data:image/png;base64,{PNG}", detail="ultra"), "detail"),
    ("detail a number", part(f"data:image/png;base64,{PNG}", detail=3), "detail"),
    ("data url without comma", part("data:image/png;base64"), "data:<media type>;base64"),
    ("data url without media type", part(f"data:;base64,{PNG}"), "no media type"),
    ("data url not base64", part("data:image/png,rawbytes"), "base64"),
    ("data url base64 not last", part(f"data:image/png;base64;x=y,{PNG}"), "base64"),
    ("unknown media type", part(f"data:image/bmp;base64,{PNG}"), "'image/bmp'"),
    ("text media type", part(f"data:text/plain;base64,{PNG}"), "'text/plain'"),
    ("empty data", part("data:image/png;base64,"), "no data"),
    ("invalid base64", part("data:image/png;base64,%%%%"), "base64"),
    ("base64 with wrong padding", part("data:image/png;base64,iVBORw0KGgo"), "base64"),
    ("not an image", part(f"data:image/png;base64,{b64(b'hello world')}"), "not a PNG"),
    ("over the size limit", part(data_url(image_bytes("image/png", 2_001))), "2001 bytes"),
    (
        "far over the size limit",
        part(data_url(image_bytes("image/png", 50_000))),
        "AGENTLLM_MAX_IMAGE_BYTES",
    ),
]


@pytest.mark.parametrize(
    ("content", "fragment"), [c[1:] for c in BAD_PARTS], ids=[c[0] for c in BAD_PARTS]
)
def test_bad_image_parts_are_refused_naming_where_and_why(content, fragment):
    with pytest.raises(ImageError) as caught:
        parse_image_part(content, WHERE, LIMITS)
    assert caught.value.message.startswith(WHERE), caught.value.message
    assert fragment in caught.value.message
    assert caught.value.param.startswith(f"{WHERE}.image_url"), caught.value.param


def test_an_image_at_the_limit_is_accepted():
    image = parse_image_part(part(data_url(image_bytes("image/png", 2_000))), WHERE, LIMITS)
    assert image.size == 2_000


def test_an_error_never_repeats_a_huge_url():
    with pytest.raises(ImageError) as caught:
        parse_image_part(part("gopher:" + "x" * 100_000), WHERE, LIMITS)
    assert len(caught.value.message) < 300


# --- what the agent gets and what is stored ------------------------------------------------------


def test_the_agent_gets_the_bytes_but_a_stored_image_keeps_only_a_reference():
    data = image_bytes("image/png", 1234)
    sent = parse_image_part(part(data_url(data)), WHERE, LIMITS)
    image = agno_image(sent)
    assert image.content == data and image.mime_type == "image/png"
    stored = image.to_dict()
    assert "content" not in stored
    assert stored["media_reference"]["content_hash"] == sent.sha256
    assert stored["media_reference"]["size"] == 1234
    assert len(str(stored)) < 1_000


def test_a_stored_image_compares_equal_to_the_same_image_sent_again():
    data = image_bytes("image/webp", 500)
    sent = parse_image_part(part(data_url(data, "image/webp")), WHERE, LIMITS)
    read_back = Image(**agno_image(sent).to_dict())
    assert read_back.content is None
    assert stored_image(read_back) == sent
    other = parse_image_part(
        part(data_url(image_bytes("image/webp", 501), "image/webp")), WHERE, LIMITS
    )
    assert stored_image(read_back) != other


def test_stored_url_and_inline_images_compare_too():
    assert stored_image(Image(url="https://example.com/a.png")) == ImageInput(
        url="https://example.com/a.png"
    )
    data = image_bytes("image/gif", 50)
    inline = Image(content=data, mime_type="image/gif")
    assert stored_image(inline) == parse_image_part(
        part(data_url(data, "image/gif")), WHERE, LIMITS
    )


def test_an_http_image_reaches_agno_as_its_url():
    image = agno_image(ImageInput(url="https://example.com/a.png", detail="high"))
    assert (image.url, image.content, image.detail) == ("https://example.com/a.png", None, "high")


# --- which models take images --------------------------------------------------------------------


class TextOnly(OfflineModel):
    accepts_images = False


def test_models_that_take_images():
    from agno.models.google import Gemini
    from agno.models.openai import OpenAIChat, OpenAIResponses

    assert accepts_images(OfflineModel())
    assert accepts_images(Gemini(id="gemini-2.5-flash"))
    assert accepts_images(OpenAIChat(id="gpt-4o-mini"))
    assert accepts_images(OpenAIResponses(id="gpt-4o-mini"))


def test_a_model_can_say_it_takes_no_images_and_unknown_models_take_none():
    from agno.models.ollama import Ollama

    assert not accepts_images(TextOnly())
    assert not accepts_images(Ollama(id="llama3.2"))


@pytest.mark.parametrize("spec", ["google:gemini-2.5-flash", "openai-chat:gpt-4o-mini"])
def test_the_models_agents_really_run_on_take_images(monkeypatch, spec):
    # build_model swaps Agno's classes for subclasses that report upstream errors: still
    # the same models, so still taking images.
    from agentllm.models import build_model
    from agentllm.provider.media import accepts_images

    monkeypatch.setenv("AGENTLLM_MODEL", spec)
    monkeypatch.setenv("OPENAI_API_KEY", "sk-test")
    assert accepts_images(build_model("google:gemini-2.5-flash"))
