"""Sentence embeddings in process: a BERT-style GGUF run by llama.cpp (`embedding=True`).

The bundled model is all-MiniLM-L6-v2 (384 dimensions), converted at `kiosk models`
time (kiosk/models/convert.py). Its vectors match sentence-transformers' own: cosine
>= 0.99999 on the reference sentences in tests/data/embeddings/.

Measured on the 2-core dev machine, one thread, CPU time (steady even while other work
shares the cores, which wall-clock figures were not that day; `kiosk bench embed`
prints those): a shopper request (~9 tokens) costs ~3 ms alone and ~1.8 ms in a batch
of 16; a product text (name, category, 400 characters of description: ~91 tokens)
~18 ms at any batch size. Cost grows with tokens: ~5,000 tokens per CPU-second.
Flash attention takes 1.3-1.4x less CPU than llama.cpp's default attention, which
computes each batch's attention over all of its tokens, so that without it batches
of more than 4 cost more per text (why batches of 1-4 measured fastest before) and a
product text alone was fastest. With it, bigger batches only help: `BATCH` texts (at
most `N_CTX` tokens) go in one decode. With 2 threads on a lightly loaded machine: a
request p50 2.1-2.2 ms, a product text ~13 ms, 70-100 products/s in batches. Load
0.05-0.15 s; RSS grows ~100 MB. One lock: one decode at a time, like the chat model's;
the query cache is under the same lock.
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from kiosk.config import Config
from kiosk.llm.base import LLMError, Progress
from kiosk.llm.local import _silence_llama_logs, threads
from kiosk.llm.runtime import QUIET_LOCK
from kiosk.llm.runtime import llama_cpp as load_llama_cpp

Vectors = npt.NDArray[np.float32]

# Texts per llama.cpp decode (at most N_CTX tokens together): with flash attention, more
# is cheaper per text for short texts and the same for long ones (see the docstring).
BATCH = 16
# Tokens per text, [CLS] and [SEP] included: sentence-transformers' max_seq_length for
# all-MiniLM-L6-v2 (the model was trained on 128; its positions go to 512). Longer texts
# are cut there, as sentence-transformers cuts them.
MAX_TOKENS = 256
# Tokens of one decode (and the context): several texts of MAX_TOKENS fit.
N_CTX = 512
CACHE_SIZE = 2048  # query vectors kept (1.5 KB each for 384 dimensions)


class Embedder:
    """Text in, L2-normalized float32 vectors out. Thread-safe: one decode at a time.

    `n_threads` (0: llm.n_threads, else every core): on a 2-core machine that is busy
    with other work, 2 llama.cpp threads wait on each other at every step (measured
    117 ms for a product text against 20 ms with 1 thread, at load 4.5): background
    work such as embedding a catalog import beside a shopper's turn wants 1.
    """

    def __init__(
        self,
        path: Path,
        cfg: Config,
        *,
        batch: int = BATCH,
        n_threads: int = 0,
        max_tokens: int = MAX_TOKENS,
        cache_size: int = CACHE_SIZE,
        progress: Progress | None = None,
    ) -> None:
        llama_cpp = load_llama_cpp()

        _silence_llama_logs()
        say: Progress = progress or (lambda _msg: None)
        self.path = Path(path)
        self.name = self.path.name
        self.n_threads = n_threads or threads(cfg)
        self.batch = max(1, batch)
        if not self.path.is_file():
            raise LLMError(
                f"the embedding model {self.path} does not exist; run `kiosk models` or fix "
                "models.embed",
                code=LLMError.UNAVAILABLE,
            )
        offload = cfg.llm.n_gpu_layers != 0 and bool(llama_cpp.llama_supports_gpu_offload())
        say(f"loading {self.name} ({self.path.stat().st_size / 1e6:.0f} MB)…")
        started = time.perf_counter()
        try:
            with QUIET_LOCK:  # one model load at a time: see kiosk.llm.runtime
                self._llama: Any = llama_cpp.Llama(
                    model_path=str(self.path),
                    embedding=True,
                    n_ctx=N_CTX,
                    n_batch=N_CTX,
                    n_ubatch=N_CTX,  # a non-causal model needs each batch in one ubatch
                    flash_attn=True,  # 1.3-1.4x less CPU per text, and batches stop costing extra
                    n_threads=self.n_threads,
                    n_threads_batch=self.n_threads,
                    n_gpu_layers=cfg.llm.n_gpu_layers if offload else 0,
                    verbose=False,
                )
        except (ValueError, RuntimeError, OSError) as exc:
            why = "" if str(self.path) in str(exc) else f": {exc}"
            raise LLMError(
                f"the embedding model {self.path} could not be loaded{why} (truncated, not a "
                "GGUF, or not a model llama.cpp embeds with); check it with `kiosk models "
                "--verify --full`, or set models.embed to another GGUF",
                code=LLMError.UNAVAILABLE,
            ) from None
        self.load_s = time.perf_counter() - started
        if int(self._llama._ctx.pooling_type()) == llama_cpp.LLAMA_POOLING_TYPE_NONE:
            self._llama.close()
            raise LLMError(
                f"{self.path} has no pooling (one vector per token, not per text); "
                "set models.embed to a sentence-embedding GGUF",
                code=LLMError.UNAVAILABLE,
            )
        self.dim: int = self._llama.n_embd()
        self.max_tokens = max(2, min(max_tokens, N_CTX, self._llama._model.n_ctx_train()))
        self._get_seq = llama_cpp.llama_get_embeddings_seq
        self._lock = threading.Lock()
        self._cache: OrderedDict[str, Vectors] = OrderedDict()
        self._cache_size = cache_size
        self._closed = False
        say(f"loaded in {self.load_s:.2f} s ({self.dim} dimensions, {self.n_threads} threads)")

    # ---------------------------------------------------------------- public

    def embed(self, texts: Sequence[str]) -> Vectors:
        """One L2-normalized vector per text, shape (len(texts), dim), float32."""
        out = np.empty((len(texts), self.dim), dtype=np.float32)
        with self._lock:
            self._check_open()
            ids = [self._tokens(t) for t in texts]
            start = 0
            while start < len(ids):
                end, total = start, 0
                while end < len(ids) and end - start < self.batch:
                    if total + len(ids[end]) > N_CTX and end > start:
                        break
                    total += len(ids[end])
                    end += 1
                out[start:end] = self._decode(ids[start:end])
                start = end
        return out

    def embed_query(self, text: str) -> Vectors:
        """One text's vector, shape (dim,), from a cache of recent texts (read-only)."""
        key = " ".join(text.split())  # the tokenizer splits on whitespace anyway
        with self._lock:
            hit = self._cache.get(key)
            if hit is not None:
                self._cache.move_to_end(key)
                return hit
        vector: Vectors = self.embed([key])[0]
        vector.flags.writeable = False
        with self._lock:
            self._cache[key] = vector
            while len(self._cache) > self._cache_size:
                self._cache.popitem(last=False)
        return vector

    def embed_queries(self, texts: Sequence[str]) -> Vectors:
        """Several texts' vectors, shape (len(texts), dim), from the cache where it has
        them; the others in one decode (two short texts cost about what one does)."""
        keys = [" ".join(t.split()) for t in texts]
        out = np.empty((len(keys), self.dim), dtype=np.float32)
        missing: list[int] = []
        with self._lock:
            for i, key in enumerate(keys):
                hit = self._cache.get(key)
                if hit is None:
                    missing.append(i)
                else:
                    self._cache.move_to_end(key)
                    out[i] = hit
        if missing:
            made = self.embed([keys[i] for i in missing])
            with self._lock:
                for i, vector in zip(missing, made, strict=True):
                    out[i] = vector
                    kept = vector.copy()
                    kept.flags.writeable = False
                    self._cache[keys[i]] = kept
                while len(self._cache) > self._cache_size:
                    self._cache.popitem(last=False)
        return out

    def tokens(self, text: str) -> list[int]:
        """[CLS] text [SEP] as token ids, cut to `max_tokens` with the [SEP] kept."""
        with self._lock:
            self._check_open()
            return self._tokens(text)

    def clear_cache(self) -> None:
        """Forget the cached query vectors (a bench timing requests never seen before)."""
        with self._lock:
            self._cache.clear()

    def close(self) -> None:
        with self._lock:
            if not self._closed:
                self._closed = True
                self._cache.clear()
                self._llama.close()

    # -------------------------------------------------------------- internals

    def _check_open(self) -> None:
        if self._closed:
            raise LLMError("the embedding model is closed", code=LLMError.UNAVAILABLE)

    def _tokens(self, text: str) -> list[int]:
        ids: list[int] = self._llama.tokenize(text.encode("utf-8"), add_bos=True, special=False)
        if len(ids) > self.max_tokens:
            ids = [*ids[: self.max_tokens - 1], ids[-1]]
        return ids

    def _decode(self, group: Sequence[list[int]]) -> Vectors:
        """One llama.cpp decode of a few texts (one sequence each); their pooled vectors."""
        llama = self._llama
        batch = llama._batch
        batch.reset()
        for seq, ids in enumerate(group):
            batch.add_sequence(ids, seq, True)
        try:
            llama._ctx.decode(batch)
        except RuntimeError as exc:
            raise LLMError(f"embedding failed: {exc}", code=LLMError.BAD_OUTPUT) from None
        finally:
            batch.reset()
        out = np.empty((len(group), self.dim), dtype=np.float32)
        for seq in range(len(group)):
            ptr = self._get_seq(llama._ctx.ctx, seq)
            out[seq] = np.ctypeslib.as_array(ptr, shape=(self.dim,))
        norms = np.linalg.norm(out, axis=1, keepdims=True)
        norms[norms == 0] = 1.0
        out /= norms
        return out


def load_embedder(cfg: Config, *, progress: Progress | None = None, n_threads: int = 0) -> Embedder:
    """The configured embedding model (`models.embed`, else the bundled one), loaded.

    Raises ModelError (file missing or corrupt) or LLMError, each one line naming the
    file and the fix.
    """
    from kiosk.models.paths import resolve

    return Embedder(resolve(cfg, "embed"), cfg, progress=progress, n_threads=n_threads)
