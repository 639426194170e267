"""A local fake of the Telegram Bot API for tests: real HTTP on 127.0.0.1, no network.

The REAL python-telegram-bot client talks to it when built with
``base_url=f"{fake.url}/bot"`` and ``base_file_url=f"{fake.url}/file/bot"`` (what
``FITCOACH_TELEGRAM_API_URL=fake.url`` gives). It implements what fitcoach uses:
getMe, sendMessage, sendPhoto and sendDocument (multipart), sendChatAction, answerCallbackQuery,
editMessageReplyMarkup, getFile + the file download endpoint, setWebhook, deleteWebhook,
setMyCommands, getUpdates.

Typical use::

    with FakeTelegram() as fake:
        file_id = fake.add_file(png_bytes(), file_path="photos/file_1.png")
        fake.fail_next("sendMessage", error_code=429, retry_after=1)
        ...
        [reply] = fake.wait_for("sendMessage")
        assert "143 kcal" in reply.params["text"]

Every call is recorded (``calls``: method, decoded params, uploaded files, whether it
succeeded). Parameters arrive form-encoded (PTB JSON-encodes non-string values); they are
decoded back, except for free-text fields which stay strings.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import struct
import threading
import time
import zlib
from collections import deque
from collections.abc import Iterator
from dataclasses import dataclass, field
from types import TracebackType
from typing import Any

import pytest
from aiohttp import web

__all__ = [
    "BOT_ID",
    "BOT_USERNAME",
    "DEFAULT_TOKEN",
    "Call",
    "FakeTelegram",
    "UploadedFile",
    "fake_telegram",
    "ogg_bytes",
    "png_bytes",
]

DEFAULT_TOKEN = "123456:TEST-fake-token"
BOT_ID = 123456
BOT_USERNAME = "fitcoach_test_bot"
MAX_TEXT = 4096

# Fields whose values are free text: never JSON-decoded (a text of "2" stays "2").
_STRING_FIELDS = frozenset(
    {
        "text",
        "caption",
        "callback_query_id",
        "file_id",
        "url",
        "secret_token",
        "action",
        "parse_mode",
        "photo",
        "voice",
        "document",
    }
)


@dataclass(frozen=True, slots=True)
class UploadedFile:
    """A file part of a multipart request."""

    filename: str | None
    content_type: str
    content: bytes


@dataclass(frozen=True, slots=True)
class Call:
    """One Bot API request as the fake saw it."""

    method: str
    params: dict[str, Any]
    files: dict[str, UploadedFile]
    ok: bool
    at: float
    error_code: int | None = None


@dataclass(slots=True)
class _Failure:
    method: str
    error_code: int
    description: str
    retry_after: int | None
    times: int


@dataclass(slots=True)
class _File:
    file_id: str
    file_unique_id: str
    file_path: str
    content: bytes


@dataclass(slots=True)
class _State:
    calls: list[Call] = field(default_factory=list)
    failures: list[_Failure] = field(default_factory=list)
    files: dict[str, _File] = field(default_factory=dict)
    updates: deque[dict[str, Any]] = field(default_factory=deque)
    downloads: list[str] = field(default_factory=list)
    webhook: dict[str, Any] | None = None
    commands: list[dict[str, Any]] = field(default_factory=list)


def png_bytes(width: int = 2, height: int = 2) -> bytes:
    """A valid, tiny RGB PNG."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    raw = b"".join(b"\x00" + b"\xff\x80\x00" * width for _ in range(height))
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(raw))
        + chunk(b"IEND", b"")
    )


def _ogg_crc(data: bytes) -> int:
    crc = 0
    for byte in data:
        crc ^= byte << 24
        for _ in range(8):
            crc = ((crc << 1) ^ 0x04C11DB7) if crc & 0x80000000 else crc << 1
            crc &= 0xFFFFFFFF
    return crc


def ogg_bytes() -> bytes:
    """A one-page Ogg stream holding an OpusHead packet (what a voice note starts with)."""
    packet = b"OpusHead" + struct.pack("<BBHIhB", 1, 1, 312, 48000, 0, 0)
    header = struct.pack("<4sBBqIIIB", b"OggS", 0, 0x02, 0, 0x1234, 0, 0, 1) + bytes([len(packet)])
    page = header + packet
    crc = _ogg_crc(page)
    return page[:22] + struct.pack("<I", crc) + page[26:]


