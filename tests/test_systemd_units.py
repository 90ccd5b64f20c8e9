"""The systemd units: hardening present, install script sound, scores within budget.

The units are parsed with a tiny parser of our own: systemd keys repeat
(DeviceAllow=, After=) and an empty value resets a list, which configparser can't
express. When `systemd-analyze` is installed (Debian: `apt-get install -y systemd`;
it works offline, no systemd as PID 1) the units are also verified and scored.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
UNITS = ROOT / "systemd"
INSTALL = ROOT / "scripts" / "install-service"
SCORE = ROOT / "scripts" / "score-units"
HAVE_ANALYZE = shutil.which("systemd-analyze") is not None
needs_analyze = pytest.mark.skipif(
    not HAVE_ANALYZE,
    reason="systemd-analyze is not installed: `apt-get install -y systemd` (works offline)",
)

Unit = dict[str, dict[str, list[str]]]


def parse(path: Path) -> Unit:
    """{section: {key: [values in order]}}; comments and blank lines skipped."""
    unit: Unit = {}
    section: dict[str, list[str]] | None = None
    for raw in path.read_text(encoding="utf-8").splitlines():
        line = raw.strip()
        if not line or line.startswith(("#", ";")):
            continue
        if line.startswith("[") and line.endswith("]"):
            section = unit.setdefault(line[1:-1], {})
            continue
        assert section is not None, f"{path.name}: {line!r} before any [section]"
        assert "=" in line, f"{path.name}: {line!r} is not key=value"
        key, _, value = line.partition("=")
        section.setdefault(key.strip(), []).append(value.strip())
    return unit


def one(unit: Unit, section: str, key: str) -> str:
    values = unit[section].get(key)
    assert values, f"[{section}] {key}= is missing"
    return values[-1]


HARDENING = {
    "NoNewPrivileges": "yes",
    "CapabilityBoundingSet": "",
    "AmbientCapabilities": "",
    "ProtectSystem": "strict",
    "ProtectHome": "yes",
    "PrivateTmp": "yes",
    "ProtectKernelTunables": "yes",
    "ProtectKernelModules": "yes",
    "ProtectKernelLogs": "yes",
    "ProtectControlGroups": "yes",
    "ProtectClock": "yes",
    "ProtectHostname": "yes",
    "LockPersonality": "yes",
    "RestrictNamespaces": "yes",
    "RestrictRealtime": "yes",
    "RestrictSUIDSGID": "yes",
    "SystemCallArchitectures": "native",
    "DevicePolicy": "closed",
}


@pytest.mark.parametrize("name", ["kiosk.service", "kiosk-sync.service", "kiosk-llm.service"])
def test_every_service_is_hardened(name: str) -> None:
    svc = parse(UNITS / name)["Service"]
    for key, value in HARDENING.items():
        assert svc.get(key, [None])[-1] == value, f"{name}: {key}={value} expected"
    assert "@system-service" in svc["SystemCallFilter"]
    assert any(v.startswith("~@privileged") for v in svc["SystemCallFilter"])
    assert svc["MemoryMax"], name
    assert svc["UMask"][-1] in ("0007", "0077")
    assert "IPAddressDeny" in svc


def test_kiosk_service_owns_tty1_and_tells_the_truth() -> None:
    u = parse(UNITS / "kiosk.service")
    assert "getty@tty1.service" in u["Unit"]["Conflicts"]
    assert "getty@tty1.service" in " ".join(u["Unit"]["After"])
    assert int(one(u, "Unit", "StartLimitBurst")) >= 3
    assert one(u, "Unit", "StartLimitIntervalSec")
    s = "Service"
    assert one(u, s, "Type") == "notify"
    assert one(u, s, "NotifyAccess") == "main"
    assert one(u, s, "WatchdogSec") == "30s"
    assert one(u, s, "Restart") == "always"
    assert one(u, s, "ExecStart") == "@PREFIX@/.venv/bin/kiosk"
    assert one(u, s, "TTYPath") == "/dev/tty1"
    assert one(u, s, "StandardInput") == "tty-force"
    # Textual draws on stderr and sizes from stdout: both must be the tty.
    assert one(u, s, "StandardOutput") == "tty" and one(u, s, "StandardError") == "tty"
    assert "KIOSK_CONFIG=/etc/kiosk/kiosk.toml" in u[s]["Environment"]
    assert one(u, s, "StateDirectory") == "kiosk"
    assert one(u, s, "SyslogIdentifier") == "kiosk"
    assert one(u, s, "User") == "kiosk" and one(u, s, "Group") == "kiosk"
    assert "DynamicUser" not in u[s]  # the staff console shares the database
    assert "audio" in one(u, s, "SupplementaryGroups").split()
    assert u[s]["DeviceAllow"] == ["/dev/tty1 rw", "char-alsa rw"]
    assert one(u, s, "PrivateNetwork") == "yes"
    assert one(u, s, "RestrictAddressFamilies") == "AF_UNIX"
    assert one(u, s, "MemoryDenyWriteExecute") == "no"  # measured: CTranslate2, cffi
    assert one(u, "Install", "WantedBy") == "multi-user.target"


def test_remote_llm_dropin_opens_only_the_server() -> None:
    d = parse(UNITS / "kiosk.service.d" / "remote-llm.conf.in")["Service"]
    assert d["PrivateNetwork"] == ["no"]
    assert d["IPAddressDeny"] == ["any"]
    assert d["IPAddressAllow"] == ["localhost @LLM_SERVER@"]
    assert "AF_INET" in d["RestrictAddressFamilies"][0].split()


def test_sync_service_and_timer() -> None:
    u = parse(UNITS / "kiosk-sync.service")
    assert one(u, "Service", "Type") == "oneshot"
    assert one(u, "Service", "ExecStart") == "@PREFIX@/.venv/bin/kiosk sync"
    assert one(u, "Service", "User") == "kiosk"
    assert one(u, "Service", "PrivateNetwork") == "yes"
    assert one(u, "Service", "MemoryDenyWriteExecute") == "yes"
    assert "Install" not in u  # started by the timer only
    t = parse(UNITS / "kiosk-sync.timer")
    assert one(t, "Timer", "OnCalendar") == "*:0/15"
    assert one(t, "Timer", "Persistent") == "true"
    assert one(t, "Install", "WantedBy") == "timers.target"


def test_llm_service_serves_the_lan_only() -> None:
    u = parse(UNITS / "kiosk-llm.service")
    s = u["Service"]
    assert "-m llama_cpp.server --model ${LLM_MODEL}" in one(u, "Service", "ExecStart")
    assert "--port ${LLM_PORT}" in one(u, "Service", "ExecStart")
    assert one(u, "Service", "DynamicUser") == "yes"
    assert s["IPAddressDeny"] == ["any"]
    allowed = one(u, "Service", "IPAddressAllow").split()
    assert {"localhost", "10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16"} <= set(allowed)
    assert "0.0.0.0/0" not in allowed and "any" not in allowed
    assert one(u, "Service", "MemoryDenyWriteExecute") == "yes"  # measured with the server


def test_placeholders_are_known() -> None:
    for path in UNITS.rglob("*"):
        if path.is_file() and path.name != "README.md":
            found = set(re.findall(r"@[A-Z_]+@", path.read_text(encoding="utf-8")))
            assert found <= {"@PREFIX@", "@LLM_SERVER@"}, (path, found)


def _install(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["bash", str(INSTALL), *args], capture_output=True, text=True, timeout=60, check=False
    )


def test_install_dry_run_changes_nothing(tmp_path: Path) -> None:
    prefix = tmp_path / "opt-kiosk"
    result = _install("--dry-run", "--prefix", str(prefix), "--with-llm", "--demo")
    assert result.returncode == 0, result.stderr
    plan = result.stdout
    print(plan)
    if "user kiosk exists" not in plan:
        assert "+ useradd --system --user-group" in plan
    for step in (
        f"{prefix}/scripts/setup",
        "render systemd/kiosk.service -> /etc/systemd/system/kiosk.service",
        "render systemd/kiosk-sync.timer -> /etc/systemd/system/kiosk-sync.timer",
        "render systemd/kiosk-llm.service -> /etc/systemd/system/kiosk-llm.service",
        "+ systemctl mask getty@tty1.service",
        "+ systemctl daemon-reload",
        "+ systemctl enable kiosk.service",
        "+ systemctl enable --now kiosk-sync.timer",
        "+ systemctl enable --now kiosk-llm.service",
        "+ runuser -u kiosk -- /usr/local/bin/kiosk demo",
    ):
        assert step in plan, step
    assert plan.index("daemon-reload") < plan.index("enable kiosk.service")
    assert not prefix.exists()
    assert "dry run: nothing was changed" in result.stderr and "done." not in result.stderr


def test_install_refuses_a_relative_prefix_and_a_host_name() -> None:
    assert _install("--dry-run", "--prefix", "opt/kiosk").returncode == 1
    bad = _install("--dry-run", "--llm-server", "llm.store.lan")
    assert bad.returncode == 1 and "IP address" in bad.stderr


def test_install_into_a_staging_root(tmp_path: Path) -> None:
    """--root writes config and units only; the result is what systemd would load."""
    result = _install("--root", str(tmp_path), "--prefix", str(ROOT), "--llm-server", "10.1.2.3")
    assert result.returncode == 0, result.stderr
    units = tmp_path / "etc" / "systemd" / "system"
    kiosk = parse(units / "kiosk.service")
    assert one(kiosk, "Service", "ExecStart") == f"{ROOT}/.venv/bin/kiosk"
    dropin = parse(units / "kiosk.service.d" / "remote-llm.conf")
    assert dropin["Service"]["IPAddressAllow"] == ["localhost 10.1.2.3"]
    assert "(skipped with --root) systemctl daemon-reload" in result.stdout
    for path in units.rglob("*"):
        if path.is_file():
            assert not re.findall(r"@[A-Z_]+@", path.read_text(encoding="utf-8")), path
    wrapper = (tmp_path / "usr" / "local" / "bin" / "kiosk").read_text(encoding="utf-8")
    assert f"exec {ROOT}/.venv/bin/kiosk" in wrapper and "KIOSK_CONFIG" in wrapper

    from kiosk.config import load

    cfg = load(tmp_path / "etc" / "kiosk" / "kiosk.toml", env={})
    assert str(cfg.home_path) == "/var/lib/kiosk"  # technicians open the service's database

    again = _install("--root", str(tmp_path), "--prefix", str(ROOT))
    assert again.returncode == 0 and "keep " in again.stdout  # local config survives
    if HAVE_ANALYZE:
        names = [p.name for p in sorted(units.glob("kiosk*")) if p.is_file()]
        verify = subprocess.run(
            ["systemd-analyze", "verify", *names],
            cwd=units,
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
        assert verify.returncode == 0 and not (verify.stdout + verify.stderr).strip(), (
            verify.stdout + verify.stderr
        )


@needs_analyze
def test_units_verify_clean_and_score_within_budget() -> None:
    result = subprocess.run(
        [sys.executable, str(SCORE), "--json"],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    data = json.loads(result.stdout)
    rows = {r["unit"]: r for r in data["units"]}
    print(data["systemd"])
    for r in data["units"]:
        print(f"{r['unit']:<26} {r['exposure']}  {r['rating']}  {r['error']}")
    assert rows["verify (all units)"]["verify_clean"], rows["verify (all units)"]["error"]
    assert rows["kiosk-sync.service"]["exposure"] <= 2.0
    for name in ("kiosk.service", "kiosk.service+remote-llm", "kiosk-llm.service"):
        assert rows[name]["exposure"] is not None, rows[name]
        assert rows[name]["exposure"] <= 2.0, rows[name]
    assert result.returncode == 0, result.stdout + result.stderr
