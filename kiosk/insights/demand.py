"""What shoppers asked for: unmet demand, top requests, top products, unanswered questions.

Requests are grouped by the thing they asked for, not by their wording: "kayak",
"kayaks", "inflatable kayak" and "a kayak for two" have the head noun "kayak" (after
lower-casing, dropping grammar and shopping words, and singular forms), and heads that
differ only by a typo ("kayack") are merged with rapidfuzz.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Collection, Iterable
from dataclasses import dataclass, field
from typing import Any

from rapidfuzz import fuzz

from kiosk.catalog.repository import Catalog
from kiosk.catalog.requestlog import SEARCH_INTENTS, LoggedTurn
from kiosk.text.content import content_words, head_noun
from kiosk.text.language import EN
from kiosk.text.words import singular, words

# Two heads this alike (rapidfuzz ratio, 0-100) are one word misspelt.
TYPO_RATIO = 88
MAX_EXAMPLES = 3


@dataclass
class Group:
    """Requests for one thing: a label, how many, per day, and a few real wordings."""

    label: str
    head: str
    count: int = 0
    by_day: dict[str, int] = field(default_factory=dict)
    examples: list[str] = field(default_factory=list)
    intents: dict[str, int] = field(default_factory=dict)
    langs: dict[str, int] = field(default_factory=dict)  # the languages it was asked in

    def to_json(self) -> dict[str, Any]:
        return {
            "label": self.label,
            "head": self.head,
            "count": self.count,
            "by_day": dict(sorted(self.by_day.items())),
            "examples": self.examples,
            "intents": self.intents,
            "langs": self.langs,
        }


def catalog_kinds(catalog: Catalog) -> frozenset[str]:
    """The store's own kinds of product: category words and product names' last words."""
    kinds: set[str] = set()
    for name, category in catalog.names_and_categories().values():
        kinds.update(singular(w) for w in words(category) if len(w) > 2)
        name_words = [w for w in words(name) if w.isalpha()]
        if name_words:
            kinds.add(singular(name_words[-1]))
    return frozenset(kinds)


def _canonical(heads: Counter[str]) -> dict[str, str]:
    """Each head -> the most frequent head it is a typo of (or itself)."""
    chosen: list[str] = []
    out: dict[str, str] = {}
    for head, _ in sorted(heads.items(), key=lambda kv: (-kv[1], kv[0])):
        match = next(
            (
                c
                for c in chosen
                if len(head) >= 4
                and len(c) >= 4
                and head[0] == c[0]
                # "tablet" is not a typo of "table", nor "bagel" of "bag".
                and not (head.startswith(c) or c.startswith(head))
                and fuzz.ratio(head, c) >= TYPO_RATIO
            ),
            None,
        )
        if match is None:
            chosen.append(head)
            match = head
        out[head] = match
    return out


def group_requests(
    turns: Iterable[LoggedTurn],
    *,
    known: Collection[str] = (),
    key: Callable[[LoggedTurn], str] | None = None,
) -> list[Group]:
    """Group turns by what they asked for, largest group first.

    `key` overrides the head noun (e.g. the whole query, for questions).
    """
    rows = list(turns)
    heads = {t.id: (key(t) if key else asked_for(t, known)) for t in rows}
    canon = _canonical(Counter(h for h in heads.values() if h))
    groups: dict[str, Group] = {}
    phrasings: dict[str, Counter[str]] = {}
    wordings: dict[str, Counter[str]] = {}
    for t in rows:
        head = heads[t.id]
        if not head:
            continue
        head = canon[head]
        g = groups.setdefault(head, Group(label=head, head=head))
        g.count += 1
        g.by_day[t.day] = g.by_day.get(t.day, 0) + 1
        g.intents[t.intent] = g.intents.get(t.intent, 0) + 1
        g.langs[t.lang] = g.langs.get(t.lang, 0) + 1
        phrasings.setdefault(head, Counter())[" ".join(content_words(t.text)) or t.query] += 1
        wordings.setdefault(head, Counter())[" ".join(t.text.split())] += 1
    for name, g in groups.items():
        g.examples = [w for w, _ in wordings[name].most_common(MAX_EXAMPLES)]
        english = g.langs.get(EN, 0) * 2 >= g.count
        # Another language's group is named by its commonest wording, as it was written.
        g.label = _label(name, phrasings[name]) if english else g.examples[0]
    return sorted(groups.values(), key=lambda g: (-g.count, g.label))


def asked_for(t: LoggedTurn, known: Collection[str] = ()) -> str:
    """What a request asked for: the English head noun; a request in another language
    (no English grammar to read it by) is grouped by its own words, as it was written."""
    if t.lang == EN:
        return head_noun(t.text or t.query, known)
    return t.query or " ".join(t.text.split())


def _label(head: str, phrasings: Counter[str]) -> str:
    """The group's name: the head noun, with the word before it when most say it.

    "sleeping bag" when most wordings say "sleeping bags"; "kayak" for "kayak",
    "kayaks" and "inflatable kayak".
    """
    total = sum(phrasings.values())
    before: Counter[str] = Counter()
    for phrase, n in phrasings.items():
        ws = phrase.split()
        for i, w in enumerate(ws):
            if w == head and i > 0:
                before[ws[i - 1]] += n
                break
    if before:
        word, n = before.most_common(1)[0]
        if n * 2 > total:
            return f"{word} {head}"
    return head


def unmet_demand(
    turns: Iterable[LoggedTurn], *, known: Collection[str] = (), limit: int = 20
) -> list[Group]:
    """Requests that found nothing or only weak matches, grouped."""
    return group_requests([t for t in turns if t.unmet], known=known)[:limit]


def top_requests(
    turns: Iterable[LoggedTurn], *, known: Collection[str] = (), limit: int = 20
) -> list[Group]:
    """What shoppers asked for most, met or not (searches and product questions)."""
    asked = [t for t in turns if t.intent in SEARCH_INTENTS and t.query]
    return group_requests(asked, known=known)[:limit]


def top_products(
    catalog: Catalog, turns: Iterable[LoggedTurn], *, limit: int = 20
) -> list[dict[str, Any]]:
    """Products shown most often, counted once per turn."""
    counts = Counter(pid for t in turns for pid in dict.fromkeys(t.product_ids))
    names = catalog.names_and_categories()
    return [
        {
            "id": pid,
            "name": names.get(pid, ("(removed)", ""))[0],
            "category": names.get(pid, ("", ""))[1],
            "count": n,
        }
        for pid, n in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))[:limit]
    ]


def unanswered(
    turns: Iterable[LoggedTurn], *, known: Collection[str] = (), limit: int = 20
) -> list[Group]:
    """Questions the kiosk couldn't answer (no detail, no policy, out of scope).

    Searches that found nothing, and requests for what the store doesn't sell that were
    offered something near, are unmet demand, not listed again here.
    """
    rows = [
        t
        for t in turns
        if not t.answered and not (t.unmet and (t.found == 0 or t.intent == "out_of_scope"))
    ]
    return group_requests(rows, known=known, key=lambda t: asked_for(t, known) or t.intent)[:limit]
