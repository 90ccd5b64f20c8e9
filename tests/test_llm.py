"""The LLM engine on the real bundled model, and the remote backend on a real server."""

from __future__ import annotations

import dataclasses
import importlib.util
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from kiosk import models
from kiosk.bench.serve_bench import start_server, stop_server
from kiosk.config import Config, LLMConfig, PhrasingMode
from kiosk.llm.base import LLMError, Message
from kiosk.llm.loader import load_chat_model
from kiosk.llm.local import LocalLlama
from kiosk.llm.remote import RemoteChat, base_url

# About 300 tokens: long enough that evaluating it cold costs far more than a warm turn.
LONG_SYSTEM = (
    "You are the assistant of an outdoor store. You help shoppers find tents, backpacks, "
    "boots, jackets, sleeping bags, tables and stoves, and answer questions about them. "
) * 10
YES_NO = 'root ::= "\\"yes\\"" | "\\"no\\""'


def with_llm(cfg: Config, **changes: object) -> Config:
    """The LLM settings asked for, with the model phrasing replies (`lead`): these tests
    are about a model in use, and templates are the default."""
    cfg = dataclasses.replace(
        cfg, assistant=dataclasses.replace(cfg.assistant, phrasing=PhrasingMode.LEAD)
    )
    return dataclasses.replace(cfg, llm=dataclasses.replace(cfg.llm, **changes))  # type: ignore[arg-type]


def first_token_s(model: LocalLlama, messages: list[Message]) -> float:
    t = time.perf_counter()
    stream = model.stream(messages, max_tokens=4, temperature=0.0)
    next(stream)
    elapsed = time.perf_counter() - t
    stream.close()
    return elapsed


# ------------------------------------------------------------------ local


@pytest.mark.slow
def test_streams_several_chunks(bundled_llm: LocalLlama) -> None:
    chunks = list(bundled_llm.stream([Message("user", "Name three camping items.")], max_tokens=24))
    assert len(chunks) > 3
    assert "".join(chunks).strip()


@pytest.mark.slow
def test_grammar_constrains_output(bundled_llm: LocalLlama) -> None:
    for question in ("Is a tent used for camping?", "Do fish climb trees?"):
        out = bundled_llm.complete(
            [Message("user", f"{question} Answer yes or no.")], max_tokens=8, grammar=YES_NO
        )
        assert out in ('"yes"', '"no"')


@pytest.mark.slow
def test_invalid_grammar_is_an_error_not_a_crash(bundled_llm: LocalLlama) -> None:
    with pytest.raises(LLMError) as err:
        bundled_llm.complete([Message("user", "hi")], grammar='root ::= "yes | no')
    assert err.value.code == "llm_bad_output"
    assert bundled_llm.complete([Message("user", "hi")], max_tokens=4)  # still usable


@pytest.mark.slow
def test_warm_system_prompt_is_faster_to_first_token(
    llm_cfg: Config, bundled_llm: LocalLlama
) -> None:
    """Cold: a fresh model object. Warm: the long-lived one, system prompt evaluated before."""
    system = Message("system", LONG_SYSTEM)
    assert 250 <= bundled_llm.prompt_size([system]) <= 400
    fresh = LocalLlama(models.resolve(llm_cfg, "llm"), llm_cfg)
    try:
        cold = first_token_s(fresh, [system, Message("user", "Where are the tents?")])
    finally:
        fresh.close()
    bundled_llm.warm([system])
    warm = first_token_s(bundled_llm, [system, Message("user", "Where are the stoves?")])
    print(f"first token: cold {cold * 1000:.0f} ms, warm {warm * 1000:.0f} ms")
    assert warm < cold


@pytest.mark.slow
def test_context_overflow_is_a_clear_error(llm_cfg: Config) -> None:
    small = LocalLlama(models.resolve(llm_cfg, "llm"), with_llm(llm_cfg, n_ctx=256))
    try:
        with pytest.raises(LLMError) as err:
            small.complete([Message("system", LONG_SYSTEM), Message("user", "hi")], max_tokens=16)
        assert err.value.code == "llm_context_overflow"
        assert "llm.n_ctx" in err.value.message
        # A prompt that fits, but not with this many reply tokens, is refused too.
        with pytest.raises(LLMError) as err:
            small.complete([Message("user", "hi")], max_tokens=250)
        assert err.value.code == "llm_context_overflow"
        assert small.complete([Message("user", "hi")], max_tokens=8)  # and the model lives on
    finally:
        small.close()


