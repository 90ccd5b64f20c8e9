"""Looking facts up in the store's data: product specs, manual passages, policies.

Every fact carries its source (the product or document it came from), and its text
is the store's own words or a spec value, so the reply can be checked against it.
Those words come from files anyone at HQ may edit, so each passage passes the quote
check (`kiosk.assistant.quote`) before it is used: one that claims a price, offer,
promise or instruction the structured facts don't hold is left out.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from kiosk.assistant.phrases import Phrases
from kiosk.assistant.quote import STORE, Held, quotable
from kiosk.assistant.reply import Source, SourceKind
from kiosk.catalog.records import Document, Product
from kiosk.catalog.repository import Catalog
from kiosk.text.language import EN, ZH
from kiosk.text.words import GRAMMAR_WORDS, singular, words

SAY = Phrases(
    "facts",
    {
        "spec": {EN: "The {name} {label}: {value}.", ZH: "{name} 的{label}：{value}。"},
        "reviews": {
            EN: "The {name} has an average rating of {avg} out of 5 from {n} reviews.",
            ZH: "{name} 的平均评分为 {avg} 分（满分 5 分），共 {n} 条评价。",
        },
        "no_membership": {EN: "Without a membership", ZH: "非会员"},
        "members": {EN: "{tier} members", ZH: "{tier}会员"},
        "tier_said": {EN: "{tier}: {text}", ZH: "{tier}：{text}"},
        # Store text quoted in a reply of another language, where the store has it only
        # in English: quoted as written, and said to be the original.
        "original": {EN: "{text}", ZH: "（英文原文）{text}"},
    },
)
# Membership tiers as a Chinese reply names them ("Gold members": "金卡会员").
TIERS = {ZH: {"Gold": "金卡", "Platinum": "白金卡", "Base": "普通"}}

# Question words that point at a spec even when the spec's name doesn't contain them.
SYNONYMS: dict[str, tuple[str, ...]] = {
    "weigh": ("weight",),
    "heavy": ("weight",),
    "light": ("weight",),
    "weight": ("weight",),
    "warm": ("temperature",),
    "cold": ("temperature",),
    "temperature": ("temperature",),
    "degree": ("temperature",),
    "rated": ("rating",),
    "people": ("capacity", "person"),
    "person": ("capacity",),
    "sleep": ("capacity",),
    "fit": ("capacity",),
    "big": ("dimension", "size", "capacity"),
    "size": ("dimension",),
    "tall": ("height",),
    "high": ("height",),
    "long": ("length", "dimension"),
    "made": ("material",),
    "fabric": ("material",),
    "material": ("material",),
    "colour": ("color",),
    "wash": ("care", "washable", "wash"),
    "washable": ("care", "wash"),
    "clean": ("care", "clean"),
    "liter": ("capacity",),
    "litre": ("capacity",),
    "water": ("waterproof",),
    "rain": ("waterproof", "rainfly"),
    "waterproof": ("waterproof",),
    "burn": ("burn", "fuel"),
    "fuel": ("fuel",),
    "battery": ("battery",),
}
STOP = GRAMMAR_WORDS | frozenset(
    "bought how if no not rating should so their them they use used using will yes".split()
)
_FAQ = re.compile(r"^\s*\d+\)\s*(?P<q>.+?)\n(?P<a>(?:(?!\s*\d+\)).*\n?)+)", re.M)


# A spec's name as a reply says it (the catalog's key, its underscores as spaces).
SPECS = Phrases(
    "facts.specs",
    {
        "capacity": {EN: "capacity", ZH: "容量"},
        "weight": {EN: "weight", ZH: "重量"},
        "material": {EN: "material", ZH: "材质"},
        "waterproof": {EN: "waterproof", ZH: "防水"},
        "temperature_rating": {EN: "temperature rating", ZH: "温标"},
        "season_rating": {EN: "season rating", ZH: "适用季节"},
        "rainfly_waterproof_rating": {EN: "rainfly waterproof rating", ZH: "外帐防水等级"},
        "dimensions": {EN: "dimensions", ZH: "尺寸"},
        "color": {EN: "color", ZH: "颜色"},
        # The comparison table's row labels.
        "price": {EN: "price", ZH: "价格"},
        "stock": {EN: "stock", ZH: "库存"},
        "where": {EN: "where", ZH: "位置"},
    },
)


def spec_label(key: str, lang: str = EN) -> str:
    """A spec's name in a reply: 'temperature rating', '温标'."""
    if key in SPECS.table:
        return SPECS(lang, key)
    return key.replace("_", " ")


