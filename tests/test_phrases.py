"""Every reply phrase exists in every language the kiosk answers in, with the same facts."""

from __future__ import annotations

import importlib
import pkgutil

import kiosk
from kiosk.assistant.phrases import TABLES, Phrases
from kiosk.text.language import EN, ZH, detect, supported


def _import_all() -> None:
    for mod in pkgutil.walk_packages(kiosk.__path__, "kiosk."):
        if mod.name.startswith(("kiosk.ui", "kiosk.cli", "kiosk.__main__")):
            continue  # the fronts load Textual; their words are checked in their own tests
        importlib.import_module(mod.name)


def test_every_phrase_has_every_language_with_the_same_fields() -> None:
    _import_all()
    problems = [p for table in TABLES for p in table.problems()]
    assert problems == []


def test_a_phrase_missing_a_language_or_a_fact_is_reported() -> None:
    bad = Phrases("t", {"a": {EN: "{price} at {aisle}", ZH: "{price}"}, "b": {EN: "hi"}})
    TABLES.remove(bad)
    assert bad.problems() == [
        "t.a: fields differ {'en': {'price', 'aisle'}, 'zh': {'price'}}".replace(
            "{'price', 'aisle'}", str({"price", "aisle"})
        ),
        "t.b: no zh",
    ]
    assert bad(ZH, "a", price="$5", aisle="3") == "$5"
    assert bad(ZH, "b") == "hi"  # (a table that fails the test above still answers)


def test_the_language_is_read_from_the_request() -> None:
    assert detect("有没有帐篷") == ZH
    assert detect("有没有 SkyView 帐篷？") == ZH  # a brand inside Chinese
    assert detect("10码的靴子") == ZH
    assert detect("where are the tents?") == EN
    assert detect("do you sell 帐篷 in this store") == EN  # one Chinese word in English
    assert detect("") == EN
    assert supported("zh-CN") == ZH and supported("fr") == EN
