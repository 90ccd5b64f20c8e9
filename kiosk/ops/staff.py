"""What staff do, without a screen: catalog edits, the call queue, description drafts,
the technician's view and the audio tests.

The staff console (`kiosk.ui.staff`) and the command line (`kiosk edit`, `kiosk calls`,
`kiosk describe`, `kiosk say`) are two clients of these functions, so a store script
can do whatever staff can. Each returns a sentence that says what happened; invalid
input changes nothing.
"""

from __future__ import annotations

import os
import re
import time
from collections.abc import Sequence
from dataclasses import dataclass, field

from kiosk import __version__
from kiosk.catalog.records import Product, format_price, parse_price
from kiosk.catalog.repository import Catalog, StaffCall
from kiosk.catalog.requestlog import recent_timings
from kiosk.config import Config
from kiosk.errors import KioskError, StorageError
from kiosk.insights.describe import Draft, check_description, draft_description, save_description
from kiosk.llm.base import ChatModel
from kiosk.llm.loader import load_or_templates
from kiosk.ops.doctor import check_disk, check_models
from kiosk.text.language import NAMES
from kiosk.text.words import words

CALL_STATUSES = ("open", "acknowledged", "closed")


# -- catalog edits -------------------------------------------------------------------
def save_edit(
    catalog: Catalog, product_id: str, *, price: str, stock: str, aisle: str, shelf: str
) -> str:
    """Validate a staff edit and save it in one transaction; the sentence says what happened."""
    try:
        cents = parse_price(price)
    except ValueError as exc:
        return f"Not saved: {exc}."
    if not stock.strip().isdigit():
        return f"Not saved: stock {stock!r} must be a whole number, 0 or more."
    try:
        with catalog.write() as w:
            w.set_price(product_id, cents)
            w.set_stock(product_id, int(stock))
            w.set_location(product_id, aisle.strip(), shelf.strip())
    except StorageError as exc:  # disk full, read-only home: said, not raised on a screen
        return f"Not saved: {exc.message}."
    return f"Saved {product_id}: {format_price(cents)}, stock {int(stock)}, aisle {aisle.strip()}."


def set_attribute(catalog: Catalog, product_id: str, key: str, value: str) -> str:
    """Set (or, with an empty value, remove) one attribute; the sentence says what happened."""
    key = re.sub(r"\s+", "_", key.strip().lower())
    if not re.fullmatch(r"[a-z][a-z0-9_]{0,40}", key):
        return "Not saved: an attribute name is letters, digits and spaces (e.g. 'weight')."
    product = catalog.product(product_id)
    if product is None:
        return f"Not saved: product {product_id} is gone."
    attrs = dict(product.attributes)
    if value.strip():
        attrs[key] = value.strip()
    elif key in attrs:
        del attrs[key]
    else:
        return f"Not saved: {product_id} has no attribute {key!r} to remove."
    try:
        with catalog.write() as w:
            w.set_attributes(product_id, attrs)
    except StorageError as exc:
        return f"Not saved: {exc.message}."
    return f"Saved {product_id}: {key} = {value.strip()}" if value.strip() else f"Removed {key}."


def find_product(catalog: Catalog, ref: str) -> Product:
    """A product by id, by name, or by words of its name that only it has ("SkyView"
    for the SkyView 2-Person Tent); KioskError naming the near matches otherwise."""
    product = catalog.product(ref)
    if product is not None:
        return product
    near = catalog.products([h.product_id for h in catalog.search(ref, limit=10)])
    exact = [p for p in near if p.name.lower() == ref.strip().lower()]
    if exact:
        return exact[0]
    asked = set(words(ref))
    named = [p for p in near if asked and asked <= set(words(p.name))]
    if len(named) == 1:
        return named[0]
    message = f"{ref!r} names {len(named)} products" if named else f"no product {ref!r}"
    hint = "; ".join(f"{p.id} ({p.name})" for p in (named or near)[:3])
    if hint:
        message += f"; did you mean {hint}?"
    raise KioskError(message, code="unknown_product")


