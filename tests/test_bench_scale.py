"""The issue-16 benches run and print their figures (the figures themselves are the
README's, measured on quiet machines; tests only check that they are produced)."""

from __future__ import annotations

import importlib.util
import re
from pathlib import Path

import pytest

from kiosk.bench import serve_bench, startup_bench
from kiosk.catalog.demo import seed_demo
from kiosk.config import load

SERVER_NEEDS = ("fastapi", "uvicorn", "sse_starlette", "starlette_context", "pydantic_settings")


def test_bench_startup_prints_cold_ask_first_turn_and_memory(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert seed_demo(tmp_path / "catalog.sqlite3")
    cfg = load(env={"KIOSK_HOME": str(tmp_path), "KIOSK_LLM_N_THREADS": "2"})
    assert startup_bench.run(cfg, products=None, rounds=3) == 0
    out = capsys.readouterr().out
    assert re.search(r"cold `kiosk ask --no-llm`.*p50 \d+\.\d\d s", out), out
    assert re.search(r"first turn \d+\.\d ms", out), out
    for model in ("chat model", "embeddings", "ASR (whisper)", "voice (piper)"):
        assert re.search(rf"\+ {re.escape(model)}\s+RSS\s+\d+ MB", out), (model, out)
    total = re.search(r"every model loaded: (\d+) MB", out)
    assert total is not None and int(total.group(1)) > 100


@pytest.mark.slow
def test_bench_serve_runs_kiosks_against_the_real_server(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    missing = [m for m in SERVER_NEEDS if importlib.util.find_spec(m) is None]
    if missing:
        pytest.skip(f"llama_cpp.server needs the [server] extra (missing {', '.join(missing)})")
    cfg = load(env={"KIOSK_HOME": str(tmp_path)})
    assert serve_bench.run(cfg, kiosks=[1, 2], turns=1, threads=2) == 0
    out = capsys.readouterr().out
    rows = {
        int(m.group(1)): int(m.group(2)) for m in re.finditer(r"^\s+(\d+)\s+(\d+)\s", out, re.M)
    }
    assert rows == {1: 1, 2: 2}, out
