"""The staff console: the live "call staff" queue, catalog edits, and technician facts.

Runs as its own process (`kiosk staff`, e.g. over SSH on a back-office terminal)
on the same SQLite file as the kiosk, or on the kiosk itself behind the staff PIN.
Every edit is validated, written in one transaction, and seen by the shopper
screen at its next refresh.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, ClassVar

from rich.text import Text
from textual import on, work
from textual.app import App, ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import ModalScreen, Screen
from textual.widgets import (
    Button,
    DataTable,
    Footer,
    Input,
    Label,
    ProgressBar,
    Static,
    TabbedContent,
    TabPane,
    TextArea,
)
from textual.worker import Worker, WorkerState

from kiosk.catalog.records import format_price
from kiosk.catalog.repository import Catalog
from kiosk.config import Config
from kiosk.errors import ImportError_, KioskError
from kiosk.insights.describe import Draft
from kiosk.llm.base import ChatModel
from kiosk.ops.staff import (
    Drafts,
    KioskStatus,
    approve_description,
    language_name,
    local_time,
    microphone_test,
    save_edit,
    set_attribute,
    set_call_status,
    speaker_test,
    tech_lines,
    waiting,
)
from kiosk.ops.staffauth import PinGate
from kiosk.ops.train import label as label_request
from kiosk.ops.train import latest_requests
from kiosk.text.control import printable
from kiosk.ui.plain import plain

# `kiosk staff`: a second Esc within this many seconds closes the console.
QUIT_CONFIRM_S = 3.0


class StaffScreen(Screen[None]):
    """Calls, catalog and technician tabs over one catalog connection."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "leave", "Back to the kiosk", show=True),
    ]

    def __init__(
        self,
        cfg: Config,
        catalog: Catalog,
        *,
        standalone: bool = False,
        kiosk_status: Callable[[], KioskStatus] | None = None,
        chat: ChatModel | None = None,
    ) -> None:
        """`kiosk_status`: the running kiosk's own state (model, speech, timings) when
        the console opens on the kiosk; `chat`: its model, for description drafts."""
        super().__init__()
        self.cfg = cfg
        self.catalog = catalog
        self.standalone = standalone
        self._quit_armed_at = -1e9  # when Esc last asked "close the console?"
        self.kiosk_status = kiosk_status
        self.selected: str | None = None
        self.drafts = Drafts(cfg, catalog, chat)  # the model loads with the first draft
        self.report: dict[str, Any] | None = None
        self._call_languages = False  # the queue shows a language column

    def compose(self) -> ComposeResult:
        with TabbedContent(initial="calls"):
            with TabPane("Staff calls", id="calls"):
                yield DataTable(id="call-table", cursor_type="row")
                yield Label("No open staff calls.", id="calls-empty")
                with Horizontal(classes="buttons"):
                    yield Button("Acknowledge", id="ack")
                    yield Button("Close", id="close-call")
            with TabPane("Catalog", id="catalog"):
                yield Input(placeholder="Search products", id="product-search")
                yield DataTable(id="product-table", cursor_type="row")
                with Horizontal(classes="edit"):
                    yield Input(placeholder="price", id="edit-price")
                    yield Input(placeholder="stock", id="edit-stock")
                    yield Input(placeholder="aisle", id="edit-aisle")
                    yield Input(placeholder="shelf", id="edit-shelf")
                    yield Button("Save", id="save", variant="primary")
                with Horizontal(classes="edit"):
                    yield Input(placeholder="attribute (e.g. weight)", id="attr-key")
                    yield Input(placeholder="value (empty: remove)", id="attr-value")
                    yield Button("Set attribute", id="attr-save")
                    yield Button("Draft description", id="describe")
                yield Label("", id="edit-status", markup=False)
                yield Static("", id="product-details", markup=False)
                with Vertical(id="draft-box"):
                    yield TextArea("", id="draft-text")
                    with Horizontal(classes="buttons"):
                        yield Button("Approve", id="draft-approve", variant="success")
                        yield Button("Discard", id="draft-discard")
            with TabPane("Import", id="import"):
                yield Label("Catalog file or folder (CSV, JSON, Shopify export, Contoso folder):")
                with Horizontal(classes="buttons"):
                    yield Input(placeholder="/path/to/products.csv", id="import-path")
                    yield Button("Import", id="import-run", variant="primary")
                with Horizontal(id="import-status"):
                    yield ProgressBar(id="import-progress", show_eta=False)
                    yield Label("", id="import-outcome")
                with VerticalScroll():
                    # Reports quote file contents: plain text, never read as markup.
                    yield Static("", id="import-report", markup=False)
            with TabPane("Insights", id="insights"):
                with Horizontal(classes="buttons"):
                    yield Button("Refresh", id="insights-refresh")
                    yield Button("Export CSV", id="insights-csv")
                    yield Label("", id="insights-status", markup=False)
                with VerticalScroll():
                    yield Static(
                        "Open this tab to build the report.", id="insights-report", markup=False
                    )
                # What shoppers asked, as the kiosk took it: staff correct a misunderstood
                # request's intent here (`kiosk label`); `kiosk train` learns it.
                yield DataTable(id="request-table", cursor_type="row")
                with Horizontal(classes="edit"):
                    yield Input(placeholder="right intent, e.g. call_staff", id="label-intent")
                    yield Button("Correct intent", id="label-save")
                    yield Label("", id="label-status", markup=False)
            with TabPane("Technician", id="tech"):
                with Horizontal(classes="buttons"):
                    yield Button("Test microphone", id="test-mic")
                    yield Button("Test speaker", id="test-speaker")
                    yield Button("Refresh", id="tech-refresh")
                yield Label("", id="test-result", markup=False)
                yield Static("", id="tech-info", markup=False)
        yield Footer()

    def on_mount(self) -> None:
        self._call_columns(languages=False)
        products = self.query_one("#product-table", DataTable)
        products.add_columns("id", "name", "price", "stock", "aisle", "shelf")
        self.query_one("#request-table", DataTable).add_columns(
            "#", "when", "taken as", "language", "request"
        )
        self.refresh_calls()
        self.show_products("")
        self.query_one("#draft-box").display = False
        self.show_tech()
        self.set_interval(self.cfg.ui.refresh_s, self.refresh_calls)
        self.last_activity = time.monotonic()
        if not self.standalone:  # on the public screen: staff walk away, the console locks
            self.set_interval(1.0, self.lock_if_idle)

    # -- locking ------------------------------------------------------------------
    def on_key(self) -> None:
        self.last_activity = time.monotonic()

    def on_mouse_down(self) -> None:
        self.last_activity = time.monotonic()

    def lock_if_idle(self) -> None:
        """Back to the shopper screen after `ui.staff_idle_lock_s` without a key or touch;
        opening the console again asks for the PIN."""
        if time.monotonic() - self.last_activity >= self.cfg.ui.staff_idle_lock_s:
            self.action_leave()

    # -- staff calls --------------------------------------------------------------
    def _call_columns(self, *, languages: bool) -> None:
        """The queue's columns; "language" while a call in another language than English
        is in it (the shopper's words are shown as they said them)."""
        table = self.query_one("#call-table", DataTable)
        table.clear(columns=True)
        # Status and waiting time first: a long request must not push them off screen.
        names = ["#", "status", "waiting", "when", "kiosk", "looking for"]
        if languages:
            names.insert(-1, "language")
        table.add_columns(*names)
        self._call_languages = languages

    def refresh_calls(self) -> None:
        """The queue updates live as shoppers press "call staff" on any kiosk."""
        table = self.query_one("#call-table", DataTable)
        calls = self.catalog.staff_calls()
        languages = any(c.lang != "en" for c in calls)
        if languages != self._call_languages:
            self._call_columns(languages=languages)
        rows = [
            (str(c.id), c.status, waiting(c.at), local_time(c.at), c.kiosk)
            + ((language_name(c.lang),) if languages else ())
            + (c.looking_for,)
            for c in calls
        ]
        self.query_one("#calls-empty", Label).display = not rows
        current = [tuple(str(v) for v in table.get_row_at(i)) for i in range(table.row_count)]
        if [tuple(plain(v).plain for v in row) for row in rows] != current:
            table.clear()
            for row in rows:  # a shopper's words: shown as typed, never read as markup
                table.add_row(*(plain(v) for v in row), key=row[0])

    def _selected_call(self) -> int | None:
        table = self.query_one("#call-table", DataTable)
        if table.row_count == 0:
            return None
        return int(str(table.get_row_at(table.cursor_row)[0]))

    @on(Button.Pressed, "#ack")
    def acknowledge(self) -> None:
        self._set_call("acknowledged")

    @on(Button.Pressed, "#close-call")
    def close_call(self) -> None:
        self._set_call("closed")

    def _set_call(self, status: str) -> None:
        call = self._selected_call()
        if call is not None:
            set_call_status(self.catalog, call, status)
            self.refresh_calls()

    # -- catalog ------------------------------------------------------------------
    @on(Input.Changed, "#product-search")
    def search_changed(self, event: Input.Changed) -> None:
        self.show_products(event.value)

    def show_products(self, query: str) -> None:
        table = self.query_one("#product-table", DataTable)
        table.clear()
        if query.strip():
            ids = [h.product_id for h in self.catalog.search(query, limit=50)]
            products = self.catalog.products(ids)
        else:
            products = self.catalog.all_products(limit=200)
        for p in products:
            cells = (p.id, p.name, format_price(p.price_cents), str(p.stock), p.aisle, p.shelf)
            table.add_row(*(plain(c) for c in cells), key=p.id)

    @on(DataTable.RowHighlighted, "#product-table")
    def product_highlighted(self, event: DataTable.RowHighlighted) -> None:
        if event.row_key.value is None:
            return
        product = self.catalog.product(str(event.row_key.value))
        if product is None:
            return
        self.selected = product.id
        self.query_one("#edit-price", Input).value = f"{product.price_cents / 100:.2f}"
        self.query_one("#edit-stock", Input).value = str(product.stock)
        self.query_one("#edit-aisle", Input).value = product.aisle
        self.query_one("#edit-shelf", Input).value = product.shelf
        attrs = "; ".join(f"{k}: {v}" for k, v in sorted(product.attributes.items()))
        self.query_one("#product-details", Static).update(
            Text.assemble(
                plain(product.name, "bold"), "\n", plain(f"{product.description}\n{attrs}")
            )
        )
        self.query_one("#draft-box").display = False

    @on(Button.Pressed, "#save")
    def save(self) -> None:
        status = self.query_one("#edit-status", Label)
        if self.selected is None:
            status.update("Choose a product first.")
            return
        message = save_edit(
            self.catalog,
            self.selected,
            price=self.query_one("#edit-price", Input).value,
            stock=self.query_one("#edit-stock", Input).value,
            aisle=self.query_one("#edit-aisle", Input).value,
            shelf=self.query_one("#edit-shelf", Input).value,
        )
        status.update(message)
        self.show_products(self.query_one("#product-search", Input).value)

    # -- technician ---------------------------------------------------------------
    def show_tech(self) -> None:
        status = self.kiosk_status() if self.kiosk_status is not None else None
        self.query_one("#tech-info", Static).update(
            "\n".join(tech_lines(self.cfg, self.catalog, status))
        )

    @on(Button.Pressed, "#attr-save")
    def save_attribute(self) -> None:
        status = self.query_one("#edit-status", Label)
        if self.selected is None:
            status.update("Choose a product first.")
            return
        status.update(
            set_attribute(
                self.catalog,
                self.selected,
                self.query_one("#attr-key", Input).value,
                self.query_one("#attr-value", Input).value,
            )
        )

    # -- description drafts -----------------------------------------------------------
    @on(Button.Pressed, "#describe")
    def describe(self) -> None:
        if self.selected is None:
            self.query_one("#edit-status", Label).update("Choose a product first.")
            return
        self.query_one("#edit-status", Label).update("Drafting a description from the specs ...")
        self.draft(self.selected)

    @work(thread=True, exclusive=True, group="draft", exit_on_error=False)
    def draft(self, product_id: str) -> None:
        """The model drafts, the fact checker judges; staff approve, edit or discard."""
        self.app.call_from_thread(self.show_draft, self.drafts.draft(product_id))

    def show_draft(self, result: Draft) -> None:
        box = self.query_one("#draft-box")
        box.display = True
        self.query_one("#draft-text", TextArea).text = result.text
        why = "; ".join(result.rejected_reasons)
        self.query_one("#edit-status", Label).update(
            "The model's draft passed the fact check: edit it, then Approve or Discard."
            if result.source == "model"
            else f"Built from the specs (the model's draft was rejected: {why}). "
            "Edit, then Approve or Discard."
        )

    @on(Button.Pressed, "#draft-approve")
    def approve_draft(self) -> None:
        status = self.query_one("#edit-status", Label)
        product = self.catalog.product(self.selected or "")
        if product is None:
            return
        text = self.query_one("#draft-text", TextArea).text
        saved, problems = approve_description(self.catalog, product.id, text)
        if not saved:
            status.update("Not saved: " + "; ".join(problems))
            return
        self.query_one("#draft-box").display = False
        status.update(f"Saved the description of {product.name}.")

    @on(Button.Pressed, "#draft-discard")
    def discard_draft(self) -> None:
        self.query_one("#draft-box").display = False
        self.query_one("#edit-status", Label).update("Draft discarded; nothing saved.")

    # -- insights -------------------------------------------------------------------
    @on(TabbedContent.TabActivated)
    def tab_activated(self, event: TabbedContent.TabActivated) -> None:
        if event.pane.id == "insights" and self.report is None:
            self.build_insights()
            self.show_requests()
        elif event.pane.id == "tech":
            self.show_tech()

    @on(Button.Pressed, "#insights-refresh")
    def refresh_insights(self) -> None:
        self.build_insights()
        self.show_requests()

    def show_requests(self) -> None:
        """The newest logged requests with the intent the kiosk took, newest first."""
        table = self.query_one("#request-table", DataTable)
        table.clear()
        for t in latest_requests(self.catalog, 50):  # a shopper's words: never markup
            table.add_row(
                str(t.id), t.at, t.intent, language_name(t.lang), plain(t.text), key=str(t.id)
            )

    @on(Button.Pressed, "#label-save")
    @on(Input.Submitted, "#label-intent")
    def correct_intent(self) -> None:
        table = self.query_one("#request-table", DataTable)
        status = self.query_one("#label-status", Label)
        if table.row_count == 0:
            status.update("No logged requests yet.")
            return
        row = int(str(table.get_row_at(table.cursor_row)[0]))
        box = self.query_one("#label-intent", Input)
        try:
            status.update(label_request(self.cfg, row, box.value))
        except KioskError as exc:
            status.update(f"Not saved: {exc.message}")
            return
        box.value = ""

    @work(thread=True, exclusive=True, group="insights", exit_on_error=False)
    def build_insights(self) -> None:
        """Built on its own connection: reviews' sentiment over a big catalog takes a moment."""
        from kiosk.insights.charts import terminal_charts
        from kiosk.insights.report import current_report, format_report

        self.app.call_from_thread(self._insights_status, "Building the report ...")
        with Catalog.open(self.catalog.path or self.cfg.catalog_path) as catalog:
            report = current_report(catalog, self.cfg.insights.retention_days)
        self.report = report
        text = terminal_charts(report) + "\n" + format_report(report)
        self.app.call_from_thread(self._show_insights, text)

    def _insights_status(self, text: str) -> None:
        self.query_one("#insights-status", Label).update(text)

    def _show_insights(self, text: str) -> None:
        self.query_one("#insights-report", Static).update(text)
        self._insights_status("")

    @on(Button.Pressed, "#insights-csv")
    def export_insights(self) -> None:
        from datetime import date

        from kiosk.insights.report import write_csv

        if self.report is None:
            self._insights_status("Build the report first (Refresh).")
            return
        path = self.cfg.home_path / f"insights-{date.today().isoformat()}.csv"
        rows = write_csv(self.report, path)
        self._insights_status(f"Wrote {rows} rows to {path}")

    # -- import -------------------------------------------------------------------
    @on(Button.Pressed, "#import-run")
    @on(Input.Submitted, "#import-path")
    def start_import(self) -> None:
        raw = self.query_one("#import-path", Input).value.strip()
        report = self.query_one("#import-report", Static)
        if not raw:
            report.update("Type the path of a catalog file or folder first.")
            return
        self.query_one("#import-run", Button).disabled = True
        bar = self.query_one("#import-progress", ProgressBar)
        bar.remove_class("-failed")
        bar.update(total=None, progress=0)
        self.query_one("#import-outcome", Label).remove_class("-failed").update("")
        report.update(f"Importing {raw} ...")
        self.run_import(Path(raw).expanduser())

    @work(thread=True, exclusive=True, group="import", exit_on_error=False)
    def run_import(self, path: Path) -> str:
        """On its own connection, like `kiosk import` in another process: one transaction."""
        from kiosk.catalog.db import connect
        from kiosk.catalog.importers import import_paths

        def progress(done: int, total: int | None) -> None:
            self.app.call_from_thread(self.import_progress, done, total)

        conn = connect(self.catalog.path or self.cfg.catalog_path)
        try:
            s = import_paths(conn, [path], progress=progress)
        finally:
            conn.close()
        return "\n".join(
            [
                f"Imported {s.products} products, {s.documents} documents, {s.reviews} reviews"
                + (f" ({s.skipped} rows skipped)" if s.skipped else "")
                + f" from {path}.",
                *s.report(),
            ]
        )

    def import_progress(self, done: int, total: int | None) -> None:
        self.query_one("#import-progress", ProgressBar).update(total=total, progress=done)

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        if event.state == WorkerState.ERROR and event.worker.group != "import":
            error = event.worker.error
            text = (
                error.message
                if isinstance(error, KioskError)
                else f"{type(error).__name__}: {error}"
            )
            where = {"insights": "#insights-status", "audio-test": "#test-result"}
            self.query_one(where.get(event.worker.group, "#edit-status"), Label).update(
                f"That didn't work: {text}"
            )
            return
        if event.worker.group != "import" or event.state not in (
            WorkerState.SUCCESS,
            WorkerState.ERROR,
        ):
            return
        self.query_one("#import-run", Button).disabled = False
        report = self.query_one("#import-report", Static)
        bar = self.query_one("#import-progress", ProgressBar)
        outcome = self.query_one("#import-outcome", Label)
        if event.state == WorkerState.SUCCESS:
            bar.update(total=1, progress=1)
            outcome.update("Done")
            report.update(printable(str(event.worker.result)))
            self.show_products(self.query_one("#product-search", Input).value)
            self.show_tech()
            return
        error = event.worker.error
        # The bar stops showing "--%" (still reading) and says the import failed.
        bar.add_class("-failed")
        bar.update(total=1, progress=1)
        outcome.add_class("-failed")
        if isinstance(error, ImportError_):
            n = len(error.problems) + error.more
            outcome.update(f"Failed: {n} problem{'s' if n != 1 else ''}")
            text = f"Not imported; the catalog is unchanged.\n{error.message}"
        elif isinstance(error, KioskError):
            outcome.update("Failed")
            text = f"Not imported; the catalog is unchanged.\n{error.message}"
        else:
            outcome.update("Failed")
            text = f"Not imported; the catalog is unchanged.\n{type(error).__name__}: {error}"
        report.update(printable(text))

    # -- technician tests -----------------------------------------------------------
    @on(Button.Pressed, "#tech-refresh")
    def tech_refresh(self) -> None:
        self.show_tech()

    @on(Button.Pressed, "#test-mic")
    def test_mic(self) -> None:
        self.query_one("#test-result", Label).update("Microphone: speak now (up to 5 s) ...")
        self.audio_test(microphone_test)

    @on(Button.Pressed, "#test-speaker")
    def test_speaker(self) -> None:
        self.query_one("#test-result", Label).update("Speaker: playing a test sentence ...")
        self.audio_test(speaker_test)

    @work(thread=True, exclusive=True, group="audio-test", exit_on_error=False)
    def audio_test(self, test: Callable[[Config], str]) -> None:
        """A test records or plays for seconds: off the screen's thread."""
        self.app.call_from_thread(self._test_result, test(self.cfg))

    def _test_result(self, text: str) -> None:
        self.query_one("#test-result", Label).update(text)

    def on_unmount(self) -> None:
        self.drafts.close()

    def action_leave(self) -> None:
        if not self.standalone:
            self.app.pop_screen()
            return
        # In `kiosk staff` Esc would close the whole console: ask for a second press, so
        # a stray key (leaving an input, say) doesn't lose a half-made edit.
        now = time.monotonic()
        if now - self._quit_armed_at <= QUIT_CONFIRM_S:
            self.app.exit()
            return
        self._quit_armed_at = now
        self.notify(
            f"Press Esc again within {QUIT_CONFIRM_S:g} seconds to close the staff console.",
            title="Close the console?",
            timeout=QUIT_CONFIRM_S,
        )


