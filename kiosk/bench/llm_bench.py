"""`kiosk bench llm`: our engine against raw llama-cpp-python on the same model and threads.

Decode speed is timed from the first streamed chunk to the last, so prompt work is
excluded. Raw and engine get the same prompt tokens and sampling (greedy), and
their runs alternate so machine noise hits both; medians are reported and the
ratio engine/raw is the figure that matters (target >= 0.95). Also: load time,
prompt-processing tokens/s, and time to first token with the system prompt cold
(KV cache empty) vs warm (the same system prompt evaluated by the turn before).
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Iterable, Iterator
from typing import Any

from kiosk import models
from kiosk.config import Config
from kiosk.llm.base import Message
from kiosk.llm.local import LocalLlama, threads
from kiosk.llm.runtime import QUIET_LOCK
from kiosk.llm.runtime import llama_cpp as load_llama_cpp

STORY = "Write a long story about a hiker who finds a lost tent high in the mountains."
SYSTEM = (
    "You are the friendly assistant of an outdoor gear store. You help shoppers find tents, "
    "backpacks, boots, jackets, sleeping bags and stoves, and you answer questions about "
    "them using only the store's catalog. Keep answers short and kind. "
) * 6
QUESTIONS = ("Where are the tents?", "Do you sell stoves?", "Which boots are waterproof?")


def _decode_rate(chunks: Iterable[str]) -> tuple[float, int]:
    """(tokens/s between the first and the last non-empty chunk, chunk count)."""
    times = [time.perf_counter() for text in chunks if text]
    if len(times) < 3:
        return 0.0, len(times)
    return (len(times) - 1) / (times[-1] - times[0]), len(times)


def _raw_stream(llama: Any, prompt: list[int], n: int) -> Iterator[str]:
    """Plain llama-cpp-python: create_completion on the same prompt tokens, greedy."""
    for chunk in llama.create_completion(
        prompt=prompt, max_tokens=n, temperature=0.0, stop=[], stream=True
    ):
        yield chunk["choices"][0]["text"]


def _first_token_s(engine: LocalLlama, messages: list[Message]) -> float:
    t = time.perf_counter()
    stream = engine.stream(messages, max_tokens=4, temperature=0.0)
    next(iter(stream), None)
    elapsed = time.perf_counter() - t
    stream.close()  # releases the model's lock
    return elapsed


def measure(cfg: Config, *, tokens: int = 128, rounds: int = 3) -> dict[str, float]:
    """Run the benchmark on the configured local GGUF; print and return the figures."""
    llama_cpp = load_llama_cpp()

    path = models.resolve(cfg, "llm")
    n = threads(cfg)
    engine = LocalLlama(path, cfg)
    t0 = time.perf_counter()
    with QUIET_LOCK:  # one model load at a time: see kiosk.llm.runtime
        raw: Any = llama_cpp.Llama(
            model_path=str(path),
            n_ctx=cfg.llm.n_ctx,
            n_threads=n,
            n_threads_batch=n,
            n_gpu_layers=engine._llama.model_params.n_gpu_layers,
            verbose=False,
        )
    raw_load_s = time.perf_counter() - t0
    print(f"llm bench: {path.name} on {engine.device}, n_ctx {cfg.llm.n_ctx}")
    print(f"  load:   engine {engine.load_s:.2f} s, raw llama-cpp-python {raw_load_s:.2f} s")
    try:
        messages = [Message("user", STORY)]
        prompt = engine.prompt_ids(messages)
        if prompt is None:  # no chat template in the GGUF: compare on the plain text
            prompt = raw.tokenize(STORY.encode("utf-8"), add_bos=True)

        def raw_run(n_tokens: int) -> tuple[float, int]:
            raw.reset()
            return _decode_rate(_raw_stream(raw, prompt, n_tokens))

        def engine_run(n_tokens: int) -> tuple[float, int]:
            engine.reset()
            return _decode_rate(
                engine.stream(messages, max_tokens=n_tokens, temperature=0.0, timeout_s=0)
            )

        raw_run(16)  # untimed: first-call allocations and cold caches
        engine_run(16)
        rates: dict[str, list[float]] = {"raw": [], "engine": []}
        counts: set[int] = set()
        for i in range(rounds):  # alternating, and in turn first, so noise hits both
            order = (("raw", raw_run), ("engine", engine_run))
            for label, fn in order if i % 2 == 0 else reversed(order):
                rate, count = fn(tokens)
                rates[label].append(rate)
                counts.add(count)
        raw_rates, engine_rates = rates["raw"], rates["engine"]
        raw_tps, engine_tps = statistics.median(raw_rates), statistics.median(engine_rates)
        ratio = engine_tps / raw_tps if raw_tps else 0.0
        print(
            f"  decode: raw {raw_tps:.1f} tok/s, engine {engine_tps:.1f} tok/s, "
            f"ratio {ratio:.3f} (target >= 0.95; median of {rounds} alternating runs, "
            f"{'/'.join(str(c) for c in sorted(counts))} chunks each)"
        )

        # Prompt processing: evaluate the system prompt from an empty cache.
        system = [Message("system", SYSTEM)]
        ids = engine.prompt_ids([*system, Message("user", QUESTIONS[0])]) or prompt
        pp: list[float] = []
        for _ in range(rounds):
            raw.reset()
            t = time.perf_counter()
            raw.eval(ids)
            pp.append(len(ids) / (time.perf_counter() - t))
        prompt_tps = statistics.median(pp)
        print(f"  prompt: {prompt_tps:.0f} tok/s ({len(ids)} tokens, raw eval)")

        # First token: system prompt cold (cache empty) vs warm (same prefix cached).
        cold: list[float] = []
        warm: list[float] = []
        for i in range(rounds):
            engine.reset()
            cold.append(_first_token_s(engine, [*system, Message("user", QUESTIONS[i % 3])]))
            warm.append(_first_token_s(engine, [*system, Message("user", QUESTIONS[(i + 1) % 3])]))
        cold_s, warm_s = statistics.median(cold), statistics.median(warm)
        print(
            f"  first token: system prompt cold {cold_s * 1000:.0f} ms, warm "
            f"{warm_s * 1000:.0f} ms ({cold_s / warm_s:.1f}x faster warm; "
            f"{engine.prompt_size(system)} system prompt tokens)"
        )
    finally:
        raw.close()
        engine.close()
    return {
        "load_s": engine.load_s,
        "raw_load_s": raw_load_s,
        "decode_tps_raw": raw_tps,
        "decode_tps_engine": engine_tps,
        "decode_ratio": ratio,
        "prompt_tps": prompt_tps,
        "ttft_cold_ms": cold_s * 1000,
        "ttft_warm_ms": warm_s * 1000,
    }


def run(cfg: Config) -> int:
    """`kiosk bench llm`: print the figures."""
    if cfg.llm.backend != "local":
        print(f"llm bench: llm.backend is {cfg.llm.backend!r}; timing the local GGUF anyway")
    measure(cfg)
    return 0
