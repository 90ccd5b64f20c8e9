"""Acting on an understood request: look facts up and build the template reply.

Each handler returns the reply (text built only from catalog facts) and the fact
sheet the model's phrasing will later be checked against. The template text is
always true on its own; the model can only add to how it sounds.
"""

from __future__ import annotations

import re
import statistics
from dataclasses import dataclass, field, replace

from kiosk.assistant.checker import FactSheet
from kiosk.assistant.facts import (
    Fact,
    product_facts,
    return_policy,
    review_summary,
    store_policy,
    warranty_fact,
)
from kiosk.assistant.lexicon import Lexicon, singular, words
from kiosk.assistant.reply import Action, Card, Intent, Reply, Source
from kiosk.assistant.session import Session
from kiosk.assistant.understand import FEATURE_WORDS, Understanding, kind_of
from kiosk.catalog.records import Product, format_price
from kiosk.catalog.repository import Catalog
from kiosk.catalog.search import SearchFilters
from kiosk.privacy import redact

WHAT_I_DO = (
    "I can find products and tell you their price, whether they're in stock and which aisle "
    "they're in, answer questions about them, explain store policies like returns, or call a "
    "member of staff."
)
EXAMPLES = 'For example: "tents under $300", "where are the sleeping bags?" or "talk to a person".'
COMPARE_KEYS = (
    "capacity",
    "weight",
    "material",
    "waterproof",
    "temperature_rating",
    "season_rating",
    "rainfly_waterproof_rating",
    "dimensions",
    "color",
)


@dataclass
class Outcome:
    reply: Reply
    facts: FactSheet = field(default_factory=FactSheet)


def stock_phrase(p: Product, size: str | None = None, color: str | None = None) -> str:
    """'in stock' / 'out of stock', or per variant when a size or colour was asked."""
    if (size or color) and p.variants:
        matching = [
            v
            for v in p.variants
            if (not size or v.size.lower() == size.lower())
            and (not color or v.color.lower() == color.lower())
        ]
        label = " ".join(x for x in (color, f"size {size}" if size else None) if x)
        if not matching:
            return f"not made in {label}"
        return (
            f"{label} in stock" if any(v.stock > 0 for v in matching) else f"{label} out of stock"
        )
    return "in stock" if p.in_stock else "out of stock"


def where(p: Product) -> str:
    return f"aisle {p.aisle}" + (f", shelf {p.shelf}" if p.shelf else "") if p.aisle else ""


def _sheet(products: list[Product], texts: list[str]) -> FactSheet:
    sheet = FactSheet()
    for p in products:
        sheet.product_ids.add(p.id)
        sheet.prices[p.id] = {p.price_cents} | {
            v.price_cents for v in p.variants if v.price_cents is not None
        }
        sheet.stock[p.id] = p.stock
        sheet.aisles[p.id] = p.aisle
        sheet.add(
            f"{p.name} {p.brand} {p.category} {format_price(p.price_cents)} "
            f"aisle {p.aisle} shelf {p.shelf} stock {p.stock}"
        )
        sheet.in_stock_any |= p.in_stock
        sheet.out_of_stock_any |= not p.in_stock
    for t in texts:
        sheet.add(t)
    return sheet


def _product_line(p: Product, u: Understanding | None = None) -> str:
    stock = stock_phrase(p, u.size if u else None, u.color if u else None)
    loc = where(p)
    return f"the {p.name}, {format_price(p.price_cents)}, {stock}" + (f", {loc}" if loc else "")


def _cap(text: str) -> str:
    return text[:1].upper() + text[1:]


def _cards(products: list[Product], facts: dict[str, str] | None = None) -> list[Card]:
    return [Card.of(p, (facts or {}).get(p.id, _key_fact(p))) for p in products]


def _about(intent: Intent, text: str, products: list[Product]) -> Outcome:
    """A reply about some products: their cards, each as a source, and the fact sheet."""
    sources = [Source("product", p.id, p.name) for p in products]
    return Outcome(Reply(intent, text, _cards(products), sources), _sheet(products, [text]))


