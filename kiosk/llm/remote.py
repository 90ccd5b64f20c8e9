"""An OpenAI-compatible server (llama.cpp's llama-server, vLLM) shared by a store's kiosks.

Standard library HTTP only: one POST to `/v1/chat/completions` with `stream: true`,
server-sent events back. The connection goes straight to the server, never through
an HTTP proxy from the environment (that is for package downloads, not the store
LAN), and the socket's timeout follows the request's deadline, so a stalled server
costs at most `llm.timeout_s`. A server that is down or slow becomes an LLMError,
and the kiosk answers from templates meanwhile.
"""

from __future__ import annotations

import http.client
import json
import socket
import time
import urllib.parse
from collections.abc import Iterator, Sequence
from typing import Any

from kiosk.config import Config
from kiosk.llm.base import LLMError, Message, StreamingChat, deadline

_NO_LIMIT_S = 3600.0  # socket timeout when the caller asked for no limit


def base_url(url: str) -> str:
    """'http://host:8080' and 'http://host:8080/v1/' both become 'http://host:8080/v1'."""
    url = url.strip().rstrip("/")
    return url if url.endswith("/v1") else url + "/v1"


class RemoteChat(StreamingChat):
    """Chat completions over HTTP from an OpenAI-compatible server."""

    def __init__(self, cfg: Config) -> None:
        if not cfg.llm.url:
            raise LLMError(
                "llm.backend is 'remote' but llm.url is empty; set it to the server's "
                "address, e.g. http://llm.store.lan:8080/v1",
                code=LLMError.UNAVAILABLE,
            )
        self.url = base_url(cfg.llm.url)
        parts = urllib.parse.urlsplit(self.url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise LLMError(
                f"llm.url {cfg.llm.url!r} is not an http(s) URL", code=LLMError.UNAVAILABLE
            )
        self._https = parts.scheme == "https"
        self._host = parts.hostname
        self._port = parts.port
        self._path = parts.path + "/chat/completions"
        self.model = cfg.llm.remote_model or "default"
        self.timeout_s = cfg.llm.timeout_s
        self.name = self.model
        self.device = f"remote {self.url}"

    def _remaining(self, until: float | None) -> float:
        if until is None:
            return _NO_LIMIT_S
        left = until - time.monotonic()
        if left <= 0:
            raise self._timeout()
        return left

    def _timeout(self) -> LLMError:
        return LLMError(
            f"the LLM server at {self.url} did not finish within the time limit (llm.timeout_s)",
            code=LLMError.TIMEOUT,
        )

    def _unavailable(self, why: object) -> LLMError:
        return LLMError(
            f"the LLM server at {self.url} can't be reached ({why})", code=LLMError.UNAVAILABLE
        )

    def _open(
        self, body: dict[str, Any], until: float | None
    ) -> tuple[http.client.HTTPConnection, socket.socket, http.client.HTTPResponse]:
        """POST the request; HTTP errors become LLMErrors with the server's own words."""
        cls = http.client.HTTPSConnection if self._https else http.client.HTTPConnection
        conn = cls(self._host, self._port, timeout=self._remaining(until))
        try:
            conn.connect()
            sock = conn.sock  # kept: the connection drops it once a streamed reply starts
            assert sock is not None
            conn.request(
                "POST",
                self._path,
                body=json.dumps(body).encode("utf-8"),
                headers={"Content-Type": "application/json", "Accept": "text/event-stream"},
            )
            response = conn.getresponse()
        except TimeoutError:
            conn.close()
            raise self._timeout() from None
        except (OSError, http.client.HTTPException) as exc:
            conn.close()
            raise self._unavailable(exc) from None
        if response.status != 200:
            detail = response.read(2000).decode("utf-8", "replace").strip()
            conn.close()
            raise self._http_error(response.status, detail)
        return conn, sock, response

    def _http_error(self, status: int, detail: str) -> LLMError:
        try:
            message = str(json.loads(detail)["error"]["message"])
        except (ValueError, KeyError, TypeError):
            message = detail
        message = message[:300]
        if status in (400, 413) and "context" in detail.lower():
            return LLMError(
                f"the LLM server at {self.url} says the request is too long: {message}",
                code=LLMError.CONTEXT_OVERFLOW,
            )
        return LLMError(
            f"the LLM server at {self.url} answered HTTP {status}: {message}",
            code=LLMError.UNAVAILABLE,
        )

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
        """Text chunks as the server sends them; connection errors raise on first use."""
        until = deadline(timeout_s, self.timeout_s)
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
        return self._events(body, until)

    def _events(self, body: dict[str, Any], until: float | None) -> Iterator[str]:
        conn, sock, response = self._open(body, until)
        done = got_text = False  # done: [DONE] or a finish_reason arrived
        try:
            while not done:
                sock.settimeout(self._remaining(until))
                raw = response.readline()
                if not raw:
                    break
                line = raw.decode("utf-8", "replace").strip()
                if not line.startswith("data:"):
                    continue  # blank separators, ': ping' comments, 'event:' lines
                data = line[5:].strip()
                if data == "[DONE]":
                    done = True
                    break
                text, done = self._delta(data)
                if until is not None and time.monotonic() > until:
                    raise self._timeout()
                if text:
                    got_text = True
                    yield text
        except TimeoutError:
            raise self._timeout() from None
        except (OSError, http.client.HTTPException) as exc:
            raise self._unavailable(f"connection lost mid-reply: {exc}") from None
        finally:
            response.close()
            conn.close()
        if done:
            return
        if got_text:
            raise self._unavailable("it closed the reply before finishing it")
        # llama-cpp-python's server answers a prompt longer than its context with an
        # empty 200 stream; asked once without streaming, it says why.
        yield from self._once({**body, "stream": False}, until)

    def _once(self, body: dict[str, Any], until: float | None) -> Iterator[str]:
        """The whole reply in one response, for servers that won't stream this request."""
        conn, sock, response = self._open(body, until)
        try:
            sock.settimeout(self._remaining(until))
            payload = response.read()
        except TimeoutError:
            raise self._timeout() from None
        except (OSError, http.client.HTTPException) as exc:
            raise self._unavailable(exc) from None
        finally:
            response.close()
            conn.close()
        try:
            content = json.loads(payload)["choices"][0]["message"]["content"]
        except (ValueError, KeyError, IndexError, TypeError):
            raise LLMError(
                f"the LLM server at {self.url} sent an unreadable reply: {payload[:120]!r}",
                code=LLMError.BAD_OUTPUT,
            ) from None
        if isinstance(content, str) and content:
            yield content

    def _delta(self, data: str) -> tuple[str | None, bool]:
        """(text, finished) of one event; an error event becomes an LLMError."""
        try:
            event = json.loads(data)
        except ValueError:
            event = None
        if not isinstance(event, dict):
            raise LLMError(
                f"the LLM server at {self.url} sent an unreadable event: {data[:120]!r}",
                code=LLMError.BAD_OUTPUT,
            )
        if "error" in event:
            error = event["error"]
            message = error.get("message", error) if isinstance(error, dict) else error
            overflow = "context" in str(message).lower()
            raise LLMError(
                f"the LLM server at {self.url} failed: {str(message)[:300]}",
                code=LLMError.CONTEXT_OVERFLOW if overflow else LLMError.UNAVAILABLE,
            )
        try:
            choice = event["choices"][0]
            content = choice.get("delta", {}).get("content")
        except (KeyError, IndexError, TypeError, AttributeError):
            raise LLMError(
                f"the LLM server at {self.url} sent an event without choices: {data[:120]!r}",
                code=LLMError.BAD_OUTPUT,
            ) from None
        text = content if isinstance(content, str) else None
        return text, choice.get("finish_reason") is not None

    def warm(self, messages: Sequence[Message]) -> None:
        """The server keeps its own prompt cache; one tiny request fills it."""
        self.complete([*messages, Message("user", "Hello")], max_tokens=1, temperature=0.0)

    def close(self) -> None:
        """Nothing to release: every request has its own connection."""
