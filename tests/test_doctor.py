"""`kiosk doctor` on a healthy install and on broken ones: real files, real databases."""

from __future__ import annotations

import http.server
import json
import os
import shutil
import socket
import sqlite3
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from kiosk.config import Config, load
from kiosk.models import load_manifest, verify
from kiosk.ops.doctor import (
    Check,
    check_catalog,
    check_disk,
    check_llm,
    check_staff_pin,
    diagnose,
    exit_code,
    format_table,
    run_checks,
)
from kiosk.ops.staffauth import STATE_FILE, PinGate, hash_pin
from tests.faults import fill, remount_read_only, run_kiosk, small_fs, unprivileged_prefix

ROOT = Path(__file__).resolve().parent.parent
MODELS = ROOT / "models"
# Optional hardware: a test machine without sound card or GPU may warn here, never fail.
MAY_WARN = {"audio", "gpu", "catalog aisles"}


def _models_ready() -> bool:
    cfg = load(env={"KIOSK_HOME": "/nonexistent"})
    return all(s.ok for s in verify(cfg))


needs_models = pytest.mark.skipif(
    not _models_ready(), reason="bundled models not provisioned: run `kiosk models` first"
)


def _cfg(home: Path, **env: str) -> Config:
    return load(path=None, env={"KIOSK_HOME": str(home), **env})


@pytest.fixture
def home(tmp_path: Path, demo_db: Path) -> Path:
    """A kiosk home with the demo catalog, as after `kiosk demo`."""
    home = tmp_path / "home"
    home.mkdir()
    shutil.copy(demo_db, home / "catalog.sqlite3")
    return home


def _by_name(checks: list[Check]) -> dict[str, Check]:
    return {c.name: c for c in checks}


@needs_models
def test_healthy_install(home: Path) -> None:
    checks = run_checks(_cfg(home), full=False)
    table = format_table(checks)
    print(table)
    names = _by_name(checks)
    models = ("model llm", "model asr", "model tts", "model embed")
    for required in ("config", *models, "llm", "catalog", "disk"):
        assert names[required].status == "ok", table
    assert all(c.status == "ok" or c.name in MAY_WARN for c in checks), table
    assert exit_code(checks) == 0
    assert "20 products" in names["catalog"].detail
    assert "integrity ok" in names["catalog"].detail


@needs_models
def test_full_rehash_of_the_models(home: Path) -> None:
    checks = [c for c in run_checks(_cfg(home), full=True) if c.name.startswith("model ")]
    assert {c.name for c in checks} == {"model llm", "model asr", "model tts", "model embed"}
    assert all(c.status == "ok" and "sha256 ok" in c.detail for c in checks), checks


@needs_models
def test_models_dir_missing_the_llm_file(home: Path, tmp_path: Path) -> None:
    """Every bundled file but the GGUF, linked into a models dir of its own."""
    models = tmp_path / "models"
    llm_file = next(s for s in load_manifest() if s.role == "llm").files[0].output
    for spec in load_manifest():
        for mf in spec.files:
            if mf.output == llm_file:
                continue
            target = models / mf.output
            target.parent.mkdir(parents=True, exist_ok=True)
            target.symlink_to(MODELS / mf.output)
            stamp = MODELS / Path(mf.output).parent / f".{Path(mf.output).name}.sha256ok"
            if stamp.exists():
                shutil.copy(stamp, target.with_name(stamp.name))
    shutil.copy(MODELS / "manifest.toml", models / "manifest.toml")

    checks = run_checks(_cfg(home, KIOSK_MODELS_DIR=str(models)))
    table = format_table(checks)
    print(table)
    names = _by_name(checks)
    llm = names["model llm"]
    assert llm.status == "fail", table
    assert "smollm2" in llm.detail.lower() and "missing" in llm.detail, llm
    assert "kiosk models" in llm.fix
    assert names["llm"].status == "fail"  # the reply writer can't load either
    assert names["llm"].fix
    for ok in ("model asr", "model tts", "model embed", "catalog"):
        assert names[ok].status == "ok", table
    assert exit_code(checks) == 1
    assert "FAIL" in table and "fix: `kiosk models`" in table


@needs_models
def test_a_missing_model_that_is_not_used_only_warns(home: Path, tmp_path: Path) -> None:
    empty = tmp_path / "no-models"
    empty.mkdir()
    checks = run_checks(
        _cfg(home, KIOSK_MODELS_DIR=str(empty), KIOSK_LLM_BACKEND="none", KIOSK_SPEECH_ENABLED="0")
    )
    names = _by_name(checks)
    for role in ("llm", "asr", "tts", "embed"):
        assert names[f"model {role}"].status == "warn", names[f"model {role}"]
    assert "not used yet" in names["model embed"].detail
    assert names["llm"].status == "ok"
    assert exit_code(checks) == 0


