"""Sentiment and aspects of reviews and shopper comments, by a lexicon of our own.

No model: the bundled 135M LLM can't tell "not comfortable" from "comfortable", and
a kiosk must not download one. The scorer is VADER-shaped (Hutto & Gilbert 2014):
word valences, intensifiers ("very", "a bit"), negation of the next few words ("not
comfortable", "never let me down"), "but"/"however" shifting the weight to what
follows, and "I wish it had ..." read as a mild complaint. Each clause's score is
attributed to the aspects it mentions (setup, waterproofing, comfort, ...), so one
review can praise the comfort and fault the zippers.
"""

from __future__ import annotations

import math
import re
import statistics
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from kiosk.catalog.records import Review

# Word -> valence, about -3..3. Words of outdoor-gear reviews and shop comments.
_POSITIVE = {
    3.0: "amazing awesome excellent exceptional fantastic flawless flawlessly incredible "
    "love loved loves outstanding perfect perfectly superb thrilled wonderful "
    "lifesaver impeccable phenomenal",
    2.0: "best great impressed impressive happy recommend recommended reliable satisfied "
    "sturdy durable comfortable comfy cozy excellent delighted enjoy enjoyed pleased "
    "effective effectively efficient exceeded helpful friendly breeze effortless "
    "effortlessly spacious roomy dry brilliant beautiful bonus plus favourite favorite "
    "confidence confidently admirably smoothly top-notch well-built well-designed "
    "well-made high-quality waterproof warm versatile must-have essential",
    1.0: "good nice fine like liked likes easy easily quick quickly convenient handy useful "
    "solid lightweight light compact portable sturdy stable secure snug "
    "affordable value worth ample plenty breathable consistent precise steady "
    "cool clean smooth strong protection protects support supportive cushioned padded "
    "fit fits ideal works worked helps keeps kept performed performs",
}
# Lukewarm words: in reviews, whose language leans enthusiastic, "decent" and
# "adequate" mark a reviewer less pleased than most (typically 3 stars).
_LUKEWARM = "decent okay ok adequate sufficient fair functional average acceptable passable"
_NEGATIVE = {
    -3.0: "terrible awful horrible useless worst broke broken disappointing disappointed "
    "hate hated garbage junk defective unusable rude",
    -2.0: "bad poor flimsy leak leaked leaks leaking soaked uncomfortable difficult "
    "frustrating frustrated annoying cheaply fell falls failed fails fail ripped tore "
    "torn unhelpful slow unreliable overpriced expensive rough wet damp",
    -1.0: "heavy bulky snag snags snagged stuck sticks tricky finicky challenging hard "
    "cramped tight small short long underwhelming lacking lacks lack drawback downside "
    "issue issues problem problems complaint cold chilly noisy loose seeped "
    "uneven wobbly stiff mediocre hassle unfortunately struggle struggled "
    "improvement improve improved flaw flaws",
    -0.5: "wish only though",
}
# Multi-word cues, matched before words (their words then don't count again).
_PHRASES = {
    "mixed feelings": -2.0,
    "room for improvement": -1.5,
    "could be improved": -1.5,
    "could be better": -1.5,
    "could use": -1.0,
    "could also use": -1.0,
    "would have liked": -1.0,
    "falls short": -2.0,
    "fell short": -2.0,
    "less durable than expected": -2.0,
    "than expected": -0.5,
    "not worth": -2.0,
    "gets the job done": 0.5,
    "game changer": 2.0,
    "game-changer": 2.0,
    "exceeded my expectations": 3.0,
    "exceeded expectations": 3.0,
    "highly recommend": 3.0,
    "never let me down": 2.5,
    "never disappointed": 2.5,
    "has never disappointed": 2.5,
    "hands down": 1.0,
    "a must": 1.5,
    "value for the price": 1.5,
    "for the price": -0.5,
    "for its price": -0.5,
    "isn't my favorite": -1.0,
    "isn't my favourite": -1.0,
    "just isn't": -1.0,
    "runs small": -1.5,
    "runs large": -1.5,
    "took some time to break in": -1.0,
    "took a bit of breaking in": -1.0,
    "break in": -0.5,
    "only thing": -0.5,
    "only downside": -1.0,
    "only drawback": -1.0,
    "only improvement": -0.5,
    "kept me dry": 2.0,
    "kept us dry": 2.0,
    "keeps me dry": 2.0,
    "kept me warm": 2.0,
    "a bit": 0.0,  # handled as a dampener; listed so its words don't score
    "a little": 0.0,
}
INTENSIFIERS = {
    "very": 1.3,
    "really": 1.3,
    "extremely": 1.5,
    "incredibly": 1.5,
    "super": 1.4,
    "so": 1.2,
    "highly": 1.4,
    "absolutely": 1.5,
    "truly": 1.3,
    "totally": 1.3,
    "completely": 1.3,
    "quite": 1.1,
    "too": 1.3,
    "slightly": 0.5,
    "somewhat": 0.6,
    "bit": 0.5,
    "little": 0.6,
    "occasionally": 0.7,
    "sometimes": 0.7,
    "fairly": 0.8,
}
NEGATIONS = frozenset(
    "not no never nothing none nor neither without isn't wasn't aren't weren't don't "
    "doesn't didn't can't cannot couldn't won't wouldn't shouldn't hardly barely".split()
)
CONTRAST = frozenset("but however although though yet except".split())
NEGATIVE_WEIGHT = 1.5

