"""The code stays ruff-clean and mypy --strict clean, and the core never imports the UI."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent


def _run(*cmd: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, timeout=600)


def test_ruff_clean() -> None:
    result = _run(str(BIN / "ruff"), "check", "kiosk", "tests")
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.slow
def test_mypy_strict_clean() -> None:
    result = _run(str(BIN / "mypy"))
    assert result.returncode == 0, result.stdout + result.stderr


def test_core_never_imports_the_ui() -> None:
    """Catalog, assistant, speech and LLM code are usable without Textual."""
    offenders = []
    for path in (ROOT / "kiosk").rglob("*.py"):
        rel = path.relative_to(ROOT / "kiosk")
        if rel.parts[0] in ("ui", "cli"):  # the two clients
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names = []
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module:
                names = [node.module]
            if any(n == "textual" or n.startswith(("textual.", "kiosk.ui")) for n in names):
                offenders.append(str(path.relative_to(ROOT)))
    assert offenders == []


def test_help_is_instant_no_heavy_imports() -> None:
    """`kiosk --help` must not load llama_cpp, faster_whisper, piper or textual."""
    code = (
        "import sys, kiosk.cli\n"
        "try:\n    kiosk.cli.main(['--help'])\nexcept SystemExit:\n    pass\n"
        "heavy = [m for m in ('llama_cpp', 'faster_whisper', 'piper', 'textual', 'numpy') "
        "if m in sys.modules]\n"
        "print('HEAVY', heavy)\n"
    )
    result = _run(sys.executable, "-c", code)
    assert "HEAVY []" in result.stdout, result.stdout + result.stderr
