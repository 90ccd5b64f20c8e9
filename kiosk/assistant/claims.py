"""What a text claims, read for the checks: money, promises, instructions, refusals.

The check of the model's words (`checker`) and the check of the catalog text the
kiosk quotes (`quote`) share these readers. They find prices in digits and in words
("one dollar", "two hundred and fifty bucks"), offers without a number ("half off",
"on the house"), promises (warranty, delivery, returns, price beating, "free"),
stock and time claims ("only 2 left", "today only"), text addressed to a model
rather than a shopper ("SYSTEM:", "ignore your instructions"), and what a sentence
says is not so ("we can't help with returns").

A mention these readers can't read (a currency word with no amount they
understand) is reported as unreadable: a check that can't decide rejects.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass
from functools import lru_cache

from kiosk.text.numbers import words_to_digits
from kiosk.text.words import singular


@dataclass(frozen=True)
class Rule:
    """A lower-case pattern and its gate: words one of which every match contains.

    Most catalog texts claim nothing; a substring test for the gate words (on the text
    with its whitespace squeezed) skips the pattern for them, 5x faster on a big import.
    `tests/test_truth.py` checks that every alternative of a pattern carries a gate word.
    """

    regex: re.Pattern[str]
    words: tuple[str, ...]  # the gate words
    gate: re.Pattern[str]  # the same, as one pattern


def _fast(pattern: str, gate: str) -> Rule:
    """A `Rule`. A leading word boundary of each top-level alternative is dropped (it
    stops the engine skipping ahead to a possible first letter) and `_find` checks it."""
    out, depth, i, start = [], 0, 0, True
    while i < len(pattern):
        c = pattern[i]
        if c == "\\":
            pair = pattern[i : i + 2]
            if not (start and depth == 0 and pair == "\\b"):
                out.append(pair)
            i += 2
            start = False
            continue
        if c == "[":
            end = pattern.index("]", i + 2 if pattern[i + 1 : i + 2] in ("^", "]") else i + 1)
            out.append(pattern[i : end + 1])
            i = end + 1
            start = False
            continue
        depth += c == "("
        depth -= c == ")"
        start = c == "|" and depth == 0
        out.append(c)
        i += 1
    words = tuple(sorted((g.replace("_", " ") for g in gate.split()), key=len, reverse=True))
    return Rule(re.compile("".join(out)), words, re.compile("|".join(map(re.escape, words))))


@lru_cache(maxsize=32)
def _squeezed(low: str) -> str:
    return " ".join(low.split())


def _find(rule: Rule, low: str, *, gated: bool = True) -> Iterator[re.Match[str]]:
    """Matches of a rule in lower-case text that start at a word's start."""
    if gated and not rule.gate.search(_squeezed(low)):
        return
    pos = 0
    while (m := rule.regex.search(low, pos)) is not None:
        first = low[m.start() : m.start() + 1]
        if first and (first.isalnum() or first == "_") and m.start() > 0:
            before = low[m.start() - 1]
            if before.isalnum() or before == "_":
                pos = m.start() + 1
                continue
        yield m
        pos = max(m.end(), m.start() + 1)


_QUOTES = str.maketrans(
    {"\u2019": "'", "\u2018": "'", "\u02bc": "'", "`": "'", "\u201c": '"', "\u201d": '"'}
)
_ONE_MONEY = re.compile(r"\b(?:a|an|one)\s+(dollar|buck)\b", re.I)
# "9mm", "12lbs", "20F": the number and its unit as two words; "2-person", "X4" stay one.
_GLUED_UNIT = re.compile(r"(?<![\w.-])(\d+(?:\.\d+)?)([a-z]+)\b", re.I)


_NUMBER_WORD = re.compile(
    r"\b(?:zero|one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|\w+teen|"
    r"twenty|thirty|forty|fifty|sixty|seventy|eighty|ninety|hundred|thousand)\b",
    re.I,
)


# Chinese punctuation takes no space after it; NFKC would make "$140，12 码" "$140,12".
_CJK_PUNCT = str.maketrans({"，": ", ", "；": "; ", "：": ": ", "、": ", "})


