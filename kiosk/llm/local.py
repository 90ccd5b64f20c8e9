"""llama-cpp-python in-process: one long-lived model, one lock, a warm system prompt.

Keeping one `Llama` object alive lets llama.cpp reuse the KV cache of the longest
common prefix of consecutive prompts (our system prompt) between turns: measured
37-110 ms to first token warm against 0.56-1.3 s cold on 2 cores. All layers go to
CUDA/Metal when the build supports offload; the CPU thread count is set explicitly
because llama.cpp's default (half the cores) is 1.4-1.55x slower on 2 cores.
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import threading
import time
from collections.abc import Generator, Iterator, Sequence
from pathlib import Path
from typing import Any

from kiosk.config import Config
from kiosk.llm.adapter import LORA_FIX, AdapterInfo, inspect_adapter, lora_path
from kiosk.llm.base import LLMError, Message, Progress, StreamingChat, deadline
from kiosk.llm.runtime import QUIET_LOCK
from kiosk.llm.runtime import llama_cpp as load_llama_cpp

_QUIET: Any = None  # the no-op log callback; llama.cpp keeps a pointer to it
_GPU_NAMES = ("CUDA", "Metal", "Vulkan", "SYCL", "ROCm", "HIP")


def _silence_llama_logs() -> None:
    """Send llama.cpp's and ggml's logging nowhere, so it never lands on a shopper's screen."""
    global _QUIET
    llama_cpp = load_llama_cpp()

    if _QUIET is None:
        _QUIET = llama_cpp.llama_log_callback(lambda level, text, user_data: None)
        llama_cpp.llama_log_set(_QUIET, ctypes.c_void_p(0))


def threads(cfg: Config) -> int:
    """Decode threads: llm.n_threads, or every core (0)."""
    return cfg.llm.n_threads or os.cpu_count() or 1


def _gpu_name(llama_cpp: Any) -> str:
    info = bytes(llama_cpp.llama_print_system_info()).decode("utf-8", "replace")
    return next((name for name in _GPU_NAMES if name in info), "GPU")