def tier_name(tier: str, lang: str = EN) -> str:
    """A membership tier as a reply in `lang` names it."""
    return TIERS.get(lang, {}).get(tier, tier)


def members(tier: str, lang: str = EN) -> str:
    """'Gold members' ('金卡会员'); 'Without a membership' for the tier 'None'."""
    if tier == "None":
        return SAY(lang, "no_membership")
    return SAY(lang, "members", tier=tier_name(tier, lang))


@dataclass(frozen=True)
class Fact:
    """One thing the kiosk may say, with where it came from, and the language it is in."""

    text: str
    source: Source
    score: float = 0.0
    lang: str = EN

    def said(self, lang: str) -> str:
        """The fact in a reply in `lang`: as written, marked when it is the original."""
        return self.text if self.lang == lang else SAY(lang, "original", text=self.text)


def _terms(text: str | Sequence[str], exclude: Iterable[str] = ()) -> set[str]:
    """Singular content words (and what they point at), from a text or its words."""
    drop = STOP | {singular(w) for w in exclude}
    out: set[str] = set()
    for w in words(text) if isinstance(text, str) else text:
        s = singular(w)
        if s in drop or len(s) < 3:
            continue
        out.add(s)
        out.update(SYNONYMS.get(s, ()))
    return out


def _clean(text: str) -> str:
    text = re.sub(r"\*\*(.+?)\*\*", r"\1", text).replace("**", "")
    return re.sub(r"\s+", " ", text).strip()


def faq_pairs(doc: Document) -> list[tuple[str, str]]:
    return [(_clean(m["q"]), _clean(m["a"])) for m in _FAQ.finditer(doc.body + "\n")]


def _sentences(text: str) -> list[str]:
    out: list[str] = []
    for line in text.splitlines():
        line = _clean(line.lstrip("-*0123456789.) "))
        if len(line) < 12:
            continue
        out += [s for s in re.split(r"(?<=[.!?])\s+", line) if len(s) >= 12]
    return out


def product_facts(
    catalog: Catalog, product: Product, question: Sequence[str], limit: int = 2, lang: str = EN
) -> list[Fact]:
    """The spec values and manual passages that best answer a question (its words)."""
    name_words = words(product.name) + words(product.brand) + words(product.category)
    asked = _terms(question, exclude=name_words)
    if not asked:
        return []
    held = Held.for_product(catalog, product)
    scored: list[Fact] = []
    src = Source(SourceKind.SPECS, product.id, f"{product.name} specs")
    for key, value in product.attributes.items():
        key_terms = _terms(key.replace("_", " "))
        overlap = len(asked & key_terms)
        if overlap and quotable(str(value), "specs", held):
            # Short spec names that match fully beat long ones that match a word.
            score = 3.0 * overlap + (1.0 if key_terms <= asked else 0.0)
            name, label = product.said("name", lang), spec_label(key, lang)
            text = SAY(lang, "spec", name=name, label=label, value=value)
            scored.append(Fact(text, src, score, lang))
    for doc in catalog.documents(product.id, lang=lang):
        dsrc = Source(SourceKind(doc.kind), doc.key, doc.title)
        if doc.kind == "faq":
            for q, a in faq_pairs(doc):
                overlap = len(asked & _terms(q, exclude=name_words))
                if overlap and quotable(a, doc.kind, held):
                    scored.append(Fact(a, dsrc, 2.5 * overlap + 0.5, doc.lang))
        elif doc.kind in ("warranty", "user_guide", "features", "cautions", "other"):
            for sentence in _sentences(doc.body):
                overlap = len(asked & _terms(sentence, exclude=name_words))
                if overlap >= max(1, min(2, len(asked))) and quotable(sentence, doc.kind, held):
                    scored.append(Fact(sentence, dsrc, 1.0 * overlap, doc.lang))
    scored.sort(key=lambda f: -f.score)
    best: list[Fact] = []
    for fact in scored:
        if all(fact.text != b.text for b in best):
            best.append(fact)
        if len(best) == limit:
            break
    return best


