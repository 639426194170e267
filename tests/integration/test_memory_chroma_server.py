"""Memories through a real Chroma server (the `chroma run` shipped with chromadb), as in the
compose stack: FITCOACH_CHROMA_URL switches the store to the HTTP client."""

from __future__ import annotations

import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from fitcoach.config import get_settings
from fitcoach.memory import MemoryService
from fitcoach.memory.models import Fact


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture
def chroma_url(tmp_path: Path) -> Iterator[str]:
    executable = shutil.which("chroma") or str(Path(sys.executable).parent / "chroma")
    if not Path(executable).exists():
        pytest.skip("the chroma server command is not installed")
    port = _free_port()
    server = subprocess.Popen(
        [
            executable,
            "run",
            "--path",
            str(tmp_path / "server"),
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                with urllib.request.urlopen(f"{url}/api/v2/heartbeat", timeout=1):
                    break
            except OSError:
                if time.monotonic() > deadline or server.poll() is not None:
                    pytest.skip("the chroma server did not start")
                time.sleep(0.3)
        yield url
    finally:
        server.terminate()
        server.wait(timeout=20)


def test_memories_through_the_chroma_server_stay_per_person(
    tmp_path: Path, chroma_url: str
) -> None:
    settings = get_settings(data_dir=tmp_path / "var", chroma_url=chroma_url, embedder="offline")
    replica_a = MemoryService.from_settings(settings)
    replica_b = MemoryService.from_settings(settings)  # a second replica, same server
    replica_a.for_user(1).add(Fact("Is vegetarian", "nutrition_preferences", "diet"))
    replica_a.for_user(2).add(Fact("Has a bad left knee", "challenges", "injury:knee"))
    seen_by_b = [m.text for m in replica_b.for_user(1).search("what do I eat? knee?", k=5)]
    assert seen_by_b == ["Is vegetarian"]
    assert [m.text for m in replica_b.for_user(2).all()] == ["Has a bad left knee"]
    assert replica_b.for_user(1).delete_all() == 1
    assert replica_a.for_user(1).all() == []
    assert not (tmp_path / "var" / "chroma").exists()  # nothing embedded on the replicas
