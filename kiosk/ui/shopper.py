"""The shopper screen: typing or speech in, answers, product cards and voice out.

One client of the core: the conversation (typed or spoken, with the speaker,
half-duplex listening and barge-in) is a `VoiceSession` run in worker threads, whose
events arrive here as Textual messages, so the screen never freezes. The screen is
locked down (no command palette, no quit key, Ctrl+C/Ctrl+Z/Ctrl+\\ do nothing)
because shoppers stand at it. Speech is optional at every step: no microphone means
typing (said once), no speaker means text only, and any touch or key stops the voice.
"""

from __future__ import annotations

import logging
import time
from collections import deque
from typing import ClassVar

from rich.text import Text
from textual import on, work
from textual.app import App, ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, HorizontalScroll, VerticalScroll
from textual.message import Message
from textual.widgets import Button, DataTable, Input, Static
from textual.worker import Worker, WorkerState

from kiosk.assistant.act.base import SAY, cards, fit_cards
from kiosk.assistant.meaning import INLINE_CATCH_UP
from kiosk.assistant.pipeline import Assistant
from kiosk.assistant.reply import ActionKind, Card, Intent, Reply
from kiosk.assistant.session import Session
from kiosk.catalog import vectors
from kiosk.catalog.db import change_stamp
from kiosk.catalog.records import format_price
from kiosk.catalog.repository import Catalog
from kiosk.catalog.requestlog import apply_retention
from kiosk.config import Config
from kiosk.llm.base import ChatModel
from kiosk.llm.loader import load_or_templates, model_wanted
from kiosk.ops.catchup import start_catch_up
from kiosk.ops.sdnotify import Notifier
from kiosk.ops.staff import KioskStatus
from kiosk.ops.staffauth import PinGate
from kiosk.text.language import EN, detect
from kiosk.ui.plain import plain
from kiosk.ui.words import SCREEN
from kiosk.voice.events import (
    Heard,
    MicrophoneLost,
    Replied,
    ReplyText,
    StateChanged,
    VoiceEvent,
    VoiceState,
)
from kiosk.voice.session import VoiceSession

log = logging.getLogger(__name__)

# The screen's words are in `kiosk.ui.words.SCREEN`, in each language; these are the
# English ones, as tests and older callers name them.
CALM_ERROR = SCREEN(EN, "calm_error")
NO_MICROPHONE = SCREEN(EN, "no_microphone")
ON_THE_WAY = SCREEN(EN, "on_the_way")
STILL_THERE = SCREEN(EN, "still_there")
STILL_THERE_S = 15.0  # how long before the idle wipe the kiosk asks
STATE_KEY = {
    VoiceState.READY: "ready",
    VoiceState.LISTENING: "listening",
    VoiceState.THINKING: "thinking",
    VoiceState.SPEAKING: "speaking",
}
STATE_READY = SCREEN(EN, "ready")
STATE_LISTENING = SCREEN(EN, "listening")
STATE_THINKING = SCREEN(EN, "thinking")
STATE_SPEAKING = SCREEN(EN, "speaking")
STATE_TEXT = {state: SCREEN(EN, key) for state, key in STATE_KEY.items()}


class VoiceMessage(Message):
    """A voice session's event, moved from the worker thread onto the screen's loop."""

    def __init__(self, event: VoiceEvent) -> None:
        super().__init__()
        self.event = event


SHOWN_CARDS = 3  # as many as a reply names; all fit at 80 columns


def follow_ups(reply: Reply) -> list[tuple[str, str]]:
    """The next steps a reply offers, as (button label, the request it sends): what
    shoppers ask next about products on screen, so one tap asks it, in the reply's
    language."""
    if not reply.products or reply.table:
        return []
    keys = ["cheaper"]
    keys.append("where" if len(reply.products) == 1 else "compare")
    if reply.intent != Intent.RECOMMEND:
        keys.append("goes_with")
    return [(SCREEN(reply.lang, key), SCREEN(reply.lang, f"{key}_request")) for key in keys]