# Aspect -> its cues, comma-separated; a cue matches at a word start ("ignit" finds
# "ignition" and "ignites").
_ASPECT_CUES = {
    "setup": "set up, setup, set-up, assemble, assembly, pitch, install, put together, "
    "take down, fold, folds, foldable, ignit, igniter",
    "waterproofing": "waterproof, water-resistant, water resistant, rain, dry, wet, moisture, "
    "leak, seam, downpour, showers, repels",
    "comfort": "comfort, comfortable, uncomfortable, cushion, padded, padding, support, cozy, "
    "soft, ergonomic, back panel, armrest",
    "price/value": "price, value, affordable, expensive, cheap, worth, money, investment, "
    "budget, overpriced",
    "durability": "durable, durability, sturdy, flimsy, well-built, last, lasting, stitching, "
    "broke, torn, rugged, held up, zipper, construction, reinforc",
    "weight": "lightweight, light, heavy, weight, bulky, packs down, compact, portable, carry",
    "warmth": "warm, warmth, cold, insulation, chilly, heat, temperature, cozy",
    "size/fit": "size, sizing, fit, snug, spacious, roomy, room, tight, too long, too short, "
    "small, large, space, cramped",
    "quality": "quality, material, materials, well-made, well made, build, fabric, "
    "craftsmanship, feel",
}
ASPECTS: dict[str, tuple[str, ...]] = {
    aspect: tuple(c.strip() for c in cues.split(",")) for aspect, cues in _ASPECT_CUES.items()
}

_WORD = re.compile(r"[a-z]+(?:[-'\u2019][a-z]+)*")
_SENTENCE = re.compile(r"(?<=[.!?;])\s+")
_CONCESSION = re.compile(r"\b(?:while|whilst|although|though|despite)\b([^,.;]*),", re.I)
_CLAUSE_SPLIT = re.compile(r",?\s+\b(?:but|however|although|though|yet)\b,?\s*|;\s*", re.I)


def _lexicon() -> dict[str, float]:
    out: dict[str, float] = {}
    for table in (_POSITIVE, _NEGATIVE):
        for value, text in table.items():
            for w in text.split():
                out.setdefault(w, value)
    for w in _LUKEWARM.split():
        out[w] = -0.5
    return out


LEXICON = _lexicon()


@dataclass(frozen=True)
class Sentiment:
    """A text's score in -1..1 and its aspects: aspect -> clause scores."""

    score: float
    aspects: dict[str, list[float]] = field(default_factory=dict)

    @property
    def label(self) -> str:
        return label_of(self.score)


def label_of(score: float, band: float = 0.05) -> str:
    return "positive" if score > band else "negative" if score < -band else "neutral"


def _normalize(x: float, alpha: float = 6.0) -> float:
    """VADER's squash of a raw sum into -1..1."""
    return x / math.sqrt(x * x + alpha)


def _tokens(text: str) -> list[str]:
    return _WORD.findall(text.lower().replace("\u2019", "'"))


def _phrase_scores(text: str) -> tuple[str, float]:
    """Score multi-word cues and blank them out of the text."""
    total = 0.0
    low = " " + text.lower().replace("\u2019", "'") + " "
    for phrase, value in sorted(_PHRASES.items(), key=lambda kv: -len(kv[0])):
        pattern = re.compile(rf"\b{re.escape(phrase)}\b")
        hits = len(pattern.findall(low))
        if hits:
            negated = re.search(rf"\b(not|never|n't)\s+{re.escape(phrase)}", low)
            total += hits * value * (-0.5 if negated and value > 0 else 1.0)
            keep = " bit " if phrase in ("a bit", "a little") else " "
            low = pattern.sub(keep, low)
    return low, total


