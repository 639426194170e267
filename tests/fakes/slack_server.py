"""A local fake of the Slack Web API for tests (real HTTP on 127.0.0.1, aiohttp in a thread).

The REAL ``slack_sdk`` ``AsyncWebClient`` talks to it: point ``base_url`` (fitcoach:
``FITCOACH_SLACK_API_URL``) at :attr:`FakeSlack.api_url`. It implements what the fitcoach
Slack channel uses:

- ``auth.test``, ``chat.postMessage``, ``chat.postEphemeral``, ``chat.update``, ``users.info``
  (posted messages are kept, :meth:`FakeSlack.message`; ``chat.update`` edits only a message
  the bot posted, else ``message_not_found``; channels in :attr:`FakeSlack.outside` answer
  ``not_in_channel``, as Slack does when the app was not invited)
- ``files.getUploadURLExternal`` + the upload URL + ``files.completeUploadExternal``
  (what ``files_upload_v2`` calls)
- private file downloads (:meth:`FakeSlack.file_url`): a PNG only with
  ``Authorization: Bearer <download_token>``, else Slack's HTML sign-in page (HTTP 200, the
  way Slack answers a bad token)
- ``response_url`` endpoints for slash commands and ephemeral buttons
  (:meth:`FakeSlack.response_url`)

Every request is recorded (:attr:`FakeSlack.calls`); :meth:`FakeSlack.fail_next` scripts a
failure (e.g. HTTP 429 ``ratelimited`` with ``Retry-After``) for the next call(s) of a method.
Web API methods check ``Authorization: Bearer <token>`` and answer ``invalid_auth`` otherwise.

    with FakeSlack() as slack:
        ...
        [post] = slack.wait_for("chat.postMessage")
        assert post.args["channel"] == "D123"
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import itertools
import json
import struct
import threading
import time
import zlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from types import TracebackType
from typing import Any
from urllib.parse import parse_qsl

import pytest
from aiohttp import web

__all__ = ["DEFAULT_TOKEN", "FakeSlack", "RecordedCall", "fake_slack", "signed_headers", "tiny_png"]

DEFAULT_TOKEN = "xoxb-fake-slack-token"
TEAM_ID = "T0FIT"
BOT_USER_ID = "UBOTFIT"
BOT_ID = "BBOTFIT"

SIGN_IN_PAGE = (
    "<!DOCTYPE html><html><head><title>Slack</title></head>"
    "<body><h1>Sign in to your workspace</h1></body></html>"
)


def signed_headers(body: str, secret: str, timestamp: int | None = None) -> dict[str, str]:
    """Slack's request signature headers: v0=HMAC-SHA256(secret, "v0:{ts}:{body}")."""
    ts = str(timestamp if timestamp is not None else int(time.time()))
    digest = hmac.new(secret.encode(), f"v0:{ts}:{body}".encode(), hashlib.sha256).hexdigest()
    return {"X-Slack-Request-Timestamp": ts, "X-Slack-Signature": f"v0={digest}"}