def warranty_fact(catalog: Catalog, product: Product) -> Fact | None:
    """The sentence of a product's warranty that says how long it lasts."""
    held = Held.for_product(catalog, product)
    for doc in catalog.documents(product.id, ["warranty", "faq"]):
        for sentence in _sentences(doc.body):
            if (
                re.search(r"warranty", sentence, re.I)
                and re.search(
                    r"\b(\d+|one|two|three|five|lifetime)[- ](year|month|day)s?|lifetime",
                    sentence,
                    re.I,
                )
                and quotable(sentence, doc.kind, held)
            ):
                return Fact(sentence, Source(SourceKind(doc.kind), doc.key, doc.title), 5.0)
    return None


def review_summary(catalog: Catalog, product: Product, lang: str = EN) -> Fact | None:
    ratings = [r.rating for r in catalog.reviews(product.id) if r.rating]
    if not ratings:
        return None
    avg = sum(ratings) / len(ratings)
    return Fact(
        SAY(lang, "reviews", name=product.said("name", lang), avg=f"{avg:.1f}", n=len(ratings)),
        Source(SourceKind.REVIEWS, product.id, f"{product.name} reviews"),
        4.0,
        lang,
    )


TIER_TITLES = {"None": "None", "Base": "None", "Gold": "Gold", "Platinum": "Platinum"}


def return_policy(
    catalog: Catalog, product: Product | None, tier: str | None, lang: str = EN
) -> list[Fact]:
    """The return policy for a product (and tier, if known), else the store's own: in
    `lang` where the store wrote it in that language, else in English."""
    docs = catalog.documents(product.id if product else None, ["return_policy"], lang)
    if product and not docs:
        docs = catalog.documents(None, ["return_policy"], lang)
        product = None
    tier = TIER_TITLES.get(tier or "")
    held = Held.for_product(catalog, product) if product else STORE
    tiered: list[Fact] = []
    general: list[Fact] = []
    for doc in docs:
        match = re.search(r"\((\w+)\)\s*$", doc.title)
        source = Source(SourceKind(doc.kind), doc.key, doc.title)
        if match and tier and match.group(1) == tier:
            body = _clean(doc.body)
            if quotable(body, doc.kind, held):
                tiered.append(Fact(body, source, 5.0, doc.lang))
        elif not match:
            body = _clean(doc.body) if product is None else _tier_summary(doc.body, lang)
            if quotable(body, doc.kind, held):
                general.append(Fact(body, source, 3.0, doc.lang))
    return (tiered or general)[:1]


def _tier_summary(body: str, lang: str = EN) -> str:
    """The per-tier return policy section as one readable paragraph per tier."""
    parts = []
    for m in re.finditer(r'\*\*If Membership status "(\w+)\s*":\*\*\s*(.+)', body):
        said = SAY(lang, "tier_said", tier=members(m.group(1), lang), text=_clean(m.group(2)))
        parts.append(said)
    return " ".join(parts) if parts else _clean(body)


def store_policy(catalog: Catalog, question: Sequence[str], lang: str = EN) -> list[Fact]:
    """Store-level documents (hours, payment, ...) that answer a question (its words):
    the store's own translation of the one found, where it has one (`translation`)."""
    found = _store_policy(catalog, question)
    if lang == EN or not found:
        return found
    doc = translation(catalog, found[0].source.ref, lang)
    if doc is None or not quotable(doc.body, doc.kind, STORE):
        return found
    source = Source(SourceKind(doc.kind), doc.key, doc.title)
    return [Fact(_clean(doc.body), source, found[0].score, doc.lang)]