def test_random_bytes_instead_of_a_catalog(home: Path) -> None:
    (home / "catalog.sqlite3").write_bytes(os.urandom(64 * 1024))
    checks = check_catalog(_cfg(home))
    [catalog] = checks
    assert catalog.status == "fail"
    assert "damaged" in catalog.detail and "catalog.sqlite3" in catalog.detail
    assert "kiosk import" in catalog.fix and "mv " in catalog.fix
    assert exit_code(checks) == 1
    assert "Traceback" not in format_table(checks)


def test_a_catalog_damaged_inside(home: Path) -> None:
    """A valid header over broken pages: found by integrity_check (or on the first read)."""
    db = home / "catalog.sqlite3"
    conn = sqlite3.connect(db)
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    page = conn.execute("PRAGMA page_size").fetchone()[0]
    pages = conn.execute("PRAGMA page_count").fetchone()[0]
    conn.close()
    assert pages > 8
    with db.open("r+b") as fh:
        for n in range(2, pages, 3):  # every third page after the first two
            fh.seek(n * page + 8)
            fh.write(os.urandom(page - 16))
    [catalog] = check_catalog(_cfg(home))
    assert catalog.status == "fail", catalog
    assert "damaged" in catalog.detail


def test_a_missing_catalog(tmp_path: Path) -> None:
    [catalog] = check_catalog(_cfg(tmp_path))
    assert catalog.status == "fail"
    assert "does not exist" in catalog.detail
    assert "kiosk demo" in catalog.fix and "kiosk import FILE" in catalog.fix


def test_an_sqlite_file_that_is_not_a_catalog(tmp_path: Path) -> None:
    sqlite3.connect(tmp_path / "catalog.sqlite3").execute("CREATE TABLE t (x)").connection.close()
    [catalog] = check_catalog(_cfg(tmp_path))
    assert catalog.status == "fail"
    assert "not a kiosk catalog" in catalog.detail


def test_an_empty_catalog(tmp_path: Path) -> None:
    from kiosk.catalog.db import connect

    connect(tmp_path / "catalog.sqlite3").close()
    [catalog] = check_catalog(_cfg(tmp_path))
    assert catalog.status == "fail"
    assert "no products" in catalog.detail and "kiosk demo" in catalog.fix


def test_the_doctor_does_not_write_to_the_catalog(home: Path) -> None:
    db = home / "catalog.sqlite3"
    before = (db.stat().st_mtime_ns, db.stat().st_size)
    check_catalog(_cfg(home))
    assert (db.stat().st_mtime_ns, db.stat().st_size) == before


def test_disk_thresholds_on_the_real_filesystem(tmp_path: Path) -> None:
    cfg = _cfg(tmp_path)
    free = shutil.disk_usage(tmp_path).free
    assert check_disk(cfg, warn_below=1, fail_below=0)[0].status == "ok"
    warn = check_disk(cfg, warn_below=free * 2, fail_below=0)[0]
    assert warn.status == "warn" and warn.fix
    fail = check_disk(cfg, warn_below=free * 4, fail_below=free * 2)[0]
    assert fail.status == "fail" and "GiB free" in fail.detail


def test_home_not_yet_created(tmp_path: Path) -> None:
    checks = _by_name(check_disk(_cfg(tmp_path / "not" / "yet"), warn_below=1, fail_below=0))
    assert checks["disk"].status == "ok"
    assert checks["home"].status == "warn"


class _Models(http.server.BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        body = b'{"object": "list", "data": [{"id": "smollm2"}]}'
        self.send_response(200 if self.path == "/v1/models" else 404)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def llm_server() -> Iterator[str]:
    """A real HTTP server on loopback answering GET /v1/models, like llama_cpp.server."""
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Models)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/v1"
    server.shutdown()
    server.server_close()


def test_remote_llm_reachable(tmp_path: Path, llm_server: str) -> None:
    cfg = _cfg(tmp_path, KIOSK_LLM_BACKEND="remote", KIOSK_LLM_URL=llm_server)
    [llm] = check_llm(cfg)
    assert llm.status == "ok", llm


