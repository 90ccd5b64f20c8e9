"""Rules and the classifier, each where it wins.

The rules read what the catalog and a few fixed phrasings make certain: prices,
sizes, colours, tiers, "start over", a loyalty number, "talk to a person". A request
carrying one of those keeps the rules' intent; the product, category and brand names
they find stay in the slots whoever decides, and keep a request from being called
`out_of_scope`. The rules are unsure when they fell
through to `out_of_scope`, or to `find_product` on a word the catalog doesn't have
("how long do I have to take something back?" searched for "long take back"), or
when only a category word placed the request ("this tent ripped, I'm not happy"):
there the classifier, trained on thousands of labelled requests, decides if it is
sure enough. Thresholds are measured (README: "Learned intents"), not guessed.
"""

from __future__ import annotations

import logging

from kiosk.assistant.intents.model import IntentModel, Prediction
from kiosk.assistant.reply import Intent
from kiosk.assistant.understand import Greeting, Understanding
from kiosk.llm.base import LLMError
from kiosk.llm.embed import Embedder

log = logging.getLogger(__name__)

# The classifier's probability needed to replace the rules' intent, by how sure the
# rules were (measured on the held-out Bitext rows and the understanding tests).
UNSURE = 0.5  # rules fell through: out_of_scope, or find_product on no catalog word
CATEGORY_ONLY = 0.8  # find_product only for a catalog word (category, brand, product)
PATTERN = 0.95  # rules matched a phrasing (policy word, "where", "compare")
# Intents whose rule phrasings are specific enough to stand ("talk to a person", "hi").
FINAL = frozenset({Intent.CALL_STAFF, Intent.GREETING})
# Intents about a product: the classifier may choose them only when the request names
# one (or points at the one on screen); "what's good for a first-time backpacker?" is
# a search, not accessories for nothing, and "somewhere to sit at the campsite" is a
# search for a chair, not the way to a place.
ABOUT_A_PRODUCT = frozenset(
    {Intent.RECOMMEND, Intent.PRODUCT_INFO, Intent.COMPARE, Intent.PRODUCT_LOCATION}
)


def hard_evidence(u: Understanding) -> bool:
    """What only the rules read right: the request's numbers, sizes, colours, tiers and
    fixed phrasings. (A product name is evidence of what, not of which intent: "TrailMaster
    or Alpine Explorer, which should I pick?" is a comparison the rules miss.)"""
    return bool(
        u.min_price_cents is not None
        or u.max_price_cents is not None
        or u.sort
        or u.size
        or u.color
        or u.capacity
        or u.membership
        or u.refinement == "cheaper"  # "pricier" may be only "best"
        or u.ordinal is not None
        or u.loyalty_number
        or u.start_over
        or u.injection
        or u.suggestions
    )


def needed(u: Understanding) -> float | None:
    """The probability the classifier needs to overrule the rules here; None: it can't
    (then the request isn't even embedded)."""
    if hard_evidence(u) or u.intent in FINAL:
        return None
    fell_through = u.intent == Intent.OUT_OF_SCOPE or (
        u.intent == Intent.FIND_PRODUCT and not catalog_named(u) and not u.kind
    )
    if fell_through:
        # One or two words ("kayak", "thx") say too little for the vectors to be sure.
        return PATTERN if len(u.words) <= 2 else UNSURE
    if u.intent == Intent.FIND_PRODUCT:
        # Only catalog words placed it: a search, unless the classifier is sure it is
        # something else about them (where they are, a comparison, a complaint).
        return CATEGORY_ONLY
    return PATTERN


def classify(u: Understanding, model: IntentModel, embedder: Embedder) -> Understanding:
    """The rules' understanding, with the classifier's intent where it wins.

    The embedding failing (a closed or broken model) costs nothing: the rules stand.
    """
    if needed(u) is None:
        return u
    try:
        vector = embedder.embed_query(u.request or u.text)
    except LLMError as exc:
        log.warning("intent classifier skipped [%s]: %s", exc.code, exc.message)
        return u
    return route(u, model.predict(vector)[0])


def route(u: Understanding, p: Prediction) -> Understanding:
    """Set the classifier's intent on `u` where it wins, with the slots its handler reads."""
    threshold = needed(u)
    if threshold is None or p.p < threshold or p.intent == u.intent:
        return u
    intent = Intent(p.intent)
    if catalog_named(u) and intent == Intent.OUT_OF_SCOPE:
        return u  # the store sells what was named: let search answer, not a refusal
    if intent in ABOUT_A_PRODUCT and not (catalog_named(u) or u.kind or u.reference):
        return u  # "what goes with ...?" about nothing: the rules' answer serves better
    u.intent = intent
    u.intent_by = "classifier"
    u.intent_p = round(p.p, 3)
    if intent == Intent.STORE_POLICY and u.policy_topic is None:
        u.policy_topic = p.topic
    elif intent == Intent.FEEDBACK and p.topic == "complaint":
        u.complaint = True
    elif intent == Intent.GREETING and p.topic:
        u.greeting = Greeting(p.topic)
    return u


def catalog_named(u: Understanding) -> bool:
    return bool(u.products or u.category or u.brand)
