"""The web widget in a real headless Chromium against a real uvicorn server.

Needs Debian's ``chromium`` (``apt-get install chromium``, or ``FITCOACH_CHROMIUM=/path``) and
the ``playwright`` Python package (no ``playwright install``: the system browser is used)."""

from __future__ import annotations

import asyncio
import base64
import json
import os
import re
import shutil
import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
import uvicorn
from fastapi import FastAPI

from fitcoach.app import create_app
from fitcoach.channels.base import Button, InboundMessage, OutboundMessage
from fitcoach.channels.web.tokens import sign_user_token
from fitcoach.config import get_settings
from fitcoach.storage.outage import DatabaseUnavailable

CHROMIUM = os.environ.get("FITCOACH_CHROMIUM") or shutil.which("chromium") or "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
SCREENSHOT = Path("/tmp/widget.png")
PHONE_SCREENSHOT = Path("/tmp/widget-phone.png")
MEAL = "had 2 large eggs and a banana"
AMBIGUOUS = "had tofu scramble"  # the offline coach asks which food, with four options
TOFU = "3. Tofu, fried"
SECRET = "widget-test-secret"
RESTORED_SCREENSHOT = Path("/tmp/widget-restored.png")
RESTORED_PHONE_SCREENSHOT = Path("/tmp/widget-restored-phone.png")
PNG = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8DwHwAFBQIAX8jx0gAAAABJRU5ErkJggg=="
)

sync_api = pytest.importorskip(
    "playwright.sync_api", reason="playwright is not installed (pip install playwright)"
)
if not Path(CHROMIUM).exists():
    pytest.skip(
        f"chromium not found at {CHROMIUM} (apt-get install chromium, or set FITCOACH_CHROMIUM)",
        allow_module_level=True,
    )
expect = sync_api.expect


@dataclass
class LiveServer:
    """A uvicorn server running the full app in a background thread."""

    url: str
    app: FastAPI


@pytest.fixture(scope="module")
def live_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    settings = get_settings(
        data_dir=tmp_path_factory.mktemp("web") / "var",
        model="offline",
        web_user_secret=SECRET,
    )
    app = create_app(settings)
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", lifespan="on"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 60
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            pytest.fail("uvicorn did not start")
        time.sleep(0.05)
    yield LiveServer(f"http://127.0.0.1:{port}", app)
    server.should_exit = True
    thread.join(timeout=15)
    sock.close()


@dataclass
class HostSite:
    """Another origin (a shop's website) whose page embeds the widget with a user token."""

    url: str
    pages: dict[str, str]


@pytest.fixture(scope="module")
def host_site(live_server: LiveServer) -> Iterator[HostSite]:
    """A real HTTP server on another loopback port, allowed as an origin of the chat."""
    pages: dict[str, str] = {}

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            body = pages.get(self.path, "not found").encode()
            self.send_response(200 if self.path in pages else 404)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: Any) -> None:
            return

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    url = f"http://127.0.0.1:{server.server_address[1]}"
    settings = live_server.app.state.services.settings
    object.__setattr__(settings, "web_allowed_origins", [url])  # read on every request
    yield HostSite(url, pages)
    server.shutdown()
    server.server_close()


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    with sync_api.sync_playwright() as playwright:
        launched = playwright.chromium.launch(
            executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS
        )
        yield launched
        launched.close()


def open_widget(page: Any) -> Any:
    """Click the floating button; returns the message box (focused)."""
    page.get_by_role("button", name="Open chat with your coach").click()
    box = page.get_by_role("textbox", name="Message")
    expect(box).to_be_focused()
    return box


def record_frames(page: Any) -> list[dict[str, Any]]:
    """Every JSON frame the page receives on its WebSocket."""
    frames: list[dict[str, Any]] = []

    def on_socket(ws: Any) -> None:
        ws.on("framereceived", lambda payload: frames.append(json.loads(payload)))

    page.on("websocket", on_socket)
    return frames