def clause_score(text: str) -> float:
    """Raw (unsquashed) valence of one clause."""
    low, total = _phrase_scores(text)
    tokens = _tokens(low)
    wish_at = tokens.index("wish") if "wish" in tokens else len(tokens)
    for i, tok in enumerate(tokens):
        value = LEXICON.get(tok)
        if value is None or tok in INTENSIFIERS:
            continue
        if i > wish_at and value > 0:
            # "I wish it had more pockets": what is wished for is missing, not praised.
            value = -0.3
        scale = 1.0
        window = tokens[max(0, i - 3) : i]
        for j, prev in enumerate(window):
            if prev in INTENSIFIERS:
                scale *= INTENSIFIERS[prev]
            if prev in NEGATIONS and not (prev == "no" and j == len(window) - 1 and value < 0):
                # "not comfortable" flips and weakens; "no problems" flips a complaint.
                scale *= -0.6 if value > 0 else -0.8
        value *= scale
        # Review language leans positive: a complaint weighs more than a compliment.
        total += value * NEGATIVE_WEIGHT if value < 0 else value
    return total


def _clauses(sentence: str) -> list[tuple[str, float]]:
    """A sentence's clauses with weights: a concession ("while it's light, ...") and
    what comes before "but"/"however" count less, what follows counts more, and a
    verdict ("Overall, ...") more again."""
    verdict = (
        1.3
        if re.match(r"\s*(overall|all in all|in short|in conclusion)\b", sentence, re.I)
        else 1.0
    )
    out: list[tuple[str, float]] = []
    concession = _CONCESSION.search(sentence)
    if concession:
        out.append((concession.group(1), 0.5 * verdict))
        sentence = sentence[: concession.start()] + " " + sentence[concession.end() :]
    parts = [p for p in _CLAUSE_SPLIT.split(sentence) if p.strip()]
    if len(parts) == 1:
        return [*out, (parts[0], verdict)]
    return out + [(p, (0.6 if k < len(parts) - 1 else 1.4) * verdict) for k, p in enumerate(parts)]


def aspects_in(text: str) -> list[str]:
    low = " " + text.lower() + " "
    return [
        aspect
        for aspect, cues in ASPECTS.items()
        if any(re.search(rf"\b{re.escape(c)}", low) for c in cues)
    ]


def score_text(text: str) -> Sentiment:
    """Sentiment of one review or comment, with per-aspect clause scores."""
    total = 0.0
    aspects: dict[str, list[float]] = {}
    for sentence in _SENTENCE.split(text.strip()):
        if not sentence.strip():
            continue
        # "Overall, it's ..." and the last sentence are the reviewer's verdict.
        for clause, weight in _clauses(sentence):
            raw = clause_score(clause) * weight
            total += raw
            for aspect in aspects_in(clause):
                aspects.setdefault(aspect, []).append(raw)
    return Sentiment(round(_normalize(total), 4), aspects)


# -- per product and the check against stars ------------------------------------------


def rating_class(rating: int) -> str:
    """Stars as a class: 4-5 positive; 1-3 not positive.

    3 stars join 1-2 rather than being dropped: the Contoso reviews have no 1-2
    star reviews at all, so with 3 stars excluded every review is positive and an
    agreement figure would say nothing (always guessing "positive" would score 100%).
    The 3-star reviews there are lukewarm with complaints ("decent, but ...").
    """
    return "positive" if rating >= 4 else "not positive"


def predicted_class(score: float) -> str:
    """The scorer's sign: above zero is positive. Zero is the scale's own middle, not fitted."""
    return "positive" if score > 0 else "not positive"


def aspect_summary(sentiments: Iterable[Sentiment], top: int = 3) -> list[dict[str, Any]]:
    """The most mentioned aspects with how many mentions were good and bad."""
    good: dict[str, int] = {}
    bad: dict[str, int] = {}
    mentions: dict[str, int] = {}
    for s in sentiments:
        for aspect, scores in s.aspects.items():
            mentions[aspect] = mentions.get(aspect, 0) + 1
            mean = sum(scores) / len(scores)
            if mean > 0.05:
                good[aspect] = good.get(aspect, 0) + 1
            elif mean < -0.05:
                bad[aspect] = bad.get(aspect, 0) + 1
    ranked = sorted(mentions.items(), key=lambda kv: (-kv[1], kv[0]))[:top]
    return [
        {"aspect": a, "mentions": n, "good": good.get(a, 0), "bad": bad.get(a, 0)}
        for a, n in ranked
    ]


@dataclass(frozen=True)
class ProductSentiment:
    product_id: str
    name: str
    reviews: int
    average_rating: float | None
    sentiment: float
    aspects: list[dict[str, Any]]

    def to_json(self) -> dict[str, Any]:
        return {
            "product_id": self.product_id,
            "name": self.name,
            "reviews": self.reviews,
            "average_rating": self.average_rating,
            "sentiment": self.sentiment,
            "aspects": self.aspects,
        }


