"""Fixtures of the integration tests."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.fakes.chroma_server import ChromaServer, chroma_command


@pytest.fixture
def chroma(tmp_path: Path) -> Iterator[ChromaServer]:
    """A real Chroma server, not started yet (skipped where chromadb has no `chroma`)."""
    executable = chroma_command()
    if executable is None:
        pytest.skip("the chroma server command is not installed")
    server = ChromaServer(tmp_path / "chroma", executable)
    try:
        yield server
    finally:
        server.stop()