class LocalLlama(StreamingChat):
    """A GGUF model in this process. Thread-safe: one generation at a time.

    A stream holds the model's lock until it is exhausted or closed, so consume it
    (or `close()` it) before starting another.
    """

    def __init__(self, path: Path, cfg: Config, *, progress: Progress | None = None) -> None:
        llama_cpp = load_llama_cpp()

        _silence_llama_logs()
        say: Progress = progress or (lambda _msg: None)
        self.path = Path(path)
        self.name = self.path.name
        self.n_ctx = cfg.llm.n_ctx
        self.n_threads = threads(cfg)
        self.timeout_s = cfg.llm.timeout_s
        offload = cfg.llm.n_gpu_layers != 0 and bool(llama_cpp.llama_supports_gpu_offload())
        layers = cfg.llm.n_gpu_layers if offload else 0
        if not self.path.is_file():
            raise LLMError(
                f"the model file {self.path} does not exist; run `kiosk models` or fix models.llm",
                code=LLMError.UNAVAILABLE,
            )
        self.lora: AdapterInfo | None = None
        lora = lora_path(cfg)
        if lora is not None:
            # Checked first: llama.cpp says only "Failed to initialize LoRA adapter".
            self.lora = inspect_adapter(lora)
        say(f"loading {self.name} ({self.path.stat().st_size / 1e6:.0f} MB)…")
        started = time.perf_counter()
        adapter: dict[str, Any] = {}
        if self.lora is not None:
            adapter = {"lora_path": str(self.lora.path), "lora_scale": cfg.llm.lora_scale}
        try:
            with QUIET_LOCK:  # one model load at a time: see kiosk.llm.runtime
                self._llama: Any = llama_cpp.Llama(
                    model_path=str(self.path),
                    n_ctx=self.n_ctx,
                    n_threads=self.n_threads,
                    n_threads_batch=self.n_threads,
                    n_gpu_layers=layers,
                    verbose=False,
                    **adapter,
                )
        except (ValueError, RuntimeError, OSError) as exc:
            if self.lora is not None and "LoRA" in str(exc):
                inspect_adapter(self.lora.path, self.path)  # says which tensor or arch
                raise LLMError(
                    f"the LoRA adapter {self.lora.path} could not be applied to {self.name} "
                    f"({exc}); {LORA_FIX}",
                    code=LLMError.UNAVAILABLE,
                ) from None
            why = "" if str(self.path) in str(exc) else f": {exc}"
            raise LLMError(
                f"the model file {self.path} could not be loaded{why} (truncated, not a GGUF, "
                "or a model this llama.cpp build doesn't know); check it with "
                "`kiosk models --verify --full`, or set models.llm to another GGUF",
                code=LLMError.UNAVAILABLE,
            ) from None
        if self.lora is not None and not getattr(self._llama, "_lora_adapter", True):
            self._refuse_adapter(self.lora.path)
        self.load_s = time.perf_counter() - started
        if offload:
            meta = self._llama.metadata
            total = int(meta.get(f"{meta.get('general.architecture', '')}.block_count", 0)) + 1
            count = total if layers < 0 or layers >= total else layers
            gpu = _gpu_name(llama_cpp)
            self.device = f"{gpu} {count} layers"
            where = f"{gpu} ({count} of {total} layers)"
            if count < total:
                self.device += f" + CPU x{self.n_threads} threads"
        else:
            self.device = f"CPU x{self.n_threads} threads"
            where = f"CPU ({self.n_threads} threads)"
        if self.lora is not None:
            self.device += f" + LoRA {self.lora.path.name}"
            where += f" with the LoRA adapter {self.lora.path.name}"
        say(f"loaded in {self.load_s:.2f} s on {where}")
        self._lock = threading.Lock()
        self._closed = False
        self._grammars: dict[str, Any] = {}
        self._formatter = self._chat_formatter()

    def _refuse_adapter(self, lora: Path) -> None:
        """llama-cpp-python 0.3.36 takes llama.cpp's NULL for an adapter it refused (another
        architecture, wrong shapes) as loaded, and goes on with the bare model: a store
        would think its adapter runs. Free the model and say why, from the headers."""
        self._llama._lora_adapter = None  # nothing to free; llama.cpp made none
        self._llama.close()
        inspect_adapter(lora, self.path)  # raises with the tensor or architecture at fault
        raise LLMError(
            f"the LoRA adapter {lora} was refused by llama.cpp for {self.name}; {LORA_FIX}",
            code=LLMError.UNAVAILABLE,
        )

    # ------------------------------------------------------------ prompt size

    def _chat_formatter(self) -> Any:
        """The model's own chat template, to count prompt tokens exactly; None if it has none."""
        template = self._llama.metadata.get("tokenizer.chat_template")
        if not template or self._llama.chat_format != "chat_template.default":
            return None
        from llama_cpp.llama_chat_format import Jinja2ChatFormatter

        model = self._llama._model
        eos, bos = self._llama.token_eos(), self._llama.token_bos()
        return Jinja2ChatFormatter(
            template=template,
            eos_token=model.token_get_text(eos) if eos != -1 else "",
            bos_token=model.token_get_text(bos) if bos != -1 else "",
            stop_token_ids=[eos],
        )

    def prompt_ids(self, messages: Sequence[Message]) -> list[int] | None:
        """The exact prompt the chat handler will feed llama.cpp; None without a template."""
        if self._formatter is None:
            return None
        try:
            result = self._formatter(messages=_chat(messages))
        except Exception:  # a template that rejects these roles; llama.cpp will say why
            return None
        ids: list[int] = self._llama.tokenize(
            result.prompt.encode("utf-8"), add_bos=not result.added_special, special=True
        )
        return ids

    def prompt_size(self, messages: Sequence[Message]) -> int:
        """Prompt tokens: exact with the model's template, else the text + 8 per message."""
        ids = self.prompt_ids(messages)
        if ids is not None:
            return len(ids)
        text = "\n".join(m.content for m in messages)
        return len(self._llama.tokenize(text.encode("utf-8"), add_bos=True)) + 8 * (
            len(messages) + 1
        )

    # ------------------------------------------------------------ generating

    @contextlib.contextmanager
    def _held(self, until: float | None) -> Iterator[None]:
        """The model's lock; waiting for a busy model counts against the deadline."""
        wait = -1.0 if until is None else max(0.0, until - time.monotonic())
        if not self._lock.acquire(timeout=wait):
            raise LLMError(
                "the model was busy with another request past the time limit (llm.timeout_s)",
                code=LLMError.TIMEOUT,
            )
        try:
            if self._closed:
                raise LLMError(f"the model {self.name} is closed", code=LLMError.UNAVAILABLE)
            yield
        finally:
            self._lock.release()

    def _grammar(self, text: str) -> Any:
        """A checked grammar, cached by its text: llama.cpp crashes on one it can't parse."""
        cached = self._grammars.get(text)
        if cached is not None:
            return cached
        llama_cpp = load_llama_cpp()
        from llama_cpp._utils import suppress_stdout_stderr
        from llama_cpp.llama_grammar import LlamaGrammar

        grammar = LlamaGrammar.from_string(text, verbose=False)
        # The parser prints its complaint straight to stderr; keep it off the screen.
        with QUIET_LOCK, suppress_stdout_stderr(disable=False):
            sampler = llama_cpp.llama_sampler_init_grammar(
                self._llama._model.vocab, text.encode("utf-8"), b"root"
            )
        if not sampler:
            raise LLMError(
                f"invalid llama.cpp grammar (GBNF) {text[:120]!r}", code=LLMError.BAD_OUTPUT
            )
        llama_cpp.llama_sampler_free(sampler)
        self._grammars[text] = grammar
        return grammar

    def stream(
        self,
        messages: Sequence[Message],
        *,
        max_tokens: int = 64,
        temperature: float = 0.3,
        stop: Sequence[str] = (),
        grammar: str | None = None,
        timeout_s: float | None = None,
    ) -> Generator[str, None, None]:
        """Text chunks as decoded. Overflow, a bad grammar or a closed model raise here."""
        if max_tokens < 1:
            raise ValueError("max_tokens must be at least 1")
        until = deadline(timeout_s, self.timeout_s)
        with self._held(until):
            prompt = self.prompt_size(messages)
            if prompt + max_tokens > self.n_ctx:
                raise LLMError(
                    f"the request needs about {prompt} prompt + {max_tokens} reply tokens, "
                    f"more than the model's context of {self.n_ctx} (llm.n_ctx); "
                    "shorten the prompt or raise llm.n_ctx",
                    code=LLMError.CONTEXT_OVERFLOW,
                )
            compiled = self._grammar(grammar) if grammar else None
        return self._generate(messages, max_tokens, temperature, stop, compiled, until, timeout_s)

    def _generate(
        self,
        messages: Sequence[Message],
        max_tokens: int,
        temperature: float,
        stop: Sequence[str],
        grammar: Any,
        until: float | None,
        timeout_s: float | None,
    ) -> Generator[str, None, None]:
        with self._held(until):
            chunks: Any = None
            try:
                chunks = self._llama.create_chat_completion(
                    messages=_chat(messages),
                    max_tokens=max_tokens,
                    temperature=temperature,
                    stop=list(stop),
                    grammar=grammar,
                    stream=True,
                )
                for chunk in chunks:
                    if until is not None and time.monotonic() > until:
                        limit = self.timeout_s if timeout_s is None else timeout_s
                        raise LLMError(
                            f"the model took longer than {limit:g} s (llm.timeout_s)",
                            code=LLMError.TIMEOUT,
                        )
                    text = chunk["choices"][0]["delta"].get("content")
                    if text:
                        yield text
            except (ValueError, RuntimeError) as exc:  # llama-cpp-python's own checks
                overflow = "context window" in str(exc)
                raise LLMError(
                    f"{self.name}: {exc}" + (" (llm.n_ctx)" if overflow else ""),
                    code=LLMError.CONTEXT_OVERFLOW if overflow else LLMError.UNAVAILABLE,
                ) from None
            finally:
                if chunks is not None:
                    chunks.close()  # leave llama.cpp's state consistent before the lock goes

    def warm(self, messages: Sequence[Message]) -> None:
        """Evaluate the messages once so their KV is cached for the next turn's prompt."""
        self.complete([*messages, Message("user", "Hello")], max_tokens=1, temperature=0.0)

    def reset(self) -> None:
        """Forget the KV cache (benchmarks and tests use it to time a cold prompt)."""
        with self._held(None):
            self._llama.reset()

    def close(self) -> None:
        """Free the model; later calls raise llm_unavailable. Safe to call twice."""
        with self._lock:
            if not self._closed:
                self._closed = True
                self._llama.close()


def _chat(messages: Sequence[Message]) -> list[dict[str, str]]:
    return [{"role": m.role, "content": m.content} for m in messages]
