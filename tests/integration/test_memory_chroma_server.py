"""Memories through a real Chroma server (the `chroma run` shipped with chromadb), as in the
compose stack: FITCOACH_CHROMA_URL switches the store to the HTTP client."""

from __future__ import annotations

from pathlib import Path

import pytest

from fitcoach.config import get_settings
from fitcoach.memory import MemoryService
from fitcoach.memory.models import Fact
from tests.fakes.chroma_server import ChromaServer


@pytest.fixture
def chroma_url(chroma: ChromaServer) -> str:
    if not chroma.start():
        pytest.skip("the chroma server did not start")
    return chroma.url


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
