"""A stand-in for an OpenAI-compatible LLM server, playing the model with set words.

Standard library only: `ThreadingHTTPServer` on 127.0.0.1 answering
`POST /v1/chat/completions` the way llama.cpp's server does when `stream` is true
(server-sent events: a role chunk, content chunks a word or so at a time, a final
chunk with `finish_reason`, then `data: [DONE]`), or with one JSON body when it
isn't. It honours `stop` and `max_tokens` (counted in words, a little more than a
real tokenizer allows), and lists itself at `GET /v1/models`.

The kiosk reaches it through its real remote backend (`llm.backend = "remote"`),
so everything from the HTTP request to the check is the code a store runs; only
the model's words are chosen by the test. That is the one fault a real small model
can't be made to produce on demand: a fluent, plausible false sentence.
"""

from __future__ import annotations

import json
import re
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


class StandInModel:
    """The server; set `reply` to the words the 'model' answers every request with."""

    def __init__(self) -> None:
        self.reply = ""
        self.delay_s = 0.0  # a slow server: seconds before the first word
        self.requests: list[dict[str, Any]] = []
        owner = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, format: str, *args: object) -> None:  # quiet
                pass

            def do_GET(self) -> None:
                if self.path.rstrip("/") != "/v1/models":
                    self._json(404, {"error": {"message": "not found"}})
                    return
                self._json(200, {"object": "list", "data": [{"id": "stand-in", "object": "model"}]})

            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                try:
                    body = json.loads(self.rfile.read(length))
                except ValueError:
                    self._json(400, {"error": {"message": "bad json"}})
                    return
                if self.path.rstrip("/") != "/v1/chat/completions":
                    self._json(404, {"error": {"message": "not found"}})
                    return
                owner.requests.append(body)
                time.sleep(owner.delay_s)
                pieces, finish = owner.pieces(body)
                if not body.get("stream"):
                    message = {"role": "assistant", "content": "".join(pieces)}
                    choice = {"index": 0, "message": message, "finish_reason": finish}
                    self._json(200, {"object": "chat.completion", "choices": [choice]})
                    return
                self.send_response(200)
                self.send_header("Content-Type", "text/event-stream")
                self.send_header("Cache-Control", "no-cache")
                self.send_header("Connection", "close")
                self.end_headers()
                self._event({"role": "assistant", "content": None}, None)
                for piece in pieces:
                    self._event({"content": piece}, None)
                self._event({}, finish)
                self.wfile.write(b"data: [DONE]\n\n")
                self.wfile.flush()
                self.close_connection = True

            def _event(self, delta: dict[str, Any], finish: str | None) -> None:
                chunk = {
                    "id": "chatcmpl-standin",
                    "object": "chat.completion.chunk",
                    "created": int(time.time()),
                    "model": "stand-in",
                    "choices": [{"index": 0, "delta": delta, "finish_reason": finish}],
                }
                self.wfile.write(b"data: " + json.dumps(chunk).encode() + b"\n\n")
                self.wfile.flush()

            def _json(self, status: int, payload: dict[str, Any]) -> None:
                data = json.dumps(payload).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        host, port = self.server.server_address[:2]
        return f"http://{host!s}:{port}"

    def pieces(self, body: dict[str, Any]) -> tuple[list[str], str]:
        """The reply as streamed pieces, cut at a stop string or at max_tokens."""
        text = self.reply
        finish = "stop"
        for stop in body.get("stop") or []:
            if stop and stop in text:
                text = text[: text.index(stop)]
        pieces = re.findall(r"\s*\S+", text)
        limit = int(body.get("max_tokens") or 0)
        if limit and len(pieces) > limit:
            pieces, finish = pieces[:limit], "length"
        return pieces, finish

    def __enter__(self) -> StandInModel:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(timeout=5)
