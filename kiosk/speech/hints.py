"""The catalog's words for speech: hints before decoding, corrections after.

Whisper spells what it has seen. Before this, whisper base heard "tents" as "tennis"
and "Alpine Explorer tent" as "alpinex floor attend"; brand names like
"MountainDream" come out as "mount and drain". Two defences, both built from the
catalog so a different store needs no code change:

- `hint_words` gives the decoder the catalog's categories, brands and names as its
  prompt (see `Transcriber`);
- `correct_transcript` rewrites word runs (1-4 words) that sound and look like a
  catalog name, brand, category or name word, and leaves everything else alone:
  a rewrite needs a high spelling score *and* a high sound score, never touches
  a word that already is a catalog word, and never touches grammar or shopping
  words ("in", "size", "under"), numbers or sizes.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from typing import TYPE_CHECKING

from rapidfuzz import fuzz, process

from kiosk.text.words import GRAMMAR_WORDS, SHOPPING_WORDS

if TYPE_CHECKING:
    from kiosk.catalog.lexicon import Lexicon
    from kiosk.catalog.records import TranslatedWords
    from kiosk.catalog.repository import Catalog

# Words (and numbers) in a transcript, with an inner apostrophe or hyphen kept.
_TOKEN = re.compile(r"[A-Za-z0-9]+(?:['\u2019-][A-Za-z0-9]+)*")
_SHORTLIST = 12  # closest spellings checked for sound, per run of heard words
_MAX_SPAN = 4  # "rain guard hiking jacket" is 4 heard words for a 3-word name
# Words that never change on their own, whatever they sound like.
_PROTECTED = (
    GRAMMAR_WORDS
    | SHOPPING_WORDS
    | frozenset(
        """
    an at be but do go he how if no not oh ok okay or so up yes
    add also back best big can color day good kind large left long medium
    right small thanks two way
    """.split()
    )
)
# Acceptance (0-100, rapidfuzz ratio of letters and of sound keys). Measured on
# whisper's real mishearings: "alpinex floor attend" spells 72 / sounds 92 against
# "alpine explorer tent", "mount and drain" 77 / 86, "tennis" 73 / 86 against "tents".
SPELL_MIN = 70.0  # below this the letters are too different, however it sounds
SOUND_MIN = 85.0  # ...and with this much sound in common it is accepted
SPELL_CLOSE = 85.0  # or this close in spelling
SOUND_CLOSE = 80.0  # ...with this much sound in common
_SAME_LETTERS = 200.0  # a run with exactly a term's letters, spaced differently
_HEARD_RIGHT = 300.0  # a run that is a term already


@dataclass(frozen=True)
class Term:
    """One catalog phrase the transcript may be corrected to."""

    text: str  # as it should be written: "Alpine Explorer tent", "CozyNights"
    key: str  # letters and digits only, lowercased: "alpineexplorertent"
    sound: str  # phonetic key of the letters
    words: int  # how many words it has
    alone: bool = True  # one heard word may become this one-word term
    kind: bool = False  # a kind of thing ("tents"): only as the last word of a phrase


@dataclass(frozen=True)
class CatalogTerms:
    """Everything `correct_transcript` matches against, built once per catalog snapshot."""

    terms: tuple[Term, ...]
    known: frozenset[str]  # lowercased single words that are catalog words already
    keys: tuple[str, ...] = ()  # term keys in `terms` order, for rapidfuzz's prefilter
    by_key: Mapping[str, Term] = field(default_factory=dict)

    @classmethod
    def from_vocabulary(cls, vocab: Mapping[str, Sequence[str]]) -> CatalogTerms:
        """From `Catalog.vocabulary()` (names, brands, categories are used)."""
        return cls.build(
            vocab.get("names", ()), vocab.get("brands", ()), vocab.get("categories", ())
        )

    @classmethod
    def from_lexicon(cls, lex: Lexicon) -> CatalogTerms:
        """From the assistant's `Lexicon`, so a running kiosk builds nothing twice."""
        return cls.build(lex.names.values(), lex.brands.values(), lex.categories.values())

    @classmethod
    def build(
        cls, names: Iterable[str], brands: Iterable[str], categories: Iterable[str]
    ) -> CatalogTerms:
        found: dict[str, tuple[str, bool, bool]] = {}  # key -> (written, alone, kind)

        def add(text: str, *, alone: bool = False, kind: bool = False) -> None:
            key = _key(text)
            if len(key) < 3 or key.isdigit():
                return
            written, was_alone, was_kind = found.get(key, (text, False, False))
            found[key] = (written, was_alone or alone, was_kind or kind)

        def add_kind(word: str) -> None:  # a head noun, singular and plural
            low = word.lower()
            add(low, alone=True, kind=True)
            add(_plural(low), alone=True, kind=True)
            add(_singular_phrase(low), alone=True, kind=True)

        categories, names = list(categories), list(names)
        generic = _generic_words(categories, names)
        for cat in categories:
            written = cat.lower()
            add(written, alone=True)
            add(_singular_phrase(written), alone=True)
            add_kind(_TOKEN.findall(written)[-1] if _TOKEN.findall(written) else written)
        for brand in brands:
            add(brand, alone=True)
        for name in names:
            parts = _TOKEN.findall(name)
            if not parts:
                continue
            add(" ".join(p.lower() if p.lower() in generic else p for p in parts))
            # Without the generic words: "Alpine Explorer", "TrailMaster X4".
            core = [p for p in parts if p.lower() not in generic]
            if core and len(core) < len(parts):
                add(" ".join(core))
            if not any(c.isdigit() for c in parts[-1]):
                add_kind(parts[-1])
            for p in parts:
                coined = any(c.isupper() for c in p[1:]) or any(c.isdigit() for c in p)
                add(p.lower() if p.lower() in generic else p, alone=coined)
        terms = tuple(
            Term(text, key, phonetic(key), len(_TOKEN.findall(text)), alone, kind)
            for key, (text, alone, kind) in found.items()
        )
        known = frozenset(
            w.lower() for t in terms for w in _TOKEN.findall(t.text) if not w.isdigit()
        ) | frozenset(t.key for t in terms if t.words == 1)
        return cls(terms, known, tuple(t.key for t in terms), {t.key: t for t in terms})


