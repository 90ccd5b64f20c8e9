"""Request understanding by rules over the catalog's own vocabulary.

Measured before this was written: the bundled 135M/270M models classify most
shopper requests wrongly, so rules are the path that always works; a model may be
consulted for what the rules can't place (see `Assistant`), never instead of them.

This is the one place the intent is decided and the one stage that reads the
request's text: everything later (act, compose, check) works from `Understanding`.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from kiosk.assistant.reply import Intent
from kiosk.catalog.lexicon import Lexicon, NameMatch
from kiosk.errors import KioskError
from kiosk.llm.base import ChatModel, Message
from kiosk.text.numbers import words_to_digits
from kiosk.text.privacy import redact, without_secrets
from kiosk.text.words import GRAMMAR_WORDS, SHOPPING_WORDS, singular, words

log = logging.getLogger(__name__)

_MONEY = r"\$?\s?(\d+(?:[.,]\d{1,2})?)\s*(?:dollars?|bucks|usd|\$)?"


def _rx(*patterns: str) -> re.Pattern[str]:
    return re.compile("|".join(f"(?:{p})" for p in patterns), re.IGNORECASE)


CALL_STAFF = _rx(
    r"\b(talk|speak|chat)\w*\s+(to|with)\s+(a\s+|an\s+|some\s+|the\s+|your\s+)?"
    r"(real\s+|live\s+|actual\s+)?(person|human|someone|somebody|staff|employee|agent|"
    r"representative|rep|associate|manager|people|sales\s*(person|man|woman|associate)|"
    r"customer\s+service|customer\s+support|client\s+service)",
    r"\b(call|get|fetch|find|send|need|want|contact|reach)\s+(me\s+)?(a\s+|an\s+|some\s+|the\s+)?"
    r"(real\s+|live\s+)?(staff|person|human|employee|agent|assistant|manager|associate|"
    r"salesperson|representative|someone\s+(who\s+works|from\s+the\s+store)|help\s+desk)\b",
    r"\b(human|live|real)\s+(agent|person|being|assistant|help)\b",
    r"\bcustomer\s+(service|support|care)\b",
    r"\bclient\s+service\b",
    r"\b(need|want)\s+(some\s+)?help\s+from\b",
    r"\bcall\s+staff\b",
    r"\bsomeone\s+(to\s+)?help\s+me\b",
    r"\bcan\s+(someone|somebody|a\s+person)\s+(come|help)",
)
GREETING = _rx(
    r"^\s*(hi|hello|hey|hiya|howdy|yo|good\s+(morning|afternoon|evening|day)|greetings)"
    r"(\s+(there|kiosk|friend))?[\s!.,]*$",
    r"^\s*(thanks|thank\s+you|thank\s+u|cheers|ok(ay)?|great|cool|bye|goodbye)"
    r"(\s+(so\s+much|very\s+much|a\s+lot))?[\s!.,]*$",
    # Help asked for with nothing named, or just browsing: the greeting says what the
    # kiosk does and offers staff ("I need help", "can you help me", "just looking").
    r"^\s*((hi|hello|hey)[\s,!.]*)?(i\s+(just\s+)?need\s+(some\s+)?help|(can|could)\s+you"
    r"\s+help(\s+me)?|(please\s+)?help(\s+me)?(\s+please)?|((i'?m|i\s+am)\s+)?just\s+"
    r"(looking|browsing)(\s+around)?)[\s!.,?]*(thanks|thank\s+you)?[\s!.,]*$",
)
START_OVER = _rx(
    r"\b(start\s+(over|again)|new\s+(search|session|customer)|reset|clear\s+(this|it|all))\b"
)
FEEDBACK = _rx(
    r"\b(feedback|complain\w*|complaint|suggestion|opinion|comment)\b",
    r"\b(leave|write|submit|file|lodge|make|give)\s+(a\s+|an\s+|my\s+)?(review|rating)\b",
    r"\bi\s+(really\s+)?(love|like|hate|dislike|enjoy)\s+(this|the|your)\s+"
    r"(store|shop|kiosk|service|staff)\b",
    r"\b(great|terrible|awful|bad|excellent|poor|rude|friendly|helpful|unhelpful|slow)\s+"
    r"(service|experience|store|shop|staff|kiosk)\b",
    r"\b(not|un)\s*happy\s+with\s+(the|your)\s+(service|store|staff)\b",
    r"\b(the\s+)?(service|store|staff|kiosk|people)(\s+here)?\s+(is|was|were|are)\s+"
    r"(really\s+|very\s+|so\s+)?(great|terrible|awful|bad|"
    r"excellent|poor|rude|friendly|helpful|unhelpful|slow|amazing)\b",
)
POLICY_TOPICS: dict[str, re.Pattern[str]] = {
    "return_policy": _rx(
        r"\b(return|returns|returning|refund\w*|exchange\w*|money\s+back|reimburse\w*|"
        r"send\s+(it\s+)?back|bring\s+(it\s+)?back|take\s+(it\s+)?back)\b"
    ),
    "warranty": _rx(r"\b(warrant(y|ies)|guarantee[sd]?)\b"),
    "hours": _rx(
        r"\b(hours|open(ing)?|clos(e|es|ing)|what\s+time)\b(?!\s+(the|this|it)\b)",
    ),
    "payment": _rx(
        r"\b(pay|paying|payment\w*|credit\s+card|debit|cash|visa|amex|mastercard|apple\s+pay|"
        r"contactless|check\s?out|gift\s+card)\b"
    ),
    "price_match": _rx(
        r"\b(price\s+match\w*|match\s+(the|a|their)\s+price|discount\w*|coupon\w*|"
        r"promo(tion)?\w*|on\s+sale|deals?)\b"
    ),
    "delivery": _rx(r"\b(deliver\w*|shipping|ship\s+(it|to)|pick\s*up|click\s+and\s+collect)\b"),
    "membership": _rx(r"\b(membership|loyalty|rewards?\s+(program|card)|member\s+benefits)\b"),
}
COMPARE = _rx(
    r"\bcompar\w*\b",
    r"\bdifferen(ce|t)\s+between\b",
    r"\b(vs\.?|versus)\b",
    r"\bwhich\s+(one\s+)?(is|would\s+be)\s+(better|best|lighter|cheaper|warmer|bigger)\b",
    r"\bbetter\b.*\bor\b",
    r"\bhow\s+does\s+.+\s+compare\b",
)
LOCATION = _rx(
    r"\bwhere\b",
    r"\b(which|what)\s+aisle\b",
    r"\baisle\b",
    r"\blocat\w+\b",
    r"\bhow\s+(do|can)\s+i\s+(find|get\s+to)\b",
)
INFO = _rx(
    r"\bwhat\s+(is|are|'s)\s+(the|its|it's|their)\b",
    r"\bhow\s+(much|heavy|big|warm|long|tall|many|waterproof|light)\b",
    r"\b(is|are|does|do|can|will)\s+(it|they|this|that|these|the\s+\w+)\b",
    r"\btell\s+me\s+(more\s+)?about\b",
    r"\b(rating|rated|specs?|specifications?|features?|weigh\w*|material|made\s+of|"
    r"dimensions?|capacity|temperature|warranty|reviews?|machine\s+wash\w*|washable|"
    r"waterproof|setup|set\s+up|instructions?|fit|colou?rs?)\b",
    r"\bmore\s+(info|information|details)\b",
)
SHOPPING = _rx(
    r"\b(do\s+you\s+(have|sell|carry|stock|got)|looking\s+for|i\s+(need|want)|show\s+me|"
    r"got\s+any|any\s+\w+|recommend\w*|suggest\w*|search|find\s+me|buy|shopping\s+for|"
    r"in\s+stock|available|cheap\w*|under\s+\$?\d)\b"
)
OUT_OF_SCOPE = _rx(
    r"\b(weather|joke|news|president|politic\w*|football|soccer|basketball|score|recipe|"
    r"poem|song|movie|stock\s+market|bitcoin|crypto|capital\s+of|meaning\s+of\s+life|"
    r"math|homework|translate|password|account|invoice|order\s+status|track\s+(my\s+)?order|"
    r"newsletter|sign\s+up|log\s*in|register)\b"
)
INJECTION = _rx(
    r"\bignore\s+(all\s+)?(your|previous|the|my|prior)?\s*(instructions|rules|prompt)\b",
    r"\b(system\s+prompt|you\s+are\s+now|pretend\s+(to\s+be|you)|act\s+as|jailbreak|"
    r"developer\s+mode|say\s+that|repeat\s+after\s+me)\b",
)

# "my loyalty number is 7", "member id: AB12": the number applies the tier for this visit.
LOYALTY_NUMBER = re.compile(
    r"\b(?:loyalty|member(?:ship)?|customer|rewards?)\s*(?:card\s*)?(?:number|no\.?|#|id)\s*"
    r"(?:is\s*)?[:#]?\s*([A-Za-z]{0,3}\d{1,12})\b",
    re.IGNORECASE,
)
# "What else do I need?", "any accessories?", "what goes with it?".
SUGGESTIONS = _rx(
    r"\b(what else|anything else|accessor(?:y|ies)|go(?:es)? (?:well )?with|recommend\w*|"
    r"suggest\w*|add[- ]ons?|what do i need)\b"
)
# Asking what goes WITH something is about accessories even when it names the thing
# ("what goes with the tent?"); "recommend a tent" is a search for tents.
ACCESSORIES = _rx(
    r"\b(accessor(?:y|ies)|go(?:es)? (?:well )?with|add[- ]ons?|what else do i need|"
    r"what do i need (?:for|with))\b"
)
# What a product question asks about, when it is one of the facts looked up directly.
INFO_TOPICS: dict[str, re.Pattern[str]] = {
    "warranty": _rx(r"\bwarrant"),
    "reviews": _rx(r"\breviews?\b|\bstars?\b|\bwhat do (people|customers) (say|think)"),
    "price": _rx(r"\b(how\s+much|price|cost|expensive)\b"),
    "stock": _rx(r"\b(in\s+stock|available|have\s+any|left)\b"),
}
# "after 40 days", "within 2 weeks", "it's been a month": time since buying, in days.
DURATION = re.compile(r"\b(\d{1,3}|a|one)\s+(day|week|month)s?\b", re.IGNORECASE)
# Something bought that failed: a complaint to follow up, not just a comment.
DEFECT = _rx(
    r"\b(leak\w*|ripped|rips|torn|tore|broke|broken|breaks|defect\w*|faulty|cracked|"
    r"damaged|fell\s+apart|falling\s+apart|stopped\s+working|(does\s*n[o']?t|is\s*n[o']?t|not)\s+"
    r"working|came\s+apart|worn\s+out|peeling)\b"
)
UNHAPPY = _rx(r"\b(complain\w*|not\s+happy|unhappy|disappointed|upset|angry)\b")
WEIGHT_WORDS = _rx(r"\bweigh|heavy")
OVERVIEW = _rx(r"tell\s+me\s+about|more\s+(info|about|details)")
THANKS = _rx(r"\b(thanks|thank|cheers)\b")
GOODBYE = _rx(r"\b(bye|goodbye)\b")

PURCHASED = _rx(r"\b(i|we)\s+(just\s+)?(bought|purchased|ordered|got)\b", r"\bmy\s+(new\s+)?\w+")

# Refinements of the last results: "cheaper ones?", "the blue one", "in size 10?".
CHEAPER = _rx(
    r"\b(cheaper|less\s+expensive|lower\s+price|more\s+affordable|budget|cheapest|"
    r"least\s+expensive|lowest\s+price|inexpensive)\b"
)
# The bare adjectives CHEAPER leaves out (there they would make "a cheap tent" a
# refinement of the last search); with it, they say the shopper wants the cheap end.
_CHEAP_ADJECTIVES = frozenset({"cheap", "affordable"})
PRICIER = _rx(r"\b(more\s+expensive|pricier|higher\s+end|premium|most\s+expensive|best)\b")
REFERENCE = _rx(
    r"\b(it|its|it's|that|this|those|these|them|they|one|ones)\b",
    r"\bthe\s+(first|second|third|last|other|same)\b",
)
ORDINALS = {
    "first": 0,
    "1st": 0,
    "second": 1,
    "2nd": 1,
    "third": 2,
    "3rd": 2,
    "fourth": 3,
    "fifth": 4,
    "last": -1,
}
FEATURE_WORDS = (
    "waterproof",
    "water-resistant",
    "windproof",
    "lightweight",
    "breathable",
    "insulated",
    "ultralight",
    "packable",
    "reflective",
    "freestanding",
    "durable",
    "warm",
    "compact",
    "adjustable",
    "padded",
    "ventilated",
)
TIERS = {
    "gold": "Gold",
    "platinum": "Platinum",
    "base": "None",
    "basic": "None",
    "standard": "None",
    "none": "None",
    "no membership": "None",
    "not a member": "None",
}
SIZE_WORDS = {
    "extra small": "XS",
    "x-small": "XS",
    "xs": "XS",
    "small": "S",
    "medium": "M",
    "large": "L",
    "extra large": "XL",
    "x-large": "XL",
    "xl": "XL",
    "xxl": "XXL",
    "s": "S",
    "m": "M",
    "l": "L",
}


class Greeting(StrEnum):
    HELLO = "hello"
    THANKS = "thanks"
    BYE = "bye"


@dataclass
class Understanding:
    """What the shopper asked: an intent and the slots the rules found."""

    intent: Intent
    text: str  # the request after number words became digits (kept, never re-parsed)
    request: str = ""  # the request as said, for the model's prompt
    note: str = ""  # the request redacted: what a feedback row or staff note may keep
    query: str = ""  # the content words left for catalog search
    products: list[NameMatch] = field(default_factory=list)
    category: str | None = None
    kind: str | None = None  # the product type word ("boot"), for strict matching
    brand: str | None = None
    min_price_cents: int | None = None
    max_price_cents: int | None = None
    sort: str | None = None  # 'price_asc' / 'price_desc'
    size: str | None = None
    color: str | None = None
    capacity: int | None = None  # people, for tents
    features: list[str] = field(default_factory=list)
    membership: str | None = None
    policy_topic: str | None = None
    refinement: str | None = None  # 'cheaper', 'pricier', 'filter' (applies to last results)
    reference: bool = False  # "it", "that one": the last product(s) shown
    ordinal: int | None = None
    start_over: bool = False
    injection: bool = False
    in_stock: bool = False
    purchased: bool = False  # "the tent I bought": the loyalty customer's past orders
    words: tuple[str, ...] = ()  # the request's words, for looking facts up by them
    info_topic: str | None = None  # 'warranty', 'reviews', 'price', 'stock' (INFO_TOPICS)
    overview: bool = False  # "tell me about ...": the description when no fact matches
    greeting: Greeting = Greeting.HELLO
    loyalty_number: str | None = None  # said in the request; applied for this visit only
    loyalty_only: bool = False  # nothing asked besides the number ("hi, my number is 7")
    suggestions: bool = False  # "what else do I need?"
    days: int | None = None  # "can I return it after 40 days?": how long since buying
    complaint: bool = False  # a defect or a problem with something bought: follow up
    intent_by: str = "rules"  # or "classifier" (kiosk.assistant.intents.route)
    intent_p: float | None = None  # the classifier's probability, when it decided
    cheap: bool = False  # asks for the cheap end ("cheap tents", "cheaper ... around $100")
    lang: str = "en"  # the request's language (kiosk.text.language): the reply's too

    def slots(self) -> dict[str, Any]:
        """The filled slots, for `kiosk ask --json` and tests."""
        out: dict[str, Any] = {}
        for key in (
            "category",
            "brand",
            "min_price_cents",
            "max_price_cents",
            "sort",
            "size",
            "color",
            "capacity",
            "membership",
            "policy_topic",
            "refinement",
            "ordinal",
        ):
            value = getattr(self, key)
            if value is not None:
                out[key] = value
        if self.products:
            out["products"] = [m.product_id for m in self.products]
        if self.features:
            out["features"] = self.features
        if self.query:
            out["query"] = self.query
        if self.reference:
            out["reference"] = True
        if self.in_stock:
            out["in_stock"] = True
        if self.purchased:
            out["purchased"] = True
        if self.days is not None:
            out["days"] = self.days
        if self.complaint:
            out["complaint"] = True
        if self.intent_by != "rules":
            out["intent_by"] = self.intent_by
            out["intent_p"] = self.intent_p
        return out


def _cents(text: str) -> int:
    return round(float(text.replace(",", ".")) * 100)


def _catalog_words(text: str, lex: Lexicon) -> str:
    """Shoppers' words the catalog doesn't use, as the catalog's ("a rucksack" -> "a
    backpack"): the category match and the word search then see the store's word."""

    def swap(m: re.Match[str]) -> str:
        return lex.catalog_word(m.group(0)) or m.group(0)

    return re.sub(r"[A-Za-z]+", swap, text)