def normalize(text: str) -> str:
    """One spelling for the checks: NFKC, straight quotes, number words as digits."""
    if not text.isascii():
        text = text.translate(_CJK_PUNCT)
        text = unicodedata.normalize("NFKC", text).translate(_QUOTES)
    text = _ONE_MONEY.sub(r"1 \1", text)
    if _NUMBER_WORD.search(text):
        text = words_to_digits(text)
    return _GLUED_UNIT.sub(r"\1 \2", text)


# -- words ------------------------------------------------------------------------------

_TOKEN = re.compile(r"\d+\.\d+|[a-z0-9]+(?:['-][a-z0-9]+)*")


def tokens(text: str) -> list[str]:
    """Lower-case words and numbers of a normalized text, contractions kept ("don't")."""
    return _TOKEN.findall(text.lower())


def stem(word: str) -> str:
    """A light stem so "returned", "returns" and "return" compare equal."""
    w = word.lower().removesuffix("'s")
    if w.isdigit() or "-" in w:
        return w
    w = singular(w)
    for suffix in ("ing", "ed"):
        if len(w) > 5 and w.endswith(suffix):
            w = w[: -len(suffix)]
            break
    return w[:-1] if len(w) > 4 and w.endswith("e") else w


def is_number(token: str) -> bool:
    return bool(re.fullmatch(r"\d+(?:\.\d+)?", token))


# -- money --------------------------------------------------------------------------------

_AMOUNT = r"\d[\d,]*(?:\.\d+)?"
_MONEY = re.compile(
    rf"(?:\$|\busd\s?)\s*(?P<a>{_AMOUNT})(?P<ak>\s*(?:k|thousand)\b)?"
    rf"|\b(?P<b>{_AMOUNT})(?P<bk>\s*(?:k|thousand))?\s*(?:us\s+)?(?:dollars?|bucks?|usd)\b"
    rf"(?:\s+(?:and\s+)?(?P<c>\d{{1,2}})\s*cents?\b)?"
    rf"|\b(?P<d>\d{{1,2}})\s*cents?\b",
    re.I,
)
_CURRENCY = re.compile(
    r"[$€£¥₹]|\b(?:dollars?|bucks?|usd|cents?|euros?|quid|pennies|penny|nickels?|dimes?|"
    r"grand)\b",
    re.I,
)


@dataclass(frozen=True)
class Money:
    """An amount a text names: `cents` is None when the checks can't read it."""

    said: str
    cents: int | None
    start: int


def money(text: str) -> list[Money]:
    """Every amount of money in a normalized text, read or unreadable."""
    found: list[Money] = []
    spans: list[tuple[int, int]] = []
    for m in _MONEY.finditer(text):
        spans.append(m.span())
        try:
            if m["d"] is not None:
                cents = int(m["d"])
            else:
                value = float((m["a"] or m["b"]).replace(",", ""))
                if m["ak"] or m["bk"]:
                    value *= 1000
                cents = round(value * 100) + (int(m["c"]) if m["c"] else 0)
        except ValueError:
            found.append(Money(m.group(0), None, m.start()))
            continue
        found.append(Money(m.group(0).strip(), cents, m.start()))
    for m in _CURRENCY.finditer(text):
        if not any(a <= m.start() < b for a, b in spans):
            found.append(Money(m.group(0), None, m.start()))
    return sorted(found, key=lambda x: x.start)


# -- promises, offers and claims a store makes -----------------------------------------------

