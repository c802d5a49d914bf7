"""uvicorn (0.54): the h11 protocol's answer to a request it cannot parse."""

from __future__ import annotations

import h11
from uvicorn.protocols.http.h11_impl import H11Protocol


class JSON400H11Protocol(H11Protocol):
    """uvicorn's h11 protocol answering a request h11 cannot parse with ``BAD_REQUEST_BODY``
    as ``application/json`` (a subclass sets it), instead of uvicorn's plain-text 400.

    Relies on: ``H11Protocol.send_400_response(msg)`` (uvicorn/protocols/http/h11_impl.py, not
    documented), which ``handle_events`` calls on ``h11.RemoteProtocolError`` before any ASGI app
    runs, and on the protocol's ``conn`` (an ``h11.Connection``) and ``transport``.
    """

    BAD_REQUEST_BODY: bytes = b'{"error": {"message": "bad request"}}'

    def send_400_response(self, msg: str) -> None:
        body = self.BAD_REQUEST_BODY
        headers = [
            (b"content-type", b"application/json"),
            (b"content-length", str(len(body)).encode()),
            (b"connection", b"close"),
        ]
        for event in (
            h11.Response(status_code=400, headers=headers, reason=b"Bad Request"),
            h11.Data(data=body),
            h11.EndOfMessage(),
        ):
            self.transport.write(self.conn.send(event))
        self.transport.close()
