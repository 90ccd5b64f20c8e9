"""The `kiosk` command as store scripts use it: exit codes, one-line errors, JSON."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest

from tests.conftest import CONTOSO, kiosk


def test_import_then_search_json(tmp_path: Path) -> None:
    r = kiosk(tmp_path, "import", str(CONTOSO))
    assert r.returncode == 0, r.stderr
    assert "imported 20 products" in r.stdout
    r = kiosk(tmp_path, "search", "tents", "--max-price", "300", "--json")
    assert r.returncode == 0, r.stderr
    found = json.loads(r.stdout)
    assert {p["name"] for p in found} == {"TrailMaster X4 Tent", "SkyView 2-Person Tent"}
    assert all(p["price"] <= 300 for p in found)


def test_search_batch_one_json_array_per_line(tmp_path: Path) -> None:
    assert kiosk(tmp_path, "import", str(CONTOSO)).returncode == 0
    r = kiosk(tmp_path, "search", "--batch", "-", "--limit", "3", stdin="tents\nxylophone\nstove\n")
    assert r.returncode == 0, r.stderr
    lines = [json.loads(line) for line in r.stdout.splitlines()]
    assert len(lines) == 3
    assert {p["name"] for p in lines[0]} == {
        "TrailMaster X4 Tent",
        "SkyView 2-Person Tent",
        "Alpine Explorer Tent",
    }
    assert lines[1] == []
    assert all("Stove" in p["name"] for p in lines[2])


def test_bad_import_prints_one_line_and_changes_nothing(tmp_path: Path) -> None:
    assert kiosk(tmp_path, "import", str(CONTOSO)).returncode == 0
    db = tmp_path / "catalog.sqlite3"
    before = kiosk(tmp_path, "search", "--json", "--limit", "100").stdout
    bad = tmp_path / "bad.csv"
    bad.write_text("id,name,price\nA1,Good Tent,10\nA2,Bad Tent,-5\n")
    r = kiosk(tmp_path, "import", str(bad))
    assert r.returncode == 2
    assert "Traceback" not in r.stderr
    assert "line 3" in r.stderr and "'price'" in r.stderr and "negative" in r.stderr
    assert r.stderr.count("\n") == 1, r.stderr
    assert kiosk(tmp_path, "search", "--json", "--limit", "100").stdout == before
    assert db.exists()


def test_config_error_names_the_key(tmp_path: Path) -> None:
    cfg = tmp_path / "kiosk.toml"
    cfg.write_text("[llm]\nthreads = 2\n")
    r = kiosk(tmp_path, "config", env={"KIOSK_CONFIG": str(cfg)})
    assert r.returncode == 2
    assert "llm.threads" in r.stderr and "Traceback" not in r.stderr


def test_search_without_catalog_says_how_to_make_one(tmp_path: Path) -> None:
    r = kiosk(tmp_path / "empty", "search", "tent")
    assert r.returncode == 2
    assert "kiosk import" in r.stderr and "Traceback" not in r.stderr


def test_demo_seeds_once_and_keeps_staff_edits(tmp_path: Path) -> None:
    r = kiosk(tmp_path, "demo")
    assert r.returncode == 0 and "seeded" in r.stdout
    r = kiosk(tmp_path, "ask", "--json", "Alpine Explorer Tent")
    reply = json.loads(r.stdout)
    first = reply["products"][0]
    assert first["name"] == "Alpine Explorer Tent"
    assert first["stock"] == 0 and first["aisle"] == "1", "the demo overlay placed it"
    assert set(reply) >= {"intent", "text", "products", "sources", "actions", "timings_ms"}
    # A second `kiosk demo` leaves the catalog alone.
    assert "already has products" in kiosk(tmp_path, "demo").stdout


def test_models_verify_reports_each_model(tmp_path: Path) -> None:
    r = kiosk(tmp_path, "models", "--verify")
    assert r.returncode == 0, r.stdout + r.stderr
    for name in ("smollm2", "whisper", "piper"):
        assert name in r.stdout


@pytest.mark.skipif(shutil.which("sqlite3") is None, reason="needs the sqlite3 shell")
def test_catalog_file_is_wal_and_strict(tmp_path: Path) -> None:
    kiosk(tmp_path, "demo")
    out = subprocess.run(
        [
            "sqlite3",
            str(tmp_path / "catalog.sqlite3"),
            "PRAGMA journal_mode; SELECT strict FROM pragma_table_list WHERE name = 'products';",
        ],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()
    assert out == ["wal", "1"]


@pytest.mark.slow
def test_say_then_ask_from_the_recording(tmp_path: Path) -> None:
    """kiosk say --out + kiosk ask --audio: the whole voice turn through the CLI."""
    assert kiosk(tmp_path, "demo").returncode == 0
    wav = tmp_path / "q.wav"
    r = kiosk(tmp_path, "say", "Where can I find the sleeping bags?", "--out", str(wav))
    assert r.returncode == 0 and wav.stat().st_size > 10_000
    r = kiosk(tmp_path, "ask", "--json", "--no-llm", "--audio", str(wav))
    reply = json.loads(r.stdout)
    assert reply["transcript"].lower().startswith("where can i find the sleeping bags")
    assert reply["intent"] == "product_location" and "aisle 7" in reply["text"]
    assert {"vad", "asr", "understand"} <= set(reply["timings_ms"])
    assert list(tmp_path.glob("*.wav")) == [wav], "no other audio was written"


def test_unreadable_audio_is_one_line(tmp_path: Path) -> None:
    assert kiosk(tmp_path, "demo").returncode == 0
    bad = tmp_path / "bad.wav"
    bad.write_bytes(b"not audio at all" * 100)
    r = kiosk(tmp_path, "ask", "--no-llm", "--audio", str(bad))
    assert r.returncode == 2 and "bad.wav" in r.stderr and "Traceback" not in r.stderr
