"""What our subclasses of Agno's model classes share: vendor HTTP errors that survive Agno.

Agno turns a failed run into an event that keeps only the exception's message, so the vendor's
HTTP status would be lost before ``run_failure`` sees it. A subclass names the ``UpstreamError``
in the vendor's exception; this mixin keeps it in ``CARRIED`` and re-raises Agno's
``ModelProviderError`` with a message that ends with its token (Agno's retry wrapper rebuilds a
429 as ``ModelRateLimitError`` from the message alone, so an attribute would not survive).
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from typing import Any

from agno.exceptions import ModelProviderError
from agno.models.response import ModelResponse

from agentllm.upstream import CARRIED, UpstreamError


class ReportsUpstreamErrors:
    """Mixin (before the Agno class) for the four ways Agno calls a model."""

    def upstream_error_in(self, cause: BaseException | None) -> UpstreamError | None:
        """The vendor's HTTP error behind Agno's error, if it is one."""
        raise NotImplementedError

    def _readable(self, error: ModelProviderError) -> ModelProviderError:
        upstream = self.upstream_error_in(error.__cause__)
        if upstream is None:
            return error
        return ModelProviderError(
            CARRIED.message(upstream),
            status_code=upstream.status,
            model_name=error.model_name,
            model_id=error.model_id,
        )

    def invoke(self, *args: Any, **kwargs: Any) -> ModelResponse:
        try:
            return super().invoke(*args, **kwargs)  # type: ignore[misc]
        except ModelProviderError as error:
            raise self._readable(error) from error.__cause__

    async def ainvoke(self, *args: Any, **kwargs: Any) -> ModelResponse:
        try:
            return await super().ainvoke(*args, **kwargs)  # type: ignore[misc]
        except ModelProviderError as error:
            raise self._readable(error) from error.__cause__

    def invoke_stream(self, *args: Any, **kwargs: Any) -> Iterator[ModelResponse]:
        try:
            yield from super().invoke_stream(*args, **kwargs)  # type: ignore[misc]
        except ModelProviderError as error:
            raise self._readable(error) from error.__cause__

    async def ainvoke_stream(self, *args: Any, **kwargs: Any) -> AsyncIterator[ModelResponse]:
        try:
            async for response in super().ainvoke_stream(*args, **kwargs):  # type: ignore[misc]
                yield response
        except ModelProviderError as error:
            raise self._readable(error) from error.__cause__