@pytest.mark.slow
def test_timeout(bundled_llm: LocalLlama) -> None:
    t = time.perf_counter()
    with pytest.raises(LLMError) as err:
        bundled_llm.complete(
            [Message("user", "Write a long story about tents.")], max_tokens=500, timeout_s=0.2
        )
    assert err.value.code == "llm_timeout"
    assert time.perf_counter() - t < 2
    assert bundled_llm.complete([Message("user", "hi")], max_tokens=4)  # lock released


@pytest.mark.slow
def test_truncated_model_file_names_the_file(llm_cfg: Config, tmp_path: Path) -> None:
    bad = tmp_path / "broken.gguf"
    with models.resolve(llm_cfg, "llm").open("rb") as src:
        bad.write_bytes(src.read(1_000_000))
    with pytest.raises(LLMError) as err:
        LocalLlama(bad, llm_cfg)
    assert err.value.code == "llm_unavailable"
    assert str(bad) in err.value.message


@pytest.mark.slow
def test_load_reports_progress_and_device(llm_cfg: Config) -> None:
    said: list[str] = []
    model = load_chat_model(llm_cfg, progress=said.append)
    assert isinstance(model, LocalLlama)
    model.close()
    model.close()  # twice is fine
    assert said[0] == "loading SmolLM2-135M-Instruct.Q4_1.gguf (98 MB)…"
    assert said[1].startswith("loaded in ") and said[1].endswith(" s on CPU (2 threads)")
    assert model.device == "CPU x2 threads"
    with pytest.raises(LLMError) as err:
        model.complete([Message("user", "hi")])
    assert err.value.code == "llm_unavailable"


@pytest.mark.slow
def test_prompt_size(bundled_llm: LocalLlama) -> None:
    two = bundled_llm.prompt_size([Message("system", "Be brief."), Message("user", "hi")])
    assert two > 5


def test_import_is_cheap() -> None:
    code = "import sys, kiosk.llm; assert 'llama_cpp' not in sys.modules, 'llama_cpp imported'"
    subprocess.run([sys.executable, "-c", code], check=True)


def test_backend_none_loads_nothing(llm_cfg: Config) -> None:
    assert load_chat_model(with_llm(llm_cfg, backend="none")) is None


def test_llm_config_defaults_are_documented() -> None:
    for f in dataclasses.fields(LLMConfig):
        assert f.metadata.get("doc"), f.name


# ------------------------------------------------------------------ remote


def test_base_url_normalized() -> None:
    assert base_url("http://h:8080") == "http://h:8080/v1"
    assert base_url("http://h:8080/") == "http://h:8080/v1"
    assert base_url("http://h:8080/v1/") == "http://h:8080/v1"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_server_down_is_llm_unavailable(llm_cfg: Config) -> None:
    url = f"http://127.0.0.1:{_free_port()}"
    chat = RemoteChat(with_llm(llm_cfg, backend="remote", url=url))
    assert chat.device == f"remote {url}/v1"
    t = time.perf_counter()
    with pytest.raises(LLMError) as err:
        chat.complete([Message("user", "hi")])
    assert err.value.code == "llm_unavailable"
    assert url in err.value.message
    assert time.perf_counter() - t < 5


def test_remote_without_url_is_llm_unavailable(llm_cfg: Config) -> None:
    with pytest.raises(LLMError) as err:
        load_chat_model(with_llm(llm_cfg, backend="remote", url=""))
    assert err.value.code == "llm_unavailable" and "llm.url" in err.value.message


SERVER_NEEDS = ("fastapi", "uvicorn", "sse_starlette", "starlette_context", "pydantic_settings")


