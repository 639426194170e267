"""``fitcoach serve`` with FITCOACH_LOG_FORMAT=json: every line it writes is a JSON object."""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from collections import Counter
from pathlib import Path

FITCOACH = shutil.which("fitcoach") or str(Path(sys.executable).parent / "fitcoach")


def test_serve_writes_only_json_lines(tmp_path: Path) -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith("FITCOACH_") and k not in ("GOOGLE_API_KEY", "GEMINI_API_KEY")
    }
    env.update(
        FITCOACH_LOG_FORMAT="json",
        FITCOACH_MODEL="offline",
        FITCOACH_DATA_DIR=str(tmp_path / "var"),
    )
    out_path, err_path = tmp_path / "stdout.log", tmp_path / "stderr.log"
    with out_path.open("wb") as out, err_path.open("wb") as err:
        server = subprocess.Popen(
            [FITCOACH, "serve", "--port", str(port)], env=env, stdout=out, stderr=err
        )
        try:
            deadline = time.monotonic() + 60
            request = urllib.request.Request(
                f"http://127.0.0.1:{port}/health/live", headers={"X-Request-ID": "probe42"}
            )
            while True:
                try:
                    with urllib.request.urlopen(request, timeout=2) as response:
                        assert response.status == 200
                        break
                except OSError:
                    assert server.poll() is None, err_path.read_text()
                    assert time.monotonic() < deadline
                    time.sleep(0.2)
        finally:
            server.terminate()
            server.wait(timeout=30)

    text = out_path.read_text() + err_path.read_text()
    lines = [line for line in text.splitlines() if line.strip()]
    objects = []
    for line in lines:
        obj = json.loads(line)  # fails with the offending line
        assert isinstance(obj, dict) and {"event", "level", "logger", "timestamp"} <= obj.keys()
        objects.append(obj)
    loggers = {obj["logger"] for obj in objects}
    assert {"uvicorn.error", "fitcoach.webhooks.middleware", "fitcoach.bootstrap"} <= loggers
    assert any(logger.startswith("apscheduler") for logger in loggers)
    # One line per request, fitcoach's own: no uvicorn access line with the client's address.
    assert "uvicorn.access" not in loggers
    assert not [line for line in lines if "127.0.0.1" in line and "Uvicorn running" not in line]
    [access] = [
        obj for obj in objects if obj["event"] == "http_request" and obj["route"] == "/health/live"
    ][-1:]
    assert access["request_id"] == "probe42" and access["status"] == 200
    assert access["method"] == "GET" and isinstance(access["ms"], float)
    events = Counter(obj["event"] for obj in objects if obj["logger"] == "uvicorn.error")
    assert events["Application startup complete."] == 1  # propagated once, not duplicated
    assert events["Application shutdown complete."] == 1
