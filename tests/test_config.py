"""Config: defaults, TOML, KIOSK_* overrides, and errors that name the key."""

from __future__ import annotations

from pathlib import Path

import pytest

from kiosk.config import describe, load
from kiosk.errors import ConfigError


def test_defaults_need_no_file(tmp_path: Path) -> None:
    cfg = load(env={"KIOSK_HOME": str(tmp_path)})
    assert cfg.home_path == tmp_path
    assert cfg.catalog_path == tmp_path / "catalog.sqlite3"
    assert cfg.llm.backend == "local"
    assert not any(tmp_path.iterdir()), "loading config must not create files"


def test_toml_then_environment(tmp_path: Path) -> None:
    f = tmp_path / "kiosk.toml"
    f.write_text(
        'home = "/srv/kiosk"\n[llm]\nn_threads = 4\nbackend = "remote"\n'
        'url = "http://127.0.0.1:8080/v1"\n[store]\nname = "Trail Shop"\n'
    )
    cfg = load(env={"KIOSK_CONFIG": str(f), "KIOSK_LLM_N_THREADS": "2"})
    assert cfg.store.name == "Trail Shop"
    assert cfg.llm.backend == "remote"
    assert cfg.llm.n_threads == 2, "KIOSK_* overrides the file"
    assert cfg.home_path == Path("/srv/kiosk")
    cfg = load(env={"KIOSK_CONFIG": str(f), "KIOSK_HOME": str(tmp_path)})
    assert cfg.home_path == tmp_path, "KIOSK_HOME overrides the file's home"


@pytest.mark.parametrize(
    ("toml", "env", "needle"),
    [
        ("[llm]\nthreads = 2\n", {}, "unknown config key 'llm.threads'"),
        ("[lmm]\nn_threads = 2\n", {}, "unknown config key 'lmm'"),
        ("[llm]\nn_threads = 'two'\n", {}, "config key 'llm.n_threads': expected int"),
        ("[llm]\nbackend = 'cloud'\n", {}, "config key 'llm.backend': 'cloud' is not one of"),
        ("[llm\n", {}, "is not valid TOML"),
        ("", {"KIOSK_LLM_N_THREADS": "many"}, "config key 'llm.n_threads': expected int"),
        ("", {"KIOSK_LLM_TREADS": "2"}, "unknown config key 'llm.treads'"),
        ("", {"KIOSK_COLOUR": "red"}, "unknown environment variable KIOSK_COLOUR"),
    ],
)
def test_errors_name_the_key(tmp_path: Path, toml: str, env: dict[str, str], needle: str) -> None:
    f = tmp_path / "kiosk.toml"
    f.write_text(toml)
    with pytest.raises(ConfigError) as err:
        load(env={"KIOSK_CONFIG": str(f), **env})
    assert needle in str(err.value)


def test_missing_file_is_named(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"nope\.toml"):
        load(env={"KIOSK_CONFIG": str(tmp_path / "nope.toml")})


def test_every_field_is_documented() -> None:
    rows = describe(load(env={}))
    assert len(rows) > 10
    for key, _value, doc in rows:
        assert len(doc) > 10, f"{key} has no documentation"
