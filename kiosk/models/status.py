"""Each model's state for `kiosk models`, doctor and the technician screen.

`verify` only reads: it downloads nothing, so it is safe on a kiosk without network.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from kiosk.config import Config
from kiosk.models.manifest import ModelSpec, load_manifest, select
from kiosk.models.stamps import check_file


@dataclass(frozen=True)
class ModelStatus:
    """One line of `kiosk models`: `problem` is empty when `ok`."""

    name: str
    role: str
    path: Path
    size: int
    ok: bool
    problem: str = ""


def model_status(spec: ModelSpec, root: Path, problems: Mapping[str, str], fix: str) -> ModelStatus:
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


def verify(
    cfg: Config, *, full: bool = False, only: Iterable[str] | None = None
) -> list[ModelStatus]:
    """Check the models without downloading anything; `full` re-hashes even stamped files."""
    root = cfg.models_dir
    statuses: list[ModelStatus] = []
    for spec in select(load_manifest(), only):
        problems: dict[str, str] = {}
        for mf in spec.files:
            check = check_file(root / mf.output, mf, rehash=full)
            if not check.ok:
                problems[mf.output] = check.problem
        statuses.append(model_status(spec, root, problems, "fix: `kiosk models`"))
    return statuses


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
