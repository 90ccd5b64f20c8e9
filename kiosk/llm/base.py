"""The one `ChatModel` interface every backend implements.

The assistant only phrases replies and (optionally) classifies requests through
this interface, so a store can swap the bundled GGUF for a bigger one, or for a
shared GPU server, in config alone (`kiosk.llm.loader` picks the backend). Nothing
heavy is imported here: llama_cpp loads only when a local model does.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import Protocol

from kiosk.errors import KioskError

Progress = Callable[[str], None]


class LLMError(KioskError):
    """A model problem the kiosk survives by answering from templates.

    The code says which: the model can't be loaded or the server is down, a
    generation ran past its time, the request doesn't fit the context window,
    or the model (or server) sent something unusable.
    """

    UNAVAILABLE = "llm_unavailable"
    TIMEOUT = "llm_timeout"
    CONTEXT_OVERFLOW = "llm_context_overflow"
    BAD_OUTPUT = "llm_bad_output"

    code = UNAVAILABLE


@dataclass(frozen=True)
class Message:
    """One chat turn; roles are 'system', 'user' or 'assistant'."""

    role: str
    content: str


class ChatModel(Protocol):
    """A chat model that streams text: LocalLlama (in-process) or RemoteChat (HTTP).

    `stream` yields text as it is decoded, so the first sentence can be shown or
    spoken before the reply is finished. `timeout_s=None` means `llm.timeout_s`;
    0 or less means no limit. Every failure is an `LLMError`.
    """

    name: str
    device: str  # "CPU x2 threads", "CUDA 31 layers", "remote http://host:8080/v1"

    def stream(
        self,
        messages: Sequence[Message],
        *,
        max_tokens: int = 64,
        temperature: float = 0.3,
        stop: Sequence[str] = (),
        grammar: str | None = None,
        timeout_s: float | None = None,
    ) -> Iterator[str]: ...

    def complete(
        self,
        messages: Sequence[Message],
        *,
        max_tokens: int = 64,
        temperature: float = 0.3,
        stop: Sequence[str] = (),
        grammar: str | None = None,
        timeout_s: float | None = None,
    ) -> str: ...

    def warm(self, messages: Sequence[Message]) -> None:
        """Evaluate these messages (the system prompt) now, so the next turn starts warm."""
        ...

    def close(self) -> None: ...


class StreamingChat:
    """Shared by the backends: `complete` is `stream` joined."""

    def stream(
        self,
        messages: Sequence[Message],
        *,
        max_tokens: int = 64,
        temperature: float = 0.3,
        stop: Sequence[str] = (),
        grammar: str | None = None,
        timeout_s: float | None = None,
    ) -> Iterator[str]:
        raise NotImplementedError

    def complete(
        self,
        messages: Sequence[Message],
        *,
        max_tokens: int = 64,
        temperature: float = 0.3,
        stop: Sequence[str] = (),
        grammar: str | None = None,
        timeout_s: float | None = None,
    ) -> str:
        chunks = self.stream(
            messages,
            max_tokens=max_tokens,
            temperature=temperature,
            stop=stop,
            grammar=grammar,
            timeout_s=timeout_s,
        )
        return "".join(chunks)


def deadline(timeout_s: float | None, default_s: float) -> float | None:
    """time.monotonic() by which a generation must end; None for no limit."""
    limit = default_s if timeout_s is None else timeout_s
    if limit <= 0:
        return None
    return time.monotonic() + limit