def test_remote_llm_down(tmp_path: Path) -> None:
    with socket.socket() as s:  # a port nobody listens on: bound, never listening
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
        cfg = _cfg(tmp_path, KIOSK_LLM_BACKEND="remote", KIOSK_LLM_URL=f"http://127.0.0.1:{port}")
        [llm] = check_llm(cfg, timeout_s=1.0)
    assert llm.status == "warn"  # the kiosk still answers, from templates
    assert "not reachable" in llm.detail and "kiosk-llm" in llm.fix


def test_remote_llm_without_url(tmp_path: Path) -> None:
    [llm] = check_llm(_cfg(tmp_path, KIOSK_LLM_BACKEND="remote"))
    assert llm.status == "fail" and "llm.url" in llm.fix


def test_a_config_that_does_not_load(tmp_path: Path) -> None:
    bad = tmp_path / "kiosk.toml"
    bad.write_text('[llm]\nbackend = "cloud"\n', encoding="utf-8")
    checks = diagnose(env={"KIOSK_CONFIG": str(bad), "KIOSK_HOME": str(tmp_path)})
    assert [c.name for c in checks] == ["config"]
    assert checks[0].status == "fail" and "llm.backend" in checks[0].detail
    assert str(bad) in checks[0].fix
    assert exit_code(checks) == 1


def test_audio_and_gpu_never_fail_the_kiosk(tmp_path: Path) -> None:
    """Whatever this machine has (often no sound card, no GPU): at most a warning."""
    checks = _by_name(run_checks(_cfg(tmp_path)))
    assert checks["audio"].status in ("ok", "warn"), checks["audio"]
    if checks["audio"].status == "warn":
        assert checks["audio"].fix
        if "PortAudio" in checks["audio"].detail:
            assert "apt-get install libportaudio2" in checks["audio"].fix
    assert checks["gpu"].status in ("ok", "warn"), checks["gpu"]
    off = _by_name(run_checks(_cfg(tmp_path, KIOSK_SPEECH_ENABLED="false")))
    assert off["audio"].status == "ok" and "text only" in off["audio"].detail


def test_table_columns_line_up() -> None:
    checks = [
        Check("config", "ok", "defaults"),
        Check("model llm", "fail", "missing", "`kiosk models`"),
        Check("audio", "warn", "no microphone", "plug it in"),
    ]
    lines = format_table(checks).splitlines()
    status_col = lines[0].index("status")
    rows = [ln for ln in lines[1:] if ln and not ln.startswith(" ")][:3]
    assert [r[status_col : status_col + 4] for r in rows] == ["ok  ", "FAIL", "WARN"]
    fix_lines = [ln for ln in lines if ln.strip().startswith("fix:")]
    assert [ln.strip() for ln in fix_lines] == ["fix: `kiosk models`", "fix: plug it in"]
    assert all(ln.index("fix:") == lines[0].index("detail") for ln in fix_lines)
    assert lines[-1] == "1 failed, 1 warning"
    assert exit_code(checks) == 1
    assert exit_code(checks[:1]) == 0


# ----------------------------------------------------------- storage faults


def _no_data_losing_advice(checks: list[Check]) -> None:
    text = format_table(checks)
    assert "damaged" not in text and "mv " not in text and "backup" not in text, text
    assert "Traceback" not in text


def test_a_full_disk_is_disk_full_and_the_catalog_intact(tmp_path: Path, demo_db: Path) -> None:
    """A real tmpfs filled to the last byte: the catalog is read read-only, not 'damaged'."""
    with small_fs(tmp_path / "home") as home:
        shutil.copy(demo_db, home / "catalog.sqlite3")
        fill(home)
        checks = _by_name(run_checks(_cfg(home)))
        catalog, disk = checks["catalog"], checks["disk"]
        assert catalog.status == "warn", catalog
        assert "20 products" in catalog.detail and "integrity ok" in catalog.detail
        assert "disk full" in catalog.detail and "free space" in catalog.fix
        assert disk.status == "fail" and disk.detail.startswith("disk full"), disk
        assert "home" not in checks, "a full disk is not a permissions problem"
        _no_data_losing_advice(list(checks.values()))