def _prices(text: str, u: Understanding) -> str:
    """Fill the price slots; return the text with price phrases removed."""
    m = (
        re.search(rf"\bbetween\s+{_MONEY}\s+(?:and|to|-)\s+{_MONEY}", text, re.I)
        or re.search(r"\$\s?(\d+(?:\.\d{1,2})?)\s*(?:-|to)\s*\$?\s?(\d+(?:\.\d{1,2})?)", text, re.I)
        or re.search(
            r"\b(\d+(?:\.\d{1,2})?)\s*(?:-|to)\s*(\d+(?:\.\d{1,2})?)\s*(?:dollars|bucks)",
            text,
            re.I,
        )
    )
    if m:
        lo, hi = sorted((_cents(m.group(1)), _cents(m.group(2))))
        u.min_price_cents, u.max_price_cents = lo, hi
        return text.replace(m.group(0), " ")
    m = re.search(
        rf"\b(under|below|less\s+than|cheaper\s+than|no\s+more\s+than|not\s+more\s+than|"
        rf"at\s+most|max(?:imum)?|up\s+to|within|budget\s+(?:of|is)|spend)\s+(?:a\s+)?{_MONEY}",
        text,
        re.I,
    )
    if m:
        u.max_price_cents = _cents(m.group(2))
        text = text.replace(m.group(0), " ")
    m = re.search(rf"\b(over|above|more\s+than|at\s+least|min(?:imum)?)\s+{_MONEY}", text, re.I)
    if m and (
        m.group(0).strip().startswith(("$",))
        or "$" in m.group(0)
        or re.search(r"dollar|buck", m.group(0), re.I)
        or u.max_price_cents is None
    ):
        u.min_price_cents = _cents(m.group(2))
        text = text.replace(m.group(0), " ")
    m = re.search(r"\b(around|about|roughly|approximately)\s+\$\s?(\d+(?:\.\d{1,2})?)", text)
    if m and u.max_price_cents is None:
        value = _cents(m.group(2))
        u.min_price_cents, u.max_price_cents = int(value * 0.8), int(value * 1.2)
        text = text.replace(m.group(0), " ")
    if re.search(r"\b(cheapest|least\s+expensive|lowest\s+price|most\s+affordable)\b", text, re.I):
        u.sort = "price_asc"
    elif re.search(r"\b(most\s+expensive|priciest|highest\s+price)\b", text, re.I):
        u.sort = "price_desc"
    return text