def _key_fact(p: Product) -> str:
    """One fact for a product card, from its specs."""
    a = p.attributes
    for key in ("capacity", "temperature_rating", "rainfly_waterproof_rating", "weight"):
        if key in a and str(a[key]).strip():
            return f"{key.replace('_', ' ')}: {a[key]}"
    return ""


class Actor:
    """Handlers per intent over one catalog and lexicon."""

    def __init__(self, catalog: Catalog, lexicon: Lexicon, limit: int, kiosk_id: str) -> None:
        self.catalog = catalog
        self.lex = lexicon
        self.limit = limit
        self.kiosk_id = kiosk_id

    # -- which products a request is about --------------------------------------
    def targets(self, u: Understanding, s: Session) -> list[Product]:
        if u.products:
            return self.catalog.products([m.product_id for m in u.products])
        if u.purchased and s.customer_id:
            customer = self.catalog.customer(s.customer_id)
            if customer:
                bought = self.catalog.products(
                    list(dict.fromkeys(o.product_id for o in customer.orders))
                )
                if u.category:
                    bought = [p for p in bought if p.category == u.category]
                if u.kind:
                    bought = [p for p in bought if kind_of(p.name, u.kind)] or bought
                return bought[-1:] if bought else []
        if u.ordinal is not None and s.shown:
            i = u.ordinal if u.ordinal >= 0 else len(s.shown) + u.ordinal
            return self.catalog.products(s.shown[i : i + 1]) if 0 <= i < len(s.shown) else []
        if u.reference and (s.focus or s.shown):
            chosen = self.catalog.products(s.focus or s.shown)
            if u.category:
                chosen = [p for p in chosen if p.category == u.category] or chosen
            return chosen
        if u.category and s.shown and u.kind:
            shown = [p for p in self.catalog.products(s.shown) if kind_of(p.name, u.kind)]
            if len(shown) == 1:
                return shown
        return []

    # -- find_product -------------------------------------------------------------
    def find(self, u: Understanding, s: Session) -> Outcome:
        refine = bool(
            (
                u.refinement
                or u.reference
                or u.size
                or u.color
                or u.capacity
                or u.max_price_cents
                or u.min_price_cents
                or u.sort
            )
            and not (u.category or u.brand or u.products or u.query)
            and (s.query or s.category or s.brand)
        )
        if refine:
            u = self._merge(u, s)
        named = self.catalog.products([m.product_id for m in u.products])
        results, relaxed = self._search(u)
        if named and not (u.max_price_cents or u.size or u.color or u.capacity):
            results = named + [p for p in results if p.id not in {n.id for n in named}]
        s.query, s.category, s.kind, s.brand = u.query, u.category, u.kind, u.brand
        s.min_price_cents, s.max_price_cents = u.min_price_cents, u.max_price_cents
        s.size, s.color, s.capacity, s.features = u.size, u.color, u.capacity, list(u.features)
        want = self._describe(u)
        if not results:
            sheet = _sheet([], [want])
            sheet.nothing_found = True
            # Echo what was asked when it names a kind of product; not a whole sentence.
            echo = bool(u.category or u.kind or u.brand) or len(words(u.query)) <= 3
            thing = want if echo else "that"
            text = (
                f"Sorry, we don't have {thing} in our catalog. "
                "I can call a member of staff if you'd like help."
            )
            return Outcome(Reply(Intent.FIND_PRODUCT, text), sheet)
        shown = results[: self.limit]
        s.shown = [p.id for p in shown]
        s.focus = [shown[0].id] if len(shown) == 1 else []
        lines = [_product_line(p, u) for p in shown[:3]]
        if relaxed and u.refinement == "cheaper":
            shown = sorted(shown, key=lambda p: p.price_cents)[:1]
            s.shown, s.focus = [shown[0].id], [shown[0].id]
            lines = [_product_line(shown[0], u)]
            head = "That's the least expensive we have: "
        elif relaxed:
            head = f"We don't have {want}. The closest {'is' if len(shown) == 1 else 'are'}: "
        elif len(shown) == 1:
            head = "I found one: "
        else:
            head = f"I found {len(shown)}{' (showing the first 3)' if len(shown) > 3 else ''}: "
        text = head + "; ".join(lines) + "."
        if relaxed and u.refinement != "cheaper":
            text += " I can call a member of staff if you'd like more help."
        outcome = _about(Intent.FIND_PRODUCT, _cap(text), shown)
        outcome.facts.add(want)
        return outcome

    def _merge(self, u: Understanding, s: Session) -> Understanding:
        """A refinement re-runs the last search with what changed."""
        merged = replace(
            u,
            query=s.query,
            category=s.category,
            kind=s.kind,
            brand=s.brand,
            min_price_cents=u.min_price_cents
            if u.min_price_cents is not None
            else s.min_price_cents,
            max_price_cents=u.max_price_cents
            if u.max_price_cents is not None
            else s.max_price_cents,
            size=u.size or s.size,
            color=u.color or s.color,
            capacity=u.capacity or s.capacity,
            features=u.features or s.features,
        )
        shown = self.catalog.products(s.shown)
        if u.refinement == "cheaper" and shown:
            # Cheaper than the middle of what was shown: "cheaper ones?" after three
            # tents means cheaper than most of them, not than the cheapest.
            merged.max_price_cents = statistics.median_low(p.price_cents for p in shown) - 1
            merged.min_price_cents = None
            merged.sort = "price_asc"
        elif u.refinement == "pricier" and shown:
            merged.min_price_cents = max(p.price_cents for p in shown) + 1
            merged.max_price_cents = None
            merged.sort = "price_desc"
        return merged

    def _search(self, u: Understanding) -> tuple[list[Product], bool]:
        """Search with every constraint; if nothing fits, relax one at a time."""
        attempts = [u]
        if u.features:
            attempts.append(replace(u, features=[]))
        if u.min_price_cents is not None or u.max_price_cents is not None:
            attempts.append(
                replace(attempts[-1], min_price_cents=None, max_price_cents=None, sort=None)
            )
        if u.size or u.color:
            attempts.append(replace(attempts[-1], size=None, color=None))
        if u.capacity:
            attempts.append(replace(attempts[-1], capacity=None))
        for i, attempt in enumerate(attempts):
            found = self._search_once(attempt)
            if found:
                return found, i > 0
        return [], False

    def _search_once(self, u: Understanding) -> list[Product]:
        query = u.query
        if u.category and not query:
            query = u.category
        filters = SearchFilters(
            min_price_cents=u.min_price_cents,
            max_price_cents=u.max_price_cents,
            brand=u.brand if not u.products else None,
            category=u.category,
            color=u.color,
            size=u.size,
            in_stock=u.in_stock,
            sort=u.sort or "relevance",
        )
        hits = self.catalog.search(query, filters, limit=max(20, self.limit * 4))
        if not hits and u.category and query != u.category:
            # The words were only decoration ("some nice tents"): the category decides.
            hits = self.catalog.search("", filters, limit=max(20, self.limit * 4))
        products = self.catalog.products([h.product_id for h in hits])
        if not (u.category or u.brand or u.products or u.kind):
            products = _named_by(products, query, hits[0].corrections if hits else {})
        if u.kind:
            products = [p for p in products if kind_of(p.name, u.kind)] or (
                products if not u.category else []
            )
        if u.capacity:
            products = [p for p in products if _fits_capacity(p, u.capacity)]
        for feature in u.features:
            products = [p for p in products if _has_feature(p, feature)]
        return products

    def _describe(self, u: Understanding) -> str:
        """What the shopper asked for, in words, from the slots ("size 10 hiking boots")."""
        thing = (u.kind and (u.kind + "s")) or (u.category or "").lower() or u.query or "that"
        if u.query and u.kind and len(words(u.query)) <= 4:
            thing = u.query
        if u.products and not u.query:
            thing = u.products[0].name
        parts = []
        if u.features:
            parts.append(" ".join(f for f in u.features if f not in thing))
        if u.color:
            parts.append(u.color)
        parts.append(thing)
        if u.capacity:
            parts.append(f"for {u.capacity} people")
        if u.size:
            parts.append(f"in size {u.size}")
        if u.min_price_cents is not None and u.max_price_cents is not None:
            parts.append(
                f"between {format_price(u.min_price_cents)} and {format_price(u.max_price_cents)}"
            )
        elif u.max_price_cents is not None:
            parts.append(f"under {format_price(u.max_price_cents + (1 if u.refinement else 0))}")
        elif u.min_price_cents is not None:
            parts.append(f"over {format_price(u.min_price_cents)}")
        return " ".join(p for p in parts if p).strip()

    # -- product_location ---------------------------------------------------------
    def locate(self, u: Understanding, s: Session) -> Outcome:
        products = self.targets(u, s)
        if not products and (u.category or u.query or u.brand):
            products, _ = self._search(replace(u, min_price_cents=None, max_price_cents=None))
            if u.category and not u.products:
                aisles = sorted({p.aisle for p in products if p.aisle})
                if aisles and len(products) > 1:
                    label = u.category
                    text = (
                        f"{label} are in aisle {' and '.join(aisles)}: "
                        + "; ".join(
                            f"the {p.name} on shelf {p.shelf}" if p.shelf else f"the {p.name}"
                            for p in products[:4]
                        )
                        + "."
                    )
                    s.shown = [p.id for p in products[: self.limit]]
                    s.focus = []
                    return _about(Intent.PRODUCT_LOCATION, text, products[: self.limit])
            products = products[:1]
        if not products:
            text = (
                "Which product are you looking for? Tell me its name or what it is, "
                "and I'll tell you where to find it."
            )
            return Outcome(Reply(Intent.PRODUCT_LOCATION, text))
        s.focus = [p.id for p in products]
        if not set(s.focus) <= set(s.shown):
            s.shown = list(s.focus)
        lines = []
        for p in products[:3]:
            if p.aisle:
                lines.append(f"The {p.name} is in {where(p)} ({stock_phrase(p, u.size, u.color)}).")
            else:
                lines.append(
                    f"The {p.name} has no aisle in our system yet; a member of staff can show you."
                )
        return _about(Intent.PRODUCT_LOCATION, " ".join(lines), products)

    # -- product_info -------------------------------------------------------------
    def info(self, u: Understanding, s: Session) -> Outcome:
        products = self.targets(u, s)
        if not products:
            if u.purchased and not s.customer_id:
                text = (
                    "If you enter your loyalty number, I can look up what you bought. "
                    "Or tell me the product's name."
                )
                return Outcome(Reply(Intent.PRODUCT_INFO, text))
            found = self.find(u, s)
            found.reply.intent = Intent.PRODUCT_INFO
            return found
        p = products[0]
        s.focus = [p.id]
        if p.id not in s.shown:
            s.shown = [p.id]
        question = u.text.lower()
        facts: list[Fact] = []
        if re.search(r"\bwarrant", question):
            wf = warranty_fact(self.catalog, p)
            facts = [wf] if wf else []
        elif re.search(
            r"\breviews?\b|\bstars?\b|\bwhat do (people|customers) (say|think)", question
        ):
            rf = review_summary(self.catalog, p)
            facts = [rf] if rf else []
        elif re.search(r"\b(how\s+much|price|cost|expensive)\b", question) and not re.search(
            r"\bweigh|heavy", question
        ):
            facts = [
                Fact(
                    f"The {p.name} is {format_price(p.price_cents)}.",
                    Source("product", p.id, p.name),
                    5.0,
                )
            ]
        elif re.search(r"\b(in\s+stock|available|have\s+any|left)\b", question):
            facts = [
                Fact(
                    f"The {p.name} is {stock_phrase(p, u.size, u.color)}"
                    + (f", {where(p)}." if p.aisle else "."),
                    Source("product", p.id, p.name),
                    5.0,
                )
            ]
        if not facts:
            facts = product_facts(self.catalog, p, u.text)
        if not facts and re.search(r"tell\s+me\s+about|more\s+(info|about|details)", question):
            first = re.split(r"(?<=[.!?])\s+", p.description.strip())[:2]
            facts = [Fact(" ".join(first), Source("description", p.id, p.name), 1.0)]
        if not facts:
            text = (
                f"I don't have that detail for the {p.name}. It is "
                f"{format_price(p.price_cents)}, {stock_phrase(p)}"
                + (f", {where(p)}" if p.aisle else "")
                + ". A member of staff can tell you more."
            )
            reply = Reply(Intent.PRODUCT_INFO, text, _cards([p]), [Source("product", p.id, p.name)])
            return Outcome(reply, _sheet([p], [text]))
        text = " ".join(f.text for f in facts)
        if p.name.lower() not in text.lower():
            text = f"About the {p.name}: {text}"
        sources = [Source("product", p.id, p.name)] + [f.source for f in facts]
        reply = Reply(Intent.PRODUCT_INFO, text, _cards([p]), sources)
        return Outcome(reply, _sheet([p], [text]))

    # -- compare --------------------------------------------------------------------
    def compare(self, u: Understanding, s: Session) -> Outcome:
        products = self.catalog.products(
            [m.product_id for m in sorted(u.products, key=lambda m: m.position)]
        )
        if len(products) < 2:
            pool = self.catalog.products(s.shown)
            if u.category:
                pool = [p for p in pool if p.category == u.category] or pool
            products += [p for p in pool if p.id not in {q.id for q in products}]
        if len(products) < 2 and u.category:
            found, _ = self._search(replace(u, query=""))
            products += [p for p in found if p.id not in {q.id for q in products}]
        products = products[:3]
        if len(products) < 2:
            text = "Which two products would you like to compare? Tell me their names."
            return Outcome(Reply(Intent.COMPARE, text, _cards(products)))
        s.shown = [p.id for p in products]
        s.focus = []
        keys = [k for k in COMPARE_KEYS if sum(1 for p in products if k in p.attributes) >= 2]
        table = [
            ["", *[p.name for p in products]],
            ["price", *[format_price(p.price_cents) for p in products]],
            ["stock", *[stock_phrase(p) for p in products]],
            ["where", *[where(p) or "-" for p in products]],
        ]
        table += [
            [k.replace("_", " "), *[str(p.attributes.get(k, "-")) for p in products]]
            for k in keys[:4]
        ]
        parts = []
        for p in products:
            specs = ", ".join(
                f"{k.replace('_', ' ')} {p.attributes[k]}" for k in keys[:3] if k in p.attributes
            )
            parts.append(
                f"The {p.name} is {format_price(p.price_cents)}, {stock_phrase(p)}"
                + (f", {specs}" if specs else "")
                + "."
            )
        cheaper = min(products, key=lambda p: p.price_cents)
        if len({p.price_cents for p in products}) > 1:
            parts.append(f"The {cheaper.name} is the cheaper one.")
        text = " ".join(parts)
        reply = Reply(
            Intent.COMPARE,
            text,
            _cards(products),
            [Source("product", p.id, p.name) for p in products]
            + [Source("specs", p.id, f"{p.name} specs") for p in products],
        )
        reply.table = table
        return Outcome(reply, _sheet(products, [text]))

    # -- store_policy ---------------------------------------------------------------
    def policy(self, u: Understanding, s: Session) -> Outcome:
        tier = u.membership or s.membership
        if u.membership:
            s.membership = u.membership
        products = self.targets(u, s) if (u.products or u.purchased or u.reference) else []
        facts: list[Fact] = []
        topic = u.policy_topic
        if topic == "return_policy":
            facts = return_policy(self.catalog, products[0] if products else None, tier)
        elif topic == "warranty" and products:
            wf = warranty_fact(self.catalog, products[0])
            facts = [wf] if wf else []
        elif topic == "warranty":
            text = (
                "Warranties depend on the product. Tell me which product, and I'll tell "
                "you its warranty."
            )
            return Outcome(Reply(Intent.STORE_POLICY, text))
        else:
            facts = store_policy(self.catalog, u.text)
            if (
                topic == "price_match"
                and facts
                and not re.search(r"price\s*match|discount|coupon", facts[0].text, re.I)
            ):
                facts = []
        if not facts:
            if topic == "price_match":
                text = (
                    "Our prices are the ones shown in the catalog; I can't offer discounts "
                    "or price matches. A member of staff can answer questions about offers."
                )
            else:
                text = (
                    "I don't have that information here. I can call a member of staff who can help."
                )
            return Outcome(Reply(Intent.STORE_POLICY, text))
        lead = ""
        if topic == "return_policy" and products:
            lead = (
                f"For the {products[0].name}"
                + (f" and {tier if tier != 'None' else 'no'} membership" if tier else "")
                + ": "
            )
        elif topic == "return_policy" and tier:
            lead = "Without a membership: " if tier == "None" else f"For {tier} members: "
        text = lead + " ".join(f.text for f in facts)
        if topic == "return_policy" and not tier and not products:
            text += " Tell me your membership tier or the product for the exact terms."
        reply = Reply(Intent.STORE_POLICY, text, _cards(products[:1]), [f.source for f in facts])
        return Outcome(reply, _sheet(products[:1], [text]))

    # -- call_staff, feedback, greeting, out of scope -------------------------------
    def call_staff(self, u: Understanding, s: Session) -> Outcome:
        wanted = [p.name for p in self.catalog.products(s.focus or s.shown[:3])]
        note = "; ".join(x for x in (redact(s.last_request), ", ".join(wanted)) if x)
        with self.catalog.write() as w:
            call_id = w.add_staff_call(note or "help at the kiosk", self.kiosk_id)
        text = (
            "I've called a member of staff; someone will come to this kiosk shortly. "
            "You can keep asking me things while you wait."
        )
        reply = Reply(Intent.CALL_STAFF, text, actions=[Action("staff_call", str(call_id), note)])
        return Outcome(reply, _sheet([], [text]))

    def feedback(self, u: Understanding, s: Session) -> Outcome:
        product = self.targets(u, s)[:1] if (u.products or u.reference) else []
        with self.catalog.write() as w:
            fid = w.add_feedback(redact(u.text), product[0].id if product else None)
        text = "Thank you for your feedback. I've passed it on to the store."
        return Outcome(Reply(Intent.FEEDBACK, text, actions=[Action("feedback_saved", str(fid))]))

    def greeting(self, u: Understanding, s: Session, store: str) -> Outcome:
        low = u.text.lower()
        if re.search(r"\b(thanks|thank|cheers)\b", low):
            text = "You're welcome! Is there anything else I can help you find?"
        elif re.search(r"\b(bye|goodbye)\b", low):
            text = "Goodbye, and enjoy your day!"
        else:
            text = f"Hello, welcome to {store}! {WHAT_I_DO} {EXAMPLES}"
        return Outcome(Reply(Intent.GREETING, text), _sheet([], [text]))

    def out_of_scope(self, u: Understanding, s: Session) -> Outcome:
        text = f"Sorry, I can't help with that here. {WHAT_I_DO}"
        return Outcome(Reply(Intent.OUT_OF_SCOPE, text), _sheet([], [text]))


def _named_by(products: list[Product], query: str, corrections: dict[str, str]) -> list[Product]:
    """Without a category, brand or product name, a match must name what was asked.

    Otherwise a request of unknown words ("ask not what your country can do")
    finds any product whose description shares one word with it.
    """
    asked = {singular(corrections.get(w, w)) for w in words(query)} - {
        singular(f) for f in FEATURE_WORDS
    }
    if not asked:
        return products
    return [
        p
        for p in products
        if asked & {singular(w) for w in words(f"{p.name} {p.brand} {p.category}")}
    ]


def _fits_capacity(p: Product, people: int) -> bool:
    cap = str(p.attributes.get("capacity", ""))
    m = re.search(r"(\d+)[\s-]*person", cap + " " + p.name, re.I)
    return m is not None and int(m.group(1)) == people


def _has_feature(p: Product, feature: str) -> bool:
    """A feature counts when a spec says yes or the product's text says it; a 'No' spec wins."""
    key = feature.replace("-", "_")
    value = str(p.attributes.get(key, "")).strip().lower()
    if value.startswith("no"):
        return False
    if value:
        return True
    text = f"{p.name} {p.description}".lower()
    return singular(feature) in {singular(w) for w in words(text)}
