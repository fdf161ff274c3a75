"""The one exception of the package."""

from __future__ import annotations

from typing import Any


class SwillError(Exception):
    """A call (or connecting) failed.

    ``code`` is a Swill code: the server's when it answered with an error
    (404 unknown rpc, 400 bad request data, 422 validation, or a handler's
    own), else the client's: 408 the deadline passed, 499 cancelled or the
    call is over, 503 no connection (refused, lost, or the client closed),
    400 a request or answer that could not be encoded or decoded.
    ``message`` says what happened; ``data`` holds structured details the
    server attached (such as the field problems of a 422), else ``None``.
    """

    code: int
    message: str
    data: Any

    def __init__(self, code: int, message: str, data: Any = None) -> None:
        super().__init__(code, message, data)
        self.code = code
        self.message = message
        self.data = data

    def __str__(self) -> str:
        return f"{self.code}: {self.message}"
