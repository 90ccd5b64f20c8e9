"""Replies in Chinese: the same facts as the English ones, in Chinese words, held to the
same check. Chinese turns are built from the English rules' understanding with its
language set to Chinese (the Chinese request rules are tested in their own files)."""

from __future__ import annotations

import csv
import re
from pathlib import Path
from typing import Any

import pytest

from kiosk.assistant.act import Outcome
from kiosk.assistant.checker import check
from kiosk.assistant.compose import Composer
from kiosk.assistant.pipeline import MAX_REQUEST_CHARS, Assistant
from kiosk.assistant.reply import Intent, Phrasing
from kiosk.assistant.session import Session
from kiosk.assistant.understand import Understanding
from kiosk.catalog.lexicon import Lexicon
from kiosk.catalog.repository import Catalog
from kiosk.config import load
from kiosk.text.language import EN, ZH

DEMO_ZH = Path(__file__).resolve().parent.parent / "kiosk" / "demo" / "translations-zh.csv"
# Words of the English templates that a Chinese reply must not contain (product names,
# spec values and quoted English store text are the catalog's, not the template's).
ENGLISH_TEMPLATE = re.compile(
    r"\b(aisle|shelf|in stock|out of stock|I found|I can|I've|Sorry|Thank|Hello|Tell me|"
    r"The closest|We don't|member of staff|is the cheaper|price|stock|where|About the)\b"
)


