"""Config: defaults, TOML, KIOSK_* overrides, and errors that name the key."""

from __future__ import annotations

import dataclasses
import os
from pathlib import Path
from typing import Any, get_type_hints

import pytest

from kiosk.config import _SECTIONS, describe, load
from kiosk.errors import ConfigError
from kiosk.ops.staffauth import hash_pin


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
    for key, _value, doc, _range in rows:
        assert len(doc) > 10, f"{key} has no documentation"


# ------------------------------------------------------------------- ranges


def _numeric_fields() -> list[tuple[str, dataclasses.Field[Any], Any]]:
    out = []
    for name, cls in _SECTIONS.items():
        hints = get_type_hints(cls)
        for f in dataclasses.fields(cls):
            if hints[f.name] in (int, float):
                out.append((f"{name}.{f.name}", f, hints[f.name]))
    return out


def test_every_number_has_a_range_its_default_lies_in() -> None:
    numeric = _numeric_fields()
    assert len(numeric) >= 15
    shown = {key: bounds for key, _v, _d, bounds in describe(load(env={}))}
    for key, f, _typ in numeric:
        assert "range" in f.metadata, f"{key} has no range"
        lo, hi = f.metadata["range"]
        assert lo <= f.default <= hi, f"{key}: default {f.default} outside {lo}..{hi}"
        assert shown[key] == f"{lo} to {hi}", "kiosk config shows the range"
    assert shown["store.name"] == "", "only numbers have ranges"


def test_the_readme_lists_every_range() -> None:
    readme = (Path(__file__).resolve().parent.parent / "README.md").read_text("utf-8")
    for key, f, _typ in _numeric_fields():
        lo, hi = f.metadata["range"]
        row = next((line for line in readme.splitlines() if f"| `{key}` |" in line), "")
        assert row.rstrip().endswith(f"| {lo} to {hi} |"), f"README: {key} {lo} to {hi}"


def _env_name(key: str) -> str:
    return "KIOSK_" + key.replace(".", "_").upper()


def test_both_ends_of_every_range_are_accepted(tmp_path: Path) -> None:
    for key, f, typ in _numeric_fields():
        section, name = key.split(".")
        for bound in f.metadata["range"]:
            value = typ(bound)
            cfg = load(env={_env_name(key): str(value)})
            assert getattr(getattr(cfg, section), name) == value
            toml = tmp_path / "k.toml"
            toml.write_text(f"[{section}]\n{name} = {value!r}\n")
            cfg = load(env={"KIOSK_CONFIG": str(toml)})
            assert getattr(getattr(cfg, section), name) == value


# Each value the issue found accepted, and the edges: refused with the key and the range.
OUT_OF_RANGE = [
    ("llm", "timeout_s", "-1.0", "0.5 to 600"),
    ("llm", "timeout_s", "0", "0.5 to 600"),
    ("llm", "timeout_s", "inf", "0.5 to 600"),
    ("llm", "timeout_s", "nan", "0.5 to 600"),
    ("llm", "timeout_s", "-inf", "0.5 to 600"),
    ("llm", "n_ctx", "-1", "512 to 131072"),
    ("llm", "n_ctx", "100000000", "512 to 131072"),
    ("llm", "n_threads", "-2", "0 to 256"),
    ("llm", "n_gpu_layers", "-5", "-1 to 1000"),
    ("speech", "volume", "50", "0.0 to 1.0"),
    ("speech", "volume", "-0.1", "0.0 to 1.0"),
    ("speech", "silence_ms", "0", "100 to 5000"),
    ("speech", "max_utterance_s", "600", "1 to 30"),
    ("speech", "asr_context_s", "-1", "0 to 30"),
    ("search", "limit", "0", "1 to 50"),
    ("search", "limit", "100000000", "1 to 50"),
    ("search", "fuzzy_min_score", "101", "0 to 100"),
    ("assistant", "idle_timeout_s", "-90", "5 to 3600"),
    ("insights", "retention_days", "-1", "1 to 3650"),
    ("insights", "retention_days", "0", "1 to 3650"),
    ("ui", "pin_attempts", "0", "1 to 10"),
    ("ui", "pin_attempts", "-3", "1 to 10"),
    ("ui", "pin_lockout_s", "-60", "10 to 86400"),
    ("ui", "pin_lockout_s", "0", "10 to 86400"),
    ("ui", "refresh_s", "0", "0.2 to 60"),
]


@pytest.mark.parametrize(("section", "name", "value", "bounds"), OUT_OF_RANGE)
def test_out_of_range_is_refused_from_toml_and_environment(
    tmp_path: Path, section: str, name: str, value: str, bounds: str
) -> None:
    key = f"{section}.{name}"
    with pytest.raises(ConfigError) as err:
        load(env={_env_name(key): value})
    assert f"config key '{key}' ({_env_name(key)})" in err.value.message
    assert f"outside its range {bounds}" in err.value.message
    toml = tmp_path / "k.toml"
    toml.write_text(f"[{section}]\n{name} = {value}\n")  # TOML has inf and nan too
    with pytest.raises(ConfigError) as err:
        load(env={"KIOSK_CONFIG": str(toml)})
    assert f"config key '{key}'" in err.value.message
    assert f"outside its range {bounds}" in err.value.message


# --------------------------------------------------------------- the file