# -- staff calls -----------------------------------------------------------------------
def open_calls(catalog: Catalog) -> list[StaffCall]:
    """The queue: every call not yet closed, oldest first."""
    return catalog.staff_calls()


def set_call_status(catalog: Catalog, call_id: int, status: str) -> str:
    """Acknowledge or close a call; the sentence says what happened."""
    if status not in CALL_STATUSES:
        return f"Not changed: status {status!r} is not one of {', '.join(CALL_STATUSES)}."
    if not any(c.id == call_id for c in catalog.staff_calls(open_only=False)):
        return f"Not changed: there is no staff call #{call_id}."
    try:
        with catalog.write() as w:
            w.set_staff_call_status(call_id, status)
    except StorageError as exc:
        return f"Not changed: {exc.message}."
    return f"Call #{call_id} is {status}."


# -- description drafts ----------------------------------------------------------------
class Drafts:
    """Description drafts for one catalog; the model loads with the first draft.

    A model given by the caller (the shopper screen's own) is used and not closed;
    one loaded here is closed by `close()`. No model, or one that fails to load,
    gives the template draft built from the specs.
    """

    def __init__(self, cfg: Config, catalog: Catalog, chat: ChatModel | None = None) -> None:
        self.cfg = cfg
        self.catalog = catalog
        self._given = chat
        self._loaded: ChatModel | None = None
        self._tried = False
        self.problem = ""

    def model(self) -> ChatModel | None:
        if self._given is not None:
            return self._given
        if not self._tried and self.cfg.llm.backend != "none":
            self._tried = True
            self._loaded = load_or_templates(self.cfg, report=self._note)
        return self._loaded

    def _note(self, problem: str) -> None:
        self.problem = problem

    def draft(self, product_id: str) -> Draft:
        """The model's checked draft, or the template with the reasons it was used."""
        return draft_description(
            self.catalog, product_id, self.model(), timeout_s=self.cfg.llm.timeout_s
        )

    def close(self) -> None:
        if self._loaded is not None:
            self._loaded.close()
            self._loaded = None


def approve_description(
    catalog: Catalog, product_id: str, text: str, *, source: str = "staff", force: bool = False
) -> tuple[bool, list[str]]:
    """Check staff's text against the specs and save it; (saved, what the specs don't say).

    `force` saves despite the problems (staff know something the specs don't).
    """
    product = catalog.product(product_id)
    if product is None:
        return False, [f"product {product_id} is gone"]
    text = text.strip()
    if not text:
        return False, ["the description is empty"]
    problems = check_description(catalog, product, text)
    if problems and not force:
        return False, problems
    save_description(catalog, product.id, text, source=source)
    return True, problems


# -- the technician's view -----------------------------------------------------------------
@dataclass
class KioskStatus:
    """What a running kiosk knows about itself that the database doesn't."""

    llm: str = ""  # "SmolLM2-... on CPU x2 threads", '' when no model is loaded here
    speech_problems: list[str] = field(default_factory=list)
    recent_timings: list[dict[str, float]] = field(default_factory=list)