def _size(text: str, u: Understanding, lex: Lexicon) -> str:
    m = re.search(
        r"\b(?:size|sz)\s+(\d{1,2}(?:\.5)?|xxl|xl|xs|s|m|l|extra\s+large|extra\s+small|small|"
        r"medium|large)\b|\bin\s+(?:an?\s+)?(extra\s+large|extra\s+small|small|medium|large|xl|xxl)"
        r"\b|\b(?:men's|women's|mens|womens)\s+(\d{1,2}(?:\.5)?)\b",
        text,
        re.I,
    )
    if m:
        raw = next(g for g in m.groups() if g).lower()
        raw = re.sub(r"\s+", " ", raw)
        u.size = SIZE_WORDS.get(raw, raw.upper() if raw.isalpha() else raw)
        return text.replace(m.group(0), " ")
    return text


def _capacity(text: str, u: Understanding) -> str:
    m = re.search(
        r"\b(?:for|sleeps|fits|holds)\s+(\d{1,2})\s*(?:people|persons?|adults|of\s+us)?\b|"
        r"\b(\d{1,2})[\s-]?(?:person|people|man)\b|\bfamily\s+of\s+(\d{1,2})\b",
        text,
        re.I,
    )
    if m:
        n = int(next(g for g in m.groups() if g))
        if 1 <= n <= 12:
            u.capacity = n
            return text.replace(m.group(0), " ")
    return text


