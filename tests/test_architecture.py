"""The house holds: layers, no cycles, SQL in the catalog, one handler per intent,
stages named in every turn, and a README whose layout matches the tree."""

from __future__ import annotations

import ast
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from kiosk.assistant.act import HANDLERS, ActContext, Actor
from kiosk.assistant.pipeline import Assistant
from kiosk.assistant.reply import Intent, SourceKind
from kiosk.assistant.session import Session
from kiosk.assistant.stages import Stage, StageError
from kiosk.catalog.db import connect
from kiosk.catalog.repository import Catalog
from kiosk.catalog.schema import DOC_KINDS
from kiosk.config import load

ROOT = Path(__file__).resolve().parent.parent
LINT = Path(sys.executable).parent / "lint-imports"


def _lint(cwd: Path, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(LINT), str(ROOT / "pyproject.toml"), "--no-cache"],
        cwd=cwd,
        capture_output=True,
        text=True,
        env={**os.environ, **(env or {})},
        timeout=300,
    )


def test_layers_and_no_cycles_hold() -> None:
    """lint-imports: no package imports one above it (lazy and TYPE_CHECKING imports
    included), every package is in a layer, and no siblings import each other in a circle."""
    result = _lint(ROOT)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "2 kept, 0 broken" in result.stdout


def test_the_contracts_catch_an_upward_import_and_a_cycle(tmp_path: Path) -> None:
    """The same contracts on a copy of the package with one upward import and one cycle."""
    copy = tmp_path / "kiosk"
    shutil.copytree(ROOT / "kiosk", copy, ignore=shutil.ignore_patterns("__pycache__"))
    words = copy / "text" / "words.py"
    words.write_text(words.read_text() + "\n\ndef _up() -> None:\n    import kiosk.ui.shopper\n")
    db = copy / "catalog" / "db.py"
    db.write_text(db.read_text() + "\nfrom kiosk.catalog import repository  # noqa\n")
    result = _lint(tmp_path, {"PYTHONPATH": str(tmp_path)})
    assert result.returncode == 1, result.stdout + result.stderr
    assert "kiosk.text is not allowed to import kiosk.ui" in result.stdout
    assert "kiosk.text.words -> kiosk.ui.shopper" in result.stdout
    assert "0 kept, 2 broken" in result.stdout


def test_sql_lives_in_the_catalog() -> None:
    """Only kiosk/catalog runs SQL; everything else asks it (the request log included)."""
    offenders = []
    for path in (ROOT / "kiosk").rglob("*.py"):
        if path.relative_to(ROOT / "kiosk").parts[0] == "catalog":
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Attribute) and node.attr in (
                "execute",
                "executemany",
                "executescript",
            ):
                offenders.append(f"{path.relative_to(ROOT)}:{node.lineno}")
    assert offenders == []


def test_every_intent_has_exactly_one_handler(demo_catalog: Catalog) -> None:
    bot = Assistant(demo_catalog, load(env={}))
    actor = Actor(ActContext(demo_catalog, bot.lexicon(), 5, "k", "Store"))
    assert set(actor.handlers) == set(Intent)
    claimed = [i for h in HANDLERS for i in h.intents]
    assert len(claimed) == len(set(claimed)), "an intent claimed twice"


def test_source_kinds_are_the_catalog_document_kinds() -> None:
    assert {k.value for k in SourceKind} == {"product", *DOC_KINDS}


def test_later_stages_never_read_the_request_text() -> None:
    """Act, compose and check work from the Understanding's slots, not the words typed."""
    later = [*(ROOT / "kiosk/assistant/act").glob("*.py"), ROOT / "kiosk/assistant/compose.py"]
    for path in later:
        source = path.read_text(encoding="utf-8")
        assert not re.search(r"\bu\.text\b", source), path.name


def test_a_turn_is_timed_by_stage(demo_catalog: Catalog) -> None:
    bot = Assistant(demo_catalog, load(env={"KIOSK_ASSISTANT_PHRASING": "off"}))
    reply = bot.turn(Session(), "tents under 300 dollars")
    assert {Stage.UNDERSTAND.value, Stage.ACT.value, "total"} <= set(reply.timings_ms)
    data = reply.to_json()
    assert data["phrasing"] == "template" and "errors" not in data


def test_a_failure_names_its_stage(demo_db: Path, tmp_path: Path) -> None:
    """A read-only catalog (a real fault, not a fake): the staff call can't be written,
    and the error says it happened while acting, with a code for the log."""
    path = tmp_path / "catalog.sqlite3"
    shutil.copy(demo_db, path)
    catalog = Catalog(connect(path, readonly=True), path)
    try:
        bot = Assistant(catalog, load(env={"KIOSK_ASSISTANT_PHRASING": "off"}))
        assert bot.turn(Session(), "where are the tents?").products, "reading still works"
        with pytest.raises(StageError) as caught:
            bot.turn(Session(), "call staff")
    finally:
        catalog.close()
    assert caught.value.stage == Stage.ACT
    assert caught.value.code == "act_failed"
    assert caught.value.to_json()["stage"] == "act"


def _readme_layout() -> dict[str, str]:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    section = text.split("## How it is built", 1)[1].split("\n## ", 1)[0]
    return dict(re.findall(r"^\| `kiosk/([\w/.]+?)/?` \| (.+?) \|$", section, re.M))


def test_readme_layout_matches_the_tree() -> None:
    listed = set(_readme_layout())
    packages = {
        d.name for d in (ROOT / "kiosk").iterdir() if d.is_dir() and d.name != "__pycache__"
    }
    modules = {
        p.name
        for p in (ROOT / "kiosk").glob("*.py")
        if p.name not in ("__init__.py", "__main__.py")
    }
    assert listed == packages | modules


def test_layers_in_the_readme_are_the_contract() -> None:
    """The README's layer list and pyproject's contract name the same packages in order."""
    import tomllib

    contract = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["importlinter"]
    layers = contract["contracts"][0]["layers"]
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    section = text.split("## How it is built", 1)[1].split("\n## ", 1)[0]
    for layer in layers:
        names = [n.strip() for n in re.split(r"[|:]", layer) if n.strip() != "__main__"]
        assert all(f"`{n}`" in section for n in names), layer