def translation(catalog: Catalog, key: str, lang: str) -> Document | None:
    """A store document's version in another language: the one keyed '<key>:<lang>'
    (as the demo store and the importers key them), else the only one of its kind."""
    docs = catalog.documents(None, lang=EN)
    kind = next((d.kind for d in docs if d.key == key), None)
    theirs = [d for d in catalog.documents(None, [kind] if kind else None, lang) if d.lang == lang]
    keyed = [d for d in theirs if d.key == f"{key}:{lang}"]
    if keyed:
        return keyed[0]
    return theirs[0] if len(theirs) == 1 and kind else None


def _store_policy(catalog: Catalog, question: Sequence[str]) -> list[Fact]:
    asked = _terms(question) | {
        w for w in ("hour", "open", "pay", "staff") if any(w in q for q in question)
    }
    extra = {
        "hour": {"opening", "hours", "open", "close", "time"},
        "pay": {"payment", "card", "cash", "pay"},
    }
    for key, more in extra.items():
        if asked & more:
            asked.add(key)
    facts = []
    for doc in catalog.documents(None):  # (the English ones: the question's words are)
        terms = _terms(doc.title + " " + doc.body) | {singular(w) for w in words(doc.title)}
        overlap = len(asked & terms)
        if overlap and quotable(doc.body, doc.kind, STORE):
            facts.append(
                Fact(_clean(doc.body), Source(SourceKind(doc.kind), doc.key, doc.title), overlap)
            )
    facts.sort(key=lambda f: -f.score)
    return facts[:1]


_WINDOW = re.compile(r"\bwithin\s+(\d+)\s+days\b", re.IGNORECASE)
_RETURN_WINDOW = re.compile(
    r"\breturns?\s+(?:are\s+|is\s+)?(?:accepted|allowed|possible)\s+within\s+(\d+)\s+days\b"
    r"|\breturn\w*\s+(?:\w+\s+){0,4}within\s+(\d+)\s+days\b",
    re.IGNORECASE,
)


def return_window(text: str) -> int | None:
    """The days a return policy text allows ("accepted within 60 days"), if it says one
    window only (a text that names several, per tier, decides nothing on its own)."""
    stated = {int(m.group(1) or m.group(2)) for m in _RETURN_WINDOW.finditer(text)}
    if len(stated) == 1:  # "Returns are accepted within 60 days" (other windows: claims)
        return stated.pop()
    windows = {int(m.group(1)) for m in _WINDOW.finditer(text)}
    return windows.pop() if len(windows) == 1 and not stated else None


def manual_return_policies(
    catalog: Catalog, products: Sequence[Product], tier: str | None
) -> list[tuple[Product, Fact]]:
    """Each product's own return policy from its manual (for the tier, if known).

    A store whose policy lives only in its product manuals still answers "what is
    your return policy for tents?" from the tents' manuals.
    """
    found = []
    have = set(catalog.ids_with_documents(["return_policy"]))
    for p in products:
        if p.id not in have:
            continue
        facts = return_policy(catalog, p, tier)
        if facts and facts[0].source.ref != "":
            found.append((p, facts[0]))
    return found


def description_fact(catalog: Catalog, product: Product, lang: str = EN) -> Fact | None:
    """The first two sentences of a product's description (the store's own words in
    `lang`, where it wrote them), if they may be quoted."""
    own = product.translations.get(lang, {}).get("description", "") if lang != EN else ""
    if own:
        first = "".join(re.split(r"(?<=[。！？])", own.strip())[:2]).strip()
    else:
        first = " ".join(re.split(r"(?<=[.!?])\s+", product.description.strip())[:2])
    if not first or not quotable(first, "description", Held.for_product(catalog, product)):
        return None
    source = Source(SourceKind.DESCRIPTION, product.id, product.name)
    return Fact(first, source, 1.0, lang if own else EN)