def _membership(text: str, u: Understanding) -> None:
    low = text.lower()
    for word, tier in sorted(TIERS.items(), key=lambda kv: -len(kv[0])):
        if re.search(rf"\b{word}\b", low) and (
            re.search(r"\b(member|membership|tier|status|card|level)\b", low)
            or word in ("gold", "platinum")
        ):
            u.membership = tier
            return


def understand(text: str, lex: Lexicon) -> Understanding:
    """Intent and slots for one request, by rules only."""
    norm = words_to_digits(without_secrets(text).strip())
    u = Understanding(
        intent=Intent.OUT_OF_SCOPE,
        text=norm,
        request=text.strip(),
        note=redact(words_to_digits(text.strip())),
    )
    low = norm.lower()
    u.words = tuple(words(norm))
    m = LOYALTY_NUMBER.search(text)
    if m:
        u.loyalty_number = m.group(1)
        u.loyalty_only = only_filler(text[: m.start()] + " " + text[m.end() :])
    u.suggestions = bool(SUGGESTIONS.search(text))
    u.injection = bool(INJECTION.search(low))
    u.start_over = bool(START_OVER.search(low))
    rest = _prices(_catalog_words(norm, lex), u)
    rest = _size(rest, u, lex)
    rest = _capacity(rest, u)
    _membership(norm, u)
    u.color = lex.match_color(rest)
    if u.color == "gold" and u.membership == "Gold":
        u.color = None
    u.purchased = bool(PURCHASED.search(low))
    u.features = [f for f in FEATURE_WORDS if re.search(rf"\b{f}\b", low)]
    u.products = lex.match_names(rest)
    u.brand = lex.match_brand(rest)
    u.category, u.kind = lex.match_category(rest)
    u.in_stock = bool(re.search(r"\b(in\s+stock|available\s+now|have\s+any\s+left)\b", low))
    for word, index in ORDINALS.items():
        if re.search(rf"\bthe\s+{word}\b", low):
            u.ordinal = index
            break
    u.reference = bool(REFERENCE.search(low)) or u.ordinal is not None
    u.cheap = bool(CHEAPER.search(low) or _CHEAP_ADJECTIVES & set(u.words))
    if CHEAPER.search(low) and u.max_price_cents is None and u.sort is None:
        u.refinement = "cheaper"
    elif PRICIER.search(low) and u.sort is None and not u.products:
        u.refinement = "pricier"
    u.query = " ".join(w for w in words(rest) if w not in _SLOT_WORDS)

    for topic, pattern in POLICY_TOPICS.items():
        if pattern.search(low):
            u.policy_topic = topic
            break
    for topic, pattern in INFO_TOPICS.items():
        if pattern.search(low) and not (topic == "price" and WEIGHT_WORDS.search(low)):
            u.info_topic = topic
            break
    u.overview = bool(OVERVIEW.search(low))
    u.greeting = (
        Greeting.THANKS
        if THANKS.search(low)
        else Greeting.BYE
        if GOODBYE.search(low)
        else Greeting.HELLO
    )
    catalog_words = bool(u.products or u.category or u.brand)
    m_days = DURATION.search(low)
    if m_days:
        count = 1 if m_days.group(1).lower() in ("a", "one") else int(m_days.group(1))
        u.days = count * {"day": 1, "week": 7, "month": 30}[m_days.group(2).lower()]
    owned = bool(u.products or u.kind or u.category or u.purchased or u.reference)
    u.complaint = bool(DEFECT.search(low) and owned and not SHOPPING.search(low)) or bool(
        UNHAPPY.search(low) and (DEFECT.search(low) or u.purchased)
    )
    if u.start_over and len(words(low)) <= 6:
        u.intent = Intent.GREETING
    elif CALL_STAFF.search(low):
        u.intent = Intent.CALL_STAFF
    elif (FEEDBACK.search(low) or u.complaint) and u.policy_topic != "return_policy":
        u.intent = Intent.FEEDBACK
    elif GREETING.search(low):
        u.intent = Intent.GREETING
    elif COMPARE.search(low) and (len(u.products) >= 2 or u.reference or catalog_words):
        u.intent = Intent.COMPARE
    elif u.policy_topic in (
        "return_policy",
        "hours",
        "payment",
        "price_match",
        "delivery",
        "membership",
    ) or (u.policy_topic == "warranty" and not (u.products or u.reference)):
        u.intent = Intent.STORE_POLICY
    elif LOCATION.search(low) and (catalog_words or u.reference or u.query):
        u.intent = Intent.PRODUCT_LOCATION
    elif (
        (u.products or u.purchased or (u.reference and not u.refinement))
        and INFO.search(low)
        and not (u.category and not u.products and SHOPPING.search(low))
    ):
        u.intent = Intent.PRODUCT_INFO
    elif (
        u.refinement
        or u.size
        or u.color
        or u.capacity
        or u.max_price_cents
        or u.sort
        or catalog_words
        or SHOPPING.search(low)
    ):
        u.intent = Intent.FIND_PRODUCT
    elif OUT_OF_SCOPE.search(low) or u.injection:
        u.intent = Intent.OUT_OF_SCOPE
    elif u.query:
        # Unknown words but not obviously off-topic: let search decide (it may find
        # the product by description words, or say nothing matched).
        u.intent = Intent.FIND_PRODUCT
    if (
        u.intent == Intent.FIND_PRODUCT
        and (u.reference or u.ordinal is not None)
        and not (u.refinement or u.size or u.color or u.capacity or u.max_price_cents)
        and not catalog_words
        and not u.query
    ):
        u.intent = Intent.PRODUCT_INFO
    # Accessories: a loyalty number said alone, "what else do I need?" about nothing new,
    # or what goes with something named ("what goes with the tent?").
    if (
        u.loyalty_only
        or (u.suggestions and not (u.products or u.category or u.kind))
        or (ACCESSORIES.search(low) and u.intent not in (Intent.CALL_STAFF, Intent.COMPARE))
    ):
        u.intent = Intent.RECOMMEND
    return u


