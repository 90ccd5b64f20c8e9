"""The `kiosk` command as store scripts use it: exit codes, one-line errors, JSON."""

from __future__ import annotations

import json
import shutil
import sqlite3
import subprocess
from pathlib import Path

import pytest

from tests.conftest import CONTOSO, kiosk
from tests.faults import one_line, run_kiosk, unprivileged_prefix


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


# -- issue 12 / 15: import merges, reports what changed and every problem ------------------


def _search(home: Path, *args: str) -> list[dict[str, object]]:
    r = kiosk(home, "search", "--json", "--limit", "100", *args)
    assert r.returncode == 0, r.stderr
    found: list[dict[str, object]] = json.loads(r.stdout)
    return found


def test_partial_import_keeps_details_and_says_what_changed(tmp_path: Path) -> None:
    assert kiosk(tmp_path, "demo").returncode == 0
    partial = tmp_path / "p.csv"
    partial.write_text("id,name,price\n1,TrailMaster X4 Tent,239.99\n")
    r = kiosk(tmp_path, "import", str(partial))
    assert r.returncode == 0, r.stderr
    lines = r.stdout.splitlines()
    assert lines[0].startswith("imported 1 products, 0 documents"), lines
    assert lines[1:] == [
        "products: 1 updated (price)",
        "  1 TrailMaster X4 Tent: price $250 -> $239.99",
    ]
    # Still a tent, with its brand: "show me tents" lists it.
    tents = _search(tmp_path, "--category", "Tents")
    assert {"id": "1", "price": 239.99}.items() <= next(t for t in tents if t["id"] == "1").items()
    assert any(t["id"] == "1" for t in _search(tmp_path, "OutdoorLiving", "tent"))

    # --replace is the explicit way to make the file's row the whole product.
    r = kiosk(tmp_path, "import", "--replace", str(partial))
    assert r.returncode == 0, r.stderr
    assert "replaced whole" in r.stdout and "brand, category, description" in r.stdout
    assert all(t["id"] != "1" for t in _search(tmp_path, "--category", "Tents"))


def test_every_import_problem_is_printed_and_nothing_changes(tmp_path: Path) -> None:
    assert kiosk(tmp_path, "import", str(CONTOSO)).returncode == 0
    before = _search(tmp_path)
    bad = tmp_path / "bad.csv"
    bad.write_text(
        "id,name,price,stock\nA1,Good Tent,10,1\nA2,Bad Tent,-5,1\nA3,Mug,1.000,2\n"
        "A4,Stove,5,lots\n"
    )
    r = kiosk(tmp_path, "import", str(bad))
    assert r.returncode == 2 and "Traceback" not in r.stderr
    lines = r.stderr.splitlines()
    assert lines[0] == (
        "kiosk: error [import_error]: 3 problems; nothing was imported, the catalog is unchanged:"
    )
    assert [line.split(": ", 1)[0] for line in lines[1:]] == [
        f"  {bad}, line 3, field 'price'",
        f"  {bad}, line 4, field 'price'",
        f"  {bad}, line 5, field 'stock'",
    ]
    assert _search(tmp_path) == before


def test_no_raw_escape_sequence_reaches_the_terminal(tmp_path: Path) -> None:
    """Names with ESC/OSC sequences: stripped by an import, shown escaped if already stored."""
    assert kiosk(tmp_path, "demo").returncode == 0
    feed = tmp_path / "evil.csv"
    feed.write_text(
        "id,name,price\n1,TrailMaster\x1b[2J\x1b]0;owned\x07 X4 Tent\x00,250\n", encoding="utf-8"
    )
    r = kiosk(tmp_path, "import", str(feed))
    assert r.returncode == 0, r.stderr
    assert f"from 1 field: {feed}, line 2, field 'name'" in r.stdout
    assert "TrailMaster X4 Tent" in kiosk(tmp_path, "search", "trailmaster").stdout

    # A catalog written before this fix (or edited by hand) may still hold them.
    conn = sqlite3.connect(tmp_path / "catalog.sqlite3")
    with conn:
        conn.execute(
            "UPDATE products SET name = 'Sky' || char(27) || '[2J' || char(27) || ']8;;http://x'"
            " || char(7) || 'View' || char(155) || '31m 2-Person Tent' WHERE id = '15'"
        )
    conn.close()
    outputs = [
        kiosk(tmp_path, "search", "tent"),
        kiosk(tmp_path, "search", "tent", "--json"),
        kiosk(tmp_path, "ask", "--no-llm", "show me tents"),
        kiosk(tmp_path, "ask", "--no-llm", "--json", "show me tents"),
    ]
    for r in outputs:
        assert r.returncode == 0, r.stderr
        assert "Sky" in r.stdout
        for raw in ("\x1b", "\x07", "\x9b", "\x00"):
            assert raw not in r.stdout + r.stderr, (r.args, r.stdout)
    assert "Sky\\x1b[2J\\x1b]8;;http://x\\x07View\\x9b31m 2-Person Tent" in outputs[0].stdout
    assert "Sky\\x1b[2J" in outputs[2].stdout
    reply = json.loads(outputs[3].stdout)
    sky = next(p for p in reply["products"] if p["id"] == "15")
    assert sky["name"].startswith("Sky\x1b[2J")  # JSON keeps the value


