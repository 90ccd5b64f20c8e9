"""The shopper screen: typing (and later speech) in, answers and product cards out.

One client of the core: every turn runs `Assistant.turn` in a worker thread so the
screen never freezes, and the screen is locked down (no command palette, no quit
key, Ctrl+C/Ctrl+Z/Ctrl+\\ do nothing) because shoppers stand at it.
"""

from __future__ import annotations

import logging
import time
from typing import ClassVar

from textual import on, work
from textual.app import App, ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, HorizontalScroll, VerticalScroll
from textual.widgets import Button, Input, Static
from textual.worker import Worker, WorkerState

from kiosk.assistant.act import EXAMPLES, WHAT_I_DO
from kiosk.assistant.assistant import Assistant
from kiosk.assistant.reply import Card, Reply
from kiosk.assistant.session import Session
from kiosk.catalog.db import change_stamp
from kiosk.catalog.records import format_price
from kiosk.catalog.repository import Catalog
from kiosk.config import Config
from kiosk.llm.base import ChatModel
from kiosk.staffauth import PinGate

log = logging.getLogger(__name__)

CALM_ERROR = "Sorry, something went wrong on my side. Please try again, or press Call staff."


class ProductCard(Static):
    """Name, price, stock, place and one key fact, readable at arm's length."""

    def __init__(self, card: Card) -> None:
        self.card = card
        super().__init__(self._text(card), classes="card")

    @staticmethod
    def _text(c: Card) -> str:
        stock = f"[green]In stock ({c.stock})[/]" if c.stock > 0 else "[red]Out of stock[/]"
        where = f"Aisle {c.aisle}" + (f", shelf {c.shelf}" if c.shelf else "") if c.aisle else ""
        lines = [f"[b]{c.name}[/b]", f"[b]{format_price(c.price_cents)}[/b]", stock]
        if where:
            lines.append(where)
        if c.fact:
            lines.append(c.fact)
        return "\n".join(lines)

    def refresh_card(self, card: Card) -> None:
        self.card = card
        self.update(self._text(card))


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
    ]

    def __init__(
        self,
        cfg: Config,
        catalog: Catalog,
        chat: ChatModel | None = None,
        *,
        load_llm: bool = False,
    ) -> None:
        super().__init__()
        self.cfg = cfg
        self.catalog = catalog
        self.assistant = Assistant(catalog, cfg, chat)
        self.session = Session()
        self.load_llm = load_llm
        self.last_input = time.monotonic()
        self._cards_stamp: tuple[int, int] | None = None
        self.pin_gate = PinGate(cfg.ui.staff_pin_hash, cfg.ui.pin_attempts, cfg.ui.pin_lockout_s)
        self._staff_catalog: Catalog | None = None

    # -- layout -----------------------------------------------------------------------
    def compose(self) -> ComposeResult:
        with Horizontal(id="top"):
            yield Static(f"[b]{self.cfg.store.name}[/b]  shopping help", id="title")
            yield Static("Ready", id="state")
        yield VerticalScroll(id="conversation")
        yield HorizontalScroll(id="cards")
        with Horizontal(id="bottom"):
            yield Input(placeholder="Type what you're looking for, then Enter", id="ask")
            yield Button("Call staff", id="call", variant="warning")
            yield Button("Start over", id="reset")

    def on_mount(self) -> None:
        self.greet()
        self.query_one("#ask", Input).focus()
        self.set_interval(1.0, self.wipe_if_idle)
        self.set_interval(self.cfg.ui.refresh_s, self.refresh_cards)
        if self.load_llm:
            self.load_model()

    def greet(self) -> None:
        conversation = self.query_one("#conversation", VerticalScroll)
        conversation.remove_children()
        self.query_one("#cards", HorizontalScroll).remove_children()
        conversation.mount(
            Static(f"Hello, welcome to {self.cfg.store.name}! {WHAT_I_DO}\n{EXAMPLES}",
                   classes="kiosk greeting")
        )  # fmt: skip

    def set_state(self, text: str) -> None:
        self.query_one("#state", Static).update(text)

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
                self.push_screen(StaffScreen(self.cfg, self.staff_catalog()))

        self.push_screen(PinScreen(self.pin_gate), opened)

    def staff_catalog(self) -> Catalog:
        """The console's own connection, as if it ran in another process."""
        if self._staff_catalog is None:
            self._staff_catalog = Catalog.open(self.catalog.path or self.cfg.catalog_path)
        return self._staff_catalog

    # -- input ------------------------------------------------------------------------
    def on_key(self) -> None:
        self.last_input = time.monotonic()

    @on(Input.Submitted, "#ask")
    def submitted(self, event: Input.Submitted) -> None:
        text = event.value.strip()
        event.input.value = ""
        if text:
            self.ask(text)

    @on(Button.Pressed, "#call")
    def call_staff(self) -> None:
        self.ask("call staff")

    @on(Button.Pressed, "#reset")
    def start_over(self) -> None:
        self.wipe()

    def ask(self, text: str) -> None:
        self.last_input = time.monotonic()
        self.query_one("#conversation", VerticalScroll).mount(
            Static(f"You: {text}", classes="shopper")
        )
        self.set_state("Thinking...")
        self.run_turn(text)

    @work(thread=True, exclusive=True, group="turn", exit_on_error=False)
    def run_turn(self, text: str) -> Reply:
        reply = self.assistant.turn(self.session, text)
        self.call_from_thread(self.show_reply, reply)
        return reply

    @work(thread=True, exclusive=True, group="model", exit_on_error=False)
    def load_model(self) -> None:
        """Load the LLM without blocking the screen; templates answer meanwhile."""
        from kiosk.llm.base import load_chat_model

        chat = load_chat_model(self.cfg)
        self.assistant.chat = chat
        self.assistant.warm()

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        if event.state != WorkerState.ERROR:
            return
        log.error("worker %s failed: %r", event.worker.name, event.worker.error)
        if event.worker.group == "turn":
            self.set_state("Ready")
            self.query_one("#conversation", VerticalScroll).mount(
                Static(CALM_ERROR, classes="kiosk error")
            )

    # -- output -----------------------------------------------------------------------
    def show_reply(self, reply: Reply) -> None:
        conversation = self.query_one("#conversation", VerticalScroll)
        conversation.mount(Static(reply.text, classes="kiosk"))
        conversation.scroll_end(animate=False)
        cards = self.query_one("#cards", HorizontalScroll)
        if reply.products:
            cards.remove_children()
            cards.mount_all([ProductCard(c) for c in reply.products])
        elif reply.actions and reply.actions[0].kind == "session_reset":
            cards.remove_children()
        self.set_state("Ready")

    def refresh_cards(self) -> None:
        """Staff changed a price or stock: the cards on screen follow at once."""
        stamp = change_stamp(self.catalog.conn)
        if stamp == self._cards_stamp:
            return
        self._cards_stamp = stamp
        shown = list(self.query(ProductCard))
        fresh = {p.id: p for p in self.catalog.products([c.card.id for c in shown])}
        for widget in shown:
            p = fresh.get(widget.card.id)
            if p is not None:
                widget.refresh_card(Card.of(p, widget.card.fact))

    # -- privacy ----------------------------------------------------------------------
    def wipe_if_idle(self) -> None:
        if time.monotonic() - self.last_input > self.cfg.assistant.idle_timeout_s and (
            self.session.turns or len(self.query(".shopper"))
        ):
            self.wipe()

    def wipe(self) -> None:
        """A new shopper starts clean: conversation, cards and session are forgotten."""
        self.session.reset()
        self.last_input = time.monotonic()
        self.greet()
        self.query_one("#ask", Input).value = ""
        self.set_state("Ready")
