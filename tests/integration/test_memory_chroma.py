"""Long-term memory against real Chroma: restarts, Gemini embeddings (fake server), reindex."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path

import pytest

from fitcoach.memory.embeddings import GeminiEmbeddingFunction, OfflineEmbeddingFunction
from fitcoach.memory.reindex import parse_collection_name, reindex
from fitcoach.memory.rules import extract_with_rules
from fitcoach.memory.store import MemoryService, make_chroma_client

try:
    from tests.fakes.gemini_server import FakeGemini
except ModuleNotFoundError:  # repo root not on sys.path
    sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
    from tests.fakes.gemini_server import FakeGemini

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture
def fake() -> Iterator[FakeGemini]:
    with FakeGemini() as server:
        yield server


def gemini(fake: FakeGemini) -> GeminiEmbeddingFunction:
    return GeminiEmbeddingFunction(api_key=fake.api_key, base_url=fake.base_url, dims=16)


def test_memories_survive_a_restart(tmp_path: Path) -> None:
    """Written by one process, read by a fresh one on the same directory."""
    script = textwrap.dedent(
        f"""
        from pathlib import Path
        from fitcoach.memory.embeddings import OfflineEmbeddingFunction
        from fitcoach.memory.rules import extract_with_rules
        from fitcoach.memory.store import MemoryService, make_chroma_client
        service = MemoryService(make_chroma_client(Path({str(tmp_path)!r})),
                                OfflineEmbeddingFunction())
        store = service.for_user(7)
        for fact in extract_with_rules("I have a bad left knee. I'm vegan"):
            store.add(fact, source="first run")
        """
    )
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    subprocess.run([sys.executable, "-c", script], check=True, env=env, timeout=120)
    service = MemoryService(make_chroma_client(tmp_path), OfflineEmbeddingFunction())
    store = service.for_user(7)
    assert sorted(m.text for m in store.all()) == ["Has a bad left knee", "Is vegan"]
    assert store.search("which exercises are safe for my knee?", k=1)[0].text == (
        "Has a bad left knee"
    )
    assert store.constraints().is_vegan
    assert service.for_user(8).all() == []


def test_gemini_embeddings_against_the_fake_server(tmp_path: Path, fake: FakeGemini) -> None:
    service = MemoryService(make_chroma_client(tmp_path), gemini(fake))
    store = service.for_user(1)
    for fact in extract_with_rules("I hate running. I'm allergic to peanuts"):
        store.add(fact)
    found = store.search("Allergic to peanuts", k=1)  # the fake's vectors: same text, same vector
    assert found[0].text == "Allergic to peanuts" and (found[0].score or 0) > 0.99
    actions = {r.action for r in fake.requests}
    assert actions & {"embedContent", "batchEmbedContents"}
    assert all(r.headers.get("x-goog-api-key") == fake.api_key for r in fake.requests)
    assert service.collection_name(1).startswith("fc_mem_gemini-gemini-embedding-001-16_u")
    assert service.for_user(2).search("Allergic to peanuts") == []


def test_changing_the_embedder_reindexes(tmp_path: Path, fake: FakeGemini) -> None:
    offline = MemoryService(make_chroma_client(tmp_path), OfflineEmbeddingFunction())
    for user_id, message in ((1, "I'm vegan. I train in the mornings"), (2, "I hate running")):
        for fact in extract_with_rules(message):
            offline.for_user(user_id).add(fact)
    online = MemoryService(make_chroma_client(tmp_path), gemini(fake))
    assert online.for_user(1).all() == []  # a new vector space starts empty until reindexed
    online.for_user(2).add(extract_with_rules("I love running")[0])  # newer than the old one
    report = reindex(online, progress=False)
    assert (report.collections, report.memories, report.skipped) == (2, 2, 1)
    assert sorted(m.text for m in online.for_user(1).all()) == [
        "Is vegan",
        "Trains in the mornings",
    ]
    assert [m.text for m in online.for_user(2).all()] == ["Likes running"]
    slugs = {parse_collection_name(c.name) for c in online.memory_collections()}
    assert {slug for slug, _ in slugs if slug} == {online.embedder.slug}
    assert online.for_user(1).search("Is vegan", k=1)[0].text == "Is vegan"
    assert reindex(online, progress=False).collections == 0


def test_cli_lists_and_deletes(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from typer.testing import CliRunner

    from fitcoach.cli_memory import memory_app

    monkeypatch.setenv("FITCOACH_DATA_DIR", str(tmp_path))
    service = MemoryService(make_chroma_client(tmp_path), OfflineEmbeddingFunction())
    for fact in extract_with_rules("I'm vegetarian. I have a bad left knee"):
        service.for_user(3).add(fact)
    runner = CliRunner()
    listed = runner.invoke(memory_app, ["list", "--user", "3"])
    assert listed.exit_code == 0, listed.output
    assert "Injuries and constraints" in listed.output and "Has a bad left knee" in listed.output
    as_json = runner.invoke(memory_app, ["list", "--user", "3", "--json"])
    assert as_json.output.count("\n") == 2
    deleted = runner.invoke(memory_app, ["delete", "--user", "3", "--yes"])
    assert "Deleted 2 memories" in deleted.output
    assert runner.invoke(memory_app, ["list", "--user", "3"]).output.strip() == "No memories."
    indexed = runner.invoke(memory_app, ["reindex"])
    assert indexed.exit_code == 0 and "Re-indexed 0 memories" in indexed.output
