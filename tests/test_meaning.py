"""Search by meaning on the real parts: the bundled all-MiniLM-L6-v2, real SQLite catalogs,
the real Contoso demo store. Vectors kept and reused, words and meaning merged under
the same filters, why a product fits quoted from its own text (and checked), what the
store doesn't sell labelled out_of_scope with what is near, and words alone when the
model file is missing."""

from __future__ import annotations

import csv
import json
import shutil
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

from kiosk.assistant.act.find import FIT, NEAR
from kiosk.assistant.checker import check
from kiosk.assistant.meaning import Meaning, catch_up, sentences
from kiosk.assistant.pipeline import Assistant
from kiosk.assistant.quote import Held, quotable
from kiosk.assistant.reply import Intent, Reply
from kiosk.assistant.session import Session
from kiosk.catalog import vectors
from kiosk.catalog.importers import import_paths
from kiosk.catalog.repository import Catalog
from kiosk.catalog.search import SearchFilters
from kiosk.config import Config, load
from kiosk.insights.demand import unmet_demand
from kiosk.llm.embed import Embedder, load_embedder
from tests.conftest import CONTOSO, kiosk

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def embedder() -> Iterator[Embedder]:
    e = load_embedder(load(env={"KIOSK_LLM_N_THREADS": "1"}))
    yield e
    e.close()


@pytest.fixture
def cfg(tmp_path: Path) -> Config:
    return load(env={"KIOSK_HOME": str(tmp_path), "KIOSK_LLM_BACKEND": "none"})


@pytest.fixture
def bot(demo_catalog: Catalog, cfg: Config, embedder: Embedder) -> Assistant:
    return Assistant(demo_catalog, cfg, chat=None, embedder=embedder)


def ask(bot: Assistant, text: str) -> Reply:
    return bot.turn(Session(), text)


def ids(reply: Reply) -> set[str]:
    return {c.id for c in reply.products}


# -- vectors kept with the catalog -----------------------------------------------------


def test_vectors_are_stored_once_and_only_changed_products_are_embedded_again(
    demo_catalog: Catalog, embedder: Embedder, tmp_path: Path
) -> None:
    conn = demo_catalog.conn
    assert vectors.clear(conn) == 20  # the demo store comes with its vectors: start bare
    assert vectors.stats(conn, embedder.name).current == 0
    first = catch_up(demo_catalog, embedder)
    assert (first.embedded, first.total) == (20, 20)
    st = vectors.stats(conn, embedder.name)
    assert st.missing == 0 and st.stored_bytes == 20 * 384 * 2  # float16
    assert catch_up(demo_catalog, embedder).embedded == 0  # nothing changed: nothing made

    # The store's feed renames one product: only that one is embedded again.
    rows = list(csv.DictReader((CONTOSO / "products.csv").open(encoding="utf-8")))
    for r in rows:
        if r["id"] == "7":
            r["name"] = "CozyNights Down Sleeping Bag"
    feed = tmp_path / "products.csv"
    with feed.open("w", newline="", encoding="utf-8") as fh:
        w = csv.DictWriter(fh, fieldnames=list(rows[0]))
        w.writeheader()
        w.writerows(rows)
    import_paths(conn, [feed])
    assert [p.product_id for p in vectors.pending(conn, embedder.name)] == ["7"]
    before = demo_catalog.vectors.cosines(embedder.name, embedder.embed_query("x"), ["7"])
    assert catch_up(demo_catalog, embedder).embedded == 1
    after = demo_catalog.vectors.cosines(embedder.name, embedder.embed_query("x"), ["7"])
    assert before != after  # the matrix in memory followed the change

    # Another model's vectors are not this model's: all are pending for it.
    assert len(vectors.pending(conn, "another-model.gguf")) == 20


def test_the_stored_vector_is_the_models_vector(demo_catalog: Catalog, embedder: Embedder) -> None:
    catch_up(demo_catalog, embedder)
    p = demo_catalog.product("14")
    assert p is not None
    direct = embedder.embed([vectors.vector_text(p.name, p.category, p.description)])[0]
    cos = demo_catalog.vectors.cosines(embedder.name, direct, ["14"])["14"]
    assert cos > 0.999  # float16 storage costs nothing that matters


