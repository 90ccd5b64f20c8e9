"""Sentence embeddings on the real bundled model (all-MiniLM-L6-v2 as a GGUF, llama.cpp).

The reference vectors come from sentence-transformers itself (tests/data/embeddings):
our conversion and runtime must give the same vectors, not merely similar ones.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from kiosk import models
from kiosk.config import Config
from kiosk.errors import ModelError
from kiosk.llm.base import LLMError
from kiosk.llm.embed import Embedder, load_embedder

REFERENCE = Path(__file__).resolve().parent / "data" / "embeddings" / "minilm_reference.json"

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def reference() -> dict[str, Any]:
    data: dict[str, Any] = json.loads(REFERENCE.read_text(encoding="utf-8"))
    return data


@pytest.fixture(scope="module")
def embedder(llm_cfg: Config) -> Iterator[Embedder]:
    e = load_embedder(llm_cfg)
    yield e
    e.close()


def _unit(rows: Any) -> np.ndarray[Any, np.dtype[np.float32]]:
    v = np.asarray(rows, dtype=np.float32)
    return v / np.linalg.norm(v, axis=-1, keepdims=True)


def test_vectors_match_sentence_transformers(embedder: Embedder, reference: dict[str, Any]) -> None:
    vectors = embedder.embed(reference["sentences"])
    assert vectors.dtype == np.float32
    assert vectors.shape == (len(reference["sentences"]), 384) == (12, embedder.dim)
    np.testing.assert_allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)
    cosines = (vectors * _unit(reference["vectors"])).sum(axis=1)
    for sentence, cos in zip(reference["sentences"], cosines, strict=True):
        assert cos >= 0.999, f"{sentence!r}: cosine {cos:.6f} with sentence-transformers"
    print(f"cosine with sentence-transformers: min {cosines.min():.6f}")


def test_a_need_finds_the_product_that_meets_it(
    embedder: Embedder, reference: dict[str, Any]
) -> None:
    """The reference set pairs five requests in shoppers' words with five product texts."""
    requests, products = reference["sentences"][:5], reference["sentences"][5:10]
    scores = np.stack([embedder.embed_query(r) for r in requests]) @ embedder.embed(products).T
    assert list(scores.argmax(axis=1)) == [0, 1, 2, 3, 4], scores.round(3)


def test_batches_do_not_mix_texts(embedder: Embedder, reference: dict[str, Any]) -> None:
    """One decode holds several texts; each must come out as if it were alone.

    Not bit for bit: the sums run in another order in a bigger batch (measured up to
    6e-5 apart per dimension), far below what attention across texts would change.
    """
    alone = np.stack([embedder.embed([s])[0] for s in reference["sentences"]])
    default = embedder.batch
    try:
        for batch in (2, 16):
            embedder.batch = batch
            cosines = (embedder.embed(reference["sentences"]) * alone).sum(axis=1)
            assert cosines.min() > 0.99999, (batch, cosines)
    finally:
        embedder.batch = default
    assert embedder.embed([]).shape == (0, 384)


def test_long_text_is_cut_to_the_model_context(embedder: Embedder) -> None:
    long = "A roomy four-season tent for families who camp in the snow. " * 200
    ids = embedder.tokens(long)
    assert len(ids) == embedder.max_tokens == 256
    assert ids[0] == embedder.tokens("")[0] and ids[-1] == embedder.tokens("")[-1], "[CLS]…[SEP]"
    both = embedder.embed([long, long[: len(long) // 2]])  # both longer than 256 tokens
    assert float(both[0] @ both[1]) > 0.99999


def test_query_cache(llm_cfg: Config) -> None:
    e = Embedder(models.resolve(llm_cfg, "embed"), llm_cfg, cache_size=2)
    try:
        first = e.embed_query("a raincoat")
        assert e.embed_query("  a   raincoat ") is first, "whitespace does not matter"
        assert not first.flags.writeable, "a cached vector can't be changed by a caller"
        np.testing.assert_allclose(first, e.embed(["a raincoat"])[0], atol=1e-6)
        e.embed_query("trousers for hiking")
        e.embed_query("a raincoat")  # most recent again
        e.embed_query("a stove")  # evicts "trousers for hiking", the least recent
        assert e.embed_query("a raincoat") is first
        assert list(e._cache) == ["a stove", "a raincoat"]
    finally:
        e.close()
    with pytest.raises(LLMError, match="closed"):
        e.embed(["a raincoat"])


def test_threads_share_one_embedder(embedder: Embedder, reference: dict[str, Any]) -> None:
    sentences = reference["sentences"]
    expected = embedder.embed(sentences)
    results: dict[int, Any] = {}
    errors: list[BaseException] = []

    def work(k: int) -> None:
        try:
            if k % 2:
                results[k] = embedder.embed(sentences)
            else:
                results[k] = np.stack([embedder.embed_query(f"{s} #{k}") for s in sentences])
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(k,)) for k in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert not errors, errors
    for k in range(1, 6, 2):
        np.testing.assert_allclose(results[k], expected, atol=2e-5)
    for k in range(0, 6, 2):
        assert results[k].shape == expected.shape


def test_a_chat_model_is_refused_as_an_embedder(llm_cfg: Config) -> None:
    """SmolLM2 loads with embedding=True but pools nothing: one line, the fix in it."""
    with pytest.raises(LLMError, match=r"no pooling.*models\.embed") as exc:
        Embedder(models.resolve(llm_cfg, "llm"), llm_cfg)
    assert "\n" not in str(exc.value)


def test_missing_embedding_model_names_file_and_fix(tmp_path: Path, llm_cfg: Config) -> None:
    import dataclasses

    cfg = dataclasses.replace(
        llm_cfg, models=dataclasses.replace(llm_cfg.models, dir=str(tmp_path))
    )
    with pytest.raises(ModelError) as exc:
        load_embedder(cfg)
    msg = str(exc.value)
    assert str(tmp_path / "all-MiniLM-L6-v2.gguf") in msg and "`kiosk models`" in msg
    assert "missing" in msg and "\n" not in msg and exc.value.code == "model_missing"

    override = dataclasses.replace(
        llm_cfg, models=dataclasses.replace(llm_cfg.models, embed=str(tmp_path / "x.gguf"))
    )
    with pytest.raises(ModelError, match=r"'models\.embed'.*KIOSK_MODELS_EMBED"):
        load_embedder(override)


def test_bench_prints_its_figures(
    llm_cfg: Config, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from kiosk.bench import embed_bench

    monkeypatch.setattr(embed_bench, "REQUESTS", embed_bench.REQUESTS[:5])
    assert embed_bench.run(llm_cfg, rounds=1, count=20) == 0
    out = capsys.readouterr().out
    for figure in ("load", "resident memory", "one product text", "cached", "batch 16"):
        assert figure in out, out
    assert "description[:0]" in out and "76.8 MB" in out