_DAYS = r"(?:mon|tues|wednes|thurs|fri|satur|sun)day"
# Each topic: what a store promises or offers. A text may make one only where the
# facts make the same one (the model's words) or where its kind of document owns
# the topic (quoted catalog text, see `kiosk.assistant.quote`).
TOPICS: dict[str, Rule] = {
    "discount": _fast(
        r"\bdiscount\w*|\b\d+(?:\.\d+)?\s*(?:%|percent\b|per\s+cent\b)|\bhalf[- ](?:off|price)\b|"
        r"\bhalf\s+(?:the\s+)?(?:usual\s+|normal\s+|regular\s+)?price\b|"
        r"\b(?:\d+|half|a\s+third|a\s+quarter|a\s+bit|a\s+little|something|some)\s+off\b|"
        r"\boff\s+(?:the|your|its|our)\s+(?:\w+\s+)?(?:price|total|bill|tag)\b|"
        r"\bon\s+(?:sale|special|promotion|offer)\b|\bsale\b|\bclearance\b|"
        r"\bmark(?:ed|s)?[- ]?down\b|\bmarkdowns?\b|\breduced\s+(?:price|to|from|for)\b|"
        r"\bprice\s+reductions?\b|\breductions?\s+(?:in|on|of)\s+(?:the\s+)?price\b|\bdeals?\b|"
        r"\bbargain\w*|\ba\s+steal\b|\bcoupons?\b|\bpromo(?:s|tions?|tional)?\b|\bvouchers?\b|\b(?:promo|discount|coupon|voucher|use)\s+code\b|"
        r"\bspecial\s+(?:offer|price|deal|treat)s?\b|\bbogo\b|"
        r"\bbuy\s+(?:1|one)\s*,?\s*get\s+(?:1|one)\b|\b2\s+for\s+(?:1|one)\b|"
        r"\bfor\s+the\s+price\s+of\s+(?:1|one)\b|"
        r"\bknock\w*\s+(?:\w+\s+){0,3}(?:off|down)\b|"
        r"\bsav(?:e|es|ing)\s+(?:\$|\d|up\s+to|money|big|a\s+bundle|a\s+lot|on\b)|"
        r"\bfor\s+less\b|\bprice\s+(?:drops?|cuts?|reductions?)\b|\bslash\w*|"
        r"\bat\s+cost\b|\bcash\s*back\b|\bfraction\s+of\b|\bfor\s+a\s+song\b|"
        r"\b(?:loyalty|reward|rewards|bonus|double|triple)\s+points?\b|\bmembers?\s+price\b|"
        r"\bcheaper\s+(?:for\s+you|today|tonight|now|this|if|when|at\s+the)\b",
        "discount % percent cent half off sale special promot offer clearance mark reduc deal "
        "bargain steal coupon promo voucher code bogo buy for_1 for_one price knock sav less "
        "slash cost cash fraction song point cheaper",
    ),
    "price_match": _fast(
        r"\bprice[- ]?match\w*|\bmatch\w*\s+(?:\w+\s+){0,3}prices?\b|"
        r"\bbeat\w*\s+(?:\w+\s+){0,3}prices?\b|\bprice[- ]?beat\w*|"
        r"\b(?:beat|match)\s+(?:it|that|them|any\s+\w+)\b|"
        r"\bcheaper\s+(?:elsewhere|anywhere|online|than\s+(?:\w+\s+){0,2}(?:store|shop|online))\b|"
        r"\b(?:lowest|best|cheapest|unbeatable)\s+prices?\b|"
        r"\bprice\s+(?:guarantee|promise|protection)\b",
        "price match beat cheaper",
    ),
    "free": _fast(
        r"\bfree\b(?!-)|\bcomplimentary\b|\bon\s+the\s+house\b|\bon\s+(?:us|me)\b|"
        r"\bat\s+no\s+(?:extra\s+|additional\s+)?(?:cost|charge)\b|"
        r"\bno\s+(?:extra\s+)?(?:charge|cost)\b|\bgratis\b|\bthrown?\s+in\b|"
        r"\bgifts?\b(?!\s+cards?)",
        "free complimentary house on_us on_me cost charge gratis throw gift",
    ),
    "warranty": _fast(
        r"\bwarrant(?:y|ies|ied)\b|\bguarantee[sd]?\b|"
        r"\blifetime\s+(?:warranty|guarantee|replacements?|repairs?|coverage)\b|"
        r"\bfor\s+life\b|\bmoney[- ]back\b|\bno\s+questions\s+asked\b|"
        r"\b(?:replace|repair)\w*\s+(?:it|them|this|that|yours?)\b",
        "warrant guarantee lifetime life money questions replac repair",
    ),
    "delivery": _fast(
        r"\bship(?:s|ped|ping)?\b|\bdeliver(?:y|ies|ed)?\b(?!\s+(?:\w+\s+)?(?:heat|warmth|"
        r"performance|power|comfort|support|ventilation|protection))|"
        r"\bto\s+your\s+(?:door|doorstep|home|house|car|address)\b|\bcourier\b|\bpostage\b|"
        r"\bmail(?:ed)?\s+(?:it|them|to)\b|\b(?:same|next)[- ]day\b|\bcurbside\b|"
        r"\b(?:carry|take|bring)\s+(?:it|them|\w+\s+\w+)\s+to\s+your\b",
        "ship deliver your courier postage mail day curbside",
    ),
    "returns": _fast(
        r"\breturn(?:s|ed|able|ing)?\b|\brefund\w*|\bexchang\w*|\bsales?\s+(?:are\s+)?final\b|"
        r"\bstore\s+credit\b|\brestocking\b|\bbring\s+(?:it|them)\s+back\b",
        "return refund exchang final credit restock back",
    ),
    "stock": _fast(
        r"\bonly\s+\d+\s+(?:\w+\s+)?(?:left|remaining)\b|\b(?:last|final)\s+(?:one|few|\d+)\b|"
        r"\b(?:our|the)\s+last\s+(?:one|few|\w+\s+(?:left|in\s+stock))\b|\b(?:few|couple|handful|\d+)\s+(?:\w+\s+)?(?:left|remaining)\b|"
        r"\blimited\s+(?:stock|supply|supplies|quantities)\b|\bselling\s+(?:out|fast)\b|"
        r"\bflying\s+off\b|\bback\s+(?:in\s+stock|on\s+(?:the\s+)?shel\w+)\b|\brestock\w*|"
        r"\b(?:arriv\w+|coming|due)\s+(?:in|back|soon|next|on|by|tomorrow|every)\b|"
        r"\bon\s+order\b|\bpre[- ]?order\w*|\bspecial[- ]order\w*|\border\s+(?:it|one|them)\b|"
        r"\bhold\s+(?:it|one|them)\b|\bset\s+(?:it|one|them)\s+aside\b|\breserve[sd]?\b|"
        r"\bplenty\b|\bdozens?\b|\bin\s+the\s+back\b|\bstoreroom\b|\bwarehouse\b|"
        r"\b(?:other|sister|another|online)\s+(?:store|branch|shop|location)s?\b",
        "left remaining last final limited selling flying back restock arriv coming due order "
        "hold aside reserv plenty dozen storeroom warehouse store branch shop location",
    ),
    "time": _fast(
        rf"\btoday\b|\btonight\b|\btomorrow\b|\bthis\s+(?:week|weekend|month|year)\b|"
        rf"\b(?:next|last)\s+(?:week|weekend|month|year|{_DAYS})\b|\blimited[- ]time\b|"
        rf"\bwhile\s+(?:supplies|stocks?)\s+lasts?\b|\bends?\s+(?:today|tonight|soon|{_DAYS})\b|"
        rf"\buntil\s+(?:{_DAYS}|tomorrow|tonight|the\s+end)\b|\bhurry\b|\blast\s+chance\b|"
        rf"\bonly\s+(?:today|tonight|this)\b|\bthrough\s+{_DAYS}\b|\bby\s+{_DAYS}\b|"
        rf"\b(?:around\s+the\s+clock|24/7|anytime|any\s+time|never\s+close)\b",
        "today tonight tomorrow week month year day limited while end until hurry chance only "
        "clock 24/7 any close",
    ),
    "service": _fast(
        r"\binstal(?:l)?ments?\b|\bfinanc(?:e|ed|ing)\b|\blayaway\b|\brain\s*checks?\b|"
        r"\bprice\s+adjust\w*|\btrade[- ]ins?\b|\brent(?:al|als|ing|s)?\b|\bgift[- ]wrap\w*|"
        r"\bassembl\w*\s+(?:it|them)\s+for\b|\bset\s+(?:it|them|up\s+\w+\s+\w+)\s+(?:up\s+)?for\s+you\b",
        "instal financ layaway rain adjust trade rent gift assembl for_you",
    ),
}
# A return promise in quoted catalog text ("estimated return time" is not one).
RETURN_PROMISE = _fast(
    r"\breturns?\s+(?:window|period|within|accepted|are\s+(?:free|easy|"
    r"accepted)|for\s+free|it|them|anything|any)\b|\b(?:free|easy|hassle-free)\s+returns?\b|"
    r"\brefund\w*|\bexchang\w*|\bmoney[- ]back\b|\bsales?\s+(?:are\s+)?final\b|"
    r"\bstore\s+credit\b|\bbring\s+(?:it|them)\s+back\b",
    "return refund exchang money final credit back",
)
# A promised window for an offer, in quoted catalog text: never held by the catalog.
OFFER_WINDOW = _fast(
    rf"\btoday\s+only\b|\bonly\s+today\b|\b(?:this|1)[- ](?:day|week|weekend|month)\s+only\b|"
    rf"\blimited[- ]time\b|\bwhile\s+(?:supplies|stocks?)\s+lasts?\b|"
    rf"\b(?:offer|sale|deal|price|discount)s?\s+(?:\w+\s+)?ends?\b|"
    rf"\bends?\s+(?:today|tonight|soon|{_DAYS})\b|\blast\s+chance\b|\bfor\s+\d+\s+days?\s+only\b|"
    rf"\b(?:today|tonight|this\s+week(?:end)?)\b[^.!?]*\b(?:price|\$|dollars?|off|sale|deal)\b",
    "today tonight week only limited while end chance",
)


