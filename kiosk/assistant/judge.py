"""A second opinion on accepted phrasing: would a shopper be misled by it?

The fact check (checker.py) decides what may be shown. `kiosk bench phrasing` needs
to know how often what it let through still misleads, so this judge looks at the
accepted text beside the template reply it sits on, for what the check does not
parse as a claim: the tone of availability and refusal. "We're sorry, but we're
unable to assist with returns." in front of a return policy passes every fact check
(it names no product, price or place) and still tells the shopper the opposite of
the policy. Rules, kept simple and rated: tests/data/phrasing_rated.jsonl holds real
openers rated by hand, and a test keeps this judge in agreement with them.
"""

from __future__ import annotations

import re

from kiosk.assistant.reply import Intent, Reply

# The reply says the store can't, doesn't or won't: a refusal or an absence.
_REFUSAL = re.compile(
    r"\b(unable|can(?:no|')t|could(?:n't| not)|won't|will not|not able|no longer|"
    r"don't (?:have|carry|sell|offer|accept|do)|do not (?:have|carry|sell|offer|accept)|"
    r"doesn't|does not|not (?:available|possible|allowed|accepted)|unavailable|"
    r"(?:out of|no) stock|sold out|nothing|none|no (?:returns?|refunds?)|not (?:in|on) )",
    re.I,
)
# The reply says the store has it: availability.
_HAVE = re.compile(
    r"\b(we (?:do )?(?:have|carry|stock|sell)|(?:is|are) (?:in stock|available)|"
    r"in stock|available (?:now|today|here)|great (?:choice|selection|options?)|"
    r"plenty of)\b",
    re.I,
)
# Words that promise what no fact gives: guarantees, deals, certainty about the future.
_PROMISE = re.compile(
    r"\b(guarantee[ds]?|free (?:shipping|delivery|returns?)|discount|on sale|deal|"
    r"best price|cheapest|lowest price|always|never|forever|lifetime)\b",
    re.I,
)


def _template_negative(reply_text: str) -> bool:
    return bool(
        re.search(
            r"\b(don't have|we don't carry|don't carry|sorry, we|no .* (?:found|here))\b",
            reply_text,
            re.I,
        )
    )


def misleading(accepted: str, template: str, intent: Intent | str) -> list[str]:
    """Why `accepted` (text the check let through, minus the template it leads into)
    misleads a shopper who then reads `template`; [] if it does not."""
    text = accepted.strip()
    if template and text.endswith(template):
        text = text[: -len(template)].strip()
    if not text:
        return []
    why = []
    negative = _template_negative(template)
    intent = Intent(intent)
    low = template.lower()
    # A phrase the template says too ("out of stock" of the one product that is) is the
    # reply's own fact, not a contradiction of it.
    refusals = [m for m in _REFUSAL.finditer(text) if m.group(0).lower() not in low]
    if refusals and not negative:
        why.append("refuses or denies what the reply then gives")
    if any(m.group(0).lower() not in low for m in _HAVE.finditer(text)) and negative:
        why.append("says the store has what the reply says it hasn't")
    if intent == Intent.STORE_POLICY and re.search(r"\b(sorry|apolog|inconvenience)", text, re.I):
        why.append("apologises in front of a policy, as if refusing it")
    promise = _PROMISE.search(text)
    if promise and promise.group(0).lower() not in template.lower():
        why.append(f"promises {promise.group(0)!r}, which no fact says")
    return why


def judge_reply(reply: Reply, template: str) -> list[str]:
    """The judge on a finished turn whose model phrasing was accepted."""
    return misleading(reply.text, template, reply.intent)


_FACT_TOKEN = re.compile(
    r"\$\d{1,3}(?:,\d{3})*(?:\.\d\d)?|\baisle \w+|\bshelf \w+|\b\d+(?:\.\d+)?\b", re.I
)


def omissions(accepted: str, template: str) -> list[str]:
    """Facts the template states (prices, aisles, shelves, numbers) that a rewrite left
    out: the check accepts a shorter true reply, but "Camping stoves are on shelf A"
    without the aisle sends a shopper nowhere."""
    have = {t.lower() for t in _FACT_TOKEN.findall(accepted)}
    return sorted({t for t in _FACT_TOKEN.findall(template) if t.lower() not in have})
