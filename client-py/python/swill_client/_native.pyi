"""The native half of swill_client (Rust, PyO3): the Rust client behind a
small surface. Use the package's public API instead; it wraps these."""

from typing import Any, Awaitable, Dict, List, Mapping, Optional, Tuple

_Answer = Tuple[Any, Dict[str, Any], Dict[str, Any]]

def connect(url: str, options: Dict[str, Any]) -> Awaitable[Client]: ...

class Client:
    def call(
        self,
        rpc: str,
        request: Any,
        metadata: Optional[Mapping[str, Any]] = None,
        timeout: Optional[float] = None,
    ) -> Awaitable[_Answer]: ...
    def server_stream(
        self,
        rpc: str,
        request: Any,
        metadata: Optional[Mapping[str, Any]] = None,
        timeout: Optional[float] = None,
    ) -> Call: ...
    def client_stream(
        self,
        rpc: str,
        metadata: Optional[Mapping[str, Any]] = None,
        timeout: Optional[float] = None,
    ) -> Call: ...
    def bidi(
        self,
        rpc: str,
        metadata: Optional[Mapping[str, Any]] = None,
        timeout: Optional[float] = None,
    ) -> Call: ...
    def introspect(self) -> Awaitable[List[Dict[str, Any]]]: ...
    @property
    def session(self) -> Optional[str]: ...
    def close(self) -> None: ...

class Call:
    def send(self, item: Any) -> Awaitable[None]: ...
    def finish(self) -> Awaitable[None]: ...
    def next(self) -> Awaitable[Any]: ...
    def answer(self) -> Awaitable[_Answer]: ...
    def cancel(self) -> None: ...
    @property
    def leading_metadata(self) -> Optional[Dict[str, Any]]: ...
    @property
    def trailing_metadata(self) -> Optional[Dict[str, Any]]: ...