@dataclass(frozen=True)
class Claim:
    """A promise or offer a text makes: its topic, the words, and whether it is denied."""

    topic: str
    said: str
    negated: bool
    start: int

    @property
    def key(self) -> tuple[str, str, bool]:
        return self.topic, " ".join(stem(t) for t in tokens(self.said)), self.negated


def claims(text: str, topics: tuple[str, ...] | None = None) -> list[Claim]:
    """The promises, offers, stock and time claims in a normalized text, in order."""
    found: list[Claim] = []
    low = _lower(text)
    for topic, rule in TOPICS.items():
        if topics is not None and topic not in topics:
            continue
        for m in _find(rule, low):
            if topic == "free" and _NOT_AN_OFFER.search(low[max(0, m.start() - 6) : m.start()]):
                continue
            said = text[m.start() : m.end()]
            found.append(Claim(topic, said, _denied(text, m.start()), m.start()))
    return sorted(found, key=lambda c: c.start)


# "hassle-free", "feel free", "be free": not an offer.
_NOT_AN_OFFER = re.compile(r"(?:-|\bfeel\s|\bbe\s)$")


# -- negation -------------------------------------------------------------------------------

_NEGATORS = frozenset("not no never cannot unable nobody nothing none without neither nor".split())
_NEG_SKIP = frozenset(
    """
    to be a an the any seem seems really currently quite able yet that this it them
    we i you they do does did more longer so very much even
    """.split()
)
# What is said not to be so, by its verb: "don't carry" and "don't have" are one claim.
_NEG_SAME = {
    "carry": "have",
    "stock": "have",
    "sell": "have",
    "got": "have",
    "assist": "help",
    "support": "help",
    "answer": "help",
    "handle": "help",
    "process": "help",
    "accept": "accept",
    "take": "accept",
    "in": "have",  # "not in stock"
    "available": "have",
}