@pytest.fixture(scope="module")
def server(llm_cfg: Config, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A real OpenAI-compatible server: llama-cpp-python's own, on the bundled model."""
    missing = [m for m in SERVER_NEEDS if importlib.util.find_spec(m) is None]
    if missing:
        pytest.skip(
            f"llama_cpp.server needs the [server] extra (missing {', '.join(missing)}): "
            'pip install "llama-cpp-python[server]==0.3.36"'
        )
    # The same start as `kiosk bench serve` (and the kiosk-llm unit): loopback, its log
    # kept, /v1/models answering before the first request.
    log_path = tmp_path_factory.mktemp("server") / "server.log"
    try:
        proc, url = start_server(models.resolve(llm_cfg, "llm"), 2, log_path, n_ctx=1024)
    except RuntimeError as exc:
        pytest.fail(str(exc))
    try:
        yield url
    finally:
        stop_server(proc)


@pytest.mark.slow
def test_remote_streams_from_a_real_server(llm_cfg: Config, server: str) -> None:
    chat = load_chat_model(with_llm(llm_cfg, backend="remote", url=server))
    assert isinstance(chat, RemoteChat)
    chunks = list(chat.stream([Message("user", "Name a camping item.")], max_tokens=16))
    assert len(chunks) > 1 and "".join(chunks).strip()
    chat.warm([Message("system", "You are a shop assistant.")])


@pytest.mark.slow
def test_remote_passes_the_grammar(llm_cfg: Config, server: str) -> None:
    chat = RemoteChat(with_llm(llm_cfg, backend="remote", url=server + "/v1"))
    out = chat.complete(
        [Message("user", "Is a tent for camping? Answer yes or no.")], max_tokens=8, grammar=YES_NO
    )
    assert out in ('"yes"', '"no"')


@pytest.mark.slow
def test_remote_context_overflow(llm_cfg: Config, server: str) -> None:
    chat = RemoteChat(with_llm(llm_cfg, backend="remote", url=server))
    with pytest.raises(LLMError) as err:
        chat.complete([Message("system", LONG_SYSTEM * 4), Message("user", "hi")])
    assert err.value.code == "llm_context_overflow"
    assert server in err.value.message


@pytest.mark.slow
def test_remote_timeout(llm_cfg: Config, server: str) -> None:
    chat = RemoteChat(with_llm(llm_cfg, backend="remote", url=server))
    t = time.perf_counter()
    with pytest.raises(LLMError) as err:
        chat.complete(
            [Message("user", "Write a long story about tents.")], max_tokens=400, timeout_s=0.3
        )
    assert err.value.code == "llm_timeout"
    assert time.perf_counter() - t < 2


@pytest.mark.slow
def test_remote_keeps_the_assistant_true(
    llm_cfg: Config, server: str, demo_db: Path, tmp_path: Path
) -> None:
    from kiosk.assistant.pipeline import Assistant
    from kiosk.assistant.session import Session
    from kiosk.catalog.repository import Catalog

    shutil.copy(demo_db, tmp_path / "c.sqlite3")
    remote_cfg = with_llm(llm_cfg, backend="remote", url=server)
    with Catalog.open(tmp_path / "c.sqlite3") as catalog:
        bot = Assistant(catalog, remote_cfg, load_chat_model(remote_cfg))
        reply = bot.turn(Session(), "tents under 300 dollars")
    assert reply.phrasing in ("llm", "llm_rejected")
    assert "$250" in reply.text and "$200" in reply.text


class _Forced:
    """The real server's model, its output forced by a grammar (llama.cpp's extension,
    which RemoteChat passes on): the fault happens on every run instead of by chance."""

    def __init__(self, chat: RemoteChat, text: str) -> None:
        self.chat, self.name, self.device = chat, chat.name, chat.device
        self.grammar = 'root ::= "' + text.replace('"', '\\"') + '"'

    def stream(self, messages: list[Message], **kw: object) -> Iterator[str]:
        kw |= {"grammar": self.grammar, "max_tokens": 64}
        return self.chat.stream(messages, **kw)  # type: ignore[arg-type]

    def complete(self, messages: list[Message], **kw: object) -> str:
        return "".join(self.stream(messages, **kw))

    def warm(self, messages: list[Message]) -> None:
        self.chat.warm(messages)

    def close(self) -> None:
        pass


@pytest.mark.slow
@pytest.mark.parametrize(
    "opener", ["Today it's half off for you!", "We also sell a solar jetpack that goes with it."]
)
def test_remote_false_opener_is_rejected(
    llm_cfg: Config, server: str, demo_db: Path, tmp_path: Path, opener: str
) -> None:
    """Issue 12: claims without digits, from a real server, are caught by the check."""
    from kiosk.assistant.pipeline import Assistant
    from kiosk.assistant.session import Session
    from kiosk.catalog.repository import Catalog

    shutil.copy(demo_db, tmp_path / "c.sqlite3")
    remote_cfg = with_llm(llm_cfg, backend="remote", url=server)
    chat = RemoteChat(remote_cfg)
    with Catalog.open(tmp_path / "c.sqlite3") as catalog:
        bot = Assistant(catalog, remote_cfg, _Forced(chat, opener))  # type: ignore[arg-type]
        reply = bot.turn(Session(), "show me tents")
    assert reply.phrasing == "llm_rejected"
    assert opener not in reply.text and reply.text.startswith("I found 3")