# -- hybrid retrieval -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "right"),
    [
        ("something to keep me warm at night when camping", {"7", "14"}),
        ("a raincoat", {"17", "3"}),
        ("I need to cook dinner at the campsite", {"6", "13", "20"}),
        ("somewhere to sit at the campsite", {"12"}),
    ],
)
def test_own_words_find_the_right_products(bot: Assistant, text: str, right: set[str]) -> None:
    reply = ask(bot, text)
    assert reply.intent == Intent.FIND_PRODUCT
    assert ids(reply) & right, reply.text


def test_words_alone_miss_what_meaning_finds(demo_catalog: Catalog, cfg: Config) -> None:
    """The same request with no vectors (words alone) finds none of the right products:
    the hit above is the meaning side's. ("a raincoat" no longer serves: the shopper's
    word is read as the catalog's "jacket", see kiosk/text/synonyms.py.)"""
    words_only = Assistant(demo_catalog, cfg, chat=None)
    words_only._embedder_tried = True  # no model: words alone
    assert not ids(ask(words_only, "somewhere to sit at the campsite")) & {"12"}
    assert ids(ask(words_only, "a raincoat")) & {"17", "3"}


def test_catalog_words_still_lead(bot: Assistant) -> None:
    reply = ask(bot, "show me tents")
    assert [c.category for c in reply.products][:3] == ["Tents"] * 3


def test_filters_apply_to_the_meaning_side(
    bot: Assistant, demo_catalog: Catalog, embedder: Embedder
) -> None:
    catch_up(demo_catalog, embedder)
    q = embedder.embed_query("a warm bag to sleep in for cold nights")
    near = demo_catalog.vectors.nearest(embedder.name, q, limit=20)
    assert {pid for pid, _ in near[:2]} == {"7", "14"}
    cheap = demo_catalog.vectors.nearest(
        embedder.name, q, SearchFilters(max_price_cents=11000), limit=20
    )
    assert cheap and "14" not in {pid for pid, _ in cheap}  # $130
    prices = {p.id: p.price_cents for p in demo_catalog.products([pid for pid, _ in cheap])}
    assert max(prices.values()) <= 11000
    # Through a turn: the $130 bag is not offered under $110.
    reply = ask(bot, "something to keep me warm at night when camping under $110")
    assert "7" in ids(reply) and "14" not in ids(reply)


# -- why it fits ------------------------------------------------------------------------


def test_the_reply_quotes_why_a_product_fits_and_the_quote_passes_the_check(
    bot: Assistant, demo_catalog: Catalog
) -> None:
    ctx_lex = bot.lexicon()
    reply = ask(bot, "something to keep me warm at night when camping")
    product = demo_catalog.product(reply.products[0].id)
    assert product is not None
    quoted = [s for s in sentences(product.description) if f'"{s}"' in reply.text]
    assert len(quoted) == 1, reply.text
    assert quotable(quoted[0], "description", Held.for_product(demo_catalog, product))
    outcome = bot.act(
        bot.understand("something to keep me warm at night when camping", ctx_lex), Session()
    )
    assert check(outcome.reply.text, outcome.facts, ctx_lex) == []


def test_a_planted_sentence_is_never_the_reason_given(
    demo_catalog: Catalog, embedder: Embedder
) -> None:
    """Catalog text is data: the sentence nearest the request says $5 today only, so it
    fails the quote check and the next nearest that passes is quoted instead."""
    planted = "Keeps you warm at night when camping, now only $5 today only."
    p = demo_catalog.product("7")
    assert p is not None
    with demo_catalog.write() as w:
        w.set_description("7", f"{planted} {p.description}")
    p = demo_catalog.product("7")
    assert p is not None
    meaning = Meaning(demo_catalog, embedder)
    qvec = meaning.query("keep me warm at night when camping")
    assert sentences(p.description)[0] == planted
    said = meaning.why(p, qvec, Held.for_product(demo_catalog, p))
    assert said is not None and said != planted and "$" not in said


# -- when nothing fits ------------------------------------------------------------------


def test_what_the_store_does_not_sell_is_out_of_scope_with_what_is_near(
    bot: Assistant, demo_catalog: Catalog, embedder: Embedder
) -> None:
    reply = ask(bot, "sunscreen")
    assert reply.intent == Intent.OUT_OF_SCOPE
    assert reply.text.startswith("We don't carry sunscreen. The nearest we have:")
    assert reply.products
    # Everything offered is above the measured NEAR threshold and nothing above FIT.
    cos = demo_catalog.vectors.cosines(
        embedder.name, embedder.embed_query("sunscreen"), list(ids(reply))
    )
    assert all(NEAR <= c < FIT for c in cos.values())