def _generic_words(categories: Sequence[str], names: Sequence[str]) -> frozenset[str]:
    """Words that say what kind of thing a product is, from the catalog itself.

    Category words ("sleeping", "bags") and the head noun ending each product name
    ("Tent", "Boots"), singular and plural: written lowercase in corrections
    ("Alpine Explorer tent"), and one heard word may become one of them only at
    the end of a phrase.
    """
    words: set[str] = set()
    for cat in categories:
        words.update(w.lower() for w in _TOKEN.findall(cat))
    for name in names:
        parts = _TOKEN.findall(name)
        if parts and not any(c.isdigit() for c in parts[-1]):
            words.add(parts[-1].lower())
    return frozenset(w for word in words for w in (word, _plural(word), _singular_phrase(word)))


def hint_words(catalog: Catalog) -> list[str]:
    """The catalog words worth giving Whisper, most useful first.

    Categories (short, and ordinary words Whisper mishears: "tents"), then brands,
    then product names; a prompt cut to a token budget loses the least useful end.
    """
    return hints_from_vocabulary(catalog.vocabulary())


def hints_from_vocabulary(vocab: Mapping[str, Sequence[str]]) -> list[str]:
    """`hint_words` for a vocabulary already read (categories, brands, names; no repeats)."""
    out: dict[str, None] = {}
    for cat in vocab.get("categories", ()):
        out.setdefault(cat.lower(), None)
    for key in ("brands", "names"):
        for word in vocab.get(key, ()):
            out.setdefault(word, None)
    return list(out)


def translated_hints(words: TranslatedWords) -> list[str]:
    """Hints in another language (`Catalog.translated_words`): categories, brands, names."""
    out: dict[str, None] = {}
    for table in (words.categories, words.brands, words.names):
        for word in table:
            out.setdefault(word, None)
    return list(out)


