"""llama-cpp-python in-process: one long-lived model, one lock, a warm system prompt.

Keeping one `Llama` object alive lets llama.cpp reuse the KV cache of an identical
prompt prefix (our system prompt) between turns: measured 37-110 ms to first token
warm against 0.56-1.3 s cold on 2 cores. All layers go to CUDA/Metal when the
build supports offload; the CPU thread count is set explicitly because
llama.cpp's default (half the cores) is 1.4-1.55x slower on 2 cores.
"""

from __future__ import annotations

import ctypes
import os
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any

from kiosk.config import Config
from kiosk.llm.base import LLMError, Message, StreamingChat

_QUIET: Any = None  # keeps the no-op log callback alive for llama.cpp


def _silence_llama_logs() -> None:
    """Route llama.cpp's own logging to nowhere: library logs never reach a screen."""
    global _QUIET
    import llama_cpp

    if _QUIET is None:
        _QUIET = llama_cpp.llama_log_callback(lambda level, text, user_data: None)
        llama_cpp.llama_log_set(_QUIET, ctypes.c_void_p(0))


def threads(cfg: Config) -> int:
    return cfg.llm.n_threads or os.cpu_count() or 1


class LocalLlama(StreamingChat):
    """A GGUF model in this process."""

    def __init__(
        self, path: Path, cfg: Config, *, progress: Callable[[str], None] | None = None
    ) -> None:
        import llama_cpp

        _silence_llama_logs()
        self.path = path
        self.name = path.name
        self.n_ctx = cfg.llm.n_ctx
        n = threads(cfg)
        gpu = bool(llama_cpp.llama_supports_gpu_offload()) and cfg.llm.n_gpu_layers != 0
        layers = cfg.llm.n_gpu_layers if gpu else 0
        self.device = (
            f"GPU ({'all' if layers < 0 else layers} layers)" if gpu else f"CPU ({n} threads)"
        )
        size_mb = path.stat().st_size / 1e6 if path.exists() else 0.0
        if progress:
            progress(f"loading {self.name} ({size_mb:.0f} MB) on {self.device}...")
        started = time.perf_counter()
        try:
            self._llama = llama_cpp.Llama(
                model_path=str(path),
                n_ctx=self.n_ctx,
                n_threads=n,
                n_threads_batch=n,
                n_gpu_layers=layers,
                verbose=False,
            )
        except (ValueError, RuntimeError, OSError) as exc:
            raise LLMError(
                f"the model {path} could not be loaded ({exc}); check the file with "
                "`kiosk models --verify --full` or set models.llm to another GGUF",
                code="llm_unavailable",
            ) from None
        self.load_s = time.perf_counter() - started
        if progress:
            progress(f"loaded {self.name} in {self.load_s:.2f} s")
        self._lock = threading.Lock()
        self._grammars: dict[str, Any] = {}

    def _grammar(self, text: str) -> Any:
        from llama_cpp.llama_grammar import LlamaGrammar

        if text not in self._grammars:
            try:
                self._grammars[text] = LlamaGrammar.from_string(text, verbose=False)
            except ValueError as exc:
                raise LLMError(f"bad grammar: {exc}", code="llm_bad_output") from None
        return self._grammars[text]

    def count_tokens(self, messages: Sequence[Message]) -> int:
        """Prompt size: message text plus a few template tokens per message."""
        text = "\n".join(m.content for m in messages)
        return len(self._llama.tokenize(text.encode("utf-8"), add_bos=True)) + 8 * len(messages)

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
        with self._lock:
            needed = self.count_tokens(messages) + max_tokens
            if needed > self.n_ctx:
                raise LLMError(
                    f"the request needs about {needed} tokens but the model's context is "
                    f"{self.n_ctx} (llm.n_ctx)",
                    code="llm_context_overflow",
                )
            deadline = time.monotonic() + timeout_s if timeout_s else None
            chat: list[Any] = [{"role": m.role, "content": m.content} for m in messages]
            chunks = self._llama.create_chat_completion(
                messages=chat,
                max_tokens=max_tokens,
                temperature=temperature,
                stop=list(stop),
                grammar=self._grammar(grammar) if grammar else None,
                stream=True,
            )
            for chunk in chunks:
                delta = chunk["choices"][0]["delta"]  # type: ignore[index]
                text = delta.get("content") if isinstance(delta, dict) else None
                if text:
                    yield text
                if deadline is not None and time.monotonic() > deadline:
                    raise LLMError(
                        f"the model took longer than {timeout_s:g} s (llm.timeout_s)",
                        code="llm_timeout",
                    )

    def warm(self, messages: Sequence[Message]) -> None:
        """Evaluate a prompt once so its prefix is in the KV cache for the next turn."""
        self.complete([*messages, Message("user", "Hello")], max_tokens=1, temperature=0.0)

    def reset(self) -> None:
        """Forget the KV cache (benchmarks use it to time a cold prompt)."""
        with self._lock:
            self._llama.reset()  # type: ignore[no-untyped-call]

    def close(self) -> None:
        with self._lock:
            self._llama.close()