_FILLER = GRAMMAR_WORDS | {"hi", "hello", "hey", "here", "thanks", "thank", "please", "ok"}


def only_filler(text: str) -> bool:
    """Nothing asked besides what was already understood ('hi, my number is 7')."""
    return all(w in _FILLER for w in re.findall(r"[a-z']+", text.lower()))


# Words that filled a slot or carry no product meaning; not sent to search.
_SLOT_WORDS = (
    GRAMMAR_WORDS
    | SHOPPING_WORDS
    | frozenset(
        "anything best carry first good how last new nice other prices pricier recommend same "
        "second suggest them they third".split()
    )
)


def kind_of(name: str, kind: str | None) -> bool:
    """Whether a product name is of the asked type ("boot" matches "Hiking Boots")."""
    if not kind:
        return True
    return any(singular(w) == kind for w in words(name))


def model_intent(chat: ChatModel, u: Understanding, *, timeout_s: float) -> Intent | None:
    """Grammar-constrained intent from the model, for what the rules couldn't place.

    None when the model fails or answers nothing usable: the rules' intent stands.
    """
    grammar = "root ::= " + " | ".join(f'"{i.value}"' for i in Intent)
    try:
        out = chat.complete(
            [
                Message(
                    "system",
                    "Classify the shop kiosk request. Answer with one intent: "
                    + ", ".join(i.value for i in Intent)
                    + ".",
                ),
                Message("user", u.request[:300]),
            ],
            max_tokens=24,
            temperature=0.0,
            grammar=grammar,
            timeout_s=timeout_s,
        )
    except KioskError as exc:
        log.warning("model intent failed [%s]: %s", exc.code, exc.message)
        return None
    try:
        return Intent(out.strip().strip('"'))
    except ValueError:
        return None
