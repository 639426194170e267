"""The web widget in a real headless Chromium against a real uvicorn server.

Needs Debian's ``chromium`` (``apt-get install chromium``, or ``FITCOACH_CHROMIUM=/path``) and
the ``playwright`` Python package (no ``playwright install``: the system browser is used)."""

from __future__ import annotations

import base64
import json
import os
import shutil
import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import uvicorn
from fastapi import FastAPI

from fitcoach.app import create_app
from fitcoach.channels.base import Button, InboundMessage, OutboundMessage
from fitcoach.config import get_settings

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
    settings = get_settings(data_dir=tmp_path_factory.mktemp("web") / "var", model="offline")
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

    async def handle(message: InboundMessage) -> list[OutboundMessage]:
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
