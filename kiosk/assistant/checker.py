"""The check a model's phrasing must pass before a shopper sees or hears it.

Three layers, each rejecting what it can't decide:

- `check` (every text: a lead, a rewrite, a description draft): every price
  (digits or words), number, aisle, shelf, product name and brand must be in this
  turn's facts; no stock claim the facts contradict; no promise, offer or refusal
  the facts don't make themselves; nothing addressed to a model ("SYSTEM:").
- `lead_problems` (a `lead` opener): an allow-list. An opener is generic courtesy
  only; a word outside a short vocabulary ("half", "today", "jetpack", "warranty")
  fails, and words that do carry meaning (sorry, have, a few, where) pass only when
  the answer they open says the same.
- `trace_problems` (a `full` rewrite): every content word must come from the facts,
  every number and promise must sit with the same words the facts put it with
  ("Gold members have 60 days", not 90), nothing one product's facts say may be
  said of another, and nothing may be denied that the facts don't deny.

A Chinese text is held to the same facts in the words the Chinese templates use:
aisles "3 号通道", shelves "C 层", stock 有货 / 缺货 (无货, 没有货, 卖完, 售罄), and the
products' Chinese names (`FactSheet.said_names`; a Chinese name of a product outside the
turn, `FactSheet.other_names`, fails as an English one does). Prices are the same "$250".

A failed check means the template reply is used.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from kiosk.assistant.claims import (
    claims,
    denials,
    instructions,
    is_number,
    money,
    normalize,
    stem,
    tokens,
)
from kiosk.catalog.lexicon import Lexicon
from kiosk.text.language import HAN
from kiosk.text.words import words

NEGATIVE_STOCK = re.compile(
    r"\b(out\s+of\s+stock|sold\s+out|unavailable|not\s+available|don'?t\s+have|do\s+not\s+have|"
    r"no\s+longer|none\s+left|can'?t\s+find|couldn'?t\s+find|not\s+in\s+stock|none\s+in\s+stock|"
    r"don'?t\s+(?:carry|stock|sell)|do\s+not\s+(?:carry|stock|sell)|out\s+of\s+\w+s\b)",
    re.IGNORECASE,
)
POSITIVE_STOCK = re.compile(
    r"\b(in\s+stock|available|we\s+have|we've\s+got|on\s+the\s+shelf|we\s+(?:also\s+)?(?:carry|"
    r"stock|sell)|ready\s+(?:on|for)|have\s+(?:it|them|one|some|a\s+few|your\s+size))\b",
    re.IGNORECASE,
)
# The same in Chinese, as the Chinese reply templates say it: 有货 (in stock), 缺货 / 无货 /
# 没有货 / 卖完 (out of stock). "没有货" contains "有货": a positive needs no 没/无 before it.
NEGATIVE_STOCK_ZH = re.compile(
    r"缺货|无货|没有?货|没有现货|没有库存|无库存|暂无库存|卖完|卖光|售完|售罄|断货|已售空"
)
POSITIVE_STOCK_ZH = re.compile(r"(?<![没无])(?<!没有)(?:有现货|有货|现货|有库存)")
_ALL = re.compile(r"\b(all|every|each|both|everything|everyone|none|any\s+of\s+them)\b", re.I)
_NUMBER = re.compile(r"\d+(?:[.,]\d+)?")
_AISLE = re.compile(r"\baisles?\s+(\w+)", re.IGNORECASE)
_SHELF = re.compile(r"\bshel(?:f|ves)\s+(\w+)", re.IGNORECASE)
# "3 号通道", "第3通道", "通道 3"; "C 层", "C层货架" (Chinese characters are word characters
# to `\w`, so the value is read as Latin letters and digits only).
_AISLE_ZH = re.compile(
    r"(?:(?<![0-9A-Za-z])([0-9A-Za-z]+)\s*号?\s*(?:通道|走道|过道)|(?:通道|走道|过道)\s*([0-9A-Za-z]+))"
)
_SHELF_ZH = re.compile(r"(?<![0-9A-Za-z])([A-Za-z0-9]+)\s*号?\s*(?:层|排货架|号货架)")
_CAPITALIZED = re.compile(r"\b[A-Z][a-z]+[A-Z]\w*|\b[A-Z]{2,}\w*")
# A capitalized word that doesn't start a sentence: a name, which must be in the facts.
_MID_CAPITAL = re.compile(r"(?<![.!?:;]\s)(?<!^)(?<!\n)\b([A-Z][a-z]+)\b")
_SENTENCE = re.compile(r"(?<=[.!?;])\s+|\n+|(?<=[。！？；])")
# Where one claim ends and the next begins, finer than sentences.
_CLAUSE = re.compile(
    r"(?<!\d)\.(?!\d)|[!?;:,()\[\]\n]|\s+(?:and|but|or|while|whereas|although|though|so|"
    r"because|plus)\s+|\s[-\u2013\u2014]\s",
    re.I,
)
# Words with no claim of their own: grammar, courtesy and the verbs of a price or place.
FUNCTION_WORDS = frozenset(
    """
    a an the this that that's these those it it's its they they're them their there there's
    here here's both each either is isn't are aren't am be been being was were will would can
    could do does did has have had having i i'm i've i'll i'd me my we we're we've we'll we'd
    our ours us you you're you'll you've you'd your yours in at on of for to with from by
    about as and or but so if than then also too while which who what what's where when how
    into onto near next just
    """.split()
)
COURTESY_WORDS = frozenset(
    """
    hi hello hey welcome thanks thank please sure certainly absolutely course great good
    happy glad pleased nice ok okay alright well oh let let's
    """.split()
)
PARAPHRASE_WORDS = frozenset(
    """
    find found look looking see show showing shows cost costs priced price prices located
    sits sit head check currently available one ones option options choice choices pick
    know tell help get gets come comes made weigh weighs go goes need like want ask pay
    hours policy policies approximately approx roughly around
    """.split()
)
STYLE_WORDS = FUNCTION_WORDS | COURTESY_WORDS | PARAPHRASE_WORDS
APOLOGY_WORDS = frozenset("sorry unfortunately afraid apologies apologize sadly regret".split())
# Left out of the words a number or promise is bound to: stock, place and money words
# are checked per product on their own.
_BIND_SKIP = (
    STYLE_WORDS
    | APOLOGY_WORDS
    | frozenset("in out of stock aisle aisles shelf shelves dollar dollars buck bucks".split())
)


@dataclass
class FactSheet:
    """Everything this turn may say: the texts of its facts and what they name."""

    texts: list[str] = field(default_factory=list)
    product_ids: set[str] = field(default_factory=set)
    # Per product: its name, prices (product and variants), stock, aisle and shelf, so a
    # clause that names one product can't borrow another's price, stock or place.
    names: dict[str, str] = field(default_factory=dict)
    prices: dict[str, set[int]] = field(default_factory=dict)
    stock: dict[str, int] = field(default_factory=dict)
    aisles: dict[str, str] = field(default_factory=dict)
    shelves: dict[str, str] = field(default_factory=dict)
    # Per product: its names in the store's other languages ("SkyView 双人帐篷").
    said_names: dict[str, list[str]] = field(default_factory=dict)
    # The catalog's names in the reply's language (name -> product id), when it isn't
    # English: a reply may name only this turn's products in those words too.
    other_names: dict[str, str] = field(default_factory=dict)
    in_stock_any: bool = False
    out_of_stock_any: bool = False
    nothing_found: bool = False

    def add(self, text: str) -> None:
        self.texts.append(text)

    @property
    def corpus(self) -> str:
        return "\n".join(self.texts)


def _cents(text: str) -> int:
    return round(float(text.replace(",", "")) * 100)


def _place_values(pattern: re.Pattern[str], text: str) -> list[str]:
    """The aisles (or shelves) a text names, in English words or in Chinese."""
    zh = {_AISLE: _AISLE_ZH, _SHELF: _SHELF_ZH}.get(pattern)
    said = normalize(text)
    values = [v.lower() for v in pattern.findall(said)]
    if zh is not None and not said.isascii():
        for m in zh.finditer(said):
            values.append(next(g for g in m.groups() if g).lower())
    return values


# ------------------------------------------------------------------------------ check


def check(text: str, facts: FactSheet, lexicon: Lexicon) -> list[str]:
    """Problems with `text` against `facts`; an empty list means it may be shown."""
    problems: list[str] = []
    corpus = facts.corpus
    low_corpus = corpus.lower()
    said, known = normalize(text), normalize(corpus)
    allowed_prices = {m.cents for m in money(known) if m.cents is not None}
    for m in money(said):
        if m.cents is None:
            problems.append(f"{m.said!r}: money the check can't read")
        elif m.cents not in allowed_prices:
            problems.append(f"price {m.said} is not in the facts")
    allowed_numbers = {n.replace(",", ".") for n in _NUMBER.findall(known)}
    allowed_numbers |= {n.rstrip("0").rstrip(".") for n in allowed_numbers if "." in n}
    for n in _NUMBER.findall(said):
        norm = n.replace(",", ".")
        if norm not in allowed_numbers and norm.rstrip("0").rstrip(".") not in allowed_numbers:
            problems.append(f"number {n} is not in the facts")
    for pattern, what in ((_AISLE, "aisle"), (_SHELF, "shelf")):
        allowed = set(_place_values(pattern, corpus))
        for value in _place_values(pattern, text):
            if value not in allowed:
                problems.append(f"{what} {value} is not in the facts")
    # A name the facts themselves seem to say ("adventure" in a description) may be said.
    named_by_facts = {m.product_id for m in lexicon.match_names(corpus)} if corpus else set()
    for match in lexicon.match_names(text):
        if match.product_id not in facts.product_ids | named_by_facts:
            problems.append(f"product {match.name!r} is not in this turn's facts")
    if not text.isascii():
        low_text = text.lower()
        for name, pid in facts.other_names.items():
            if name.lower() in low_text and pid not in facts.product_ids:
                problems.append(f"product {name!r} is not in this turn's facts")
    for brand_low, brand in lexicon.brands.items():
        if re.search(rf"\b{re.escape(brand_low)}\b", text.lower()) and brand_low not in low_corpus:
            problems.append(f"brand {brand} is not in this turn's facts")
    for word in _CAPITALIZED.findall(text) + _MID_CAPITAL.findall(text):
        if word.lower() not in low_corpus and word not in ("I", "OK"):
            problems.append(f"name {word!r} is not in the facts")
    for words_to_model in instructions(said):
        problems.append(f"{words_to_model!r} is addressed to a model, not a shopper")
    problems += _product_problems(text, facts, lexicon)
    held = {c.key for c in claims(known)}
    for c in claims(said):
        if c.key not in held:
            problems.append(f"{c.said!r} is a promise or claim the store didn't make")
    problems += _stock_problems(text, facts, corpus, lexicon)
    if len(words(text)) > 120:
        problems.append("too long")
    return list(dict.fromkeys(problems))


def _negative_stock(text: str) -> bool:
    return bool(
        NEGATIVE_STOCK.search(text) or (not text.isascii() and NEGATIVE_STOCK_ZH.search(text))
    )


def _positive_stock(text: str) -> bool:
    if not text.isascii() and POSITIVE_STOCK_ZH.search(text):
        return True
    for m in POSITIVE_STOCK.finditer(text):
        clause = re.split(r"[.!?;:,]|\bbut\b", text[: m.start()])[-1]
        if not re.search(r"\b(not|no|never|none)\b|n'?t\b", clause, re.I):
            return True
    return False


def _stock_problems(
    text: str, facts: FactSheet, corpus: str, lex: Lexicon | None = None
) -> list[str]:
    problems: list[str] = []
    negative, positive = _negative_stock(text), _positive_stock(text)
    said_by_facts = _negative_stock(corpus)  # "size 12 out of stock"
    if negative and not (facts.out_of_stock_any or facts.nothing_found or said_by_facts):
        problems.append("says something is unavailable; the facts don't")
    if positive and not facts.in_stock_any and (facts.out_of_stock_any or facts.nothing_found):
        problems.append("says something is available; the facts don't")
    for clause in _SENTENCE.split(text):
        if not _ALL.search(clause) or (lex is not None and _mentions(clause, facts, lex)):
            continue  # products named one by one are checked one by one
        if _positive_stock(clause) and facts.out_of_stock_any:
            problems.append("says they all are in stock; one isn't")
        if _negative_stock(clause) and facts.in_stock_any:
            problems.append("says none are in stock; one is")
    return problems


# ------------------------------------------------------------------- products, one by one


def _names(facts: FactSheet, lex: Lexicon) -> dict[str, str]:
    return {pid: facts.names.get(pid) or lex.names.get(pid, "") for pid in facts.product_ids}


def _mentions(text: str, facts: FactSheet, lex: Lexicon) -> list[tuple[int, int, str]]:
    """(start, end, product id) of every mention of this turn's products in `text`.

    A mention is the full name, or a word of the name no other product of the turn has
    ("the SkyView"). Mentions of one product in a row are one mention.
    """
    names = _names(facts, lex)
    low = text.lower()
    spans: list[tuple[int, int, str]] = []
    own_words = {pid: set(lex.distinctive.get(pid) or words(name)) for pid, name in names.items()}
    for pid, name in names.items():
        others = set().union(*(w for q, w in own_words.items() if q != pid))
        needles = [name.lower()] if name else []
        needles += [w for w in own_words[pid] if w not in others and len(w) >= 3]
        for needle in needles:
            for m in re.finditer(rf"(?<![\w-]){re.escape(needle)}(?![\w-])", low):
                spans.append((m.start(), m.end(), pid))
        # Its names in other languages: Chinese runs on without spaces ("SkyView 双人帐篷在"),
        # so only a Latin letter or digit next to it makes it part of another word.
        for other in facts.said_names.get(pid, []):
            needle = other.lower()
            for m in re.finditer(rf"(?<![0-9a-z-]){re.escape(needle)}(?![0-9a-z-])", low):
                spans.append((m.start(), m.end(), pid))
    spans.sort()
    merged: list[tuple[int, int, str]] = []
    for start, end, pid in spans:
        if merged and merged[-1][2] == pid and start <= merged[-1][1] + 12:
            merged[-1] = (merged[-1][0], max(end, merged[-1][1]), pid)
        elif merged and start < merged[-1][1]:
            continue  # inside a longer mention
        else:
            merged.append((start, end, pid))
    return merged


_BOUNDARY = re.compile(r"[.!?;](?=\s|$)|\n|[。！？；]")
# Before the first product named, a colon ends a lead-in too: "I found 3: the X, ..." counts
# the list, it says nothing of the X alone.
_LEAD_IN = re.compile(r"[.!?;:](?=\s|$)|\n|[。！？；：]")
# A part naming a product and then only these ("the SkyView and the Alpine are ..."):
# what follows is said of both.
_JOINERS = frozenset("and or the a an both either neither nor as well plus with".split())


def segments(text: str, facts: FactSheet, lex: Lexicon) -> list[tuple[frozenset[str], str]]:
    """`text` cut where it turns to another product: (the products it is about, its words).

    A part runs from the start of the sentence that names a product ("At $250, the
    SkyView ...") to the sentence where another is named; a pronoun after a mention
    ("It's in stock") stays with the product last named; "A and B are ..." is about
    both. Text before the first such sentence is about no product in particular (an
    empty set). The words of a product's own name are taken out of its part.
    """
    mentions = _mentions(text, facts, lex)
    if not mentions:
        return [(frozenset(), text)]
    # A new part where another product is named, or the same one in a new sentence.
    firsts = [mentions[0]] + [
        m
        for i, m in enumerate(mentions[1:])
        if m[2] != mentions[i][2] or _BOUNDARY.search(text, mentions[i][1], m[0])
    ]
    cuts = []
    for i, (start, _end, _pid) in enumerate(firsts):
        floor = firsts[i - 1][0] if i else 0
        ends = _BOUNDARY if i else _LEAD_IN
        boundaries = [b.end() for b in ends.finditer(text, floor, start)]
        cuts.append(boundaries[-1] if boundaries else (start if i else 0))
    out: list[tuple[frozenset[str], str]] = []
    if cuts[0] > 0:
        out.append((frozenset(), text[: cuts[0]]))
    pending: set[str] = set()
    for i, (_start, _end, pid) in enumerate(firsts):
        stop = cuts[i + 1] if i + 1 < len(cuts) else len(text)
        body = text[cuts[i] : stop]
        for s, e, q in mentions:
            if q == pid and cuts[i] <= s < stop:
                body = body.replace(text[s:e], " ")
        joined = set(tokens(body)) <= _JOINERS and not HAN.search(body)
        if i + 1 < len(firsts) and firsts[i + 1][2] != pid and joined:
            pending.add(pid)
            continue
        out.append((frozenset({pid} | pending), body))
        pending = set()
    return out


def _product_problems(text: str, facts: FactSheet, lex: Lexicon) -> list[str]:
    """What a part about one product says must be that product's price, stock and place."""
    problems: list[str] = []
    names = _names(facts, lex)
    for pids, body in segments(text, facts, lex):
        said = normalize(body)
        for pid in sorted(pids):
            name = names.get(pid, pid)
            for m in money(said):
                if (
                    m.cents is not None
                    and facts.prices.get(pid)
                    and m.cents not in facts.prices[pid]
                ):
                    problems.append(f"price {m.said} is not the {name}'s price")
            for clause in _SENTENCE.split(body):
                stock = facts.stock.get(pid)
                if stock is None:
                    continue
                negative = _negative_stock(clause)
                if stock == 0 and _positive_stock(clause) and not negative:
                    problems.append(f"says the {name} is in stock; it isn't")
                if (
                    stock > 0
                    and negative
                    and not re.search(r"\bsize\b|\bin\s+\w+\s+out\s+of\s+stock|码", clause)
                ):
                    problems.append(f"says the {name} is unavailable; it isn't")
            for pattern, place, what in (
                (_AISLE, facts.aisles.get(pid), "aisle"),
                (_SHELF, facts.shelves.get(pid), "shelf"),
            ):
                for value in _place_values(pattern, body):
                    if place and value != place.lower():
                        problems.append(f"{what} {value} is not the {name}'s {what}")
    return problems


# ------------------------------------------------------------------------- a full rewrite


def covers(text: str, template: str, facts: FactSheet, lexicon: Lexicon) -> list[str]:
    """A full rewrite must keep what the template said: its products, prices and bad news."""
    problems: list[str] = []
    said = {m.product_id for m in lexicon.match_names(text)}
    for named in lexicon.match_names(template):
        if named.product_id in facts.product_ids and named.product_id not in said:
            problems.append(f"drops {named.name}")
    kept = {m.cents for m in money(normalize(text))}
    for m in money(normalize(template)):
        if m.cents not in kept:
            problems.append(f"drops the price {m.said}")
    if len(NEGATIVE_STOCK.findall(text)) < len(NEGATIVE_STOCK.findall(template)):
        problems.append("drops an out-of-stock or not-found statement")
    if len(words(text)) > 2 * len(words(template)) + 20:
        problems.append("much longer than the facts")
    return problems


def _stems(text: str) -> set[str]:
    out: set[str] = set()
    for t in tokens(text):
        out.add(stem(t))
        if "-" in t:
            out.update(stem(p) for p in t.split("-"))
    return out


def _catalog_words(facts: FactSheet, lex: Lexicon) -> set[str]:
    """The words of this turn's products' names, brands and categories."""
    out: set[str] = set()
    for name in _names(facts, lex).values():
        out |= _stems(name)
    return out


@dataclass(frozen=True)
class _Clause:
    stems: frozenset[str]
    anchors: frozenset[str]


def _clauses(text: str, facts: FactSheet, skip: set[str]) -> list[_Clause]:
    """A normalized text's clauses: their words and anchors (numbers, money, promises).

    Aisle and shelf values and the turn's product prices are left out: they are
    checked product by product.
    """
    prices = set().union(*facts.prices.values()) if facts.prices else set()
    out: list[_Clause] = []
    for part in _CLAUSE.split(text):
        if not part or not part.strip():
            continue
        anchors: set[str] = set()
        for m in money(part):
            if m.cents is not None and m.cents not in prices:
                anchors.add(f"${m.cents}")
            part = part.replace(m.said, " ")
        part = re.sub(r"\b(aisles?|shel(?:f|ves))\s+\w+", " ", part, flags=re.I)
        for c in claims(part):
            anchors.add("~" + " ".join(sorted(c.key[1].split())))
        ts = tokens(part)
        anchors |= {f"#{float(t):g}" for t in ts if is_number(t)}
        stems = {stem(t) for t in ts if t not in skip and stem(t) not in skip}
        out.append(_Clause(frozenset(stems), frozenset(anchors)))
    return out


def _bound(clauses: list[_Clause]) -> list[tuple[str, frozenset[str]]]:
    """Each anchor with the words it is said with: its clause and up to two clauses
    before it that have no anchor of their own ("Without a membership, | ... 30 days")."""
    out: list[tuple[str, frozenset[str]]] = []
    for i, clause in enumerate(clauses):
        if not clause.anchors:
            continue
        context = set(clause.stems)
        for before in reversed(clauses[max(0, i - 2) : i]):
            if before.anchors:
                break
            context |= before.stems
        for anchor in clause.anchors:
            out.append((anchor, frozenset(context)))
    return out


def _is_negative(template: str, facts: FactSheet) -> bool:
    """Whether the answer opens with bad news: nothing found, not in stock, can't."""
    first = re.split(r"(?<=[.!?])\s+", template.strip(), maxsplit=1)[0]
    head = re.split(r"[,;:(]", first, maxsplit=1)[0]  # "I found 3: ..., out of stock" is good news
    return (
        facts.nothing_found
        or bool(denials(normalize(first)))
        or bool(NEGATIVE_STOCK.search(head))
        or bool(re.match(r"\s*(sorry|unfortunately)\b", first, re.I))
    )


def _denied_by(template: str, facts: FactSheet) -> set[str]:
    out = denials(normalize(facts.corpus + "\n" + template))
    if NEGATIVE_STOCK.search(template) or facts.nothing_found:
        out.add("have")
    return out


# "..., and so is the SkyView", "the Alpine is too": a claim repeated by ellipsis can't be
# traced to the product it is about, so it is rejected.
_ELLIPSIS = re.compile(
    r"\b(?:so|as|nor|neither)\s+(?:is|are|does|do|did|has|have|was|were|can)\b|"
    r"\b(?:too|as\s+well|either|likewise|ditto)\s*(?:[.!?,;)]|$)|\bthe\s+same\b|"
    r"\b(?:does|do|is|are)\s+(?:the\s+)?other\b",
    re.I,
)


def trace_problems(text: str, template: str, facts: FactSheet, lex: Lexicon) -> list[str]:
    """A full rewrite says only what the facts say, each thing of what they say it of."""
    problems: list[str] = []
    # "out of stock right now" says no more than "currently"; "now $250" stays a claim.
    said = re.sub(r"\b(right\s+now|at\s+the\s+moment)\b", "currently", normalize(text), flags=re.I)
    known = normalize(facts.corpus + "\n" + template)
    catalog = _catalog_words(facts, lex)
    known_stems = _stems(known) | catalog
    negative = _is_negative(template, facts)
    for t in dict.fromkeys(tokens(said)):
        if is_number(t) or t in STYLE_WORDS or stem(t) in known_stems:
            continue
        if t in APOLOGY_WORDS and negative:
            continue
        if t.endswith("n't") and t in {"don't", "can't", "isn't", "aren't", "doesn't"}:
            continue  # what is denied is checked below
        if "-" in t and all(stem(p) in known_stems for p in t.split("-")):
            continue
        problems.append(f"{t!r} is not in the facts")
    for what in sorted(denials(said) - _denied_by(template, facts)):
        problems.append(f"says no to {what!r}; the facts don't")
    for m in _ELLIPSIS.finditer(said):
        problems.append(f"{m.group(0).strip()!r} says something again without saying it")
    skip = set(_BIND_SKIP) | catalog
    facts_bound: dict[str, list[frozenset[str]]] = {}
    for fact_text in [*facts.texts, template]:
        for anchor, context in _bound(_clauses(normalize(fact_text), facts, skip)):
            facts_bound.setdefault(anchor, []).append(context)
    for anchor, context in _bound(_clauses(said, facts, skip)):
        if not any(context <= known for known in facts_bound.get(anchor, [])):
            shown = anchor.lstrip("#~$")
            problems.append(f"{shown!r} is not said with {', '.join(sorted(context))} in the facts")
    problems += _borrowed(text, template, facts, lex)
    return list(dict.fromkeys(problems))


def _borrowed(text: str, template: str, facts: FactSheet, lex: Lexicon) -> list[str]:
    """Words one product's facts say, said of another ("the TrailMaster is the cheaper one").

    Each product owns the words of its name and of the parts of the facts about it;
    words of the parts about no product are everyone's.
    """
    if len(facts.product_ids) < 2:
        return []
    names = _names(facts, lex)
    own: dict[str, set[str]] = {pid: _stems(name) for pid, name in names.items()}
    shared: set[str] = set()
    for fact_text in [*facts.texts, template]:
        for pids, body in segments(fact_text, facts, lex):
            stems = _stems(normalize(body)) - _BIND_SKIP
            if not pids:
                shared |= stems
            for pid in pids:
                own.setdefault(pid, set()).update(stems)
    problems: list[str] = []
    for pids, body in segments(text, facts, lex):
        for pid in sorted(pids):
            for s in sorted(_stems(normalize(body)) - _BIND_SKIP - shared - own.get(pid, set())):
                owners = [q for q, owned in own.items() if q != pid and s in owned]
                if owners:
                    problems.append(
                        f"{s!r} is said of the {names[owners[0]]}, not the {names[pid]}"
                    )
    return problems


# --------------------------------------------------------------------------- a lead opener

# What an opener may say: courtesy and the grammar around it, nothing about the store.
LEAD_WORDS = frozenset(
    """
    a an the and so to for with of in on at about as is are am be it it's its this that
    that's here here's there there's what what's how let let's me my i i'm i'd i'll i've we
    we're we've you you're you'll you've your hello hi hey welcome thanks thank please sure
    certainly absolutely course great good happy glad pleased delighted nice lovely
    wonderful alright ok okay well oh ah gladly indeed question questions answer answers
    detail details info information look help helping assist assisting find finding know
    see show showing check checking take tell can could will would go ask asking asked our
    choice pick
    """.split()
)
# Words that say something, allowed only where the answer says the same.
_LEAD_NEGATIVE = frozenset(
    """
    sorry unfortunately afraid apologies not no don't doesn't can't cannot couldn't didn't
    seem seems
    """.split()
)
_LEAD_HAVE = frozenset("have carry stock got".split())
# "we don't have any products for that": only where the answer says it doesn't have it.
_LEAD_NONE = frozenset("any anything products items available".split())
_LEAD_MANY = frozenset("few several some options choices".split())
_LEAD_THEY = frozenset("them these those they they're".split())
# Naming what the answer is about ("here's the price") says nothing the answer doesn't.
_LEAD_TOPIC = {
    "price": "price",
    "prices": "price",
    "warranty": "warranty",
    "return": "return",
    "returns": "return",
    "policy": "return",
    "hours": "open",
    "pay": "payment",
    "payment": "payment",
    "compare": "cheaper",
}
# Courtesy that looks like something else: "no problem" denies nothing.
_IDIOMS = re.compile(r"\b(no\s+problem|no\s+worries|not\s+at\s+all|you'?re\s+welcome)\b", re.I)
_LEAD_ONE = frozenset("one option choice".split())
_PRAISE = frozenset("good great nice lovely wonderful perfect fantastic excellent".split())
_LEAD_STAFF = frozenset("way coming someone staff member".split())


def _lead_word_problems(lead: str, template: str, facts: FactSheet) -> list[str]:
    lead = _IDIOMS.sub(" ", lead)
    ts = tokens(normalize(lead))
    answer = _stems(normalize(template))
    negative = _is_negative(template, facts)
    found = len(facts.product_ids)
    denied = denials(normalize(lead))
    problems: list[str] = []
    for t in dict.fromkeys(ts):
        if t in LEAD_WORDS:
            continue
        if t in _LEAD_NEGATIVE:
            ok = negative
        elif t in _LEAD_HAVE:
            ok = (negative and "have" in denied) or (
                not negative and facts.in_stock_any and "have" not in denied
            )
        elif t in _LEAD_NONE:
            ok = negative and "have" in denied and "have" in _denied_by(template, facts)
        elif t in _LEAD_MANY:
            ok = found >= 2 and not negative
        elif t in _LEAD_THEY:
            ok = found >= 2 or facts.nothing_found
        elif t in ("price", "prices"):
            ok = bool(money(normalize(template)))
        elif t in _LEAD_TOPIC:
            ok = _LEAD_TOPIC[t] in answer
        elif t == "couple":
            ok = found == 2 and not negative
        elif t in _LEAD_ONE:
            this_one = bool(re.search(r"\b(this|that)\s+one\b", lead, re.I))
            ok = found == 1 or (t == "one" and this_one)
        elif t == "found":
            ok = found >= 1 and not negative
        elif t == "news":
            ok = not negative
        elif t == "where":
            ok = any(facts.aisles.values()) and not facts.nothing_found
        elif t in _LEAD_STAFF:
            ok = "called a member of staff" in template
        elif t in ("feedback", "passed", "noted"):
            ok = "feedback" in template.lower()
        else:
            ok = False
        if not ok:
            problems.append(f"{t!r} is more than a courtesy here")
    for what in sorted(denied - _denied_by(template, facts)):
        problems.append(f"says no to {what!r}; the answer doesn't")
    # "Here's the price, and it's a good one": praise of a price is a claim about it.
    at = next((i for i, t in enumerate(ts) if t in ("price", "prices")), None)
    if at is not None and any(t in _PRAISE for t in ts[max(0, at - 1) :]):
        problems.append("praises a price")
    return problems


_NEGATIVE = re.compile(r"\b(no|not|sorry|unfortunately|don'?t|can'?t|cannot|unable)\b", re.I)


def lead_problems(
    lead: str, template: str, lex: Lexicon, facts: FactSheet | None = None
) -> list[str]:
    """A lead is a complete, short sentence of courtesy, with no facts of its own.

    Facts (names, prices, numbers, aisles) are the template's job; a lead that
    repeats them is either redundant or, cut off at max_tokens, half a fact. Past
    the shape, every word must be on the allow-list (`LEAD_WORDS`), or carry only
    what the answer itself says (an apology before bad news, "a few" before several).
    """
    problems: list[str] = []
    if not re.search(r"[.!]$", lead):
        problems.append("not a complete sentence")
    if re.search(r"\d|\$|\baisles?\b|\bshelf\b", lead, re.I):
        problems.append("states a number, price or place")
    if lex.match_names(lead) or any(
        re.search(rf"\b{re.escape(b)}\b", lead.lower()) for b in lex.brands
    ):
        problems.append("names a product or brand")
    if "?" in lead:
        problems.append("asks a question")
    if len(lead.split()) > 16:
        problems.append("too long for a lead")
    negative_answer = bool(_NEGATIVE.search(template[:60])) or _is_negative(
        template, facts or FactSheet()
    )
    if _NEGATIVE.search(_IDIOMS.sub(" ", lead)) and not negative_answer:
        problems.append("negative lead before a positive answer")
    if not re.search(r"[A-Za-z]", lead):
        problems.append("no words")
    problems += _lead_word_problems(lead, template, facts or FactSheet())
    return problems