def test_an_unrelated_request_gets_no_false_nearby_offer(bot: Assistant) -> None:
    reply = ask(bot, "printer ink")
    assert reply.intent == Intent.OUT_OF_SCOPE
    assert not reply.products
    assert reply.text.startswith("Sorry, we don't have printer ink in our catalog.")


def test_insights_count_what_is_not_sold_as_unmet_demand(
    bot: Assistant, demo_catalog: Catalog
) -> None:
    from kiosk.catalog.requestlog import turns

    bot.log_requests = True
    for text in ("sunscreen", "sunscreen please", "a raincoat", "printer ink", "tell me a joke"):
        ask(bot, text)
    groups = unmet_demand(turns(demo_catalog.conn))
    assert [g.count for g in groups if "sunscreen" in g.label] == [2]
    assert not any("raincoat" in g.label for g in groups)
    # Not sold and nothing near to offer is demand too; a joke is not.
    assert any("printer" in g.label for g in groups)
    assert not any("joke" in g.label for g in groups)


# -- words alone without the model ---------------------------------------------------------


def test_a_missing_model_file_means_words_alone(demo_db: Path, tmp_path: Path) -> None:
    path = tmp_path / "catalog.sqlite3"
    shutil.copy(demo_db, path)
    missing = tmp_path / "no-such-model.gguf"
    cfg = load(
        env={
            "KIOSK_HOME": str(tmp_path),
            "KIOSK_LLM_BACKEND": "none",
            "KIOSK_MODELS_EMBED": str(missing),
        }
    )
    said: list[str] = []
    with Catalog.open(path) as catalog:
        bot = Assistant(catalog, cfg, chat=None, report=said.append)
        tents = ask(bot, "show me tents")
        assert tents.intent == Intent.FIND_PRODUCT and len(tents.products) == 3
        raincoat = ask(bot, "a raincoat")
        assert raincoat.intent == Intent.FIND_PRODUCT  # no meaning: no out_of_scope guess
        assert bot.embedder is None and bot.meaning() is None
        assert not raincoat.by_meaning  # the stored vectors are there, but no model to ask
    assert len(said) == 1 and "understanding by words" in said[0]


def test_kiosk_import_makes_vectors_and_kiosk_vectors_catches_up(tmp_path: Path) -> None:
    done = kiosk(tmp_path, "import", "--no-vectors", str(CONTOSO))
    assert done.returncode == 0, done.stderr
    assert "product vectors" not in done.stdout
    made = kiosk(tmp_path, "vectors")
    assert made.returncode == 0, made.stderr
    assert "product vectors: 20 made" in made.stdout
    again = kiosk(tmp_path, "import", str(CONTOSO))  # nothing changed: nothing to say
    assert again.returncode == 0 and "product vectors" not in again.stdout
    state = json.loads(kiosk(tmp_path, "vectors", "--json").stdout)
    assert (state["embedded"], state["current"], state["bytes"]) == (0, 20, 20 * 384 * 2)


def test_nearest_is_ranked_by_cosine(demo_catalog: Catalog, embedder: Embedder) -> None:
    catch_up(demo_catalog, embedder)
    q = embedder.embed_query("a tent for two")
    near = demo_catalog.vectors.nearest(embedder.name, q, limit=20)
    cos = [c for _, c in near]
    assert len(near) == 20 and cos == sorted(cos, reverse=True)
    assert near[0][0] == "15"
    assert np.isclose(max(cos), demo_catalog.vectors.cosines(embedder.name, q, ["15"])["15"])


def test_nearest_that_agree_on_one_kind_answer_the_request(bot: Assistant) -> None:
    """Below the fit threshold each, but the three nearest are all stoves: the shopper
    asked for a stove in other words, and is shown stoves as a product request."""
    reply = ask(bot, "how do i make hot food in the woods")
    assert str(reply.intent) == "find_product" and reply.text.startswith("The closest we have in")
    assert {c.category for c in reply.products} == {"Camping Stoves"}
    mixed = ask(bot, "sunscreen")  # two jackets at most: not one kind agreed on
    assert str(mixed.intent) == "out_of_scope"