def test_kiosk_config_shows_each_range(tmp_path: Path) -> None:
    r = kiosk(tmp_path, "config")
    assert r.returncode == 0, r.stderr
    assert "speech.volume = 1.0  (range 0.0 to 1.0)" in r.stdout
    assert "llm.timeout_s = 20.0  (range 0.5 to 600)" in r.stdout
    assert "ui.pin_lockout_s = 60.0  (range 10 to 86400)" in r.stdout
    assert "store.name = 'Contoso Outdoors'\n" in r.stdout, "no range for words"


@pytest.mark.parametrize(
    ("env", "needle"),
    [
        ({"KIOSK_LLM_TIMEOUT_S": "inf"}, "config key 'llm.timeout_s' (KIOSK_LLM_TIMEOUT_S): inf"),
        ({"KIOSK_SEARCH_LIMIT": "0"}, "config key 'search.limit' (KIOSK_SEARCH_LIMIT): 0"),
    ],
)
def test_a_value_out_of_range_is_one_line(tmp_path: Path, env: dict[str, str], needle: str) -> None:
    r = kiosk(tmp_path, "ask", "tents", env=env)
    assert r.returncode == 2 and r.stdout == ""
    assert needle in one_line(r) and "outside its range" in r.stderr


def _config_problems(tmp_path: Path) -> list[tuple[str, list[str], str]]:
    folder = tmp_path / "conf.d"
    folder.mkdir()
    unreadable = tmp_path / "kiosk.toml"
    unreadable.write_text('[store]\nname = "Trail Shop"\n')
    unreadable.chmod(0o000)
    return [
        (str(folder), [], "is a folder; point KIOSK_CONFIG at the TOML file itself"),
        (str(unreadable), unprivileged_prefix(), "can't be read by this user"),
    ]


def test_kiosk_config_that_is_a_folder_or_unreadable(tmp_path: Path) -> None:
    """One sentence from `kiosk ask`, one failed row from `kiosk doctor`; no traceback."""
    for path, prefix, needle in _config_problems(tmp_path):
        env = {"KIOSK_CONFIG": path}
        r = run_kiosk(tmp_path, "ask", "tents", env=env, prefix=prefix)
        assert r.returncode == 2 and r.stdout == ""
        line = one_line(r)
        assert needle in line and path in line
        r = run_kiosk(tmp_path, "doctor", env=env, prefix=prefix)
        assert r.returncode == 1 and "Traceback" not in r.stdout + r.stderr
        assert r.stdout.startswith("check") and "config  FAIL" in r.stdout
        assert " ".join(r.stdout.split()).count(needle) == 1, r.stdout


def test_ask_with_a_session_id_that_is_a_path(tmp_path: Path) -> None:
    assert kiosk(tmp_path, "demo").returncode == 0
    r = kiosk(tmp_path, "ask", "--no-llm", "--session", "../../etc/x", "tents")
    assert r.returncode == 2 and "session id" in one_line(r)


def test_a_damaged_catalog_is_one_line_from_search(tmp_path: Path) -> None:
    (tmp_path / "catalog.sqlite3").write_bytes(bytes(range(256)) * 256)
    r = kiosk(tmp_path, "search", "tent")
    assert r.returncode == 2 and "catalog_corrupt" in one_line(r)
