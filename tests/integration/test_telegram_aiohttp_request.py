"""AiohttpRequest: a real PTB Bot against the local fake Telegram server (and against servers
that never answer or do not listen), plus the setting that picks the HTTP client."""

from __future__ import annotations

import asyncio
import socket
import time
from collections.abc import AsyncIterator

import pytest
from pydantic import SecretStr
from telegram import Bot, Message
from telegram.constants import ChatAction
from telegram.error import Forbidden, NetworkError, RetryAfter, TimedOut
from telegram.request import HTTPXRequest

from fitcoach.channels.telegram.client import build_application
from fitcoach.channels.telegram.request import AiohttpRequest, proxy_for
from fitcoach.config import Settings
from tests.fakes.telegram_server import DEFAULT_TOKEN, FakeTelegram, fake_telegram, png_bytes

__all__ = ["fake_telegram"]  # the fixture, re-exported for pytest


def _bot(url: str, request: AiohttpRequest | None = None) -> Bot:
    return Bot(
        DEFAULT_TOKEN,
        base_url=f"{url}/bot",
        base_file_url=f"{url}/file/bot",
        request=request or AiohttpRequest(proxy=None),
    )


@pytest.fixture
async def silent_server() -> AsyncIterator[str]:
    """A server that accepts connections and reads requests but never answers."""
    release = asyncio.Event()

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await release.wait()
        writer.close()

    server = await asyncio.start_server(handle, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    yield f"http://127.0.0.1:{port}"
    release.set()
    server.close()
    await server.wait_closed()


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


async def test_send_message_returns_a_message(fake_telegram: FakeTelegram) -> None:
    async with _bot(fake_telegram.url) as bot:
        assert bot.username == "fitcoach_test_bot"  # getMe through the same request
        message = await bot.send_message(42, "Logged 2 eggs: 143 kcal & 12 g protein ✓")
        assert await bot.send_chat_action(42, ChatAction.TYPING) is True
    assert isinstance(message, Message)
    assert message.chat.id == 42
    assert message.text == "Logged 2 eggs: 143 kcal & 12 g protein ✓"
    [sent] = fake_telegram.sent("sendMessage")
    assert sent.params["text"] == "Logged 2 eggs: 143 kcal & 12 g protein ✓"
    [action] = fake_telegram.sent("sendChatAction")
    assert action.params == {"chat_id": 42, "action": "typing"}


async def test_send_photo_uploads_the_bytes(fake_telegram: FakeTelegram) -> None:
    png = png_bytes(4, 3)
    async with _bot(fake_telegram.url) as bot:
        message = await bot.send_photo(42, png, caption='Week 3 "progress" ✓', filename="w3.png")
    assert message.photo
    [sent] = fake_telegram.sent("sendPhoto")
    assert sent.files["photo"].content == png
    assert sent.files["photo"].filename == "w3.png"
    assert sent.params["caption"] == 'Week 3 "progress" ✓'
    assert sent.params["chat_id"] == 42


async def test_download_through_get(fake_telegram: FakeTelegram) -> None:
    png = png_bytes()
    file_id = fake_telegram.add_file(png, file_path="photos/file_1.png")
    async with _bot(fake_telegram.url) as bot:
        telegram_file = await bot.get_file(file_id)
        assert bytes(await telegram_file.download_as_bytearray()) == png
    assert fake_telegram.downloads == ["photos/file_1.png"]


async def test_429_raises_retry_after(fake_telegram: FakeTelegram) -> None:
    fake_telegram.fail_next("sendMessage", error_code=429, retry_after=3)
    async with _bot(fake_telegram.url) as bot:
        with pytest.raises(RetryAfter) as raised:
            await bot.send_message(42, "hi")
        assert "3" in str(raised.value)
        await bot.send_message(42, "again")  # the connection is still usable
    assert [c.ok for c in fake_telegram.attempts("sendMessage")] == [False, True]


async def test_403_raises_forbidden(fake_telegram: FakeTelegram) -> None:
    fake_telegram.fail_next("sendMessage", error_code=403)
    async with _bot(fake_telegram.url) as bot:
        with pytest.raises(Forbidden, match="blocked"):
            await bot.send_message(42, "hi")


async def test_silent_server_times_out_within_the_read_timeout(silent_server: str) -> None:
    request = AiohttpRequest(read_timeout=0.3, proxy=None)
    bot = _bot(silent_server, request)
    await request.initialize()
    try:
        started = time.monotonic()
        with pytest.raises(TimedOut) as raised:
            await bot.send_message(42, "hi")
        assert time.monotonic() - started < 2.0
        assert DEFAULT_TOKEN not in str(raised.value)
        # An explicit per-call timeout wins over the constructor's default.
        started = time.monotonic()
        with pytest.raises(TimedOut):
            await bot.send_message(42, "hi", read_timeout=0.1)
        assert time.monotonic() - started < 1.0
    finally:
        await request.shutdown()


async def test_per_call_timeout_overrides_a_long_default(silent_server: str) -> None:
    request = AiohttpRequest(read_timeout=30, proxy=None)
    try:
        started = time.monotonic()
        with pytest.raises(TimedOut):
            await _bot(silent_server, request).send_chat_action(
                42, ChatAction.TYPING, read_timeout=0.2
            )
        assert time.monotonic() - started < 2.0
    finally:
        await request.shutdown()


async def test_closed_port_raises_network_error() -> None:
    request = AiohttpRequest(proxy=None)
    try:
        with pytest.raises(NetworkError) as raised:
            await _bot(f"http://127.0.0.1:{_closed_port()}", request).send_message(42, "hi")
        assert not isinstance(raised.value, TimedOut)
        assert "aiohttp.ClientConnectorError" in str(raised.value)
        assert DEFAULT_TOKEN not in str(raised.value)
    finally:
        await request.shutdown()


async def test_shut_down_request_refuses_requests(fake_telegram: FakeTelegram) -> None:
    request = AiohttpRequest(proxy=None)
    bot = _bot(fake_telegram.url, request)
    async with bot:
        await bot.send_message(42, "hi")
    with pytest.raises(RuntimeError, match="not initialized"):
        await request.do_request(f"{fake_telegram.url}/bot{DEFAULT_TOKEN}/getMe", "POST")
    await request.initialize()  # and it can be opened again
    try:
        status, _ = await request.do_request(
            f"{fake_telegram.url}/bot{DEFAULT_TOKEN}/getMe", "POST"
        )
        assert status == 200
    finally:
        await request.shutdown()


def test_proxy_is_resolved_once_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("HTTPS_PROXY", "https_proxy", "ALL_PROXY", "all_proxy", "NO_PROXY", "no_proxy"):
        monkeypatch.delenv(name, raising=False)
    assert proxy_for("https://api.telegram.org") is None
    monkeypatch.setenv("HTTPS_PROXY", "http://user:p%40ss@proxy.local:3128")
    assert proxy_for("https://api.telegram.org") == "http://user:p%40ss@proxy.local:3128"
    request = AiohttpRequest()
    assert request.proxy == "http://proxy.local:3128"  # credentials go in a header
    assert request._proxy_headers == {"Proxy-Authorization": "Basic dXNlcjpwQHNz"}  # user:p@ss
    assert AiohttpRequest(proxy=None).proxy is None
    monkeypatch.setenv("NO_PROXY", "api.telegram.org")
    assert proxy_for("https://api.telegram.org") is None
    assert AiohttpRequest().proxy is None
    with pytest.raises(ValueError, match="SOCKS"):
        AiohttpRequest(proxy="socks5://127.0.0.1:1080")


def test_setting_switches_the_http_client(monkeypatch: pytest.MonkeyPatch) -> None:
    token = SecretStr(DEFAULT_TOKEN)
    application = build_application(Settings(telegram_bot_token=token))
    assert isinstance(application.bot.request, AiohttpRequest)
    # Polling (getUpdates) uses the bot's other request object.
    assert all(isinstance(r, AiohttpRequest) for r in application.bot._request)

    monkeypatch.setenv("FITCOACH_TELEGRAM_HTTP_CLIENT", "httpx")
    settings = Settings(telegram_bot_token=token)
    assert settings.telegram_http_client == "httpx"
    application = build_application(settings)
    assert all(isinstance(r, HTTPXRequest) for r in application.bot._request)
