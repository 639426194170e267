"""A local fake of the Gemini Developer REST API (``v1beta``) for tests.

The REAL ``langchain_google_genai.ChatGoogleGenerativeAI`` client (and the
``google-genai`` SDK under it) talks to this server over real HTTP on
127.0.0.1, so no network access is needed. See ``docs/gemini-fake.md``.

Typical use::

    with FakeGemini() as fake:
        llm = ChatGoogleGenerativeAI(**fake.client_kwargs(model="gemini-2.5-flash"))
        fake.reply_text("Hello!")
        assert llm.invoke("hi").content == "Hello!"
        assert fake.last_request.user_texts == ["hi"]

Scripting: queued replies are consumed first-in-first-out by the generate
endpoints (``generateContent`` / ``streamGenerateContent``); when the queue is
empty the ``default`` handler answers (echo of the last user text). ``fail``
and ``delay`` can target other endpoints through ``endpoints=``.
``countTokens``, ``embedContent`` and ``batchEmbedContents`` answer
deterministically unless something is queued for them.

The server validates the request shape (method, ``/v1beta/models/{model}:{action}``
path, ``x-goog-api-key`` header, JSON body with the fields each endpoint needs).
A malformed request is answered with HTTP 400 and recorded in ``.errors``;
``close()`` (and so the ``with`` block / fixture teardown) raises
``AssertionError`` if any were recorded, unless ``strict=False``.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import math
import re
import threading
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest

__all__ = [
    "DEFAULT_API_KEY",
    "DEFAULT_MODEL",
    "FakeGemini",
    "FakeReply",
    "RecordedRequest",
    "deterministic_vector",
    "echo_default",
    "estimate_tokens",
    "fake_gemini",
    "running_fake_gemini",
]

DEFAULT_API_KEY = "fake-gemini-key"
DEFAULT_MODEL = "gemini-2.5-flash"
API_VERSION = "v1beta"

GENERATE = "generateContent"
STREAM = "streamGenerateContent"
COUNT_TOKENS = "countTokens"
EMBED = "embedContent"
BATCH_EMBED = "batchEmbedContents"
GENERATE_ACTIONS: frozenset[str] = frozenset({GENERATE, STREAM})
ALL_ACTIONS: frozenset[str] = frozenset({GENERATE, STREAM, COUNT_TOKENS, EMBED, BATCH_EMBED})

_PATH_RE = re.compile(r"^/(?P<version>[^/]+)/models/(?P<model>[^/:]+):(?P<action>[A-Za-z]+)$")

_STATUS_NAMES: dict[int, str] = {
    400: "INVALID_ARGUMENT",
    401: "UNAUTHENTICATED",
    403: "PERMISSION_DENIED",
    404: "NOT_FOUND",
    408: "DEADLINE_EXCEEDED",
    429: "RESOURCE_EXHAUSTED",
    500: "INTERNAL",
    502: "UNAVAILABLE",
    503: "UNAVAILABLE",
    504: "DEADLINE_EXCEEDED",
}

JsonDict = dict[str, Any]


def estimate_tokens(text: str) -> int:
    """Deterministic token estimate: ~4 characters per token, at least 1 for non-empty."""
    return math.ceil(len(text) / 4) if text else 0


def deterministic_vector(text: str, dims: int = 8) -> list[float]:
    """A unit-length vector derived from sha256(text); same text -> same vector."""
    values: list[float] = []
    counter = 0
    while len(values) < dims:
        digest = hashlib.sha256(f"{counter}:{text}".encode()).digest()
        values.extend((b / 127.5) - 1.0 for b in digest)
        counter += 1
    values = values[:dims]
    norm = math.sqrt(sum(v * v for v in values)) or 1.0
    return [round(v / norm, 6) for v in values]


def _texts_in(obj: Any) -> list[str]:
    """All ``text`` string values anywhere in a JSON structure (document order)."""
    found: list[str] = []
    if isinstance(obj, Mapping):
        for key, value in obj.items():
            if key == "text" and isinstance(value, str):
                found.append(value)
            else:
                found.extend(_texts_in(value))
    elif isinstance(obj, list):
        for item in obj:
            found.extend(_texts_in(item))
    return found


def _get(obj: Mapping[str, Any], *names: str) -> Any:
    """First present key among ``names`` (accepts camelCase and snake_case)."""
    for name in names:
        if name in obj:
            return obj[name]
    return None


@dataclass
class RecordedRequest:
    """One HTTP request received by the fake."""

    method: str
    path: str
    query: dict[str, list[str]]
    headers: dict[str, str]  # lower-cased names
    json: Any
    model: str | None
    action: str | None
    api_version: str | None
    response_status: int | None = None  # None: no response sent (e.g. client timed out)

    @property
    def stream(self) -> bool:
        return self.action == STREAM

    @property
    def body(self) -> JsonDict:
        return self.json if isinstance(self.json, dict) else {}

    @property
    def contents(self) -> list[JsonDict]:
        return list(self.body.get("contents") or [])

    @property
    def parts(self) -> list[JsonDict]:
        """All parts of all contents, in order."""
        return [p for c in self.contents for p in (c.get("parts") or [])]

    @property
    def user_texts(self) -> list[str]:
        return [
            p["text"]
            for c in self.contents
            if c.get("role", "user") == "user"
            for p in (c.get("parts") or [])
            if isinstance(p.get("text"), str)
        ]

    @property
    def last_user_text(self) -> str:
        texts = self.user_texts
        return texts[-1] if texts else ""

    @property
    def system_instruction(self) -> JsonDict | None:
        si: JsonDict | None = _get(self.body, "systemInstruction", "system_instruction")
        return si

    @property
    def system_text(self) -> str:
        si = self.system_instruction
        return "\n".join(_texts_in(si)) if si else ""

    @property
    def tools(self) -> list[JsonDict]:
        return list(self.body.get("tools") or [])

    @property
    def function_declarations(self) -> list[JsonDict]:
        decls: list[JsonDict] = []
        for tool in self.tools:
            decls.extend(_get(tool, "functionDeclarations", "function_declarations") or [])
        return decls

    @property
    def tool_names(self) -> list[str]:
        return [d.get("name", "") for d in self.function_declarations]

    @property
    def tool_config(self) -> JsonDict | None:
        tc: JsonDict | None = _get(self.body, "toolConfig", "tool_config")
        return tc

    @property
    def generation_config(self) -> JsonDict:
        return _get(self.body, "generationConfig", "generation_config") or {}

    @property
    def inline_data_parts(self) -> list[JsonDict]:
        """``inlineData`` blobs (``{"mimeType": ..., "data": <base64>}``)."""
        out: list[JsonDict] = []
        for p in self.parts:
            blob = _get(p, "inlineData", "inline_data")
            if blob is not None:
                out.append(blob)
        return out

    @property
    def function_calls(self) -> list[JsonDict]:
        return [fc for p in self.parts if (fc := _get(p, "functionCall", "function_call"))]

    @property
    def function_responses(self) -> list[JsonDict]:
        return [fr for p in self.parts if (fr := _get(p, "functionResponse", "function_response"))]

    @property
    def prompt_text(self) -> str:
        return "\n".join(_texts_in(self.body.get("contents")) + _texts_in(self.system_instruction))


@dataclass
class FakeReply:
    """A scripted response.

    ``kind`` is one of ``"candidate"`` (a generate response built from
    ``parts``), ``"error"`` (HTTP ``status`` with a Google-style error body),
    ``"raw"`` (``body`` sent verbatim with ``status``) or ``"default"``
    (whatever the server's default handler returns).
    """

    kind: str = "candidate"
    parts: list[JsonDict] = field(default_factory=list)
    finish_reason: str = "STOP"
    usage: JsonDict | None = None
    status: int = 200
    message: str = ""
    body: Any = None
    delay: float = 0.0
    chunk_delay: float = 0.0
    stream_chunks: list[list[JsonDict]] | None = None
    endpoints: frozenset[str] = GENERATE_ACTIONS


DefaultHandler = Callable[[RecordedRequest], "FakeReply | JsonDict | str"]


def echo_default(request: RecordedRequest) -> FakeReply:
    """Default generate behaviour: reply ``"echo: <last user text>"``."""
    return FakeReply(parts=[{"text": f"echo: {request.last_user_text}"}])


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    # Headers and body go out in separate writes; without TCP_NODELAY a keep-alive
    # client's delayed ACK adds ~40 ms to every request.
    disable_nagle_algorithm = True
    server: _Server
    recorded: RecordedRequest | None = None

    def log_message(self, format: str, *args: Any) -> None:  # silence stderr noise
        return

    def do_POST(self) -> None:
        self.server.fake._handle(self)

    def do_GET(self) -> None:
        self.server.fake._handle(self)


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    fake: FakeGemini


class FakeGemini:
    """Fake Gemini ``v1beta`` REST server on an ephemeral 127.0.0.1 port."""

    def __init__(
        self,
        *,
        api_key: str | None = DEFAULT_API_KEY,
        models: Iterable[str] | None = None,
        default: DefaultHandler | None = None,
        strict: bool = True,
        embedding_dims: int = 8,
    ) -> None:
        """Args:
        api_key: expected ``x-goog-api-key``; ``None`` accepts any non-empty key.
        models: if given, only these model names are accepted (else 404).
        default: reply for generate requests when the queue is empty.
        strict: raise on ``close()`` if any request failed validation.
        embedding_dims: vector size when ``outputDimensionality`` is not sent.
        """
        self.api_key = api_key
        self.models: frozenset[str] | None = frozenset(models) if models is not None else None
        self.default: DefaultHandler = default or echo_default
        self.strict = strict
        self.embedding_dims = embedding_dims
        self.requests: list[RecordedRequest] = []
        self.errors: list[str] = []
        self._queue: list[FakeReply] = []
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None

    # ------------------------------------------------------------------ lifecycle
    def start(self) -> FakeGemini:
        if self._server is not None:
            return self
        server = _Server(("127.0.0.1", 0), _Handler)
        server.fake = self
        self._server = server
        self._stop.clear()
        self._thread = threading.Thread(
            target=server.serve_forever,
            kwargs={"poll_interval": 0.05},
            name="fake-gemini",
            daemon=True,
        )
        self._thread.start()
        return self

    def close(self) -> None:
        """Stop the server; raise if strict and a request failed validation."""
        self._stop.set()  # wakes handlers sleeping in delay()
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None
        if self.strict:
            self.assert_no_errors()

    def __enter__(self) -> FakeGemini:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if exc_type is not None:
            # Don't mask the test's own failure with a validation error.
            self.strict = False
        self.close()

    @property
    def port(self) -> int:
        if self._server is None:
            raise RuntimeError("FakeGemini is not started")
        return int(self._server.server_address[1])

    @property
    def base_url(self) -> str:
        """Pass as ``base_url=`` to ChatGoogleGenerativeAI (the SDK appends ``/v1beta/...``)."""
        return f"http://127.0.0.1:{self.port}"

    def client_kwargs(
        self,
        model: str = DEFAULT_MODEL,
        *,
        max_retries: int = 1,
        timeout: float | None = 5.0,
        **extra: Any,
    ) -> dict[str, Any]:
        """Constructor kwargs for ``ChatGoogleGenerativeAI`` pointing at this fake.

        ``max_retries=1`` means a single attempt (``0`` would mean the SDK
        default of 5 attempts with exponential backoff).
        """
        kwargs: dict[str, Any] = {
            "model": model,
            "google_api_key": self.api_key or DEFAULT_API_KEY,
            "base_url": self.base_url,
            "vertexai": False,
            "max_retries": max_retries,
            "timeout": timeout,
        }
        kwargs.update(extra)
        return kwargs

    # ------------------------------------------------------------------ scripting
    def enqueue(self, reply: FakeReply) -> FakeGemini:
        with self._lock:
            self._queue.append(reply)
        return self

    def reply_text(
        self,
        text: str,
        *,
        chunks: list[str] | None = None,
        finish_reason: str = "STOP",
        usage: JsonDict | None = None,
        delay: float = 0.0,
        chunk_delay: float = 0.0,
    ) -> FakeGemini:
        """Queue a text answer. ``chunks`` sets the SSE pieces when streamed
        (default: split on words); ignored for non-streaming calls."""
        stream_chunks = [[{"text": c}] for c in chunks] if chunks is not None else None
        return self.enqueue(
            FakeReply(
                parts=[{"text": text}],
                finish_reason=finish_reason,
                usage=usage,
                delay=delay,
                chunk_delay=chunk_delay,
                stream_chunks=stream_chunks,
            )
        )

    def reply_json(self, obj: Any, **kwargs: Any) -> FakeGemini:
        """Queue a JSON text answer (what Gemini returns for ``responseJsonSchema``)."""
        return self.reply_text(json.dumps(obj), **kwargs)

    def reply_function_call(
        self,
        name: str,
        args: Mapping[str, Any] | None = None,
        *,
        text: str | None = None,
        call_id: str | None = None,
        usage: JsonDict | None = None,
        delay: float = 0.0,
    ) -> FakeGemini:
        """Queue a single ``functionCall`` answer (optionally preceded by text)."""
        return self.reply_function_calls(
            [(name, dict(args or {}))], text=text, call_ids=[call_id], usage=usage, delay=delay
        )

    def reply_function_calls(
        self,
        calls: Iterable[tuple[str, Mapping[str, Any]]],
        *,
        text: str | None = None,
        call_ids: list[str | None] | None = None,
        usage: JsonDict | None = None,
        delay: float = 0.0,
    ) -> FakeGemini:
        """Queue parallel ``functionCall`` parts in one candidate."""
        parts: list[JsonDict] = [{"text": text}] if text else []
        ids = call_ids or []
        for i, (name, args) in enumerate(calls):
            fc: JsonDict = {"name": name, "args": dict(args)}
            if i < len(ids) and ids[i]:
                fc["id"] = ids[i]
            parts.append({"functionCall": fc})
        return self.enqueue(FakeReply(parts=parts, usage=usage, delay=delay))

    def reply_parts(self, parts: list[JsonDict], **kwargs: Any) -> FakeGemini:
        """Queue a candidate with arbitrary raw parts."""
        return self.enqueue(FakeReply(parts=parts, **kwargs))

    def reply_raw(
        self,
        body: Any,
        *,
        status: int = 200,
        endpoints: Iterable[str] = GENERATE_ACTIONS,
    ) -> FakeGemini:
        """Queue a verbatim JSON body (no SSE framing for streams: one ``data:`` event)."""
        return self.enqueue(
            FakeReply(kind="raw", body=body, status=status, endpoints=frozenset(endpoints))
        )

    def fail(
        self,
        status: int = 500,
        times: int = 1,
        *,
        message: str | None = None,
        endpoints: Iterable[str] = GENERATE_ACTIONS,
    ) -> FakeGemini:
        """Queue ``times`` Google-style error responses with HTTP ``status``."""
        msg = message or f"fake {status} {_STATUS_NAMES.get(status, 'ERROR')}"
        for _ in range(times):
            self.enqueue(
                FakeReply(kind="error", status=status, message=msg, endpoints=frozenset(endpoints))
            )
        return self

    def delay(
        self,
        seconds: float,
        times: int = 1,
        *,
        endpoints: Iterable[str] = GENERATE_ACTIONS,
    ) -> FakeGemini:
        """Queue ``times`` default answers that are sent only after ``seconds``
        (use a value above the client ``timeout`` to provoke a timeout)."""
        for _ in range(times):
            self.enqueue(FakeReply(kind="default", delay=seconds, endpoints=frozenset(endpoints)))
        return self

    def clear(self) -> None:
        """Drop queued replies and recorded requests/errors."""
        with self._lock:
            self._queue.clear()
            self.requests.clear()
            self.errors.clear()

    @property
    def pending(self) -> int:
        with self._lock:
            return len(self._queue)

    # ------------------------------------------------------------------ inspection
    @property
    def last_request(self) -> RecordedRequest:
        if not self.requests:
            raise AssertionError("FakeGemini received no requests")
        return self.requests[-1]

    def requests_for(self, action: str) -> list[RecordedRequest]:
        return [r for r in self.requests if r.action == action]

    @property
    def generate_requests(self) -> list[RecordedRequest]:
        return [r for r in self.requests if r.action in GENERATE_ACTIONS]

    def assert_no_errors(self) -> None:
        if self.errors:
            raise AssertionError("FakeGemini saw malformed requests:\n" + "\n".join(self.errors))

    # ------------------------------------------------------------------ HTTP handling
    def _handle(self, h: _Handler) -> None:
        split = urlsplit(h.path)
        length = int(h.headers.get("Content-Length") or 0)
        raw = h.rfile.read(length) if length else b""
        headers = {k.lower(): v for k, v in h.headers.items()}
        body: Any = None
        problems: list[str] = []
        if raw:
            try:
                body = json.loads(raw)
            except json.JSONDecodeError as exc:
                problems.append(f"body is not JSON: {exc}")
        m = _PATH_RE.match(split.path)
        req = RecordedRequest(
            method=h.command,
            path=split.path,
            query=parse_qs(split.query),
            headers=headers,
            json=body,
            model=m.group("model") if m else None,
            action=m.group("action") if m else None,
            api_version=m.group("version") if m else None,
        )
        h.recorded = req
        with self._lock:
            self.requests.append(req)

        problems.extend(self._validate(req))
        if problems:
            note = f"{req.method} {h.path}: " + "; ".join(problems)
            with self._lock:
                self.errors.append(note)
            self._send_error(h, 400, note)
            return
        if self.models is not None and req.model not in self.models:
            self._send_error(h, 404, f"models/{req.model} is not found for API version v1beta")
            return

        assert req.action is not None
        reply = self._next_reply(req.action)
        if reply is not None and reply.delay and self._stop.wait(reply.delay):
            return  # server closing
        if reply is not None and reply.kind == "error":
            self._send_error(h, reply.status, reply.message)
            return
        if reply is not None and reply.kind == "raw":
            if req.stream and reply.status == 200:
                self._send_sse(h, [reply.body], 0.0)
            else:
                self._send_json(h, reply.status, reply.body)
            return

        try:
            if req.action in GENERATE_ACTIONS:
                self._answer_generate(h, req, reply)
            elif req.action == COUNT_TOKENS:
                self._send_json(h, 200, {"totalTokens": estimate_tokens(req.prompt_text)})
            elif req.action == EMBED:
                self._send_json(h, 200, {"embedding": {"values": self._embed(req.body)}})
            else:  # BATCH_EMBED
                embeddings = [{"values": self._embed(r)} for r in req.body.get("requests", [])]
                self._send_json(h, 200, {"embeddings": embeddings})
        except (BrokenPipeError, ConnectionResetError):
            pass  # client gave up (timeout) - nothing to do

    def _validate(self, req: RecordedRequest) -> list[str]:
        problems: list[str] = []
        if req.method != "POST":
            problems.append(f"expected POST, got {req.method}")
        if req.action is None:
            return [*problems, f"path must be /{API_VERSION}/models/{{model}}:{{action}}"]
        if req.api_version != API_VERSION:
            problems.append(f"expected API version {API_VERSION}, got {req.api_version}")
        if req.action not in ALL_ACTIONS:
            problems.append(f"unsupported action {req.action!r}")
        key = req.headers.get("x-goog-api-key")
        if not key:
            problems.append("missing x-goog-api-key header")
        elif self.api_key is not None and key != self.api_key:
            problems.append("wrong x-goog-api-key")
        if "application/json" not in req.headers.get("content-type", ""):
            problems.append("content-type is not application/json")
        if req.stream and req.query.get("alt") != ["sse"]:
            problems.append("streamGenerateContent without alt=sse")
        if not isinstance(req.json, dict):
            return [*problems, "body must be a JSON object"]
        body = req.body
        if req.action in GENERATE_ACTIONS or req.action == COUNT_TOKENS:
            contents = body.get("contents")
            if req.action == COUNT_TOKENS and contents is None:
                contents = (body.get("generateContentRequest") or {}).get("contents")
            if not isinstance(contents, list) or not contents:
                problems.append("contents must be a non-empty list")
            else:
                for i, c in enumerate(contents):
                    if c.get("role") not in (None, "user", "model"):
                        problems.append(f"contents[{i}].role={c.get('role')!r}")
                    if not isinstance(c.get("parts"), list) or not c["parts"]:
                        problems.append(f"contents[{i}].parts must be a non-empty list")
            for decl in req.function_declarations:
                if not decl.get("name"):
                    problems.append("functionDeclaration without name")
        elif req.action == EMBED and not isinstance(body.get("content"), dict):
            problems.append("embedContent needs content")
        elif req.action == BATCH_EMBED and not isinstance(body.get("requests"), list):
            problems.append("batchEmbedContents needs requests")
        return problems

    def _next_reply(self, action: str) -> FakeReply | None:
        with self._lock:
            for i, reply in enumerate(self._queue):
                if action in reply.endpoints:
                    return self._queue.pop(i)
        return None

    def _embed(self, request_body: Mapping[str, Any]) -> list[float]:
        text = "\n".join(_texts_in(request_body.get("content")))
        dims = _get(request_body, "outputDimensionality", "output_dimensionality")
        return deterministic_vector(text, int(dims) if dims else self.embedding_dims)

    def _answer_generate(self, h: _Handler, req: RecordedRequest, reply: FakeReply | None) -> None:
        if reply is None or reply.kind == "default":
            produced = self.default(req)
            if isinstance(produced, str):
                reply = FakeReply(parts=[{"text": produced}])
            elif isinstance(produced, dict):
                if req.stream:
                    self._send_sse(h, [produced], 0.0)
                else:
                    self._send_json(h, 200, produced)
                return
            else:
                reply = produced
        prompt_tokens = max(1, estimate_tokens(req.prompt_text))
        model_version = req.model or DEFAULT_MODEL
        if not req.stream:
            out_tokens = self._output_tokens(reply.parts)
            payload = self._candidate_payload(
                reply.parts,
                reply.finish_reason,
                reply.usage or self._usage(prompt_tokens, out_tokens),
                model_version,
            )
            self._send_json(h, 200, payload)
            return
        # SSE: one event per chunk; usageMetadata is cumulative, like the real API.
        pieces = reply.stream_chunks or self._split_for_stream(reply.parts)
        events: list[JsonDict] = []
        cumulative = 0
        for i, chunk_parts in enumerate(pieces):
            last = i == len(pieces) - 1
            cumulative += self._output_tokens(chunk_parts)
            usage = self._usage(prompt_tokens, cumulative)
            if last and reply.usage:
                usage = reply.usage
            events.append(
                self._candidate_payload(
                    chunk_parts, reply.finish_reason if last else None, usage, model_version
                )
            )
        self._send_sse(h, events, reply.chunk_delay)

    @staticmethod
    def _split_for_stream(parts: list[JsonDict]) -> list[list[JsonDict]]:
        """Text-only answers stream word by word; others go in one event."""
        if len(parts) == 1 and set(parts[0]) == {"text"}:
            words = re.findall(r"\S+\s*|\s+", parts[0]["text"])
            if len(words) > 1:
                return [[{"text": w}] for w in words]
        return [parts]

    @staticmethod
    def _output_tokens(parts: list[JsonDict]) -> int:
        text = "".join(_texts_in(parts))
        calls = [json.dumps(p.get("functionCall")) for p in parts if "functionCall" in p]
        return estimate_tokens(text + "".join(calls))

    @staticmethod
    def _usage(prompt_tokens: int, output_tokens: int) -> JsonDict:
        return {
            "promptTokenCount": prompt_tokens,
            "candidatesTokenCount": output_tokens,
            "totalTokenCount": prompt_tokens + output_tokens,
        }

    @staticmethod
    def _candidate_payload(
        parts: list[JsonDict],
        finish_reason: str | None,
        usage: JsonDict,
        model_version: str,
    ) -> JsonDict:
        candidate: JsonDict = {"content": {"role": "model", "parts": parts}, "index": 0}
        if finish_reason:
            candidate["finishReason"] = finish_reason
        return {
            "candidates": [candidate],
            "usageMetadata": usage,
            "modelVersion": model_version,
            "responseId": hashlib.sha1(json.dumps(parts).encode()).hexdigest()[:16],
        }

    # ------------------------------------------------------------------ wire helpers
    @staticmethod
    def _send_json(h: _Handler, status: int, payload: Any) -> None:
        data = json.dumps(payload).encode()
        if h.recorded is not None:
            h.recorded.response_status = status
        try:
            h.send_response(status)
            h.send_header("Content-Type", "application/json; charset=UTF-8")
            h.send_header("Content-Length", str(len(data)))
            h.end_headers()
            h.wfile.write(data)
        except (BrokenPipeError, ConnectionResetError):
            h.close_connection = True

    def _send_error(self, h: _Handler, status: int, message: str) -> None:
        payload = {
            "error": {
                "code": status,
                "message": message,
                "status": _STATUS_NAMES.get(status, "UNKNOWN"),
            }
        }
        self._send_json(h, status, payload)

    def _send_sse(self, h: _Handler, events: list[Any], chunk_delay: float) -> None:
        if h.recorded is not None:
            h.recorded.response_status = 200
        try:
            h.send_response(200)
            h.send_header("Content-Type", "text/event-stream")
            h.send_header("Cache-Control", "no-cache")
            h.send_header("Connection", "close")
            h.end_headers()
            h.close_connection = True
            for i, event in enumerate(events):
                if i and chunk_delay and self._stop.wait(chunk_delay):
                    return
                h.wfile.write(f"data: {json.dumps(event)}\r\n\r\n".encode())
                h.wfile.flush()
        except (BrokenPipeError, ConnectionResetError):
            h.close_connection = True


@pytest.fixture
def fake_gemini() -> Iterator[FakeGemini]:
    """A started :class:`FakeGemini`; teardown fails the test on malformed requests."""
    with FakeGemini() as fake:
        yield fake


@contextlib.contextmanager
def running_fake_gemini(**kwargs: Any) -> Iterator[FakeGemini]:
    """Context-manager helper equivalent to ``with FakeGemini(**kwargs) as fake``."""
    with FakeGemini(**kwargs) as fake:
        yield fake