def _is_negator(token: str) -> bool:
    return token in _NEGATORS or token.endswith("n't")


def _denied(text: str, at: int) -> bool:
    """Whether the clause before position `at` denies what follows it."""
    clause = re.split(r"[.!?;:,]|\bbut\b", text[:at])[-1]
    return any(_is_negator(t) for t in tokens(clause))


def denials(text: str) -> set[str]:
    """What a normalized text says is not so, one stem each: "we can't help" -> {"help"}.

    A denial with nothing after it ("I'm afraid not.") denies nothing in particular.
    """
    out: set[str] = set()
    for clause in re.split(r"[.!?;:,()]", text):
        ts = tokens(clause)
        for i, t in enumerate(ts):
            if not _is_negator(t) or t == "without":
                continue
            for nxt in ts[i + 1 : i + 6]:
                if nxt in _NEG_SKIP:
                    continue
                s = stem(nxt)
                out.add(_NEG_SAME.get(s, s))
                break
    return out


# -- text addressed to a model, not a shopper ---------------------------------------------

# A role label starts a text, a line or a sentence ("SYSTEM: ..."); "Lacing System:" is a spec.
_ROLE = _fast(
    r"\b(?:system|assistant|user|shopper|kiosk|human|ai|bot|developer|admin|administrator|"
    r"kiosk\s+answer|rewritten\s+answer|note\s+to\s+(?:the\s+)?(?:kiosk|assistant|ai|bot|model))"
    r"\s*:",
    ":",
)
_INJECTION = _fast(
    r"\bignore\s+(?:(?:all|any|the|your|my|these|those|every)\s+)*"
    r"(?:(?:previous|prior|above|earlier|preceding|former|other|system|original)\s+)?"
    r"(?:instructions?|rules?|prompts?|directions?|guidelines?|messages?|facts?)\b|"
    r"\bdisregard\s+(?:(?:all|any|the|your|previous|prior|above|earlier)\s+)*"
    r"(?:instructions?|rules?|prompts?|facts?|catalog)\b|"
    r"\bnew\s+instructions?\b|\b(?:system|developer)\s+(?:prompt|message|override|note)s?\b|"
    r"\byou\s+are\s+now\b|\bfrom\s+now\s+on\b|\bact\s+as\s+(?:a|an|the)\b|"
    r"\bpretend\s+(?:to\s+be|you)\b|\bas\s+instructed\b|"
    r"\b(?:always|must|should|please)\s+(?:say|tell|answer|reply|respond|quote|state)\b|"
    r"\b(?:tell|inform)\s+(?:all\s+|every\s+|any\s+|the\s+)?(?:customers?|shoppers?|users?|"
    r"buyers?|visitors?)\b|"
    r"\b(?:say|answer|reply|respond)\s+(?:that|with)\b|"
    r"\bwhen\s+(?:asked|anyone\s+asks|a\s+(?:customer|shopper|user)\s+asks)\b|"
    r"\bif\s+(?:anyone|someone|a\s+customer|a\s+shopper|the\s+user)\s+asks\b|"
    r"\b(?:the\s+)?(?:kiosk|assistant|ai|chatbot|language\s+model)\s+(?:must|should|will|shall)\b|"
    r"<\|?(?:im_start|im_end|system|endoftext|user|assistant)|\[/?inst\]|"
    r"#{2,}\s*(?:instruction|system|response|assistant)|\boverride\b",
    "ignore disregard instruction system developer you_are_now from_now_on act_as pretend say "
    "tell answer reply respond quote state inform ask kiosk assistant chatbot model ai_must "
    "ai_should ai_will ai_shall <| [inst [/inst ## override",
)


def instructions(text: str) -> list[str]:
    """Words addressed to a model ("SYSTEM:", "ignore your instructions"), not a shopper."""
    low = _lower(text)
    found = []
    for m in _find(_ROLE, low):
        before = low[: m.start()].rstrip(" \t")
        if not before or before[-1] in "\n[<(|#*>\"'.!?:;":
            found.append(text[m.start() : m.end()].strip())
    return found + [text[m.start() : m.end()] for m in _find(_INJECTION, low)]


def _lower(text: str) -> str:
    """Lower case with every position kept, so a match in it is a match in `text`."""
    low = text.lower()
    return low if len(low) == len(text) else "".join(c.lower()[:1] or c for c in text)


def offer_windows(text: str) -> list[str]:
    """Limited-time offers in a normalized text ("today only", "while supplies last")."""
    low = _lower(text)
    return [text[m.start() : m.end()] for m in _find(OFFER_WINDOW, low)]


def return_promises(text: str) -> list[str]:
    """Return and refund promises in a normalized text ("free returns", "money back")."""
    low = _lower(text)
    return [text[m.start() : m.end()] for m in _find(RETURN_PROMISE, low)]
