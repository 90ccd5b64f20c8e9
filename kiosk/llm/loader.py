"""Picking and loading the configured chat model, or answering without one.

The one place that turns `llm.backend` into a model, and the one place that says
"model not loaded, answering from templates": every front (the shopper screen,
`kiosk ask`, the staff console's drafts, the benches) loads through here.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from kiosk.config import Config
from kiosk.errors import KioskError
from kiosk.llm.base import ChatModel, Progress

if TYPE_CHECKING:
    from kiosk.llm.embed import Embedder

Report = Callable[[str], None]


def load_chat_model(cfg: Config, *, progress: Progress | None = None) -> ChatModel | None:
    """The configured model, loaded; None when `llm.backend = "none"`.

    Raises LLMError (llm_unavailable) or ModelError (file missing or corrupt) with
    one line that names the file or URL, so the caller can fall back to templates.
    """
    if cfg.llm.backend == "none":
        return None
    if cfg.llm.backend == "remote":
        from kiosk.llm.remote import RemoteChat

        return RemoteChat(cfg)
    from kiosk.llm.local import LocalLlama
    from kiosk.models.paths import resolve

    return LocalLlama(resolve(cfg, "llm"), cfg, progress=progress)


def model_wanted(cfg: Config) -> bool:
    """Does any turn use the chat model? Only when it phrases replies or helps place
    requests: with templates (the default) it is never loaded, and costs no memory."""
    if cfg.llm.backend == "none":
        return False
    return str(cfg.assistant.phrasing) != "off" or cfg.assistant.llm_understanding


def load_or_templates(
    cfg: Config, *, progress: Progress | None = None, report: Report | None = None
) -> ChatModel | None:
    """The model, or None when there is none to load or it fails to: the kiosk keeps
    answering from templates rather than not answering at all. A failure is reported
    once, in one line, through `report` (a status line, a log)."""
    try:
        return load_chat_model(cfg, progress=progress)
    except KioskError as exc:
        if report is not None:
            report(f"model not loaded [{exc.code}]: {exc.message}; answering from templates")
        return None


def load_embedder_or_words(
    cfg: Config,
    *,
    progress: Progress | None = None,
    report: Report | None = None,
    n_threads: int = 0,
) -> Embedder | None:
    """The sentence-embedding model, or None: without it the kiosk understands by
    words alone (rules and word search), so a missing or broken file costs meaning,
    never an answer. A failure is reported once, in one line, through `report`.
    `n_threads` as for `Embedder` (0: llm.n_threads)."""
    from kiosk.llm.embed import load_embedder

    try:
        return load_embedder(cfg, progress=progress, n_threads=n_threads)
    except KioskError as exc:
        if report is not None:
            report(
                f"embedding model not loaded [{exc.code}]: {exc.message}; understanding by words"
            )
        return None
