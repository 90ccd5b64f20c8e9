"""An OpenAI-compatible server (llama.cpp's llama-server, vLLM) shared by a store's kiosks.

Standard library HTTP only: one POST with `stream: true`, server-sent events back.
A server that is down or slow becomes an LLMError, and the kiosk answers from
templates meanwhile.
"""

from __future__ import annotations

import http.client
import json
import time
import urllib.error
import urllib.request
from collections.abc import Iterator, Sequence
from typing import Any

from kiosk.config import Config
from kiosk.llm.base import LLMError, Message, StreamingChat


def base_url(url: str) -> str:
    """'http://host:8080' and 'http://host:8080/v1/' both become 'http://host:8080/v1'."""
    url = url.rstrip("/")
    return url if url.endswith("/v1") else url + "/v1"


class RemoteChat(StreamingChat):
    """Chat completions over HTTP from an OpenAI-compatible server."""

    def __init__(self, cfg: Config) -> None:
        if not cfg.llm.url:
            raise LLMError("llm.backend is 'remote' but llm.url is empty", code="llm_unavailable")
        self.url = base_url(cfg.llm.url)
        self.model = cfg.llm.remote_model or "default"
        self.timeout_s = cfg.llm.timeout_s
        self.name = f"{self.model} at {self.url}"
        self.device = f"remote {self.url}"

    def _post(self, body: dict[str, Any], timeout_s: float) -> Any:
        request = urllib.request.Request(
            self.url + "/chat/completions",
            data=json.dumps(body).encode("utf-8"),
            headers={"Content-Type": "application/json", "Accept": "text/event-stream"},
            method="POST",
        )
        try:
            return urllib.request.urlopen(request, timeout=timeout_s)
        except urllib.error.HTTPError as exc:
            detail = exc.read().decode("utf-8", "replace")[:300]
            if exc.code == 400 and ("context" in detail.lower() or "token" in detail.lower()):
                raise LLMError(
                    f"the server at {self.url} says the request is too long: {detail}",
                    code="llm_context_overflow",
                ) from None
            raise LLMError(
                f"the server at {self.url} answered HTTP {exc.code}: {detail}",
                code="llm_unavailable",
            ) from None
        except TimeoutError:
            raise LLMError(
                f"the server at {self.url} did not answer within {timeout_s:g} s",
                code="llm_timeout",
            ) from None
        except (urllib.error.URLError, OSError, http.client.HTTPException) as exc:
            reason = getattr(exc, "reason", exc)
            raise LLMError(
                f"the LLM server at {self.url} can't be reached ({reason})", code="llm_unavailable"
            ) from None

    def stream(
        self,
        messages: Sequence[Message],
        *,
        max_tokens: int = 64,
        temperature: float = 0.3,
        stop: Sequence[str] = (),
        grammar: str | None = None,
        timeout_s: float | None = None,
    ) -> Iterator[str]:
        timeout = timeout_s or self.timeout_s
        body: dict[str, Any] = {
            "model": self.model,
            "messages": [{"role": m.role, "content": m.content} for m in messages],
            "max_tokens": max_tokens,
            "temperature": temperature,
            "stream": True,
        }
        if stop:
            body["stop"] = list(stop)
        if grammar:
            body["grammar"] = grammar  # llama.cpp servers' extension; others ignore it
        deadline = time.monotonic() + timeout
        response = self._post(body, timeout)
        try:
            for raw in response:
                line = raw.decode("utf-8", "replace").strip()
                if not line.startswith("data:"):
                    continue
                data = line[5:].strip()
                if data == "[DONE]":
                    break
                try:
                    event = json.loads(data)
                    text = event["choices"][0].get("delta", {}).get("content")
                except (ValueError, KeyError, IndexError, AttributeError):
                    raise LLMError(
                        f"the server at {self.url} sent an unreadable event", code="llm_bad_output"
                    ) from None
                if text:
                    yield text
                if time.monotonic() > deadline:
                    raise LLMError(
                        f"the server at {self.url} took longer than {timeout:g} s",
                        code="llm_timeout",
                    )
        except TimeoutError:
            raise LLMError(
                f"the server at {self.url} stopped answering", code="llm_timeout"
            ) from None
        finally:
            response.close()

    def warm(self, messages: Sequence[Message]) -> None:
        """The server keeps its own prompt cache; one tiny request fills it."""
        self.complete([*messages, Message("user", "Hello")], max_tokens=1, temperature=0.0)

    def close(self) -> None:
        """Nothing to release: every request has its own connection."""