def correct_transcript(
    text: str, catalog_words: CatalogTerms | Lexicon | Mapping[str, Sequence[str]]
) -> str:
    """Rewrite misheard catalog words in `text`; everything not close to one stays.

    "do you have any tennis" -> "do you have any tents",
    "alpinex floor attend" -> "Alpine Explorer tent",
    "mount and drain sleeping bags" -> "MountainDream sleeping bags".
    """
    terms = _terms_of(catalog_words)
    tokens = [(m.start(), m.end(), m.group(0)) for m in _TOKEN.finditer(text)]
    if not tokens or not terms.terms:
        return text
    # Candidate rewrites by start token: (end token, weight, written form).
    starts: list[list[tuple[int, float, str]]] = [[] for _ in tokens]
    for i in range(len(tokens)):
        for j in range(i + 1, min(len(tokens), i + _MAX_SPAN) + 1):
            run = _Run([t[2] for t in tokens[i:j]], _ends_phrase(text, tokens, j))
            found = _best_term(run, terms)
            if found is None:
                continue
            score, term = found
            # Every heard word must earn its place: "BaseCamp Folding Table Fit" is
            # not the table's name because "BaseCamp Folding Table" matches it better.
            subs = [
                _Run(run.words[1:], run.ends_phrase),
                _Run(run.words[:-1], _ends_phrase(text, tokens, j - 1)),
            ]
            if len(run.words) > 1 and any(
                (sub_score := _score(sub, term)) is not None and sub_score >= score for sub in subs
            ):
                continue
            # Weight: letters explained times how surely; same letters count most.
            weight = len(run.key) * min(score, _SAME_LETTERS) / _SAME_LETTERS
            starts[i].append((j, weight, _written(term.text, run.words)))
    # The non-overlapping set of rewrites that explains the most heard letters best
    # (so "alpinex floor attend" becomes one name, not "Alpine Explorer" + "attend").
    best: list[tuple[float, list[tuple[int, int, str]]]] = [(0.0, [])] * (len(tokens) + 1)
    for i in range(len(tokens) - 1, -1, -1):
        best[i] = best[i + 1]
        for j, weight, written in starts[i]:
            total = weight + best[j][0]
            if total > best[i][0]:
                best[i] = (total, [(i, j, written), *best[j][1]])
    chosen = best[0][1]
    out = text
    for i, j, written in sorted(chosen, reverse=True):
        start, end = tokens[i][0], tokens[j - 1][1]
        out = out[:start] + written + out[end:]
    return out


@dataclass(frozen=True)
class _Run:
    """Consecutive heard words, with what matching needs to know about them."""

    words: list[str]
    ends_phrase: bool  # followed by the end, punctuation or a grammar word

    @property
    def key(self) -> str:
        return _key("".join(self.words))


def _written(term: str, heard: list[str]) -> str:
    """The term as written, in the shopper's number and capitalized as they started.

    "mountain dream sleeping bags" -> "MountainDream sleeping bags", not "...bag".
    """
    parts = term.split(" ")
    last = heard[-1]
    same_word = parts[-1].lower().rstrip("s") == last.lower().rstrip("s")
    if len(heard) > 1 and same_word and parts[-1].lower() != last.lower():
        parts[-1] = last.lower() if parts[-1].islower() else last
    written = " ".join(parts)
    if heard[0][:1].isupper() and written[:1].islower():
        return written[:1].upper() + written[1:]
    return written


def _ends_phrase(text: str, tokens: list[tuple[int, int, str]], j: int) -> bool:
    """Is token j-1 the last word of a noun phrase: end, punctuation or a grammar word next?

    A kind word ("tents") is the head of its phrase; "tennis rackets" is not "tents rackets".
    """
    if j >= len(tokens):
        return True
    between = text[tokens[j - 1][1] : tokens[j][0]]
    return bool(re.search(r"[.,;:!?]", between)) or tokens[j][2].lower() in _PROTECTED


def _best_term(run: _Run, terms: CatalogTerms) -> tuple[float, Term] | None:
    """The catalog term this run of heard words most likely was, with its score."""
    lowered = [w.lower() for w in run.words]
    if all(w in terms.known for w in lowered):
        return None  # every word is a catalog word already: nothing was misheard
    if (lowered[0] in _PROTECTED or lowered[-1] in _PROTECTED) and not any(
        t.key == run.key for t in terms.terms
    ):
        return None  # a run may start or end in "in", "and" only if it spells a term
    if len(run.key) < 4:
        return None
    edges = (
        lowered[0] if lowered[0] in terms.known and len(lowered) > 1 else None,
        lowered[-1] if lowered[-1] in terms.known and len(lowered) > 1 else None,
    )
    exact = terms.by_key.get(run.key)
    if exact is not None and _score(run, exact) == _HEARD_RIGHT:
        return None  # heard right; keep the shopper's own casing
    # rapidfuzz (C++) narrows thousands of terms to a few close spellings first.
    close = process.extract(
        run.key, terms.keys, scorer=fuzz.ratio, score_cutoff=SPELL_MIN, limit=_SHORTLIST
    )
    best: tuple[float, Term] | None = None
    for *_, index in close:
        term = terms.terms[index]
        score = _score(run, term)
        if score is None or not _edges_fit(edges, term):
            continue
        if best is None or score > best[0]:
            best = (score, term)
    return best


def _edges_fit(edges: tuple[str | None, str | None], term: Term) -> bool:
    """A catalog word heard at the edge of a run must stay at that edge of the term.

    "mount and dream sleeping" may not become "MountainDream sleeping bag": the
    heard "sleeping" is right, and the term would end in a word nobody said.
    """
    first, last = edges
    if first is not None and not term.key.startswith(_key(first)):
        return False
    return last is None or term.key.rstrip("s").endswith(_key(last).rstrip("s"))


