"""`kiosk bench llm`: our engine against raw llama-cpp-python on the same model and threads.

Decode speed is timed from the first streamed token to the last, so prompt work
is excluded; raw and engine runs alternate so machine noise hits both, and the
ratio engine/raw is the figure (target >= 0.95). Also: load time, prompt
tokens/s, and time to first token with the system prompt cold vs warm.
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Iterable, Iterator
from typing import Any

from kiosk import provision
from kiosk.config import Config
from kiosk.llm.base import Message
from kiosk.llm.local import LocalLlama, threads

PROMPT = "Write a short story about a hiker who finds a lost tent in the mountains."
SYSTEM = (
    "You are the friendly assistant of an outdoor gear store. You help shoppers find tents, "
    "backpacks, boots, jackets, sleeping bags and stoves, and you answer questions about "
    "them using only the store's catalog. " * 4
)


def _decode_rate(chunks: Iterable[object]) -> tuple[float, int]:
    """Tokens/s between the first and the last streamed chunk (one chunk ~ one token)."""
    times = [time.perf_counter() for _ in chunks]
    if len(times) < 3:
        return 0.0, len(times)
    return (len(times) - 1) / (times[-1] - times[0]), len(times)


def _raw_stream(llama: Any, n: int) -> Iterator[object]:
    """Plain llama-cpp-python, as a developer would call it: the same chat request."""
    yield from llama.create_chat_completion(
        messages=[{"role": "user", "content": PROMPT}],
        max_tokens=n,
        temperature=0.0,
        stream=True,
    )


def run(cfg: Config, *, tokens: int = 128, rounds: int = 3) -> int:
    import llama_cpp

    path = provision.resolve(cfg, "llm")
    n = threads(cfg)
    t0 = time.perf_counter()
    engine = LocalLlama(path, cfg)
    load_s = time.perf_counter() - t0
    raw: Any = llama_cpp.Llama(
        model_path=str(path),
        n_ctx=cfg.llm.n_ctx,
        n_threads=n,
        n_threads_batch=n,
        n_gpu_layers=engine._llama.model_params.n_gpu_layers,
        verbose=False,
    )
    print(f"llm: {path.name} on {engine.device}, load {load_s:.2f} s")
    raw_rates: list[float] = []
    engine_rates: list[float] = []
    for _ in range(rounds):
        raw.reset()
        rate, _count = _decode_rate(_raw_stream(raw, tokens))
        raw_rates.append(rate)
        engine.reset()
        rate, _count = _decode_rate(
            engine.stream([Message("user", PROMPT)], max_tokens=tokens, temperature=0.0)
        )
        engine_rates.append(rate)
    raw_med, eng_med = statistics.median(raw_rates), statistics.median(engine_rates)
    print(
        f"decode: raw llama-cpp-python {raw_med:.1f} tok/s, kiosk engine {eng_med:.1f} tok/s, "
        f"ratio {eng_med / raw_med:.3f} (target >= 0.95; {rounds} alternating runs each)"
    )
    # Prompt processing and the warm system prompt.
    system = [Message("system", SYSTEM)]
    prompt_tokens = engine.count_tokens(system)
    cold, warm = [], []
    for i in range(rounds):
        engine.reset()
        question = [Message("user", f"Where are the tents? ({i})")]
        t = time.perf_counter()
        next(iter(engine.stream([*system, *question], max_tokens=4, temperature=0.0)), None)
        cold.append(time.perf_counter() - t)
        question = [Message("user", f"Where are the stoves? ({i})")]
        t = time.perf_counter()
        next(iter(engine.stream([*system, *question], max_tokens=4, temperature=0.0)), None)
        warm.append(time.perf_counter() - t)
    cold_s, warm_s = statistics.median(cold), statistics.median(warm)
    print(f"prompt: {prompt_tokens} tokens, {prompt_tokens / cold_s:.0f} tok/s cold")
    print(
        f"time to first token: system prompt cold {cold_s * 1000:.0f} ms, "
        f"warm {warm_s * 1000:.0f} ms ({cold_s / warm_s:.1f}x faster warm)"
    )
    raw.close()
    engine.close()
    return 0