def test_streamed_reply_and_history_after_reload(live_server: LiveServer, browser: Any) -> None:
    context = browser.new_context(viewport={"width": 1280, "height": 800})
    page = context.new_page()
    frames = record_frames(page)
    page.goto(live_server.url)
    box = open_widget(page)
    box.fill(MEAL)
    box.press("Enter")
    conversation = page.get_by_role("log", name="Conversation")
    expect(conversation).to_contain_text("143 kcal", timeout=30_000)
    expect(page.locator("[data-fitcoach-widget] .fc-coach[aria-busy]")).to_have_count(0)
    kinds = [f["type"] for f in frames]
    assert kinds.count("delta") >= 3, kinds  # streamed in chunks, not one blob
    assert kinds.index("start") < kinds.index("delta") < kinds.index("end")
    end = next(f for f in frames if f["type"] == "end")
    assert "".join(f["text"] for f in frames if f["type"] == "delta") == end["text"]
    page.screenshot(path=str(SCREENSHOT))

    page.reload()  # the panel reopens and the history is loaded over HTTP
    conversation = page.get_by_role("log", name="Conversation")
    expect(conversation).to_contain_text(MEAL, timeout=15_000)
    expect(conversation).to_contain_text("143 kcal")
    expect(page.locator("[data-fitcoach-widget] .fc-past")).to_have_count(2)
    context.close()


def test_phone_viewport_panel_fills_the_screen(live_server: LiveServer, browser: Any) -> None:
    context = browser.new_context(
        viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True
    )
    page = context.new_page()
    page.goto(live_server.url)
    launcher = page.get_by_role("button", name="Open chat with your coach")
    box = launcher.bounding_box()
    assert box is not None and box["x"] + box["width"] <= 390 and box["y"] + box["height"] <= 844
    message = open_widget(page)
    panel = page.get_by_role("dialog", name="fitcoach").bounding_box()
    assert panel == {"x": 0, "y": 0, "width": 390, "height": 844}
    message.fill("bench 3x5 at 80kg")
    message.press("Enter")
    expect(page.get_by_role("log", name="Conversation")).to_contain_text(
        "Bench Press", timeout=30_000
    )
    expect(page.locator("[data-fitcoach-widget] .fc-coach[aria-busy]")).to_have_count(0)
    page.screenshot(path=str(PHONE_SCREENSHOT))
    context.close()


def test_keyboard_only_use(live_server: LiveServer, browser: Any) -> None:
    context = browser.new_context(viewport={"width": 1280, "height": 800})
    page = context.new_page()
    page.goto(live_server.url)
    launcher = page.get_by_role("button", name="Open chat with your coach")
    expect(launcher).to_be_visible()
    page.keyboard.press("Tab")
    expect(launcher).to_be_focused()
    page.keyboard.press("Enter")
    box = page.get_by_role("textbox", name="Message")
    expect(box).to_be_focused()
    page.keyboard.type("how am I doing today?")
    page.keyboard.press("Enter")
    expect(page.get_by_role("log", name="Conversation")).to_contain_text(
        "haven't logged anything", timeout=30_000
    )
    page.keyboard.press("Shift+Tab")
    expect(page.get_by_role("button", name="Send a food photo")).to_be_focused()
    page.keyboard.press("Escape")
    expect(page.get_by_role("dialog", name="fitcoach")).to_be_hidden()
    expect(page.get_by_role("button", name="Open chat with your coach")).to_be_focused()
    context.close()