def tiny_png() -> bytes:
    """A valid 1×1 PNG."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return (
            struct.pack(">I", len(data))
            + kind
            + data
            + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)
        )

    header = struct.pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 0)
    pixels = zlib.compress(b"\x00\xff\x80\x00")
    return (
        b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", pixels) + chunk(b"IEND", b"")
    )


@dataclass
class RecordedCall:
    """One request the fake received.

    ``method`` is the Web API method (``chat.postMessage``), or ``upload`` / ``download`` /
    ``response_url`` for the other endpoints. ``args`` merges query, form and JSON body."""

    method: str
    path: str
    headers: dict[str, str]
    args: dict[str, Any]
    raw: bytes
    status: int = 200
    ok: bool = True

    @property
    def bearer(self) -> str | None:
        """The bearer token sent, if any."""
        value = self.headers.get("authorization", "")
        return value[7:] if value.lower().startswith("bearer ") else None


@dataclass
class ScriptedFailure:
    """The answer for the next call(s) of ``method``."""

    method: str
    status: int = 429
    error: str = "ratelimited"
    retry_after: int | None = 1
    times: int = 1


@dataclass
class _State:
    calls: list[RecordedCall] = field(default_factory=list)
    failures: list[ScriptedFailure] = field(default_factory=list)
    uploads: dict[str, bytes] = field(default_factory=dict)
    completed_files: dict[str, dict[str, Any]] = field(default_factory=dict)
    messages: dict[tuple[str, str], dict[str, Any]] = field(default_factory=dict)


class FakeSlack:
    """Fake Slack Web API server on an ephemeral 127.0.0.1 port."""

    def __init__(
        self,
        *,
        token: str = DEFAULT_TOKEN,
        team_id: str = TEAM_ID,
        bot_user_id: str = BOT_USER_ID,
        bot_id: str = BOT_ID,
    ) -> None:
        self.token = token
        self.download_token = token  # set to another value to simulate a bad/rotated token
        self.team_id = team_id
        self.bot_user_id = bot_user_id
        self.bot_id = bot_id
        self.png = tiny_png()
        self.users: dict[str, dict[str, Any]] = {}
        self.outside: set[str] = set()
        """Channels the app is not a member of (posting there answers ``not_in_channel``)."""
        self._state = _State()
        self._lock = threading.Lock()
        self._ts = itertools.count(1)
        self._ids = itertools.count(1)
        self._loop: asyncio.AbstractEventLoop | None = None
        self._runner: web.AppRunner | None = None
        self._thread: threading.Thread | None = None
        self._port: int | None = None

    # ------------------------------------------------------------------ lifecycle
    def start(self) -> FakeSlack:
        """Start serving in a background thread."""
        if self._thread is not None:
            return self
        ready = threading.Event()
        loop = asyncio.new_event_loop()
        self._loop = loop

        def run() -> None:
            asyncio.set_event_loop(loop)
            loop.run_until_complete(self._serve())
            ready.set()
            loop.run_forever()

        self._thread = threading.Thread(target=run, name="fake-slack", daemon=True)
        self._thread.start()
        if not ready.wait(10):
            raise RuntimeError("fake Slack did not start")
        return self

    async def _serve(self) -> None:
        app = web.Application()
        app.router.add_post("/api/{method}", self._api)
        app.router.add_get("/api/{method}", self._api)
        app.router.add_post("/upload/{file_id}", self._upload)
        app.router.add_get("/files-pri/{team_file}/{name}", self._download)
        app.router.add_post("/response/{key}", self._response_url)
        runner = web.AppRunner(app, access_log=None)
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        self._runner = runner
        self._port = int(runner.addresses[0][1])

    def close(self) -> None:
        """Stop the server and its thread."""
        loop, runner = self._loop, self._runner
        if loop is None or self._thread is None:
            return
        if runner is not None:
            asyncio.run_coroutine_threadsafe(runner.cleanup(), loop).result(timeout=10)
        loop.call_soon_threadsafe(loop.stop)
        self._thread.join(timeout=10)
        loop.close()
        self._thread = self._loop = self._runner = None

    def __enter__(self) -> FakeSlack:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    # ------------------------------------------------------------------ addresses
    @property
    def base_url(self) -> str:
        """``http://127.0.0.1:<port>``."""
        if self._port is None:
            raise RuntimeError("FakeSlack is not started")
        return f"http://127.0.0.1:{self._port}"

    @property
    def api_url(self) -> str:
        """The Web API base URL (``FITCOACH_SLACK_API_URL``)."""
        return f"{self.base_url}/api/"

    def file_url(self, file_id: str, name: str = "photo.png") -> str:
        """A ``url_private`` for a file a person shared."""
        return f"{self.base_url}/files-pri/{self.team_id}-{file_id}/{name}"

    def response_url(self, key: str = "cmd") -> str:
        """A ``response_url`` as Slack puts in slash commands and interactive payloads."""
        return f"{self.base_url}/response/{key}"

    # ------------------------------------------------------------------ scripting & records
    def fail_next(
        self,
        method: str,
        *,
        status: int = 429,
        error: str = "ratelimited",
        retry_after: int | None = 1,
        times: int = 1,
    ) -> None:
        """Answer the next ``times`` calls of ``method`` with a failure.

        HTTP 429 comes with ``Retry-After``; any other ``status`` of 200 answers
        ``{"ok": false, "error": error}`` the way Slack reports API errors."""
        with self._lock:
            self._state.failures.append(ScriptedFailure(method, status, error, retry_after, times))

    @property
    def calls(self) -> list[RecordedCall]:
        """Every request so far, in order."""
        with self._lock:
            return list(self._state.calls)

    def calls_to(self, method: str, *, ok_only: bool = False) -> list[RecordedCall]:
        """The recorded calls of one method (optionally only the successful ones)."""
        return [c for c in self.calls if c.method == method and (c.ok or not ok_only)]

    def message(self, channel: str, ts: str) -> dict[str, Any] | None:
        """The bot's message as it stands now (after any ``chat.update``)."""
        with self._lock:
            found = self._state.messages.get((channel, ts))
            return dict(found) if found is not None else None

    def messages_in(self, channel: str) -> list[dict[str, Any]]:
        """The bot's messages in a channel, oldest first, each with its ``ts``."""
        with self._lock:
            found = [
                {**message, "ts": ts}
                for (where, ts), message in self._state.messages.items()
                if where == channel
            ]
        return found

    @property
    def uploads(self) -> dict[str, bytes]:
        """Bytes received on upload URLs, by file id."""
        with self._lock:
            return dict(self._state.uploads)

    def wait_for(
        self, method: str, count: int = 1, *, timeout: float = 15.0, ok_only: bool = True
    ) -> list[RecordedCall]:
        """Poll until ``count`` calls of ``method`` were recorded; fail the test otherwise."""
        deadline = time.monotonic() + timeout
        while True:
            found = self.calls_to(method, ok_only=ok_only)
            if len(found) >= count:
                return found
            if time.monotonic() > deadline:
                seen = [c.method for c in self.calls]
                raise AssertionError(f"expected {count} {method} call(s), got {found}; saw {seen}")
            time.sleep(0.02)

    def settle(self, quiet: float = 0.4, timeout: float = 10.0) -> None:
        """Wait until no request arrived for ``quiet`` seconds (to prove nothing more comes)."""
        deadline = time.monotonic() + timeout
        last = len(self.calls)
        quiet_since = time.monotonic()
        while time.monotonic() < deadline:
            time.sleep(0.05)
            now = len(self.calls)
            if now != last:
                last, quiet_since = now, time.monotonic()
            elif time.monotonic() - quiet_since >= quiet:
                return

    # ------------------------------------------------------------------ handlers
    async def _record(self, request: web.Request, method: str) -> RecordedCall:
        raw = await request.read()
        args: dict[str, Any] = dict(request.query)
        content_type = request.headers.get("Content-Type", "")
        if raw and "application/json" in content_type:
            body = json.loads(raw)
            if isinstance(body, dict):
                args.update(body)
        elif raw and "application/x-www-form-urlencoded" in content_type:
            args.update(dict(parse_qsl(raw.decode())))
        call = RecordedCall(
            method=method,
            path=request.path,
            headers={k.lower(): v for k, v in request.headers.items()},
            args=args,
            raw=raw,
        )
        with self._lock:
            self._state.calls.append(call)
        return call

    def _scripted(self, method: str) -> ScriptedFailure | None:
        with self._lock:
            for failure in self._state.failures:
                if failure.method == method:
                    failure.times -= 1
                    if failure.times <= 0:
                        self._state.failures.remove(failure)
                    return failure
        return None

    def _failure_response(self, call: RecordedCall, failure: ScriptedFailure) -> web.Response:
        call.status, call.ok = failure.status, False
        headers = {}
        if failure.status == 429 and failure.retry_after is not None:
            headers["Retry-After"] = str(failure.retry_after)
        return web.json_response(
            {"ok": False, "error": failure.error}, status=failure.status, headers=headers
        )

    async def _api(self, request: web.Request) -> web.Response:
        method = request.match_info["method"]
        call = await self._record(request, method)
        failure = self._scripted(method)
        if failure is not None:
            return self._failure_response(call, failure)
        if call.bearer != self.token and call.args.get("token") != self.token:
            call.ok = False
            return web.json_response({"ok": False, "error": "invalid_auth"})
        handler = getattr(self, "_m_" + method.replace(".", "_"), None)
        if handler is None:
            call.ok = False
            return web.json_response({"ok": False, "error": "unknown_method"})
        payload: dict[str, Any] = handler(call.args)
        call.ok = bool(payload.get("ok"))
        return web.json_response(payload)

    def _next_ts(self) -> str:
        return f"{int(time.time())}.{next(self._ts):06d}"

    def _m_auth_test(self, args: dict[str, Any]) -> dict[str, Any]:
        return {
            "ok": True,
            "url": "https://fitcoach-test.slack.com/",
            "team": "Fit Team",
            "user": "fitcoach",
            "team_id": self.team_id,
            "user_id": self.bot_user_id,
            "bot_id": self.bot_id,
            "is_enterprise_install": False,
        }

    def _m_chat_postMessage(self, args: dict[str, Any]) -> dict[str, Any]:
        channel = args.get("channel")
        if not channel:
            return {"ok": False, "error": "channel_not_found"}
        if channel in self.outside:
            return {"ok": False, "error": "not_in_channel"}
        if not args.get("text") and not args.get("blocks"):
            return {"ok": False, "error": "no_text"}
        blocks = _blocks_arg(args)
        if blocks is not None and not _valid_blocks(blocks):
            return {"ok": False, "error": "invalid_blocks"}
        ts = self._next_ts()
        message = {"type": "message", "text": args.get("text", ""), "ts": ts, "bot_id": self.bot_id}
        if blocks is not None:
            message["blocks"] = blocks
        if args.get("thread_ts"):
            message["thread_ts"] = args["thread_ts"]
        with self._lock:
            self._state.messages[(channel, ts)] = message
        return {"ok": True, "channel": channel, "ts": ts, "message": message}

    def _m_chat_postEphemeral(self, args: dict[str, Any]) -> dict[str, Any]:
        if not args.get("channel") or not args.get("user"):
            return {"ok": False, "error": "invalid_arguments"}
        if args["channel"] in self.outside:
            return {"ok": False, "error": "not_in_channel"}
        if not args.get("text") and not args.get("blocks"):
            return {"ok": False, "error": "no_text"}
        return {"ok": True, "message_ts": self._next_ts()}

    def _m_chat_update(self, args: dict[str, Any]) -> dict[str, Any]:
        channel, ts = args.get("channel"), args.get("ts")
        if not channel or not ts:
            return {"ok": False, "error": "invalid_arguments"}
        if not args.get("text") and not args.get("blocks"):
            return {"ok": False, "error": "no_text"}
        blocks = _blocks_arg(args)
        if blocks is not None and not _valid_blocks(blocks):
            return {"ok": False, "error": "invalid_blocks"}
        with self._lock:
            message = self._state.messages.get((channel, ts))
            if message is None:
                return {"ok": False, "error": "message_not_found"}
            message = {**message, "text": args.get("text", message.get("text", ""))}
            if blocks is not None:
                message["blocks"] = blocks
            message["edited"] = {"user": self.bot_user_id, "ts": self._next_ts()}
            self._state.messages[(channel, ts)] = message
        return {"ok": True, "channel": channel, "ts": ts, "text": message["text"]}

    def _m_users_info(self, args: dict[str, Any]) -> dict[str, Any]:
        user = args.get("user", "")
        if user in self.users:
            return {"ok": True, "user": self.users[user]}
        return {
            "ok": True,
            "user": {"id": user, "name": user.lower(), "real_name": "Test Person", "tz": "UTC"},
        }

    def _m_files_getUploadURLExternal(self, args: dict[str, Any]) -> dict[str, Any]:
        if not args.get("filename") or not str(args.get("length", "")).isdigit():
            return {"ok": False, "error": "invalid_arguments"}
        file_id = f"F{next(self._ids):08d}"
        return {"ok": True, "upload_url": f"{self.base_url}/upload/{file_id}", "file_id": file_id}

    def _m_files_completeUploadExternal(self, args: dict[str, Any]) -> dict[str, Any]:
        try:
            files = json.loads(args.get("files", "[]"))
        except json.JSONDecodeError:
            return {"ok": False, "error": "invalid_arguments"}
        done = []
        with self._lock:
            for item in files:
                if item.get("id") not in self._state.uploads:
                    return {"ok": False, "error": "file_not_found"}
                record = {"id": item["id"], "title": item.get("title", ""), "name": item["id"]}
                self._state.completed_files[item["id"]] = record | {
                    "channel": args.get("channel_id"),
                    "thread_ts": args.get("thread_ts"),
                }
                done.append(record)
        return {"ok": True, "files": done}

    async def _upload(self, request: web.Request) -> web.Response:
        call = await self._record(request, "upload")
        file_id = request.match_info["file_id"]
        with self._lock:
            self._state.uploads[file_id] = call.raw
        return web.Response(text=f"OK - {len(call.raw)}")

    async def _download(self, request: web.Request) -> web.Response:
        call = await self._record(request, "download")
        failure = self._scripted("download")
        if failure is not None:
            return self._failure_response(call, failure)
        if call.bearer != self.download_token:
            call.ok = False
            return web.Response(text=SIGN_IN_PAGE, content_type="text/html")
        return web.Response(body=self.png, content_type="image/png")

    async def _response_url(self, request: web.Request) -> web.Response:
        call = await self._record(request, "response_url")
        failure = self._scripted("response_url")
        if failure is not None:
            return self._failure_response(call, failure)
        if not call.args.get("text") and not call.args.get("blocks"):
            call.ok = False
            return web.Response(status=400, text="no_text")
        return web.Response(text="ok")


def _blocks_arg(args: dict[str, Any]) -> Any:
    """``blocks`` as sent: a JSON string (form-encoded calls) or a list (JSON calls)."""
    blocks = args.get("blocks")
    return json.loads(blocks) if isinstance(blocks, str) else blocks


def _valid_blocks(blocks: Any) -> bool:
    """A light Block Kit check: a list of typed blocks, buttons with text and action_id."""
    if not isinstance(blocks, list) or len(blocks) > 50:
        return False
    for block in blocks:
        if not isinstance(block, dict) or "type" not in block:
            return False
        if block["type"] == "section" and len(block.get("text", {}).get("text", "")) > 3000:
            return False
        if block["type"] == "actions":
            for element in block.get("elements", []):
                if not element.get("action_id") or not element.get("text", {}).get("text"):
                    return False
        if block["type"] == "context":
            elements = block.get("elements")
            if not isinstance(elements, list) or not 0 < len(elements) <= 10:
                return False
    return True


@pytest.fixture
def fake_slack() -> Iterator[FakeSlack]:
    """A started :class:`FakeSlack`."""
    with FakeSlack() as fake:
        yield fake