def tech_lines(cfg: Config, catalog: Catalog, kiosk: KioskStatus | None = None) -> list[str]:
    """What a technician checks first: version, catalog, models and where they run, audio.

    Models and disk come from the same checks as `kiosk doctor`; the rest is this
    process's own state (`kiosk`), or, for a console in its own process, the kiosk's
    last turns from the request log.
    """
    from kiosk.speech import devices

    stats = catalog.stats()
    lines = [
        f"kiosk {__version__}",
        f"catalog: {catalog.path}",
        f"  {stats.products} products, {stats.in_stock} in stock, "
        f"{stats.unplaced} without an aisle, {stats.documents} documents, "
        f"{stats.size_bytes / 1e6:.1f} MB",
    ]
    for c in check_models(cfg):
        lines.append(f"{c.name}: {c.detail}" + ("" if c.status == "ok" else f" [{c.status}]"))
    kiosk = kiosk or KioskStatus()
    if kiosk.llm:
        lines.append(f"LLM loaded: {kiosk.llm}")
    elif cfg.llm.backend == "remote":
        lines.append(f"LLM: remote {cfg.llm.url} (not connected in this process)")
    else:
        lines.append(f"LLM: {cfg.llm.backend} (not loaded in this process)")
    lines.append(f"speech recognition on {cfg.speech.asr_device}; mode {cfg.speech.mode}")
    lines.append("audio: " + devices.describe())
    for problem in kiosk.speech_problems:
        lines.append(f"  speech: {problem}")
    timings = kiosk.recent_timings[-5:] or recent_timings(catalog.conn)
    if timings:
        lines.append("last turns (ms):")
        for t in timings:
            lines.append("  " + ", ".join(f"{k} {v:.0f}" for k, v in t.items()))
    lines += [f"{c.name}: {c.detail}" for c in check_disk(cfg)]
    lines.append(f"CPU cores: {os.cpu_count()}")
    return lines


def microphone_test(cfg: Config, seconds: float = 5.0) -> str:
    """Record one utterance and say what came in: level and length, never the audio."""
    import numpy as np

    from kiosk.speech import devices
    from kiosk.speech.audio import SpeechError
    from kiosk.speech.speaker import device_setting

    try:
        audio = devices.record_utterance(
            max_s=seconds,
            start_timeout_s=seconds,
            device=device_setting(cfg.speech.input_device),
        )
    except SpeechError as exc:
        return f"Microphone: FAILED - {exc.message}"
    if audio.size == 0:
        return f"Microphone: works, but heard no speech in {seconds:.0f} s"
    peak = float(np.abs(audio).max())
    return f"Microphone: OK - heard {audio.size / 16000:.1f} s of speech, peak level {peak:.2f}"


def speak(cfg: Config, text: str) -> str:
    """Say `text` on the configured speaker and wait; '' when done, else the problem."""
    from kiosk.speech.speaker import Speaker
    from kiosk.speech.tts import Synthesizer

    speaker = Speaker(cfg, Synthesizer(cfg))
    if not speaker.say_and_wait(text):
        return speaker.problem
    return ""


def speaker_test(cfg: Config) -> str:
    """Speak one sentence on the configured speaker and wait for it to finish."""
    try:
        problem = speak(cfg, "This is the kiosk speaker test.")
    except KioskError as exc:
        return f"Speaker: FAILED - {exc.message}"
    return f"Speaker: FAILED - {problem}" if problem else "Speaker: OK - played"


def format_calls(calls: Sequence[StaffCall]) -> list[str]:
    """The queue as lines for a terminal: number, time, kiosk, status, the language the
    shopper asked in, and what was wanted (in their words)."""
    return [
        f"#{c.id:<5} {local_time(c.at)}  {c.kiosk:<12} {c.status:<12} "
        f"{language_name(c.lang):<8} {c.looking_for}"
        for c in calls
    ]


def language_name(lang: str) -> str:
    """'English', '中文': a language as staff read it (the code itself if unknown)."""
    return NAMES.get(lang, lang)


def waiting(stamp: str, now: float | None = None) -> str:
    """How long a call has waited, as staff say it: 'just now', '4 min', '1 h 05'."""
    from datetime import datetime

    try:
        at = datetime.fromisoformat(stamp.replace("Z", "+00:00")).timestamp()
    except ValueError:
        return ""
    minutes = int(max(0.0, (time.time() if now is None else now) - at) // 60)
    if minutes < 1:
        return "just now"
    if minutes < 60:
        return f"{minutes} min"
    return f"{minutes // 60} h {minutes % 60:02d}"


def local_time(stamp: str) -> str:
    """'2026-11-23T16:05:00Z' (stored in UTC) as the store's wall-clock 'HH:MM'."""
    from datetime import datetime

    try:
        return datetime.fromisoformat(stamp.replace("Z", "+00:00")).astimezone().strftime("%H:%M")
    except ValueError:
        return stamp[11:16]
