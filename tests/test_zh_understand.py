"""Mandarin requests read into the same slots and intents as English ones.

Over the real demo store (seeded from kiosk/demo, with its Chinese names and categories
from translations-zh.csv where the import doesn't load them yet), words alone: the
rules' reading, no model. The labelled requests are tests/data/zh/requests.jsonl.
"""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from typing import Any

import pytest

from kiosk.assistant.pipeline import Assistant
from kiosk.assistant.reply import Intent
from kiosk.assistant.session import Session
from kiosk.assistant.understand import understand
from kiosk.assistant.zh.numbers import to_int
from kiosk.assistant.zh.understand import ZhVocabulary, gloss, understand_zh
from kiosk.bench import zh_bench
from kiosk.catalog.lexicon import Lexicon
from kiosk.text.language import EN, ZH, detect

ITEMS = zh_bench.labelled()
TUNE = [i for i in ITEMS if i["split"] == "tune"]
HELD = [i for i in ITEMS if i["split"] == "held"]
# Measured by `kiosk bench zh` when the Chinese reading was finished (held: 70 rows,
# scored only at the end). A floor against regressions, not a figure tuned to.
HELD_INTENT_FLOOR = 1.0
HELD_FULL_FLOOR = 1.0


@pytest.fixture(scope="module")
def bot() -> Iterator[Assistant]:
    with tempfile.TemporaryDirectory(prefix="kiosk-zh-test-") as home:
        catalog, assistant = zh_bench.demo_assistant(home)
        try:
            yield assistant
        finally:
            assistant.close()
            catalog.close()


def test_the_labelled_set_is_big_enough_and_split() -> None:
    assert len(ITEMS) >= 150 and len(HELD) >= 60
    assert {i["intent"] for i in HELD} == {i.value for i in Intent}


# Every fourth tuning request: intents, slots and products over the real catalog.
@pytest.mark.parametrize("item", TUNE[::4], ids=lambda i: str(i["text"]))
def test_tuning_sample(bot: Assistant, item: dict[str, Any]) -> None:
    lex = bot.lexicon()
    u = bot.understand(item["text"], lex)
    shown = [c.id for c in bot.act(u, Session(), lex).reply.products]
    assert zh_bench.check(item, str(u.intent), u.slots(), shown) == []
    assert u.lang == ZH and u.request == item["text"].strip()


def test_held_set_stays_at_its_measured_figure(bot: Assistant) -> None:
    sc = zh_bench.score(bot, HELD)["held"]
    assert sc.rate(sc.intent) >= HELD_INTENT_FLOOR, sc.misses
    assert sc.rate(sc.full) >= HELD_FULL_FLOOR, sc.misses


@pytest.mark.parametrize(
    ("said", "value"),
    [
        ("一百二十", 120),
        ("一百二", 120),
        ("两百", 200),
        ("三百五", 350),
        ("三百零五", 305),
        ("十", 10),
        ("十五", 15),
        ("二十", 20),
        ("1千", 1000),
        ("1.5万", 15000),
        ("两千五百", 2500),
        ("150", 150),
        ("块", None),
    ],
)
def test_chinese_numerals(said: str, value: int | None) -> None:
    assert to_int(said) == value


@pytest.mark.parametrize(
    ("said", "english"),
    [
        ("一百块以下的睡袋", "under $100 sleeping bag"),
        ("100元以内", "under $100"),
        ("不超过两百", "under $200"),
        ("两百到三百之间的帐篷", "between $200 and $300 tent"),
        ("三百块以上", "over $300"),
        ("10码的靴子", "size 10 boots"),
        ("42码", "size 42"),
        ("M号的夹克", "size M jacket"),
        ("中号", "size M"),
        ("四个人用的帐篷", "for 4 people tent"),
        ("4人帐篷", "for 4 people tent"),
        ("双人帐篷", "for 2 people tent"),
        ("第二个", "the second"),
        ("最后一个", "the last"),
        ("会员号是7", "my loyalty number is 7"),
        ("嗨，早上好！", "hello"),
        ("謝謝", "thanks"),
    ],
)
def test_gloss(said: str, english: str) -> None:
    assert gloss(said, ZhVocabulary()) == english


def test_slots_of_one_request(bot: Assistant) -> None:
    u = bot.understand("有没有防水的黑色夹克，L码，一百五以内", bot.lexicon())
    assert u.intent == Intent.FIND_PRODUCT
    assert u.category == "Hiking Clothing" and u.kind == "jacket"
    assert (u.size, u.color, u.max_price_cents) == ("L", "black", 15000)
    assert u.features == ["waterproof"]


@pytest.mark.parametrize(
    ("said", "tier"),
    [("金卡会员能退多久", "Gold"), ("我是白金会员，退货怎么算", "Platinum")],
)
def test_membership_tiers(bot: Assistant, said: str, tier: str) -> None:
    u = bot.understand(said, bot.lexicon())
    assert (u.intent, u.membership, u.policy_topic) == (
        Intent.STORE_POLICY,
        tier,
        "return_policy",
    )


def test_loyalty_number_alone_applies_it(bot: Assistant) -> None:
    u = bot.understand("我的会员号是 7", bot.lexicon())
    assert u.loyalty_number == "7" and u.loyalty_only and u.intent == Intent.RECOMMEND


def test_catalog_chinese_category_words_come_from_the_translations(bot: Assistant) -> None:
    vocab = bot.zh_vocabulary()
    assert vocab.gloss["露营炉具"] == "camping stoves"  # the catalog's own category
    u = bot.understand("露营炉具", bot.lexicon())
    assert u.category == "Camping Stoves"


def test_what_the_store_does_not_sell_shows_nothing(bot: Assistant) -> None:
    lex = bot.lexicon()
    u = bot.understand("有没有卖冰箱的", lex)
    assert u.intent == Intent.FIND_PRODUCT and "冰箱" in u.query
    assert bot.act(u, Session(), lex).reply.products == []


def test_request_and_note_are_the_wording_redacted(bot: Assistant) -> None:
    u = bot.understand("帐篷漏水了，我的电话是13812345678", bot.lexicon())
    assert u.lang == ZH and "13812345678" in u.request
    assert "13812345678" not in u.note and "帐篷漏水了" in u.note


def test_mixed_names_are_chinese_and_english_stays_english() -> None:
    assert detect("TrailMaster 跟 Alpine Explorer 比哪个好") == ZH
    assert detect("do you sell 帐篷 in this store") == EN
    assert detect("where are the tents?") == EN


@pytest.mark.parametrize(
    "said",
    [
        "do you have waterproof hiking boots under $100 in size 10?",
        "where are the sleeping bags",
        "I want to talk to a person",
        "compare the TrailMaster and the SkyView",
    ],
)
def test_english_reading_unchanged(bot: Assistant, said: str) -> None:
    """English goes through the English rules as before, untouched by the Chinese path."""
    lex = bot.lexicon()
    got, want = bot.understand(said, lex), understand(said, lex)
    assert got.lang == EN
    assert (got.intent, got.slots(), got.text) == (want.intent, want.slots(), want.text)


def test_understand_zh_without_a_catalog_vocabulary() -> None:
    u = understand_zh("找店员", Lexicon())
    assert u.intent == Intent.CALL_STAFF and u.lang == ZH