class ProductCard(Static):
    """Name, price, stock, place and one key fact, readable at arm's length."""

    def __init__(self, card: Card, lang: str = EN, size: str | None = None) -> None:
        self.card = card
        self.lang = lang
        self.asked_size = size  # the size asked for, whose stock the card shows
        super().__init__(self._text(card, lang), classes="card", markup=False)

    @staticmethod
    def _text(c: Card, lang: str = EN) -> Text:
        """Catalog text as plain text (a name may hold '[/]'), styled around it."""
        if c.variant:  # "Size 10: 2 in stock" fits a card a third of 80 columns wide
            label = c.variant[0].upper() + c.variant[1:]
            stock = (
                plain(SCREEN(lang, "variant_in_stock", label=label, count=c.stock), "green")
                if c.stock > 0
                else plain(SCREEN(lang, "variant_out", label=label), "red")
            )
        else:
            stock = (
                plain(SCREEN(lang, "in_stock", count=c.stock), "green")
                if c.stock > 0
                else plain(SCREEN(lang, "out_of_stock"), "red")
            )
        where = ""
        if c.aisle:
            key = "aisle_shelf" if c.shelf else "aisle"
            where = SCREEN(lang, key, aisle=c.aisle, shelf=c.shelf)
        lines = [plain(c.name, "bold"), plain(format_price(c.price_cents), "bold"), stock]
        if where:
            lines.append(plain(where))
        if c.fact:
            lines.append(plain(c.fact))
        return Text("\n").join(lines)

    def refresh_card(self, card: Card) -> None:
        self.card = card
        self.update(self._text(card, self.lang))


