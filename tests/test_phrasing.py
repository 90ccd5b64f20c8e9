"""Issue 14: the model phrases replies only where it earns it, and never reflows a
reply being read.

- The misleading-judge of `kiosk bench phrasing` agrees with openers rated by hand
  (tests/data/phrasing_rated.jsonl).
- Defaults follow the bench: templates, and `kiosk doctor` says so; a default reply to
  a policy question states the terms and nothing before them.
- Phrasing that is ready after the facts have been on screen longer than
  `assistant.phrasing_wait_s` is dropped (a stand-in server plays a slow model: a
  real one can't be made to write an accepted sentence on demand).
- `kiosk bench phrasing` prints accepted and misleading rates per model and mode.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path

import pytest

from kiosk.assistant.judge import misleading
from kiosk.assistant.pipeline import Assistant
from kiosk.assistant.session import Session
from kiosk.bench import phrasing_bench
from kiosk.catalog.repository import Catalog
from kiosk.config import Config, PhrasingMode, load
from kiosk.llm.loader import load_chat_model
from kiosk.ops.doctor import check_phrasing
from tests.conftest import DATA
from tests.standin_llm import StandInModel

RATED = [json.loads(line) for line in (DATA / "phrasing_rated.jsonl").read_text().splitlines()]


@pytest.fixture
def standin() -> Iterator[StandInModel]:
    with StandInModel() as server:
        yield server


def test_the_rated_set_has_both_kinds_for_every_intent_it_covers() -> None:
    assert len(RATED) >= 30
    by_intent: dict[str, set[bool]] = {}
    for row in RATED:
        by_intent.setdefault(row["intent"], set()).add(row["misleading"])
    assert all(kinds == {True, False} for kinds in by_intent.values()), by_intent


@pytest.mark.parametrize("row", RATED, ids=[r["opener"][:40] for r in RATED])
def test_the_judge_agrees_with_the_rated_openers(row: dict[str, object]) -> None:
    opener, template = str(row["opener"]), str(row["template"])
    why = misleading(f"{opener} {template}", template, str(row["intent"]))
    assert bool(why) == row["misleading"], (opener, row["why"], why)


def test_templates_are_the_default_and_doctor_says_so() -> None:
    cfg = load(env={})
    assert cfg.assistant.phrasing == PhrasingMode.OFF
    (check,) = check_phrasing(cfg)
    assert check.status == "ok" and "templates" in check.detail
    on = load(env={"KIOSK_ASSISTANT_PHRASING": "lead"})
    assert "model phrases" in check_phrasing(on)[0].detail


def test_a_default_policy_reply_states_the_terms_and_nothing_before_them(
    demo_catalog: Catalog,
) -> None:
    bot = Assistant(demo_catalog, load(env={}), None)
    reply = bot.turn(Session(), "what is your return policy")
    assert reply.phrasing == "template"
    assert reply.text.startswith("Returns depend on the product")
    assert "30 days" in reply.text and not misleading(reply.text, reply.text, reply.intent)


def _remote(url: str, wait_s: float) -> Config:
    return load(
        env={
            "KIOSK_LLM_BACKEND": "remote",
            "KIOSK_LLM_URL": url,
            "KIOSK_ASSISTANT_PHRASING": "lead",
            "KIOSK_ASSISTANT_PHRASING_WAIT_S": str(wait_s),
        }
    )


def test_phrasing_in_time_replaces_the_facts_on_screen(
    demo_catalog: Catalog, standin: StandInModel
) -> None:
    standin.reply = "Here is what we have."
    cfg = _remote(standin.url, wait_s=5.0)
    shown: list[str] = []
    reply = Assistant(demo_catalog, cfg, load_chat_model(cfg)).turn(
        Session(), "do you have tents?", on_chunk=shown.append
    )
    assert reply.phrasing == "llm"
    assert reply.text.startswith("Here is what we have.") and shown[-1] == reply.text
    assert not shown[0].startswith("Here is"), "the facts were shown first"


def test_phrasing_that_comes_too_late_is_dropped_not_reflowed(
    demo_catalog: Catalog, standin: StandInModel
) -> None:
    standin.reply = "Here is what we have."
    standin.delay_s = 0.6
    cfg = _remote(standin.url, wait_s=0.2)
    shown: list[str] = []
    reply = Assistant(demo_catalog, cfg, load_chat_model(cfg)).turn(
        Session(), "do you have tents?", on_chunk=shown.append
    )
    assert reply.phrasing == "llm_late"
    assert reply.late_text is not None and reply.late_text.startswith("Here is what we have.")
    assert set(shown) == {reply.text}, "the screen kept the facts it showed"
    assert not reply.text.startswith("Here is")
    # `kiosk ask` shows nothing before the end of the turn: no lateness to judge.
    plain = Assistant(demo_catalog, cfg, load_chat_model(cfg)).turn(Session(), "do you have tents?")
    assert plain.phrasing == "llm"


@pytest.mark.slow
def test_bench_phrasing_prints_rates_per_model_and_mode(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    cfg = load(env={"KIOSK_HOME": str(tmp_path), "KIOSK_LLM_N_THREADS": "2"})
    assert phrasing_bench.run(cfg, limit=6) == 0
    out = capsys.readouterr().out
    rows = re.findall(
        r"^(\S.*?), (lead|full)\s+(\d+)\s+(\d+)%\s+([\d.]+)%.*(meets|below)$", out, re.M
    )
    assert {r[1] for r in rows} == {"lead", "full"}, out
    assert all(int(r[2]) == 6 for r in rows), out


def test_the_turn_set_is_at_least_100_turns_from_the_store(demo_catalog: Catalog) -> None:
    turns = phrasing_bench.turn_set(demo_catalog)
    assert len(turns) >= 100 and len(set(turns)) == len(turns)
    assert any("TrailMaster X4 Tent" in t for t in turns)


def test_a_rewrite_that_drops_a_fact_is_counted_as_omitting() -> None:
    """A shorter true rewrite passes the check; the bench still counts what it lost."""
    from kiosk.assistant.judge import omissions

    template = (
        "Camping Stoves are in aisle 6: the EcoFire Camping Stove, $80, on shelf A; "
        "the PowerBurner Camping Stove, $100, on shelf B."
    )
    assert omissions(
        "The EcoFire is $80 on shelf A; the PowerBurner, $100, shelf B.", template
    ) == ["aisle 6"]
    assert omissions(f"Here you go. {template}", template) == []