def _score(run: _Run, term: Term) -> float | None:
    """How surely `run` was `term` misheard (higher is surer), or None if it wasn't."""
    key = run.key
    if not key or abs(len(term.key) - len(key)) > max(3, len(term.key) // 3):
        return None
    if not _digits_fit(re.sub(r"[^0-9]", "", key), term.key):
        return None
    if term.key == key:
        if " ".join(w.lower() for w in run.words) == term.text.lower():
            return _HEARD_RIGHT
        return _SAME_LETTERS  # other spacing only: "power burner" -> PowerBurner
    single = len(run.words) == 1
    if single and term.words == 1 and not (term.alone and (run.ends_phrase or not term.kind)):
        return None
    if term.words > 1 and len(key) < 8:
        return None
    spell = fuzz.ratio(key, term.key)
    if spell < SPELL_MIN:
        return None
    heard = fuzz.ratio(phonetic(key), term.sound)
    if heard >= SOUND_MIN or (spell >= SPELL_CLOSE and heard >= SOUND_CLOSE):
        return spell + heard
    return None


def _digits_fit(heard: str, term_key: str) -> bool:
    """Numbers are facts: "size 10" never becomes a name, "Person" never "2-Person".

    A term with digits needs them heard first ("X410" may be "X4" + "tent"); a heard
    number only goes into a term that has digits.
    """
    wanted = re.sub(r"[^0-9]", "", term_key)
    if not wanted:
        return not heard
    return heard.startswith(wanted)


@lru_cache(maxsize=8)
def _cached_vocab_terms(frozen: tuple[tuple[str, tuple[str, ...]], ...]) -> CatalogTerms:
    return CatalogTerms.from_vocabulary(dict(frozen))


def _terms_of(words: CatalogTerms | Lexicon | Mapping[str, Sequence[str]]) -> CatalogTerms:
    if isinstance(words, CatalogTerms):
        return words
    if isinstance(words, Mapping):
        frozen = tuple((k, tuple(words.get(k, ()))) for k in ("names", "brands", "categories"))
        return _cached_vocab_terms(frozen)
    cached = _LAST_LEXICON[0]
    if cached is not None and cached[0] is words:
        return cached[1]
    terms = CatalogTerms.from_lexicon(words)
    _LAST_LEXICON[0] = (words, terms)  # the assistant rebuilds its Lexicon on catalog change
    return terms


_LAST_LEXICON: list[tuple[Lexicon, CatalogTerms] | None] = [None]


def _key(text: str) -> str:
    return re.sub(r"[^a-z0-9]", "", text.lower())


def _plural(word: str) -> str:
    return word if word.endswith("s") else word + "s"


def _singular_phrase(phrase: str) -> str:
    head, _, last = phrase.rpartition(" ")
    if len(last) > 3 and last.endswith("s") and not last.endswith("ss"):
        last = last[:-1]
    return f"{head} {last}".strip()


_PHONETIC_RULES: tuple[tuple[re.Pattern[str], str], ...] = tuple(
    (re.compile(pattern), repl)
    for pattern, repl in (
        (r"^[kgp](?=n)", ""),  # silent first letter: knife, gnome, pneumatic
        (r"^x", "s"),
        (r"^wh", "w"),
        (r"mb$", "m"),
        (r"ck", "k"),
        (r"ph", "f"),
        (r"sch", "sk"),
        (r"t?ch|sh|ti(?=[ao])", "x"),
        (r"th", "0"),
        (r"c(?=[iey])", "s"),
        (r"[cq]", "k"),
        (r"dg(?=[iey])", "j"),
        (r"d", "t"),
        (r"gh(?![aeiou])", ""),
        (r"g(?=[iey])", "j"),
        (r"g", "k"),
        (r"x", "ks"),
        (r"z", "s"),
        (r"v", "f"),
        (r"(?<=[^aeiou])h|h(?![aeiou])", ""),
        (r"[wy](?![aeiou])", ""),
    )
)


def phonetic(text: str) -> str:
    """A Metaphone-like sound key: "tennis" TNS, "tents" TNTS, "attend" ATNT.

    Small and pure, so matching needs no extra package; it only has to put words
    that sound alike close together for a fuzzy comparison, not be exact Metaphone.
    """
    s = re.sub(r"[^a-z]", "", text.lower())
    if s.startswith("wr"):
        s = s[1:]
    s = re.sub(r"(.)\1+", r"\1", s)
    if not s:
        return ""
    for pattern, repl in _PHONETIC_RULES:
        s = pattern.sub(repl, s)
    if not s:
        return ""
    head, rest = s[0], re.sub(r"[aeiouy]", "", s[1:])
    return re.sub(r"(.)\1+", r"\1", (head + rest).upper())