class ShopperApp(App[None], inherit_bindings=False):
    """The kiosk's shopper screen."""

    CSS_PATH = "kiosk.tcss"
    ENABLE_COMMAND_PALETTE = False
    TITLE = "kiosk"
    BINDINGS: ClassVar[list[BindingType]] = [
        *(
            Binding(key, "nothing", show=False, priority=True)
            for key in ("ctrl+q", "ctrl+c", "ctrl+z", "ctrl+backslash", "ctrl+p", "ctrl+s")
        ),
        Binding("f9", "staff", show=False),
        Binding("f5", "talk", show=False, priority=True),
    ]

    def __init__(
        self,
        cfg: Config,
        catalog: Catalog,
        chat: ChatModel | None = None,
        *,
        load_llm: bool = False,
        speech: bool = False,
    ) -> None:
        super().__init__()
        self.cfg = cfg
        self.catalog = catalog
        self.assistant = Assistant(catalog, cfg, chat)
        self.assistant.log_requests = True
        self.voice = VoiceSession(self.assistant, Session(), on_event=self._voice_event)
        self.load_llm = load_llm
        self.last_input = time.monotonic()
        self._cards_stamp: tuple[int, int] | None = None
        self.pin_gate = PinGate.from_config(cfg)  # wrong tries survive a restart
        self._staff_catalog: Catalog | None = None
        self.speech = speech and cfg.speech.enabled
        self.said_no_microphone = False
        self.recent_timings: deque[dict[str, float]] = deque(maxlen=10)
        self._pending: Static | None = None  # the reply being streamed in
        self._call_announced: int | None = None  # the staff call "on the way" was said for
        # The screen's language: the last turn's, the store's for a new shopper.
        self.lang = cfg.store.language
        self._state = VoiceState.READY
        # systemd: READY=1 once the models this screen loads are in (or failed and
        # templates/typing took over), WATCHDOG=1 from this event loop.
        self.notifier = Notifier()
        self._loading: set[str] = set()

    @property
    def session(self) -> Session:
        return self.voice.session

    @property
    def speech_problems(self) -> list[str]:
        return self.voice.problems

    @property
    def microphone(self) -> bool:
        return self.voice.microphone

    def kiosk_status(self) -> KioskStatus:
        """What the staff console's technician tab shows about this running kiosk."""
        chat = self.assistant.chat
        return KioskStatus(
            llm=f"{chat.name} on {chat.device}" if chat is not None else "",
            speech_problems=list(self.voice.problems),
            recent_timings=list(self.recent_timings),
        )

    # -- layout -----------------------------------------------------------------------
    def words(self, key: str, **facts: object) -> str:
        """One of the screen's own phrases, in the screen's language."""
        return SCREEN(self.lang, key, **facts)

    def _title(self) -> Text:
        return Text.assemble(plain(self.cfg.store.name, "bold"), self.words("title"))

    def compose(self) -> ComposeResult:
        with Horizontal(id="top"):
            yield Static(self._title(), id="title")
            yield Static(self.words("ready"), id="state")
        yield VerticalScroll(id="conversation")
        yield HorizontalScroll(id="cards")
        yield Horizontal(id="followups")
        yield DataTable(id="compare", show_cursor=False, zebra_stripes=True)
        with Horizontal(id="bottom"):
            yield Input(placeholder=self.words("placeholder"), id="ask")
            yield Button(self.words("talk"), id="talk", variant="primary", disabled=True)
            yield Button(self.words("call"), id="call", variant="warning")
            yield Button(self.words("reset"), id="reset")

    def set_language(self, lang: str) -> None:
        """The shopper's language this turn: the screen's own words follow it (what
        was already said stays as it was said)."""
        if lang == self.lang:
            return
        self.lang = lang
        self.query_one("#title", Static).update(self._title())
        self.query_one("#ask", Input).placeholder = self.words("placeholder")
        for key in ("talk", "call", "reset"):
            self.query_one(f"#{key}", Button).label = self.words(key)
        self.set_state(self._state)

    def on_mount(self) -> None:
        self.greet()
        self.query_one("#ask", Input).focus()
        self.set_interval(1.0, self.wipe_if_idle)
        self.set_interval(self.cfg.ui.refresh_s, self.refresh_cards)
        self.forget_old_requests()
        self.set_interval(3600, self.forget_old_requests)
        self.catch_up_vectors()
        self.query_one("#compare", DataTable).display = False
        if self.load_llm:
            self._loading.add("model")
            self.load_model()
        if self.speech:
            self._loading.add("speech")
            self.load_speech()
        else:
            self.query_one("#talk", Button).display = False
        interval = self.notifier.watchdog_interval_s()
        if interval is not None:  # on this loop: a frozen screen stops the pings
            self.set_interval(interval, self.notifier.watchdog)
        if self._loading:
            self.notifier.status("loading models")
        else:
            self.loaded("")

    @work(thread=True, exclusive=True, group="vectors")
    def catch_up_vectors(self) -> None:
        """A big catalog's missing product vectors, made by a background process (a small
        one's are made inline on the first turn); shoppers get word answers meanwhile."""
        if self.catalog.path != self.cfg.catalog_path:
            return  # a catalog this kiosk's config doesn't name (a test's): not ours to fill
        if vectors.product_count(self.catalog.conn) <= INLINE_CATCH_UP:
            return
        start_catch_up(self.cfg)

    def loaded(self, part: str) -> None:
        """One load finished (or failed: templates and typing still serve shoppers)."""
        self._loading.discard(part)
        if not self._loading:
            self.notifier.ready("serving shoppers")

    def greet(self) -> None:
        conversation = self.query_one("#conversation", VerticalScroll)
        conversation.remove_children()
        self.query_one("#cards", HorizontalScroll).remove_children()
        conversation.mount(
            Static(
                plain(
                    self.words(
                        "greeting",
                        store=self.cfg.store.name,
                        what_i_do=SAY(self.lang, "what_i_do"),
                        examples=SAY(self.lang, "examples"),
                    )
                ),
                classes="kiosk greeting",
                markup=False,
            )
        )

    def set_state(self, state: VoiceState) -> None:
        self._state = state
        self.query_one("#state", Static).update(self.words(STATE_KEY[state]))

    def action_nothing(self) -> None:
        """Lockdown: the keys that would quit, suspend or open a palette do nothing.

        Unlocked (`ui.locked = false`, a developer's terminal), Ctrl+Q quits.
        """
        if not self.cfg.ui.locked:
            self.exit()

    def action_staff(self) -> None:
        """F9: the staff console, behind the PIN (off when no PIN is configured)."""
        from kiosk.ui.staff import PinScreen, StaffScreen

        if not self.pin_gate.enabled:
            return

        def opened(ok: bool | None) -> None:
            if ok:
                screen = StaffScreen(
                    self.cfg,
                    self.staff_catalog(),
                    kiosk_status=self.kiosk_status,
                    chat=self.assistant.chat,
                )
                self.push_screen(screen)

        self.push_screen(PinScreen(self.pin_gate), opened)

    def staff_catalog(self) -> Catalog:
        """The console's own connection, as if it ran in another process."""
        if self._staff_catalog is None:
            self._staff_catalog = Catalog.open(self.catalog.path or self.cfg.catalog_path)
        return self._staff_catalog

    # -- input ------------------------------------------------------------------------
    def on_key(self) -> None:
        self.last_input = time.monotonic()
        self.barge_in()
        for note in self.query(".still-there"):
            note.remove()  # still there: the warning goes

    def barge_in(self) -> None:
        """A key, a touch or typing: the shopper wants to talk, so the voice stops."""
        self.voice.barge_in()

    @on(Input.Changed, "#ask")
    def typing(self) -> None:
        self.barge_in()

    @on(Input.Submitted, "#ask")
    def submitted(self, event: Input.Submitted) -> None:
        text = event.value.strip()
        event.input.value = ""
        if text:
            self.ask(text)

    @on(Button.Pressed, "#call")
    def call_staff(self) -> None:
        self.barge_in()
        self.ask(self.words("call_request"))
        self.query_one("#ask", Input).focus()  # typing goes on; Enter doesn't call again

    @on(Button.Pressed, "#reset")
    def start_over(self) -> None:
        self.wipe()

    @on(Button.Pressed, ".followup")
    def follow_up(self, event: Button.Pressed) -> None:
        """A tapped next step is asked as if typed; typing goes on in the input."""
        request = getattr(event.button, "request", "")
        if request:
            self.barge_in()
            self.ask(request)
        self.query_one("#ask", Input).focus()

    async def show_follow_ups(self, reply: Reply) -> None:
        row = self.query_one("#followups", Horizontal)
        await row.remove_children()
        buttons = []
        for label, request in follow_ups(reply):
            button = Button(label, classes="followup", compact=True)
            button.request = request  # type: ignore[attr-defined]
            buttons.append(button)
        if buttons:
            await row.mount_all(buttons)
        row.display = bool(buttons)

    def show_request(self, text: str) -> None:
        conversation = self.query_one("#conversation", VerticalScroll)
        conversation.mount(
            Static(plain(self.words("you", text=text)), classes="shopper", markup=False)
        )
        self._pending = Static("...", classes="kiosk pending", markup=False)
        conversation.mount(self._pending)
        conversation.scroll_end(animate=False)

    def ask(self, text: str) -> None:
        self.last_input = time.monotonic()
        self.set_language(detect(text))  # as the assistant will read it
        self.show_request(text)
        self.set_state(VoiceState.THINKING)
        self.run_turn(text)

    def stream_text(self, text: str) -> None:
        """Checked text as the assistant produces it: facts first, phrasing after."""
        if self._pending is not None:
            self._pending.update(plain(text))

    @work(thread=True, exclusive=True, group="turn", exit_on_error=False)
    def run_turn(self, text: str) -> Reply:
        """A typed turn; its text, reply and voice come back as voice events."""
        return self.voice.typed(text)

    @work(thread=True, exclusive=True, group="model", exit_on_error=False)
    def load_model(self) -> None:
        """Load the LLM without blocking the screen; templates answer meanwhile."""
        if not model_wanted(self.cfg):
            return  # templates write every reply: the model would only take memory
        chat = load_or_templates(self.cfg, report=lambda problem: log.warning("%s", problem))
        if chat is not None:
            self.assistant.chat = chat
            self.assistant.warm()

    # -- voice events -------------------------------------------------------------------
    def _voice_event(self, event: VoiceEvent) -> None:
        """From the voice session's thread (a worker, the speaker): onto this loop."""
        self.post_message(VoiceMessage(event))

    async def on_voice_message(self, message: VoiceMessage) -> None:
        event = message.event
        if isinstance(event, StateChanged):
            self.set_state(event.state)
        elif isinstance(event, Heard):
            self.set_language(detect(event.transcript))
            self.heard(event.transcript)
        elif isinstance(event, ReplyText):
            self.stream_text(event.text)
        elif isinstance(event, Replied):
            await self.show_reply(event.reply)
        elif isinstance(event, MicrophoneLost):
            self.speech_ready()

    # -- speech -----------------------------------------------------------------------
    @work(thread=True, exclusive=True, group="speech", exit_on_error=False)
    def load_speech(self) -> None:
        """Whisper, the voice and the audio devices, found without blocking the screen."""
        self.voice.open_speech()
        self.call_from_thread(self.speech_ready)

    def speech_ready(self) -> None:
        talk = self.query_one("#talk", Button)
        talk.disabled = not self.microphone
        if not self.microphone:
            talk.display = False
            self.tell_no_microphone()
        elif self.cfg.speech.mode == "hands_free":
            self.listen(hands_free=True)

    def tell_no_microphone(self) -> None:
        """Said once per shopper; from then on the screen is a typing kiosk."""
        if self.said_no_microphone:
            return
        self.said_no_microphone = True
        self.query_one("#conversation", VerticalScroll).mount(
            Static(self.words("no_microphone"), classes="kiosk note", markup=False)
        )

    def action_talk(self) -> None:
        """F5 or the Talk button: stop the voice and listen for one request."""
        self.last_input = time.monotonic()
        self.barge_in()
        if not self.microphone:
            if self.speech:
                self.tell_no_microphone()
            return
        self.listen(hands_free=False)

    @on(Button.Pressed, "#talk")
    def talk_pressed(self) -> None:
        self.action_talk()

    @work(thread=True, exclusive=True, group="listen", exit_on_error=False)
    def listen(self, hands_free: bool) -> None:
        """One request (push-to-talk), or request after request (hands-free)."""
        self.voice.listen(hands_free=hands_free)

    def heard(self, text: str) -> None:
        """What the shopper said, on screen while the answer is being found."""
        self.last_input = time.monotonic()
        self.show_request(text)

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        if event.state in (WorkerState.SUCCESS, WorkerState.ERROR) and event.worker.group in (
            "model",
            "speech",
        ):
            self.loaded(event.worker.group)
        if event.state != WorkerState.ERROR:
            return
        log.error("worker %s failed: %r", event.worker.name, event.worker.error)
        if event.worker.group in ("turn", "listen"):
            self.set_state(VoiceState.READY)
            if self._pending is not None:
                self._pending.remove()
                self._pending = None
            self.query_one("#conversation", VerticalScroll).mount(
                Static(self.words("calm_error"), classes="kiosk error", markup=False)
            )
        elif event.worker.group == "speech":
            self.voice.problems.append(f"speech could not start: {event.worker.error}")
            self.voice.hearing = None
            self.speech_ready()

    def on_unmount(self) -> None:
        self.notifier.stopping()
        self.voice.close()

    # -- output -----------------------------------------------------------------------
    async def show_reply(self, reply: Reply) -> None:
        self.set_language(reply.lang)
        conversation = self.query_one("#conversation", VerticalScroll)
        if self._pending is not None:
            self._pending.update(plain(reply.text))
            self._pending.remove_class("pending")
            self._pending = None
        else:
            conversation.mount(Static(plain(reply.text), classes="kiosk", markup=False))
        conversation.scroll_end(animate=False)
        self.recent_timings.append(dict(reply.timings_ms))
        await self._show_products(reply)
        # The cards, a comparison or follow-ups took room from the conversation: its
        # last line (the answer's end) is scrolled back into view once that is laid out.
        self.call_after_refresh(conversation.scroll_end, animate=False)

    async def _show_products(self, reply: Reply) -> None:
        """The reply's cards (or its comparison table) and its follow-up buttons."""
        strip = self.query_one("#cards", HorizontalScroll)
        compare = self.query_one("#compare", DataTable)
        if reply.table:
            await self.show_follow_ups(reply)
            self.show_compare(reply.table)
            return
        await self.show_follow_ups(reply)
        compare.display = False  # an old comparison never stays under a later answer
        strip.display = True
        if reply.products:
            # Awaited, so the new cards are laid out now (not at the next key or resize).
            await strip.remove_children()
            # The reply names at most three ("I found 5 (showing the first 3)"): the
            # screen shows those three, whole, not five with two behind a scroll.
            await strip.mount_all(
                [
                    ProductCard(c, reply.lang, c.variant and reply.slots.get("size"))
                    for c in reply.products[:SHOWN_CARDS]
                ]
            )
            strip.scroll_home(animate=False)
        elif reply.actions and reply.actions[0].kind == ActionKind.SESSION_RESET:
            await strip.remove_children()

    def show_compare(self, table: list[list[str]]) -> None:
        """Two or more products side by side: one column each, one row per fact."""
        compare = self.query_one("#compare", DataTable)
        compare.clear(columns=True)
        header, *rows = table
        compare.add_columns(*(plain(h) for h in header))
        for row in rows:
            compare.add_row(*(plain(cell) for cell in row))
        self.query_one("#cards", HorizontalScroll).display = False
        compare.display = True

    def refresh_cards(self) -> None:
        """Staff changed a price or stock, or took the call: the screen follows at once."""
        stamp = change_stamp(self.catalog.conn)
        if stamp == self._cards_stamp:
            return
        self._cards_stamp = stamp
        self.follow_staff_call()
        shown = list(self.query(ProductCard))
        fresh = {p.id: p for p in self.catalog.products([c.card.id for c in shown])}
        for widget in shown:
            p = fresh.get(widget.card.id)
            if p is not None:  # in the language and for the size it was first shown in
                card = cards([p], {p.id: widget.card.fact}, widget.lang)
                if widget.asked_size:
                    fit_cards(card, [p], widget.asked_size, (), widget.lang)
                widget.refresh_card(card[0])

    def follow_staff_call(self) -> None:
        """When staff acknowledge this visit's call, the shopper is told, once."""
        call_id = self.session.staff_call
        if call_id is None or call_id == self._call_announced:
            return
        call = self.catalog.staff_call(call_id)
        if call is not None and call.status == "acknowledged":
            self._call_announced = call_id
            conversation = self.query_one("#conversation", VerticalScroll)
            conversation.mount(Static(self.words("on_the_way"), classes="kiosk note", markup=False))
            conversation.scroll_end(animate=False)

    # -- privacy ----------------------------------------------------------------------
    def forget_old_requests(self) -> None:
        """Retention: request-log rows older than `insights.retention_days` are deleted."""
        try:
            apply_retention(self.catalog.conn, self.cfg.insights.retention_days)
        except Exception as exc:  # a locked database: next hour
            log.warning("retention not applied: %s", type(exc).__name__)

    def wipe_if_idle(self) -> None:
        """A shopper who walked away: asked "Still there?" first, then wiped."""
        idle = time.monotonic() - self.last_input
        timeout = self.cfg.assistant.idle_timeout_s
        if not (self.session.turns or len(self.query(".shopper"))):
            return
        if idle > timeout:
            self.wipe()
        elif idle > timeout - min(STILL_THERE_S, timeout / 3) and not self.query(".still-there"):
            conversation = self.query_one("#conversation", VerticalScroll)
            conversation.mount(
                Static(self.words("still_there"), classes="kiosk note still-there", markup=False)
            )
            conversation.scroll_end(animate=False)

    def wipe(self) -> None:
        """A new shopper starts clean: conversation, cards and session are forgotten."""
        self.voice.barge_in()
        self.session.reset()
        self.voice.lang = self.cfg.store.language
        self.last_input = time.monotonic()
        self._pending = None
        self.said_no_microphone = False
        self.set_language(self.cfg.store.language)  # the next shopper: the store's language
        self.greet()
        self.query_one("#ask", Input).value = ""
        self.query_one("#compare", DataTable).display = False
        self.query_one("#cards", HorizontalScroll).display = True
        followups = self.query_one("#followups", Horizontal)
        followups.remove_children()
        followups.display = False
        self.set_state(VoiceState.READY)