def _utf16_len(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


class FakeTelegram:
    """The fake Bot API server. Start with ``with FakeTelegram() as fake`` (or ``start()``)."""

    def __init__(self, token: str = DEFAULT_TOKEN) -> None:
        self.token = token
        self._state = _State()
        self._lock = threading.Lock()
        self._message_ids = itertools.count(1000)
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._runner: web.AppRunner | None = None
        self._ready = threading.Event()
        self.port = 0

    # ---- lifecycle -------------------------------------------------------------------------

    @property
    def url(self) -> str:
        """The API root, e.g. ``http://127.0.0.1:5123`` (FITCOACH_TELEGRAM_API_URL)."""
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> FakeTelegram:
        """Serve on an ephemeral port in a background thread."""
        self._thread = threading.Thread(target=self._serve, name="fake-telegram", daemon=True)
        self._thread.start()
        if not self._ready.wait(10):
            raise RuntimeError("fake Telegram did not start")
        return self

    def close(self) -> None:
        """Stop the server."""
        if self._loop is None or self._runner is None:
            return
        asyncio.run_coroutine_threadsafe(self._runner.cleanup(), self._loop).result(10)
        self._loop.call_soon_threadsafe(self._loop.stop)
        if self._thread is not None:
            self._thread.join(10)
        self._loop = None

    def __enter__(self) -> FakeTelegram:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def _serve(self) -> None:
        loop = asyncio.new_event_loop()
        self._loop = loop
        asyncio.set_event_loop(loop)
        app = web.Application()
        app.router.add_route("*", "/bot{token}/{method}", self._api)
        app.router.add_get("/file/bot{token}/{path:.+}", self._download)
        self._runner = web.AppRunner(app, access_log=None)
        loop.run_until_complete(self._runner.setup())
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        loop.run_until_complete(site.start())
        self.port = self._runner.addresses[0][1]
        self._ready.set()
        loop.run_forever()
        loop.close()

    # ---- scripting -------------------------------------------------------------------------

    def fail_next(
        self,
        method: str,
        *,
        error_code: int = 429,
        description: str | None = None,
        retry_after: int | None = None,
        times: int = 1,
    ) -> None:
        """Answer the next ``times`` calls of ``method`` with an error. 429 gets
        ``parameters.retry_after`` (default 1 s); 403 defaults to "bot was blocked"."""
        if error_code == 429 and retry_after is None:
            retry_after = 1
        if description is None:
            description = {
                429: f"Too Many Requests: retry after {retry_after}",
                403: "Forbidden: bot was blocked by the user",
                400: "Bad Request",
            }.get(error_code, "Internal Server Error")
        with self._lock:
            self._state.failures.append(
                _Failure(method.lower(), error_code, description, retry_after, times)
            )

    def add_file(
        self,
        content: bytes,
        *,
        file_path: str,
        file_id: str | None = None,
        file_unique_id: str | None = None,
    ) -> str:
        """Make a file available to getFile and the download endpoint; returns its file_id."""
        with self._lock:
            number = len(self._state.files) + 1
            file_id = file_id or f"file-{number}"
            self._state.files[file_id] = _File(
                file_id, file_unique_id or f"uniq{number}", file_path, content
            )
        return file_id

    def push_update(self, update: dict[str, Any]) -> None:
        """Queue an update for getUpdates (polling mode)."""
        with self._lock:
            self._state.updates.append(update)

    # ---- inspection ------------------------------------------------------------------------

    @property
    def calls(self) -> list[Call]:
        """Every request so far, failed ones included."""
        with self._lock:
            return list(self._state.calls)

    def sent(self, method: str = "sendMessage") -> list[Call]:
        """Successful calls of ``method``."""
        return [c for c in self.calls if c.method.lower() == method.lower() and c.ok]

    def attempts(self, method: str) -> list[Call]:
        """All calls of ``method``, failed ones included."""
        return [c for c in self.calls if c.method.lower() == method.lower()]

    @property
    def downloads(self) -> list[str]:
        """File paths fetched through the file endpoint."""
        with self._lock:
            return list(self._state.downloads)

    @property
    def webhook(self) -> dict[str, Any] | None:
        """The parameters of the last setWebhook (None after deleteWebhook)."""
        with self._lock:
            return self._state.webhook

    def wait_for(
        self, method: str = "sendMessage", count: int = 1, timeout: float = 15.0
    ) -> list[Call]:
        """Block until ``count`` successful calls of ``method`` were made; return them."""
        deadline = time.monotonic() + timeout
        while True:
            calls = self.sent(method)
            if len(calls) >= count:
                return calls
            if time.monotonic() > deadline:
                raise AssertionError(
                    f"expected {count} {method} call(s) within {timeout}s, got {len(calls)}: "
                    f"{[c.method for c in self.calls]}"
                )
            time.sleep(0.02)

    async def await_for(
        self, method: str = "sendMessage", count: int = 1, timeout: float = 15.0
    ) -> list[Call]:
        """``wait_for`` for async tests (does not block the event loop)."""
        deadline = time.monotonic() + timeout
        while len(self.sent(method)) < count:
            if time.monotonic() > deadline:
                raise AssertionError(f"expected {count} {method} call(s) within {timeout}s")
            await asyncio.sleep(0.02)
        return self.sent(method)

    # ---- HTTP ------------------------------------------------------------------------------

    async def _params(self, request: web.Request) -> tuple[dict[str, Any], dict[str, UploadedFile]]:
        params: dict[str, Any] = dict(request.query)
        files: dict[str, UploadedFile] = {}
        if request.method == "POST" and request.can_read_body:
            if request.content_type == "application/json":
                params.update(await request.json())
            else:
                form = await request.post()
                for key, value in form.items():
                    if isinstance(value, web.FileField):
                        files[key] = UploadedFile(
                            value.filename, value.content_type, value.file.read()
                        )
                    else:
                        params[key] = value
        decoded: dict[str, Any] = {}
        for key, value in params.items():
            if isinstance(value, str) and key not in _STRING_FIELDS:
                try:
                    decoded[key] = json.loads(value)
                except ValueError:
                    decoded[key] = value
            else:
                decoded[key] = value
        # Resolve "attach://name" references to the uploaded part.
        for key, value in list(decoded.items()):
            if isinstance(value, str) and value.startswith("attach://"):
                part = value.removeprefix("attach://")
                if part in files:
                    files[key] = files[part]
        return decoded, files

    def _record(
        self,
        method: str,
        params: dict[str, Any],
        files: dict[str, UploadedFile],
        error_code: int | None,
    ) -> None:
        with self._lock:
            self._state.calls.append(
                Call(method, params, files, error_code is None, time.monotonic(), error_code)
            )

    def _take_failure(self, method: str) -> _Failure | None:
        with self._lock:
            for failure in self._state.failures:
                if failure.method == method.lower():
                    failure.times -= 1
                    if failure.times <= 0:
                        self._state.failures.remove(failure)
                    return failure
        return None

    @staticmethod
    def _error(code: int, description: str, retry_after: int | None = None) -> web.Response:
        body: dict[str, Any] = {"ok": False, "error_code": code, "description": description}
        if retry_after is not None:
            body["parameters"] = {"retry_after": retry_after}
        return web.json_response(body, status=code)

    async def _api(self, request: web.Request) -> web.Response:
        method = request.match_info["method"]
        if request.match_info["token"] != self.token:
            return self._error(401, "Unauthorized")
        params, files = await self._params(request)
        failure = self._take_failure(method)
        if failure is not None:
            self._record(method, params, files, failure.error_code)
            return self._error(failure.error_code, failure.description, failure.retry_after)
        handler = getattr(self, f"_m_{method.lower()}", None)
        if handler is None:
            self._record(method, params, files, 404)
            return self._error(404, "Not Found: method not found")
        if method.lower() == "getupdates":
            result = await self._get_updates(params)
            self._record(method, params, files, None)
            return web.json_response({"ok": True, "result": result})
        try:
            result = handler(params, files)
        except _BadRequest as error:
            self._record(method, params, files, 400)
            return self._error(400, f"Bad Request: {error}")
        self._record(method, params, files, None)
        return web.json_response({"ok": True, "result": result})

    async def _download(self, request: web.Request) -> web.Response:
        if request.match_info["token"] != self.token:
            return web.Response(status=401)
        path = request.match_info["path"]
        with self._lock:
            match = next((f for f in self._state.files.values() if f.file_path == path), None)
            if match is not None:
                self._state.downloads.append(path)
        if match is None:
            return web.Response(status=404)
        return web.Response(body=match.content, content_type="application/octet-stream")

    # ---- methods ---------------------------------------------------------------------------

    def _bot_user(self) -> dict[str, Any]:
        return {
            "id": BOT_ID,
            "is_bot": True,
            "first_name": "FitCoach",
            "username": BOT_USERNAME,
            "can_join_groups": True,
            "can_read_all_group_messages": False,
            "supports_inline_queries": False,
        }

    def _message(self, params: dict[str, Any], **content: Any) -> dict[str, Any]:
        chat_id = params.get("chat_id")
        if chat_id is None:
            raise _BadRequest("chat_id is empty")
        chat_type = "private" if int(chat_id) > 0 else "supergroup"
        return {
            "message_id": next(self._message_ids),
            "date": int(time.time()),
            "chat": {"id": int(chat_id), "type": chat_type},
            "from": self._bot_user(),
            **content,
        }

    def _m_getme(self, params: dict[str, Any], files: dict[str, UploadedFile]) -> Any:
        return self._bot_user()

    def _m_sendmessage(self, params: dict[str, Any], files: dict[str, UploadedFile]) -> Any:
        text = params.get("text")
        if not isinstance(text, str) or not text.strip():
            raise _BadRequest("message text is empty")
        if _utf16_len(text) > MAX_TEXT:
            raise _BadRequest("message is too long")
        return self._message(params, text=text)

    def _m_sendphoto(self, params: dict[str, Any], files: dict[str, UploadedFile]) -> Any:
        if "photo" not in files and not isinstance(params.get("photo"), str):
            raise _BadRequest("there is no photo in the request")
        size = {"file_id": "sent-photo", "file_unique_id": "sent", "width": 2, "height": 2}
        return self._message(params, photo=[size])

    def _m_senddocument(self, params: dict[str, Any], files: dict[str, UploadedFile]) -> Any:
        if "document" not in files and not isinstance(params.get("document"), str):
            raise _BadRequest("there is no document in the request")
        name = files["document"].filename if "document" in files else "file"
        return self._message(
            params, document={"file_id": "sent-doc", "file_unique_id": "doc", "file_name": name}
        )

    def _m_sendchataction(self, params: dict[str, Any], files: dict[str, UploadedFile]) -> Any:
        if "chat_id" not in params or "action" not in params:
            raise _BadRequest("chat_id and action are required")
        return True

    def _m_answercallbackquery(self, params: dict[str, Any], files: dict[str, UploadedFile]) -> Any:
        if not params.get("callback_query_id"):
            raise _BadRequest("query id is empty")
        return True

    def _m_editmessagereplymarkup(
        self, params: dict[str, Any], files: dict[str, UploadedFile]
    ) -> Any:
        return True

    def _m_getfile(self, params: dict[str, Any], files: dict[str, UploadedFile]) -> Any:
        with self._lock:
            stored = self._state.files.get(str(params.get("file_id")))
        if stored is None:
            raise _BadRequest("invalid file_id")
        return {
            "file_id": stored.file_id,
            "file_unique_id": stored.file_unique_id,
            "file_size": len(stored.content),
            "file_path": stored.file_path,
        }

    def _m_setwebhook(self, params: dict[str, Any], files: dict[str, UploadedFile]) -> Any:
        if not params.get("url"):
            raise _BadRequest("url is empty")
        with self._lock:
            self._state.webhook = params
            if params.get("drop_pending_updates"):
                self._state.updates.clear()
        return True

    def _m_deletewebhook(self, params: dict[str, Any], files: dict[str, UploadedFile]) -> Any:
        with self._lock:
            self._state.webhook = None
        return True

    def _m_setmycommands(self, params: dict[str, Any], files: dict[str, UploadedFile]) -> Any:
        with self._lock:
            self._state.commands = list(params.get("commands") or [])
        return True

    def _m_getupdates(self, params: dict[str, Any], files: dict[str, UploadedFile]) -> Any:
        raise AssertionError("served by _get_updates")  # pragma: no cover

    async def _get_updates(self, params: dict[str, Any]) -> list[dict[str, Any]]:
        offset = int(params.get("offset") or 0)
        wait = min(float(params.get("timeout") or 0), 0.5)
        deadline = time.monotonic() + wait
        while True:
            with self._lock:
                while self._state.updates and self._state.updates[0]["update_id"] < offset:
                    self._state.updates.popleft()  # confirmed by the offset
                pending = list(self._state.updates)
            if pending or time.monotonic() >= deadline:
                return pending
            await asyncio.sleep(0.02)


class _BadRequest(Exception):
    pass


@pytest.fixture
def fake_telegram() -> Iterator[FakeTelegram]:
    """A started :class:`FakeTelegram`."""
    with FakeTelegram() as fake:
        yield fake


@contextlib.contextmanager
def running_fake_telegram(**kwargs: Any) -> Iterator[FakeTelegram]:
    """``with FakeTelegram(**kwargs) as fake`` as a helper."""
    with FakeTelegram(**kwargs) as fake:
        yield fake
