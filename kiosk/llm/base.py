"""The one `ChatModel` interface every backend implements, and how to pick one.

The assistant only phrases replies and (optionally) classifies requests through
this interface, so a store can swap the bundled GGUF for a bigger one, or for a
shared GPU server, in config alone.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import Protocol

from kiosk.config import Config
from kiosk.errors import KioskError


class LLMError(KioskError):
    """A model problem the kiosk survives by answering from templates.

    Codes: llm_unavailable (load failed, server down), llm_timeout,
    llm_context_overflow, llm_bad_output.
    """

    code = "llm_unavailable"


@dataclass(frozen=True)
class Message:
    role: str  # 'system', 'user' or 'assistant'
    content: str


class ChatModel(Protocol):
    """A chat model that streams text; implemented by LocalLlama and RemoteChat."""

    name: str
    device: str  # "CPU (2 threads)", "CUDA (all layers)", "remote http://..."

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

    def warm(self, messages: Sequence[Message]) -> None: ...

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


def load_chat_model(
    cfg: Config, *, progress: Callable[[str], None] | None = None
) -> ChatModel | None:
    """The configured model, loaded; None when `llm.backend = "none"`."""
    if cfg.llm.backend == "none":
        return None
    if cfg.llm.backend == "remote":
        from kiosk.llm.remote import RemoteChat

        return RemoteChat(cfg)
    from kiosk import provision
    from kiosk.llm.local import LocalLlama

    return LocalLlama(provision.resolve(cfg, "llm"), cfg, progress=progress)