class PinScreen(ModalScreen[bool]):
    """Asks for the staff PIN; the gate limits wrong attempts.

    While locked out the dialog stays up, swallowing what is typed and counting down,
    so a PIN typed during the lockout never lands in the shopper's request box (and
    from there in the request log). Escape closes it.
    """

    def __init__(self, gate: PinGate) -> None:
        super().__init__()
        self.gate = gate

    def compose(self) -> ComposeResult:
        with Vertical(id="pin-box"):
            yield Label("Staff PIN", id="pin-title")
            yield Input(password=True, id="pin")
            yield Label("", id="pin-status", markup=False)

    def on_mount(self) -> None:
        self.query_one("#pin", Input).focus()
        self.show_lock()
        self.set_interval(1.0, self.show_lock)

    def show_lock(self) -> None:
        """The countdown while locked; the PIN field again when the lockout is over."""
        left = self.gate.locked_for()
        field = self.query_one("#pin", Input)
        status = self.query_one("#pin-status", Label)
        if left > 0:
            field.value = ""
            status.update(f"Too many tries. Locked for {left:.0f} s. Esc to go back.")
        elif str(status.render()).startswith("Too many tries"):
            status.update("Enter the staff PIN.")

    @on(Input.Changed, "#pin")
    def typed_while_locked(self, event: Input.Changed) -> None:
        if self.gate.locked_for() > 0 and event.value:
            event.input.value = ""  # swallowed: nothing typed now goes anywhere

    @on(Input.Submitted, "#pin")
    def submitted(self, event: Input.Submitted) -> None:
        pin, event.input.value = event.value, ""
        if self.gate.locked_for() > 0:
            self.show_lock()
        elif self.gate.try_pin(pin):
            self.dismiss(True)
        elif self.gate.locked_for() > 0:
            self.show_lock()
        else:
            self.query_one("#pin-status", Label).update("Wrong PIN.")

    def key_escape(self) -> None:
        self.dismiss(False)


class StaffApp(App[None]):
    """`kiosk staff`: the console in its own process, on the same database."""

    CSS_PATH = "kiosk.tcss"
    TITLE = "kiosk staff console"

    def __init__(self, cfg: Config, catalog: Catalog) -> None:
        super().__init__()
        self.cfg = cfg
        self.catalog = catalog

    def on_mount(self) -> None:
        self.push_screen(StaffScreen(self.cfg, self.catalog, standalone=True))
