"""A LoRA adapter in GGUF (`llm.lora`), checked against its base model before llama.cpp loads it.

Why read the headers ourselves: llama.cpp answers every bad adapter with the same
"Failed to initialize LoRA adapter" (its reason goes to a log the kiosk silences), so
a technician would not learn whether the file is missing, not an adapter, made for
another architecture, or made for another model of the same one. The GGUF headers
say all of that without loading a weight: `general.type` must be "adapter",
`adapter.type` "lora", `general.architecture` the model's, and every `X.lora_a` /
`X.lora_b` pair must name a tensor of the model with the shapes llama.cpp expects
(`lora_a` is rank x inputs, `lora_b` outputs x rank, in ggml's order [in, r] and [r, out]).
The same check serves `LocalLlama` (before loading) and `kiosk doctor`.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from kiosk.config import Config
from kiosk.llm.base import LLMError

LORA_FIX = "fix llm.lora (a LoRA GGUF from convert_lora_to_gguf.py for this model) or set it to ''"


@dataclass(frozen=True)
class AdapterInfo:
    """What an adapter file holds, once it has been found to fit its model."""

    path: Path
    size: int
    architecture: str
    alpha: float
    rank: int
    targets: tuple[str, ...]  # the model tensors it changes, e.g. "blk.0.attn_q.weight"


def lora_path(cfg: Config) -> Path | None:
    """The configured adapter's path (relative to the models directory), None if unset."""
    if not cfg.llm.lora.strip():
        return None
    path = Path(cfg.llm.lora.strip()).expanduser()
    return path if path.is_absolute() else cfg.models_dir / path


def _fail(path: Path, why: str) -> LLMError:
    return LLMError(f"the LoRA adapter {path} {why}; {LORA_FIX}", code=LLMError.UNAVAILABLE)


def _field(reader: Any, key: str) -> Any:
    item = reader.fields.get(key)
    if item is None:
        return None
    try:
        return item.contents()
    except Exception:  # a value of a type we don't read is as good as absent
        return None


def _reader(path: Path, what: str) -> Any:
    from gguf import GGUFReader

    try:
        return GGUFReader(str(path))
    except Exception as exc:  # truncated, not a GGUF, an unknown version
        raise _fail(path, f"is not a readable GGUF {what} ({type(exc).__name__}: {exc})") from None


def inspect_adapter(path: Path, model_path: Path | None = None) -> AdapterInfo:
    """The adapter's description if it is a LoRA GGUF (and, given `model_path`, fits that
    model); else LLMError (llm_unavailable) in one line naming the file, what is wrong
    and the fix. Reading the model's header costs seconds (its vocabulary is parsed
    too), so the kiosk asks for the model check only when llama.cpp refuses the adapter."""
    path = Path(path)
    if not path.is_file():
        raise _fail(path, "does not exist" if not path.exists() else "is not a regular file")
    adapter = _reader(path, "file")
    kind = _field(adapter, "general.type")
    if kind != "adapter":
        raise _fail(path, f"is not an adapter (general.type = {kind!r}, expected 'adapter')")
    lora = _field(adapter, "adapter.type")
    if lora != "lora":
        raise _fail(path, f"is not a LoRA adapter (adapter.type = {lora!r}, expected 'lora')")
    arch = _field(adapter, "general.architecture")
    pairs: dict[str, dict[str, tuple[int, ...]]] = {}
    for t in adapter.tensors:
        base, dot, part = t.name.rpartition(".")
        if dot and part in ("lora_a", "lora_b"):
            pairs.setdefault(base, {})[part] = tuple(int(n) for n in t.shape)
    if not pairs:
        raise _fail(path, "holds no lora_a/lora_b tensor pairs")
    ranks: set[int] = set()
    for name, pair in sorted(pairs.items()):
        if len(pair) != 2:
            raise _fail(path, f"has only one half of the pair for {name}")
        a, b = pair["lora_a"], pair["lora_b"]
        if name.endswith("token_embd.weight"):  # llama.cpp stores this pair flipped
            a, b = b, a
        if len(a) != 2 or len(b) != 2 or a[1] != b[0]:
            raise _fail(
                path,
                f"has lora_a {list(a)} and lora_b {list(b)} for {name}, which don't make a pair",
            )
        ranks.add(a[1])
    if model_path is not None:
        _fits(path, pairs, str(arch), Path(model_path))
    alpha = _field(adapter, "adapter.lora.alpha")
    return AdapterInfo(
        path=path,
        size=path.stat().st_size,
        architecture=str(arch),
        alpha=float(alpha) if isinstance(alpha, (int, float)) else 0.0,
        rank=max(ranks),
        targets=tuple(sorted(pairs)),
    )


def _fits(
    path: Path, pairs: dict[str, dict[str, tuple[int, ...]]], arch: str, model_path: Path
) -> None:
    """Raise unless every pair names a tensor of the model with matching shapes."""
    model = _reader(model_path, f"model ({model_path})")
    model_arch = _field(model, "general.architecture")
    if arch != model_arch:
        raise _fail(path, f"is for {arch!r} models, but {model_path.name} is {model_arch!r}")
    shapes = {t.name: tuple(int(n) for n in t.shape) for t in model.tensors}
    for name, pair in sorted(pairs.items()):
        if name not in shapes:
            raise _fail(path, f"changes {name}, which {model_path.name} does not have")
        a, b, w = pair["lora_a"], pair["lora_b"], shapes[name]
        if name.endswith("token_embd.weight"):
            a, b = b, a
        if len(w) != 2 or (a[0], b[1]) != w:
            raise _fail(
                path,
                f"does not fit {model_path.name}: {name} is {list(w)}, the adapter's "
                f"lora_a {list(pair['lora_a'])} and lora_b {list(pair['lora_b'])} "
                "(made for another model?)",
            )