def test_quick_reply_buttons_send_their_value(
    live_server: LiveServer, browser: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    seen: list[str] = []

    async def handle(message: InboundMessage, on_stored: Any = None) -> list[OutboundMessage]:
        if on_stored is not None:
            await on_stored()
        seen.append(message.text)
        if message.text == "2":
            return [OutboundMessage(text="You picked the medium one.")]
        options = [Button(label="1. Small", value="1"), Button(label="2. Medium", value="2")]
        return [OutboundMessage(text="Which size was it?", buttons=options)]

    services = live_server.app.state.services
    monkeypatch.setattr(services.conversation, "handle", handle)
    context = browser.new_context(viewport={"width": 1280, "height": 800})
    page = context.new_page()
    page.goto(live_server.url)
    box = open_widget(page)
    box.fill("had an apple")
    box.press("Enter")
    choices = page.get_by_role("group", name="Quick replies")
    expect(choices.get_by_role("button")).to_have_count(2, timeout=30_000)
    choices.get_by_role("button", name="2. Medium").click()
    conversation = page.get_by_role("log", name="Conversation")
    expect(conversation).to_contain_text("You picked the medium one.", timeout=30_000)
    expect(choices).to_be_hidden()
    assert seen == ["had an apple", "2"]
    context.close()


def test_photo_upload_from_the_widget(live_server: LiveServer, browser: Any) -> None:
    context = browser.new_context(viewport={"width": 1280, "height": 800})
    page = context.new_page()
    page.goto(live_server.url)
    open_widget(page)
    files_dir = live_server.app.state.services.settings.data_dir / "files" / "web"
    before = set(files_dir.glob("*")) if files_dir.exists() else set()
    page.locator("[data-fitcoach-widget] .fc-file").set_input_files(
        files=[{"name": "plate.png", "mimeType": "image/png", "buffer": PNG}]
    )
    expect(page.get_by_role("img", name="Your photo")).to_be_visible(timeout=15_000)
    coach = page.locator("[data-fitcoach-widget] .fc-coach:not([aria-busy])")
    expect(coach).to_have_count(1, timeout=30_000)
    expect(page.locator("[data-fitcoach-widget] .fc-error")).to_have_count(0)
    stored = set(files_dir.glob("*")) - before
    assert len(stored) == 1 and next(iter(stored)).suffix == ".jpg"  # shrunk to JPEG
    context.close()


# ---------- the conversation after a reload looks as it did ----------


def widget(page: Any, selector: str) -> Any:
    """A locator inside the widget's shadow root."""
    return page.locator(f"[data-fitcoach-widget] {selector}")


def finished_replies(page: Any, count: int) -> None:
    """Wait until ``count`` coach replies have ended."""
    expect(widget(page, ".fc-coach:not([aria-busy])")).to_have_count(count, timeout=30_000)


def say(page: Any, text: str, replies: int) -> None:
    """Type a message, send it with Enter and wait for the ``replies``-th coach reply."""
    box = page.get_by_role("textbox", name="Message")
    box.fill(text)
    box.press("Enter")
    finished_replies(page, replies)


def bubble_texts(page: Any) -> list[tuple[str, str]]:
    """Every message as (role, shown text), in order."""
    texts: list[tuple[str, str]] = widget(page, ".fc-msg").evaluate_all(
        "items => items.map(i => [i.classList.contains('fc-user') ? 'user' : 'coach',"
        " i.querySelector('.fc-text').textContent])"
    )
    return [(role, text) for role, text in texts]


def assert_image_loaded(page: Any, image: Any) -> None:
    """The image shows real pixels fetched with the session's credentials (a blob URL)."""
    expect(image).to_be_visible(timeout=15_000)
    expect(image).to_have_attribute("src", re.compile(r"^blob:"))
    page.wait_for_function(
        "img => img.complete && img.naturalWidth > 0", arg=image.element_handle(), timeout=15_000
    )


def build_conversation(page: Any) -> None:
    """A weigh-in, a photo, a chart and a question with quick replies, all live."""
    say(page, "I weigh 82 kg", 1)
    widget(page, ".fc-file").set_input_files(
        files=[{"name": "plate.png", "mimeType": "image/png", "buffer": PNG}]
    )
    finished_replies(page, 2)
    say(page, "show my weight chart", 3)
    expect(page.get_by_role("img", name="Image from the coach")).to_be_visible()
    say(page, AMBIGUOUS, 4)
    choices = page.get_by_role("group", name="Quick replies")
    expect(choices.get_by_role("button")).to_have_count(4)


def assert_restored(page: Any, live: list[tuple[str, str]]) -> None:
    """After a reload: the same messages, the chart, the photo thumbnail and live buttons."""
    expect(widget(page, ".fc-past")).to_have_count(len(live), timeout=15_000)
    assert bubble_texts(page) == live  # same text and formatting as when streamed
    assert_image_loaded(page, page.get_by_role("img", name="Image from the coach"))
    photo = page.get_by_role("img", name="Your photo")
    assert_image_loaded(page, photo)
    assert photo.evaluate("img => img.closest('.fc-msg').classList.contains('fc-user')")
    thumbnail = photo.bounding_box()
    assert thumbnail is not None and thumbnail["width"] <= 160 and thumbnail["height"] <= 160
    choices = page.get_by_role("group", name="Quick replies")
    expect(choices.get_by_role("button")).to_have_count(4)
    expect(choices.get_by_role("button", name=TOFU)).to_be_enabled()
    expect(widget(page, ".fc-image-missing")).to_have_count(0)


def test_reload_restores_images_photos_and_quick_replies(
    live_server: LiveServer, browser: Any
) -> None:
    context = browser.new_context(viewport={"width": 1280, "height": 800})
    page = context.new_page()
    page.goto(live_server.url)
    open_widget(page)
    build_conversation(page)
    live = bubble_texts(page)
    assert len(live) == 8

    page.reload()
    assert_restored(page, live)
    # Keyboard only: from the conversation log, Tab reaches the restored quick replies.
    page.get_by_role("log", name="Conversation").focus()
    page.keyboard.press("Tab")
    choices = page.get_by_role("group", name="Quick replies")
    expect(choices.get_by_role("button").first).to_be_focused()
    page.keyboard.press("Tab")
    page.keyboard.press("Tab")
    expect(choices.get_by_role("button", name=TOFU)).to_be_focused()
    page.keyboard.press("Enter")
    conversation = page.get_by_role("log", name="Conversation")
    expect(conversation).to_contain_text("Tofu, fried", timeout=30_000)
    expect(conversation).to_contain_text("Logged your meal")
    expect(choices).to_be_hidden()
    question = widget(page, ".fc-coach").filter(has_text="Which one did you mean")
    expect(question.locator(".fc-chip")).to_have_count(4)  # answered: plain chips now
    expect(question.locator(".fc-chip-picked")).to_have_text(re.compile(TOFU))
    finished_replies(page, 5)
    live = bubble_texts(page)

    page.reload()  # the answered question keeps its options as chips, no live buttons
    expect(widget(page, ".fc-past")).to_have_count(len(live), timeout=15_000)
    assert bubble_texts(page) == live  # the pressed option shows its label, as it did live
    expect(page.get_by_role("group", name="Quick replies")).to_be_hidden()
    expect(widget(page, ".fc-chip")).to_have_count(4)
    expect(widget(page, "button.fc-chip, .fc-chips button")).to_have_count(0)
    expect(widget(page, ".fc-chip-picked")).to_have_text(re.compile(TOFU))
    page.screenshot(path=str(RESTORED_SCREENSHOT))

    # The chart's URL answers only this session: another session or none gets nothing.
    path = page.get_by_role("img", name="Image from the coach").evaluate(
        "img => img.closest('.fc-msg') && performance.getEntriesByType('resource')"
        ".map(e => e.name).find(n => n.includes('/api/chat/media/out-'))"
    )
    assert path and path.startswith(live_server.url)
    other = context.request.post(f"{live_server.url}/api/chat", data={"text": "hi"})
    stranger = {"X-Fitcoach-Session": other.json()["session_id"]}
    assert context.request.get(path, headers=stranger).status == 404
    assert context.request.get(path).status == 422
    context.close()


def test_reload_restores_a_signed_user_on_a_phone(
    live_server: LiveServer, host_site: HostSite, browser: Any
) -> None:
    token = sign_user_token(SECRET, "phone-user-7", time.time() + 3600)
    host_site.pages["/account"] = (
        "<!doctype html><html><head><meta name=viewport content='width=device-width'>"
        "</head><body><h1>My account</h1>"
        f"<script src='{live_server.url}/widget.js' data-user-token='{token}' defer></script>"
        "</body></html>"
    )
    account = f"{host_site.url}/account"
    context = browser.new_context(
        viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True
    )
    page = context.new_page()
    page.goto(account)
    open_widget(page)
    build_conversation(page)
    live = bubble_texts(page)

    page.reload()  # the widget on the host site, signed in with the host's token
    assert_restored(page, live)
    panel = page.get_by_role("dialog", name="fitcoach").bounding_box()
    assert panel == {"x": 0, "y": 0, "width": 390, "height": 844}
    chart = page.get_by_role("img", name="Image from the coach").bounding_box()
    assert chart is not None and chart["x"] >= 0 and chart["x"] + chart["width"] <= 390
    tofu = page.get_by_role("group", name="Quick replies").get_by_role("button", name=TOFU)
    box = tofu.bounding_box()
    assert box is not None and box["height"] >= 44 and box["x"] + box["width"] <= 390
    page.screenshot(path=str(RESTORED_PHONE_SCREENSHOT))
    tofu.tap()
    expect(page.get_by_role("log", name="Conversation")).to_contain_text(
        "Tofu, fried", timeout=30_000
    )
    finished_replies(page, 5)
    # The same person on another device (a fresh browser) sees the same conversation.
    second = browser.new_context(viewport={"width": 390, "height": 844}, is_mobile=True)
    again = second.new_page()
    again.goto(account)
    open_widget(again)
    expect(widget(again, ".fc-past")).to_have_count(10, timeout=15_000)
    assert_image_loaded(again, again.get_by_role("img", name="Image from the coach"))
    second.close()
    context.close()


def test_reload_while_the_coach_is_answering(
    live_server: LiveServer, browser: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    agent = live_server.app.state.services.conversation.agent
    respond = agent.respond
    release = threading.Event()

    async def slow_respond(*args: Any, **kwargs: Any) -> Any:
        """Answer only once the test says so (a slow model): the reply is not stored yet."""
        while not release.is_set():
            await asyncio.sleep(0.05)
        return await respond(*args, **kwargs)

    monkeypatch.setattr(agent, "respond", slow_respond)
    context = browser.new_context(viewport={"width": 1280, "height": 800})
    try:
        page = context.new_page()
        page.goto(live_server.url)
        box = open_widget(page)
        box.fill(MEAL)
        box.press("Enter")
        expect(widget(page, ".fc-typing")).to_have_count(1)
        page.reload()  # the reply is not stored yet: the message shows, the coach "…"
        expect(widget(page, ".fc-past.fc-user")).to_have_text(re.compile(MEAL), timeout=15_000)
        pending = widget(page, ".fc-pending")
        expect(pending).to_have_count(1)
        expect(pending).to_have_text(re.compile("Coach is still answering"))
        release.set()  # the answer is stored; the widget reads the history again and shows it
        conversation_log = page.get_by_role("log", name="Conversation")
        expect(conversation_log).to_contain_text("143 kcal", timeout=20_000)
        expect(pending).to_have_count(0)
        expect(widget(page, ".fc-past")).to_have_count(2)
    finally:
        release.set()  # never leave a turn hanging in the server
        context.close()


def test_a_message_the_server_could_not_store_is_sent_again(
    live_server: LiveServer, browser: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """While the database restarts, nothing is stored and the socket says so with a pause to
    wait: the widget sends the same message again (same id), and the person sees the answer,
    not an error."""
    writer = live_server.app.state.services.conversation.inbox_writer
    store = writer.accept
    refused: list[str] = []

    async def restarting(channel: str, message_id: str, *args: Any) -> bool:
        if len(refused) < 2:
            refused.append(message_id)
            raise DatabaseUnavailable("the database is restarting")
        return bool(await store(channel, message_id, *args))

    monkeypatch.setattr(writer, "accept", restarting)
    context = browser.new_context(viewport={"width": 1280, "height": 800})
    page = context.new_page()
    frames = record_frames(page)
    page.goto(live_server.url)
    box = open_widget(page)
    box.fill("had a banana")
    box.press("Enter")
    conversation = page.get_by_role("log", name="Conversation")
    expect(conversation).to_contain_text("kcal", timeout=30_000)
    expect(page.locator("[data-fitcoach-widget] .fc-coach[aria-busy]")).to_have_count(0)
    errors = [f for f in frames if f["type"] == "error"]
    assert [e["code"] for e in errors] == ["unavailable", "unavailable"]
    assert len(set(refused)) == 1 and refused[0].endswith(errors[0]["in_reply_to"])  # one message
    expect(page.locator("[data-fitcoach-widget] .fc-error")).to_have_count(0)
    assert len([f for f in frames if f["type"] == "end"]) == 1
    assert len([f for f in frames if f["type"] == "ack"]) == 1  # once stored, not before
    context.close()
