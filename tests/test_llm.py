"""The LLM engine on the real bundled model, and the remote backend on a real server."""

from __future__ import annotations

import dataclasses
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from kiosk import provision
from kiosk.config import Config, LLMConfig
from kiosk.llm.base import LLMError, Message, load_chat_model
from kiosk.llm.local import LocalLlama
from kiosk.llm.remote import RemoteChat, base_url

pytestmark = pytest.mark.slow

LONG_SYSTEM = (
    "You are the assistant of an outdoor store. You help shoppers find tents, backpacks, "
    "boots, jackets, sleeping bags, tables and stoves, and answer questions about them. " * 12
)


def with_llm(llm_cfg: Config, **changes: object) -> Config:
    return dataclasses.replace(llm_cfg, llm=dataclasses.replace(llm_cfg.llm, **changes))  # type: ignore[arg-type]


def test_streams_several_chunks(bundled_llm: LocalLlama) -> None:
    chunks = list(bundled_llm.stream([Message("user", "Name three camping items.")], max_tokens=24))
    assert len(chunks) > 3
    assert "".join(chunks).strip()


def test_grammar_constrains_output(bundled_llm: LocalLlama) -> None:
    out = bundled_llm.complete(
        [Message("user", "Is a tent used for camping? Answer yes or no.")],
        max_tokens=4,
        grammar='root ::= "\\"yes\\"" | "\\"no\\""',
    )
    assert out in ('"yes"', '"no"')


def test_warm_system_prompt_is_faster_to_first_token(
    llm_cfg: Config, bundled_llm: LocalLlama
) -> None:
    """Measured as a ratio in one run: a cold prompt against the same prompt warm."""
    system = Message("system", LONG_SYSTEM)
    bundled_llm.reset()
    t = time.perf_counter()
    next(iter(bundled_llm.stream([system, Message("user", "Where are the tents?")], max_tokens=2)))
    cold = time.perf_counter() - t
    t = time.perf_counter()
    next(iter(bundled_llm.stream([system, Message("user", "Where are the stoves?")], max_tokens=2)))
    warm = time.perf_counter() - t
    print(f"first token: cold {cold * 1000:.0f} ms, warm {warm * 1000:.0f} ms")
    assert warm < cold / 2


def test_context_overflow_is_a_clear_error(llm_cfg: Config) -> None:
    small = LocalLlama(provision.resolve(llm_cfg, "llm"), with_llm(llm_cfg, n_ctx=256))
    try:
        with pytest.raises(LLMError) as err:
            small.complete([Message("system", LONG_SYSTEM)], max_tokens=16)
        assert err.value.code == "llm_context_overflow"
        assert "llm.n_ctx" in err.value.message
    finally:
        small.close()


def test_timeout(bundled_llm: LocalLlama) -> None:
    with pytest.raises(LLMError) as err:
        bundled_llm.complete(
            [Message("user", "Write a long story about tents.")], max_tokens=400, timeout_s=0.05
        )
    assert err.value.code == "llm_timeout"


def test_truncated_model_file_names_the_file(llm_cfg: Config, tmp_path: Path) -> None:
    bad = tmp_path / "broken.gguf"
    with provision.resolve(llm_cfg, "llm").open("rb") as src:
        bad.write_bytes(src.read(1_000_000))
    with pytest.raises(LLMError) as err:
        LocalLlama(bad, llm_cfg)
    assert err.value.code == "llm_unavailable"
    assert "broken.gguf" in err.value.message


def test_backend_none_loads_nothing(llm_cfg: Config) -> None:
    assert load_chat_model(with_llm(llm_cfg, backend="none")) is None


def test_base_url_normalized() -> None:
    assert base_url("http://h:8080") == "http://h:8080/v1"
    assert base_url("http://h:8080/v1/") == "http://h:8080/v1"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_server_down_is_llm_unavailable(llm_cfg: Config) -> None:
    url = f"http://127.0.0.1:{_free_port()}"
    chat = RemoteChat(with_llm(llm_cfg, backend="remote", url=url))
    t = time.perf_counter()
    with pytest.raises(LLMError) as err:
        chat.complete([Message("user", "hi")])
    assert err.value.code == "llm_unavailable"
    assert url in err.value.message
    assert time.perf_counter() - t < 5


@pytest.fixture(scope="module")
def server(llm_cfg: Config) -> Iterator[str]:
    """A real OpenAI-compatible server: llama-cpp-python's own, on the bundled bundled_llm."""
    pytest.importorskip("llama_cpp.server.app", reason="needs the [server] extra")
    port = _free_port()
    log = open(os.devnull, "w")  # noqa: SIM115
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "llama_cpp.server",
            "--model",
            str(provision.resolve(llm_cfg, "llm")),
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--n_ctx",
            "1024",
            "--n_threads",
            "2",
        ],
        stdout=log,
        stderr=log,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                urllib.request.urlopen(url + "/v1/models", timeout=2).read()
                break
            except OSError:
                if proc.poll() is not None or time.monotonic() > deadline:
                    pytest.fail("llama_cpp.server did not start")
                time.sleep(0.3)
        yield url
    finally:
        proc.terminate()
        proc.wait(timeout=10)
        log.close()


def test_remote_streams_from_a_real_server(llm_cfg: Config, server: str) -> None:
    chat = load_chat_model(with_llm(llm_cfg, backend="remote", url=server))
    assert isinstance(chat, RemoteChat)
    chunks = list(chat.stream([Message("user", "Name a camping item.")], max_tokens=16))
    assert len(chunks) > 1 and "".join(chunks).strip()
    out = chat.complete(
        [Message("user", "Is a tent for camping? yes or no")],
        max_tokens=4,
        grammar='root ::= "yes" | "no"',
    )
    assert out.strip()


def test_remote_keeps_the_assistant_true(
    llm_cfg: Config, server: str, demo_db: Path, tmp_path: Path
) -> None:
    from kiosk.assistant.assistant import Assistant
    from kiosk.assistant.session import Session
    from kiosk.catalog.repository import Catalog

    shutil.copy(demo_db, tmp_path / "c.sqlite3")
    remote_cfg = with_llm(llm_cfg, backend="remote", url=server)
    with Catalog.open(tmp_path / "c.sqlite3") as catalog:
        bot = Assistant(catalog, remote_cfg, load_chat_model(remote_cfg))
        reply = bot.turn(Session(), "tents under 300 dollars")
    assert reply.phrasing in ("llm", "llm_rejected")
    assert "$250" in reply.text and "$200" in reply.text


def test_llm_config_defaults_are_documented() -> None:
    for f in dataclasses.fields(LLMConfig):
        assert f.metadata.get("doc"), f.name
