"""Where the app loads each model from: the config override, else the bundled file.

The bundled file is checked (by its stamp) before it is handed out, so a kiosk that
can't start says which file is wrong and how to fix it.
"""

from __future__ import annotations

from pathlib import Path

from kiosk.config import Config
from kiosk.errors import ModelError
from kiosk.models.manifest import ROLES, load_manifest
from kiosk.models.stamps import check_file, sha256_file

FIX = "run `kiosk models` to provision it"


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
        check = check_file(path, mf, rehash=False)
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


def resolve_voice(cfg: Config, lang: str) -> Path | None:
    """The piper voice that speaks `lang`: `speech.voices[lang]`, with English falling
    back to `models.tts` (the bundled voice when empty); None when the language has no
    voice (its replies are shown, never read with another language's voice)."""
    configured = cfg.speech.voices.get(lang, "")
    if configured:
        return _resolve_override(cfg, "tts", configured, key=f"speech.voices.{lang}")
    if lang == "en":
        return resolve(cfg, "tts")
    return None


def _resolve_override(cfg: Config, role: str, value: str, *, key: str = "") -> Path:
    """A user-chosen model: must exist; its hash is the user's business, not the manifest's."""
    key = key or f"models.{role}"
    path = Path(value).expanduser()
    if not path.is_absolute():
        path = cfg.models_dir / path  # relative overrides live in the models dir
    env = "KIOSK_" + key.split(".")[0].upper() + "_" + key.split(".")[1].upper()
    hint = (
        f"fix {key} in the config file (KIOSK_CONFIG) or {env}, "
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