def product_sentiment(product_id: str, name: str, reviews: Sequence[Review]) -> ProductSentiment:
    scored = [score_text(r.body) for r in reviews]
    ratings = [r.rating for r in reviews if r.rating is not None]
    return ProductSentiment(
        product_id,
        name,
        len(reviews),
        round(sum(ratings) / len(ratings), 2) if ratings else None,
        round(statistics.fmean(s.score for s in scored), 3) if scored else 0.0,
        aspect_summary(scored),
    )


@dataclass(frozen=True)
class Agreement:
    """How well the scorer's sign matches the stars, next to what guessing gets."""

    reviews: int
    accuracy: float  # positive (4-5 stars) vs not positive (1-3), sign of the score
    majority_baseline: float  # always guessing the commonest class
    majority_class: str
    balanced_accuracy: float  # mean recall of the two classes; chance = 50%
    classes: dict[str, int]
    pairwise: float  # P(a higher-rated review scores higher than a lower-rated one)
    mean_score_by_stars: dict[str, float]  # "5" -> mean score
    confusion: dict[str, dict[str, int]]

    def to_json(self) -> dict[str, Any]:
        return {k: getattr(self, k) for k in self.__dataclass_fields__}

    def describe(self) -> str:
        return (
            f"sentiment sign vs stars on {self.reviews} reviews (4-5 positive, 1-3 not): "
            f"{self.accuracy:.0%} agree; always '{self.majority_class}': "
            f"{self.majority_baseline:.0%}; balanced {self.balanced_accuracy:.0%} (chance 50%); "
            f"higher stars score higher in {self.pairwise:.0%} of pairs (chance 50%)"
        )


def agreement(reviews: Iterable[Review]) -> Agreement:
    """Compare the scorer with the reviews' own stars (see `rating_class`).

    Also a ranking figure: of two reviews with different stars, how often the
    higher-rated one scores higher (ties count half); it needs no threshold.
    """
    rated = [(r.rating, score_text(r.body).score) for r in reviews if r.rating is not None]
    if not rated:
        return Agreement(0, 0.0, 0.0, "", 0.0, {}, 0.0, {}, {})
    truth = [rating_class(r) for r, _ in rated]
    guess = [predicted_class(s) for _, s in rated]
    classes: dict[str, int] = {}
    for t in truth:
        classes[t] = classes.get(t, 0) + 1
    majority = max(classes, key=lambda c: classes[c])
    confusion: dict[str, dict[str, int]] = {}
    for t, g in zip(truth, guess, strict=True):
        confusion.setdefault(t, {}).setdefault(g, 0)
        confusion[t][g] += 1
    recalls = [confusion[c].get(c, 0) / n for c, n in classes.items()]
    pairs = wins = 0.0
    for i, (ri, si) in enumerate(rated):
        for rj, sj in rated[i + 1 :]:
            if ri == rj:
                continue
            pairs += 1
            hi, lo = (si, sj) if ri > rj else (sj, si)
            wins += 1.0 if hi > lo else 0.5 if hi == lo else 0.0
    by_stars: dict[int, list[float]] = {}
    for r, sc in rated:
        by_stars.setdefault(r, []).append(sc)
    n = len(rated)
    return Agreement(
        reviews=n,
        accuracy=round(sum(t == g for t, g in zip(truth, guess, strict=True)) / n, 4),
        majority_baseline=round(classes[majority] / n, 4),
        majority_class=majority,
        balanced_accuracy=round(statistics.fmean(recalls), 4),
        classes=classes,
        pairwise=round(wins / pairs, 4) if pairs else 0.0,
        mean_score_by_stars={
            str(k): round(statistics.fmean(v), 3) for k, v in sorted(by_stars.items())
        },
        confusion=confusion,
    )


def feedback_sentiment(comments: Iterable[str]) -> dict[str, Any]:
    """Shoppers' comments (the feedback table): counts by label, mean, aspects, examples."""
    texts = [c for c in comments if c.strip()]
    scored = [score_text(t) for t in texts]
    labels = {"positive": 0, "neutral": 0, "negative": 0}
    for s in scored:
        labels[s.label] += 1
    ranked = sorted(zip(scored, texts, strict=True), key=lambda st: st[0].score)
    return {
        "comments": len(texts),
        "mean": round(statistics.fmean(s.score for s in scored), 3) if scored else 0.0,
        "labels": labels,
        "aspects": aspect_summary(scored),
        "most_negative": [t for s, t in ranked[:3] if s.score < 0],
        "most_positive": [t for s, t in reversed(ranked[-3:]) if s.score > 0],
    }
