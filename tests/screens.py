"""Driving the Textual screens in tests as a shopper would: type, press Enter, read."""

from __future__ import annotations

import dataclasses
from pathlib import Path

from textual.widgets import Input, Static

from kiosk.config import Config, load
from kiosk.ui.shopper import ProductCard, ShopperApp


def screen_cfg(home: Path, **env: str) -> Config:
    """Defaults on their own KIOSK_HOME, looking for catalog changes every 0.1 s."""
    cfg = load(env={"KIOSK_HOME": str(home), **env})
    return dataclasses.replace(cfg, ui=dataclasses.replace(cfg.ui, refresh_s=0.1))


async def type_request(app: ShopperApp, pilot: object, text: str) -> None:
    """Type a request, press Enter, and wait until its turn is on screen."""
    app.query_one("#ask", Input).value = text
    await pilot.press("enter")  # type: ignore[attr-defined]
    await app.workers.wait_for_complete()
    await pilot.pause()  # type: ignore[attr-defined]


def cards(app: ShopperApp) -> list[str]:
    return [c.card.name for c in app.query(ProductCard)]


def said(app: ShopperApp) -> str:
    """Everything the kiosk said on screen, in order."""
    return "\n".join(str(s.render()) for s in app.query(".kiosk").results(Static))
