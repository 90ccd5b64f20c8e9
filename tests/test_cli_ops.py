"""The operations and insight commands as scripts and technicians call them."""

from __future__ import annotations

import csv
import json
from pathlib import Path

from tests.conftest import kiosk


def seeded(home: Path, demo_db: Path) -> Path:
    (home / "catalog.sqlite3").write_bytes(demo_db.read_bytes())
    return home


def test_doctor_healthy_and_broken(tmp_path: Path, demo_db: Path) -> None:
    home = seeded(tmp_path, demo_db)
    r = kiosk(home, "doctor")
    assert r.returncode == 0, r.stdout + r.stderr
    assert "catalog" in r.stdout and "20 products" in r.stdout
    r = kiosk(home, "doctor", "--json")
    checks = json.loads(r.stdout)
    assert {c["name"] for c in checks} >= {"config", "catalog", "disk", "audio", "gpu"}
    (home / "catalog.sqlite3").write_bytes(b"not a database" * 100)
    r = kiosk(home, "doctor")
    assert r.returncode == 1
    assert "FAIL" in r.stdout and "fix:" in r.stdout
    assert "Traceback" not in r.stdout + r.stderr
    bad = tmp_path / "bad.toml"
    bad.write_text("[llm]\nthreads = 2\n")
    r = kiosk(home, "doctor", env={"KIOSK_CONFIG": str(bad)})
    assert r.returncode == 1
    assert "llm.threads" in r.stdout


def test_insights_after_shopper_turns(tmp_path: Path, demo_db: Path) -> None:
    home = seeded(tmp_path, demo_db)
    typed = "do you have kayaks?\ninflatable kayak\na kayak for two\ntents\n"
    # The text kiosk (a pipe, no screen) serves shoppers and logs their requests.
    # Words alone (no embedding model file): with meaning, "inflatable kayak" reaches the
    # camping chair at cosine 0.44 and is answered; test_meaning.py counts what meaning
    # labels out_of_scope.
    words_alone = {"KIOSK_LLM_BACKEND": "none", "KIOSK_MODELS_EMBED": str(tmp_path / "none.gguf")}
    r = kiosk(home, env=words_alone, stdin=typed)
    assert r.returncode == 0, r.stderr
    r = kiosk(home, "insights", "--json", env=words_alone)
    assert r.returncode == 0, r.stderr
    report = json.loads(r.stdout)
    assert report["requests"] == 4
    unmet = report["unmet_demand"]
    assert unmet and "kayak" in unmet[0]["label"].lower() and unmet[0]["count"] == 3
    out = tmp_path / "report.csv"
    r = kiosk(home, "insights", "--csv", str(out))
    assert r.returncode == 0
    rows = list(csv.DictReader(out.open(encoding="utf-8-sig")))
    assert any(row["section"] == "unmet demand" and "kayak" in row["label"].lower() for row in rows)


def test_describe_checks_staff_text(tmp_path: Path, demo_db: Path) -> None:
    home = seeded(tmp_path, demo_db)
    r = kiosk(home, "describe", "1", "--no-llm", "--json")
    assert r.returncode == 0, r.stderr
    draft = json.loads(r.stdout)
    assert draft["source"] == "template" and "TrailMaster X4 Tent" in draft["text"]
    wrong = "The TrailMaster X4 Tent sleeps 9 people and weighs 3 lbs."
    r = kiosk(home, "describe", "1", "--text", wrong, "--save")
    assert r.returncode == 2
    assert "description_rejected" in r.stderr
    right = "The TrailMaster X4 Tent is a 4-person tent that weighs 12 lbs."
    r = kiosk(home, "describe", "TrailMaster X4 Tent", "--text", right, "--save")
    assert r.returncode == 0, r.stdout + r.stderr
    r = kiosk(home, "search", "TrailMaster", "--json")
    assert r.returncode == 0
    r = kiosk(home, "describe", "no such thing")
    assert r.returncode == 2 and "unknown_product" in r.stderr


def test_staff_calls_from_a_script(tmp_path: Path, demo_db: Path) -> None:
    """What the console's call queue does, `kiosk calls` does: list, acknowledge, close."""
    home = seeded(tmp_path, demo_db)
    r = kiosk(home, "calls")
    assert r.returncode == 0 and "no open staff calls" in r.stdout
    assert kiosk(home, "ask", "--json", "call staff").returncode == 0
    queue = json.loads(kiosk(home, "calls", "--json").stdout)
    assert [c["status"] for c in queue] == ["open"]
    call = queue[0]["id"]
    r = kiosk(home, "calls", "--ack", str(call))
    assert r.returncode == 0 and f"#{call}" in r.stdout and "acknowledged" in r.stdout
    r = kiosk(home, "calls", "--close", str(call))
    assert r.returncode == 0 and "no open staff calls" in r.stdout
    r = kiosk(home, "calls", "--close", "999")
    assert r.returncode == 1 and "no staff call #999" in r.stderr


def test_edit_a_product_from_a_script(tmp_path: Path, demo_db: Path) -> None:
    """Price, stock, place and attributes, validated as in the console; by id or name."""
    home = seeded(tmp_path, demo_db)
    r = kiosk(home, "edit", "SkyView 2-Person Tent", "--price", "189.50", "--aisle", "7")
    assert r.returncode == 0, r.stderr
    assert "Saved 15: $189.50" in r.stdout and "aisle 7" in r.stdout
    r = kiosk(home, "edit", "15", "--set", "weight=4 lbs", "--set", "oops")
    assert r.returncode == 1 and "weight = 4 lbs" in r.stdout and "KEY=VALUE" in r.stdout
    found = json.loads(kiosk(home, "ask", "--json", "where is the SkyView tent?").stdout)
    assert found["products"][0]["price"] == 189.5 and found["products"][0]["aisle"] == "7"
    r = kiosk(home, "edit", "15", "--stock", "many")
    assert r.returncode == 1 and "Not saved" in r.stdout
    r = kiosk(home, "edit", "Skyview")  # words only one product's name has: found
    assert r.returncode == 2 and "nothing to change" in r.stderr
    r = kiosk(home, "edit", "tent", "--stock", "1")  # three tents: which one?
    assert r.returncode == 2 and "'tent' names 3 products" in r.stderr
    assert "15 (SkyView 2-Person Tent)" in r.stderr