def test_a_read_only_home_is_read_only_and_the_catalog_intact(
    tmp_path: Path, demo_db: Path
) -> None:
    """A real mount remounted read-only, as ext4 does after disk errors."""
    with small_fs(tmp_path / "home") as home:
        shutil.copy(demo_db, home / "catalog.sqlite3")
        remount_read_only(home)
        checks = _by_name(run_checks(_cfg(home)))
        catalog, home_row = checks["catalog"], checks["home"]
        assert catalog.status == "warn" and "integrity ok" in catalog.detail, catalog
        assert "read-only" in catalog.detail
        assert home_row.status == "fail" and home_row.detail.startswith("read-only"), home_row
        assert "journalctl -k" in home_row.fix and "chown" not in home_row.fix
        assert checks["staff pin"].status == "ok", "no PIN set: nothing to record"
        _no_data_losing_advice(list(checks.values()))


def test_a_home_this_user_cant_write(tmp_path: Path, demo_db: Path) -> None:
    """No mount needed: the folder's mode, for a real unprivileged process."""
    home = tmp_path / "home"
    home.mkdir()
    shutil.copy(demo_db, home / "catalog.sqlite3")
    home.chmod(0o555)
    r = run_kiosk(home, "doctor", "--json", prefix=unprivileged_prefix())
    checks = {c["name"]: c for c in json.loads(r.stdout)}
    assert checks["catalog"]["status"] == "warn", checks["catalog"]
    assert "not writable" in checks["catalog"]["detail"]
    assert "damaged" not in r.stdout and "mv " not in r.stdout
    assert checks["home"]["status"] == "fail" and "chown" in checks["home"]["fix"]


# ---------------------------------------------------------------- staff pin


def test_a_malformed_pin_hash_is_reported_not_crashed_on(tmp_path: Path) -> None:
    weak = "pbkdf2_sha256$1$" + "00" * 16 + "$" + "ab" * 32
    for stored in ("pbkdf2_sha256$abc$zz$00", weak):
        checks = diagnose(env={"KIOSK_UI_STAFF_PIN_HASH": stored, "KIOSK_HOME": str(tmp_path)})
        [config] = checks
        assert config.status == "fail" and "ui.staff_pin_hash" in config.detail
        assert "kiosk pin" in config.detail
    r = run_kiosk(tmp_path, "doctor", env={"KIOSK_UI_STAFF_PIN_HASH": weak})
    assert r.returncode == 1 and "ui.staff_pin_hash" in r.stdout and "Traceback" not in r.stderr


def test_the_staff_pin_row(tmp_path: Path) -> None:
    assert check_staff_pin(_cfg(tmp_path))[0].detail.startswith("off")
    stored = hash_pin("4321")
    cfg = _cfg(tmp_path, KIOSK_UI_STAFF_PIN_HASH=stored)
    [row] = check_staff_pin(cfg)
    assert row.status == "ok" and "200,000 iterations" in row.detail
    gate = PinGate.from_config(cfg)
    for _ in range(cfg.ui.pin_attempts):
        gate.try_pin("0000")
    [row] = check_staff_pin(cfg)
    assert row.status == "warn" and "locked for 60 s" in row.detail, row
    (tmp_path / STATE_FILE).write_text("[]")
    [row] = check_staff_pin(cfg)
    assert row.status == "warn" and "unreadable" in row.detail and row.fix


@needs_models
def test_the_vectors_row_says_how_many_products_search_by_meaning(home: Path) -> None:
    names = _by_name(run_checks(_cfg(home)))
    assert names["vectors"].status == "ok"
    assert "20 of 20 products" in names["vectors"].detail  # the demo is imported with them
    conn = sqlite3.connect(home / "catalog.sqlite3")
    conn.execute("DELETE FROM product_vectors WHERE product_id IN ('1', '2', '3')")
    conn.commit()
    row = _by_name(run_checks(_cfg(home)))["vectors"]
    assert row.status == "warn" and "17 of 20" in row.detail and "3 missing" in row.detail
    assert "kiosk vectors" in row.fix
    conn.execute("DELETE FROM product_vectors")
    conn.commit()
    conn.close()
    row = _by_name(run_checks(_cfg(home)))["vectors"]
    assert row.status == "warn" and "words alone" in row.detail


def test_the_languages_row_says_how_much_of_the_catalog_is_translated(
    home: Path, tmp_path: Path
) -> None:
    row = {c.name: c for c in run_checks(_cfg(home))}["languages"]
    assert row.status == "ok" and "中文 (zh): 20 of 20 names, 20 categories" in row.detail
    conn = sqlite3.connect(home / "catalog.sqlite3")
    conn.execute("DELETE FROM translations")
    conn.commit()
    conn.close()
    row = {c.name: c for c in run_checks(_cfg(home))}["languages"]
    assert row.status == "ok" and "name_zh" in row.detail  # none: said how to add them
