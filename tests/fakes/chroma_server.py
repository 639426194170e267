"""A real Chroma server (the `chroma run` command shipped with chromadb) that a test can stop
and start again on the same port and data directory: the memory store going down and coming
back, as in the compose stack."""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path


def free_port() -> int:
    """A TCP port nothing listens on (now)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def chroma_command() -> str | None:
    """The `chroma` executable of this environment, if installed."""
    executable = shutil.which("chroma") or str(Path(sys.executable).parent / "chroma")
    return executable if Path(executable).exists() else None


class ChromaServer:
    """One `chroma run` process on a fixed port and data directory."""

    def __init__(self, data_dir: Path, executable: str) -> None:
        self.data_dir = data_dir
        self.executable = executable
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self._process: subprocess.Popen[bytes] | None = None

    def start(self, timeout_s: float = 60.0) -> bool:
        """Start and wait for the heartbeat; False when it did not come up."""
        self._process = subprocess.Popen(
            [
                self.executable,
                "run",
                "--path",
                str(self.data_dir),
                "--host",
                "127.0.0.1",
                "--port",
                str(self.port),
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + timeout_s
        while True:
            try:
                with urllib.request.urlopen(f"{self.url}/api/v2/heartbeat", timeout=1):
                    return True
            except OSError:
                if time.monotonic() > deadline or self._process.poll() is not None:
                    return False
                time.sleep(0.2)

    def stop(self) -> None:
        """Kill the server (as a crash would); its port refuses connections afterwards."""
        if self._process is not None:
            os.kill(self._process.pid, signal.SIGCONT)  # a paused one too
            self._process.kill()
            self._process.wait(timeout=20)
            self._process = None

    def pause(self) -> None:
        """Freeze the server (SIGSTOP): connections are still accepted, nothing answers."""
        assert self._process is not None
        os.kill(self._process.pid, signal.SIGSTOP)

    def resume(self) -> None:
        """Let a paused server go on."""
        assert self._process is not None
        os.kill(self._process.pid, signal.SIGCONT)