def load_translations(catalog: Catalog) -> None:
    """The demo's Chinese names, categories and descriptions, as the importer loads them."""
    with DEMO_ZH.open(encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    with catalog.conn:
        for row in rows:
            for field in ("name", "category", "description"):
                if row[f"{field}_zh"]:
                    catalog.conn.execute(
                        "INSERT OR REPLACE INTO translations VALUES (?, 'zh', ?, ?)",
                        (row["id"], field, row[f"{field}_zh"]),
                    )


@pytest.fixture
def bot(demo_catalog: Catalog, tmp_path: Path) -> Assistant:
    load_translations(demo_catalog)
    return Assistant(demo_catalog, load(env={"KIOSK_HOME": str(tmp_path)}), chat=None)


def understood(bot: Assistant, text: str, lang: str = ZH) -> tuple[Understanding, Lexicon]:
    lex = bot.lexicon()
    u = bot.understand(text, lex)
    u.lang = lang
    return u, lex


def ask_zh(bot: Assistant, text: str, session: Session | None = None) -> Outcome:
    """The act stage's reply to `text` read as a Chinese turn; its template must pass
    the check against its own facts."""
    u, lex = understood(bot, text)
    outcome = bot.act(u, session or Session(), lex)
    assert outcome.reply.lang == ZH
    assert check(outcome.reply.text, outcome.facts, lex) == [], outcome.reply.text
    return outcome


def chinese_only(text: str) -> None:
    assert not ENGLISH_TEMPLATE.search(text), text
    assert re.search(r"[\u4e00-\u9fff]", text), text


# -- each intent family --------------------------------------------------------------


def test_find_lists_products_with_chinese_names_price_stock_and_aisle(bot: Assistant) -> None:
    reply = ask_zh(bot, "show me tents").reply
    assert reply.intent == Intent.FIND_PRODUCT
    assert reply.text.startswith("找到 3 件：")
    assert "TrailMaster X4 四人帐篷，$250，有货，1 号通道 A 层" in reply.text
    assert "Alpine Explorer 八人帐篷，$350，缺货，1 号通道 B 层" in reply.text
    assert reply.text.endswith("。")
    chinese_only(reply.text)
    assert {c.name for c in reply.products} >= {"SkyView 双人帐篷", "TrailMaster X4 四人帐篷"}
    assert {c.category for c in reply.products} == {"帐篷"}
    assert all(c.fact.startswith("容量：") for c in reply.products if c.fact), reply.products


def test_find_with_a_size_says_the_sizes_stock(bot: Assistant) -> None:
    reply = ask_zh(bot, "TrekReady hiking boots in size 12").reply
    assert "12 码缺货" in reply.text
    assert "4 号通道 A 层" in reply.text
    chinese_only(reply.text)
    card = next(c for c in reply.products if c.name == "TrekReady 登山靴")
    assert card.variant == "12 码"


def test_find_with_nothing_found_says_so_in_chinese(bot: Assistant) -> None:
    reply = ask_zh(bot, "do you sell kayaks").reply
    assert reply.text.startswith(("抱歉", "本店")), reply.text
    assert "店员" in reply.text
    assert "Sorry" not in reply.text and "We don't" not in reply.text


def test_location_of_a_product_and_of_a_category(bot: Assistant) -> None:
    reply = ask_zh(bot, "which aisle is the EcoFire Camping Stove in").reply
    assert reply.text == "EcoFire 露营炉 在 6 号通道 A 层（有货）。"
    reply = ask_zh(bot, "where can I find tents?").reply
    assert reply.text.startswith("帐篷在 1 号通道：")
    assert "SkyView 双人帐篷 在 C 层" in reply.text
    chinese_only(reply.text)


def test_info_price_stock_and_reviews(bot: Assistant) -> None:
    reply = ask_zh(bot, "how much is the TrailMaster X4 Tent?").reply
    assert reply.text == "TrailMaster X4 四人帐篷 的价格是 $250。"
    assert reply.products[0].name == "TrailMaster X4 四人帐篷"
    reply = ask_zh(bot, "is the Alpine Explorer Tent in stock?").reply
    assert "缺货" in reply.text and "1 号通道 B 层" in reply.text
    chinese_only(reply.text)


def test_info_from_the_specs_and_manuals(bot: Assistant) -> None:
    reply = ask_zh(bot, "what is the rainfly waterproof rating of the TrailMaster X4?").reply
    assert "TrailMaster X4 四人帐篷" in reply.text
    assert "2000" in reply.text or "（英文原文）" in reply.text, reply.text
    assert not re.search(r"\bThe TrailMaster\b|\bAbout the\b", reply.text)


def test_compare_table_and_text_in_chinese(bot: Assistant) -> None:
    reply = ask_zh(bot, "compare the TrailMaster X4 and the Alpine Explorer tent").reply
    assert reply.intent == Intent.COMPARE
    assert reply.table[0][1:] == ["TrailMaster X4 四人帐篷", "Alpine Explorer 八人帐篷"]
    labels = [row[0] for row in reply.table]
    assert labels[1:4] == ["价格", "库存", "位置"]
    assert reply.table[2][1:] == ["有货", "缺货"]
    assert reply.table[3][1:] == ["1 号通道 A 层", "1 号通道 B 层"]
    assert "TrailMaster X4 四人帐篷 更便宜。" in reply.text
    chinese_only(reply.text)


def test_store_policies_quote_the_chinese_documents(bot: Assistant) -> None:
    reply = ask_zh(bot, "when do you open on sunday?").reply
    assert "周日上午 10 点到下午 6 点" in reply.text
    assert "Sunday" not in reply.text
    reply = ask_zh(bot, "What is your return or exchange policy?").reply
    assert "30 天内退货" in reply.text and "会员等级" in reply.text
    chinese_only(reply.text)
    reply = ask_zh(bot, "what is the return policy for Gold members?").reply
    assert reply.text.startswith("金卡会员："), reply.text


def test_policy_without_a_chinese_document_quotes_the_english_and_says_so(
    bot: Assistant,
) -> None:
    with bot.catalog.conn:
        bot.catalog.conn.execute("DELETE FROM documents WHERE key = 'demo:store:payment:zh'")
    reply = ask_zh(bot, "can I pay with a credit card?").reply
    assert reply.text.startswith("（英文原文）We accept"), reply.text


def test_service_replies_in_chinese(bot: Assistant) -> None:
    s = Session()
    for text, intent in [
        ("hello", Intent.GREETING),
        ("can I talk to a person", Intent.CALL_STAFF),
        ("the service here was excellent", Intent.FEEDBACK),
        ("what's the weather like tomorrow", Intent.OUT_OF_SCOPE),
        ("thanks", Intent.GREETING),
    ]:
        reply = ask_zh(bot, text, s).reply
        assert reply.intent == intent
        chinese_only(reply.text)
    greeting = ask_zh(bot, "hello").reply.text
    assert greeting.startswith("您好，欢迎光临") and "$300 以下的帐篷" in greeting


def test_suggestions_in_chinese(bot: Assistant) -> None:
    s = Session()
    ask_zh(bot, "show me tents", s)
    reply = ask_zh(bot, "what goes well with the TrailMaster X4 Tent?", s).reply
    assert reply.intent == Intent.RECOMMEND
    if reply.products:
        assert reply.text.startswith("在本店买帐篷的顾客常常也会买：")
        assert "号通道" in reply.text
    chinese_only(reply.text)


REQUESTS = [
    "show me tents",
    "backpacks under $100",
    "cheaper ones?",
    "the second one",
    "do you have waterproof hiking boots under 100 dollars in size 10?",
    "where can I find sleeping bags?",
    "which aisle is the EcoFire Camping Stove in",
    "what is the temperature rating of the cozynights sleeping bag?",
    "how long is the warranty on the TrailMaster X4?",
    "what do people say about the SkyView tent?",
    "compare the TrailMaster X4 and the Alpine Explorer tent",
    "compare them",
    "What is your return or exchange policy?",
    "can I return the SkyView tent after 40 days? I'm a Gold member",
    "do you price match?",
    "do you offer a warranty?",
    "when do you open on sunday?",
    "can I talk to a person",
    "the service here was excellent",
    "my stove broke",
    "hello",
    "bye",
    "what's the weather like tomorrow",
    "what goes with a tent?",
]


def test_every_chinese_template_reply_passes_the_check(bot: Assistant) -> None:
    s = Session()
    for text in REQUESTS:
        reply = ask_zh(bot, text, s).reply  # (ask_zh checks it)
        assert re.search(r"[\u4e00-\u9fff]", reply.text), (text, reply.text)
        s.turns += 1


# -- the same check ------------------------------------------------------------------


def test_a_chinese_reply_with_a_wrong_price_aisle_shelf_or_stock_fails(bot: Assistant) -> None:
    outcome = ask_zh(bot, "show me tents")
    text, facts, lex = outcome.reply.text, outcome.facts, bot.lexicon()
    good = "TrailMaster X4 四人帐篷，$250，有货，1 号通道 A 层"
    assert good in text
    for wrong, what in [
        ("TrailMaster X4 四人帐篷，$199，有货，1 号通道 A 层", "199"),
        ("TrailMaster X4 四人帐篷，$350，有货，1 号通道 A 层", "350"),  # another's price
        ("TrailMaster X4 四人帐篷，$250，有货，9 号通道 A 层", "aisle 9"),
        ("TrailMaster X4 四人帐篷，$250，有货，1 号通道 Q 层", "shelf q"),
        ("TrailMaster X4 四人帐篷，$250，有货，1 号通道 B 层", "shelf b"),  # another's shelf
        ("TrailMaster X4 四人帐篷，$250，缺货，1 号通道 A 层", "unavailable"),
        ("TrailMaster X4 四人帐篷，$250，卖完了，1 号通道 A 层", "unavailable"),
    ]:
        problems = check(text.replace(good, wrong), facts, lex)
        assert any(what in p for p in problems), (wrong, problems)
    alpine = "Alpine Explorer 八人帐篷，$350，缺货"
    assert alpine in text
    problems = check(text.replace(alpine, "Alpine Explorer 八人帐篷，$350，有货"), facts, lex)
    assert any("in stock" in p for p in problems), problems
    assert check("SkyView 双人帐篷 在 1 号通道 C 层（有货）。", facts, lex) == []
    assert check("SkyView 双人帐篷 在第 3 通道。", facts, lex)


def test_a_chinese_reply_naming_a_product_outside_the_facts_fails(bot: Assistant) -> None:
    with bot.catalog.conn:  # a name with no English in it: only the Chinese names know it
        bot.catalog.conn.execute(
            "UPDATE translations SET text = '小巧露营炉' WHERE product_id = '20' AND field = 'name'"
        )
    outcome = ask_zh(bot, "which aisle is the EcoFire Camping Stove in")
    facts, lex = outcome.facts, bot.lexicon()
    assert check("EcoFire 露营炉 在 6 号通道 A 层（有货）。", facts, lex) == []
    problems = check("小巧露营炉 在 6 号通道 A 层（有货）。", facts, lex)
    assert any("小巧露营炉" in p for p in problems), problems
    problems = check("CompactCook 露营炉 在 6 号通道 A 层（有货）。", facts, lex)
    assert problems


def test_the_english_reply_is_unchanged_by_the_translations(bot: Assistant) -> None:
    u, lex = understood(bot, "show me tents", EN)
    reply = bot.act(u, Session(), lex).reply
    assert reply.lang == EN
    assert reply.text.startswith("I found 3: the ")
    assert "the TrailMaster X4 Tent, $250, in stock, aisle 1, shelf A;" in reply.text
    assert "TrailMaster X4 Tent" in [c.name for c in reply.products]


# -- the pipeline and the model ------------------------------------------------------


def test_a_long_chinese_request_is_said_so_in_chinese(
    bot: Assistant, monkeypatch: pytest.MonkeyPatch
) -> None:
    english = bot.understand

    def as_chinese(text: str, lex: Lexicon) -> Understanding:
        u = english(text, lex)
        u.lang = ZH
        return u

    monkeypatch.setattr(bot, "understand", as_chinese)
    reply = bot.turn(Session(), "show me tents " + "please " * (MAX_REQUEST_CHARS // 7))
    assert reply.lang == ZH
    assert reply.text.startswith("您的问题比较长，我按开头部分来理解；请一次问一件事。找到")


class Recorder:
    """A chat model that records what it is asked and answers with a courtesy."""

    def __init__(self) -> None:
        self.calls = 0

    def complete(self, messages: Any, **kwargs: Any) -> str:
        self.calls += 1
        return "Sure, here you go."

    def warm(self, messages: Any) -> None:
        pass


@pytest.mark.parametrize(("languages", "calls"), [(("en",), 0), (("en", "zh"), 1)])
def test_the_model_phrases_only_the_languages_it_is_allowed(
    bot: Assistant, tmp_path: Path, languages: tuple[str, ...], calls: int
) -> None:
    cfg = load(
        env={
            "KIOSK_HOME": str(tmp_path),
            "KIOSK_ASSISTANT_PHRASING": "lead",
            "KIOSK_ASSISTANT_PHRASING_LANGUAGES": ",".join(languages),
        }
    )
    model = Recorder()
    composer = Composer(cfg, model)  # type: ignore[arg-type]
    u, lex = understood(bot, "show me tents")
    outcome = bot.act(u, Session(), lex)
    template = outcome.reply.text
    composer.compose(u, outcome, lex, {}, None)
    assert model.calls == calls
    if not calls:
        assert outcome.reply.text == template
        assert outcome.reply.phrasing == Phrasing.TEMPLATE


def test_phrasing_languages_are_english_by_default_and_checked() -> None:
    assert load(env={}).assistant.phrasing_languages == ("en",)
    with pytest.raises(Exception, match="not a language the kiosk speaks"):
        load(env={"KIOSK_ASSISTANT_PHRASING_LANGUAGES": "English!"})
