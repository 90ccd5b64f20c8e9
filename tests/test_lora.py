"""`llm.lora`: a LoRA adapter made in this run changes what the bundled model says, and a
missing or wrong adapter is one clear line (and templates), in the loader and in doctor."""

from __future__ import annotations

from pathlib import Path

import pytest

from kiosk import models
from kiosk.config import Config, describe, load
from kiosk.llm.adapter import inspect_adapter
from kiosk.llm.base import ChatModel, LLMError, Message
from kiosk.llm.loader import load_chat_model, load_or_templates
from kiosk.ops.doctor import check_lora
from tests.tiny_lora import write_lora

PROMPT = [Message("user", "Tell me about tents for a family trip.")]


def _cfg(**env: str) -> Config:
    return load(env={"KIOSK_LLM_N_THREADS": "2", "KIOSK_LLM_TIMEOUT_S": "600", **env})


@pytest.fixture(scope="module")
def base() -> Path:
    return models.resolve(_cfg(), "llm")


@pytest.fixture(scope="module")
def adapter(base: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_lora(base, tmp_path_factory.mktemp("lora") / "tiny-lora.gguf")


def _greedy(model: ChatModel | None) -> str:
    assert model is not None
    try:
        return model.complete(PROMPT, max_tokens=24, temperature=0.0)
    finally:
        model.close()


def test_config_documents_the_adapter_keys() -> None:
    rows = {key: doc for key, _value, doc, _range in describe(load(env={}))}
    assert "LoRA" in rows["llm.lora"] and "convert_lora_to_gguf" in rows["llm.lora"]
    assert "llm.lora" in rows["llm.lora_scale"]


def test_the_adapter_file_is_what_llama_cpp_expects(adapter: Path, base: Path) -> None:
    info = inspect_adapter(adapter, base)
    assert (info.architecture, info.rank, info.alpha) == ("llama", 4, 8.0)
    assert "blk.0.attn_q.weight" in info.targets and len(info.targets) == 12


@pytest.mark.slow
def test_an_adapter_changes_the_greedy_output(adapter: Path) -> None:
    """Same prompt, greedy decoding, the kiosk's own loader: with the adapter the text differs;
    at scale 0 the adapter is loaded but adds nothing, so the text is the model's own."""
    plain = _greedy(load_chat_model(_cfg()))
    tuned_model = load_chat_model(_cfg(KIOSK_LLM_LORA=str(adapter)))
    assert tuned_model is not None and "LoRA tiny-lora.gguf" in tuned_model.device
    tuned = _greedy(tuned_model)
    off = _greedy(load_chat_model(_cfg(KIOSK_LLM_LORA=str(adapter), KIOSK_LLM_LORA_SCALE="0")))
    assert plain.strip() and tuned.strip()
    assert tuned != plain, (plain, tuned)
    assert off == plain


def _refused(tmp_path: Path, lora: Path) -> str:
    """The one line the loader reports for a bad adapter; it answers from templates."""
    lines: list[str] = []
    cfg = _cfg(KIOSK_LLM_LORA=str(lora), KIOSK_HOME=str(tmp_path / "home"))
    assert load_or_templates(cfg, report=lines.append) is None
    assert len(lines) == 1 and "\n" not in lines[0]
    assert str(lora) in lines[0] and "llm.lora" in lines[0]
    assert lines[0].endswith("answering from templates")
    doctor = check_lora(cfg)
    assert [c.status for c in doctor] == ["fail"] and str(lora) in doctor[0].detail
    assert "llm.lora" in doctor[0].fix
    return lines[0]


def test_a_missing_adapter(tmp_path: Path) -> None:
    assert "does not exist" in _refused(tmp_path, tmp_path / "nope.gguf")


def test_a_truncated_adapter(tmp_path: Path, adapter: Path) -> None:
    cut = tmp_path / "cut.gguf"
    cut.write_bytes(adapter.read_bytes()[:1000])
    assert "is not a readable GGUF" in _refused(tmp_path, cut)


def test_a_model_file_given_as_the_adapter(tmp_path: Path, base: Path) -> None:
    assert "general.type = 'model'" in _refused(tmp_path, base)


def test_an_adapter_for_another_architecture(tmp_path: Path, base: Path) -> None:
    other = write_lora(base, tmp_path / "gpt2.gguf", architecture="gpt2")
    line = _refused(tmp_path, other)
    assert "is for 'gpt2' models" in line and base.name in line


def test_an_adapter_for_a_model_of_another_size(tmp_path: Path, base: Path) -> None:
    """llama.cpp itself refuses it ('incorrect shape'); the line names the tensor and why."""
    other = write_lora(base, tmp_path / "small.gguf", width=384)
    line = _refused(tmp_path, other)
    assert "does not fit" in line and "blk.0.attn_q.weight is [576, 576]" in line


def test_the_doctor_passes_a_good_adapter(adapter: Path, base: Path) -> None:
    [row] = check_lora(_cfg(KIOSK_LLM_LORA=str(adapter)))
    assert row.status == "ok", row
    assert f"fits {base.name}" in row.detail and "rank 4" in row.detail
    assert check_lora(_cfg()) == [], "no row when no adapter is configured"


def test_an_unreadable_adapter_is_an_llm_error(tmp_path: Path) -> None:
    junk = tmp_path / "junk.gguf"
    junk.write_bytes(b"GGUF" + b"\xff" * 64)
    with pytest.raises(LLMError) as caught:
        inspect_adapter(junk)
    assert caught.value.code == LLMError.UNAVAILABLE and str(junk) in caught.value.message