def test_config_path_that_is_a_folder(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"is a folder; point KIOSK_CONFIG at the TOML file"):
        load(env={"KIOSK_CONFIG": str(tmp_path)})


def test_config_path_that_is_a_fifo_does_not_hang(tmp_path: Path) -> None:
    fifo = tmp_path / "kiosk.toml"
    os.mkfifo(fifo)
    with pytest.raises(ConfigError, match=r"is not a regular file"):
        load(env={"KIOSK_CONFIG": str(fifo)})


# ------------------------------------------------------------ the PIN hash


def _pin_hash(iterations: int, salt: str = "00" * 16, digest: str = "ab" * 32) -> str:
    return f"pbkdf2_sha256${iterations}${salt}${digest}"


@pytest.mark.parametrize(
    ("stored", "needle"),
    [
        ("garbage", "expected pbkdf2_sha256$ITERATIONS$SALT$HASH"),
        ("1234", "expected pbkdf2_sha256$ITERATIONS$SALT$HASH"),
        (_pin_hash(1), "1 iterations is outside 200,000 to 2,000,000"),
        (_pin_hash(199_999), "199,999 iterations is outside"),
        (_pin_hash(10**12), "is outside 200,000 to 2,000,000"),
        ("pbkdf2_sha256$abc$" + "00" * 16 + "$" + "ab" * 32, "iterations 'abc' is not a number"),
        ("pbkdf2_sha256$\uff12\uff10\uff10000$" + "00" * 16 + "$" + "ab" * 32, "is not a number"),
        (_pin_hash(200_000, salt="zz" * 16), "the salt is not"),
        (_pin_hash(200_000, salt="00"), "the salt is not"),
        (_pin_hash(200_000, digest="ab" * 31), "the hash is not 32 bytes"),
        (_pin_hash(200_000, digest="AB" * 32), "the hash is not 32 bytes"),
        ("md5$200000$" + "00" * 16 + "$" + "ab" * 32, "scheme 'md5' is not 'pbkdf2_sha256'"),
    ],
)
def test_a_malformed_pin_hash_is_refused_at_load(tmp_path: Path, stored: str, needle: str) -> None:
    toml = tmp_path / "k.toml"
    toml.write_text(f'[ui]\nstaff_pin_hash = "{stored}"\n')
    for env in ({"KIOSK_CONFIG": str(toml)}, {"KIOSK_UI_STAFF_PIN_HASH": stored}):
        with pytest.raises(ConfigError) as err:
            load(env=env)
        assert "config key 'ui.staff_pin_hash'" in err.value.message
        assert needle in err.value.message, err.value.message
        assert "`kiosk pin`" in err.value.message


def test_a_pin_hash_kiosk_pin_makes_loads() -> None:
    stored = hash_pin("4321")
    assert load(env={"KIOSK_UI_STAFF_PIN_HASH": stored}).ui.staff_pin_hash == stored
    assert load(env={"KIOSK_UI_STAFF_PIN_HASH": ""}).ui.staff_pin_hash == "", "empty: off"


# ---------------------------------------------------------------- languages


def test_languages_and_voices_from_toml_and_environment(tmp_path: Path) -> None:
    f = tmp_path / "kiosk.toml"
    f.write_text(
        '[store]\nlanguage = "zh"\n[speech]\nlanguages = ["en"]\n'
        '[speech.voices]\nzh = "/opt/voices/zh_CN-huayan-medium.onnx"\n'
    )
    cfg = load(env={"KIOSK_CONFIG": str(f)})
    assert cfg.store.language == "zh"
    assert cfg.speech.languages == ("en",)
    assert cfg.speech.voices == {"zh": "/opt/voices/zh_CN-huayan-medium.onnx"}
    env = load(env={"KIOSK_SPEECH_LANGUAGES": "en, zh", "KIOSK_SPEECH_VOICES": "zh=/v/zh.onnx"})
    assert env.speech.languages == ("en", "zh")
    assert env.speech.voices == {"zh": "/v/zh.onnx"}
    defaults = load(env={})
    assert defaults.store.language == "en" and defaults.speech.languages == ("en", "zh")
    assert defaults.speech.voices == {}, "English: models.tts; Chinese: none ships"


@pytest.mark.parametrize(
    ("toml", "env", "needle"),
    [
        ("[speech]\nlanguages = ['en', 'fr']\n", {}, "'fr' is not a language the kiosk speaks"),
        ("[speech]\nlanguages = []\n", {}, "config key 'speech.languages' names no language"),
        ("[speech]\nlanguages = 'en'\n", {}, "expected a list of strings"),
        ("[speech]\nvoices = { de = '/v.onnx' }\n", {}, "'de' is not a language"),
        ("[speech]\nvoices = ['zh']\n", {}, "expected a table of strings"),
        ("[store]\nlanguage = 'jp'\n", {}, "config key 'store.language': 'jp'"),
        ("", {"KIOSK_SPEECH_VOICES": "zh"}, "expected NAME=VALUE"),
        ("", {"KIOSK_SPEECH_LANGUAGES": ""}, "names no language"),
    ],
)
def test_language_errors_name_the_key(
    tmp_path: Path, toml: str, env: dict[str, str], needle: str
) -> None:
    f = tmp_path / "kiosk.toml"
    f.write_text(toml)
    with pytest.raises(ConfigError) as err:
        load(env={"KIOSK_CONFIG": str(f), **env})
    assert needle in str(err.value)
