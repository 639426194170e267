"""Re-embedding after the embedder changes (offline ↔ Gemini, or a new model).

Collection names carry the embedder (``fc_mem_<slug>_u<id>``), so switching embedders never
mixes vector spaces: memories under another slug are copied into the active one (documents
re-embedded), then the old collection is dropped. Rows whose slot already exists in the
target (written after the switch) are skipped: the newer memory wins."""

from __future__ import annotations

import re
import time
from dataclasses import dataclass
from typing import Any

from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from fitcoach.memory.store import COLLECTION_PREFIX, MemoryService

BATCH = 256
_NAME = re.compile(r"^" + COLLECTION_PREFIX + r"(?P<slug>.+)_u(?P<user>\d+)$")


@dataclass(frozen=True, slots=True)
class ReindexReport:
    """What a reindex did."""

    collections: int
    memories: int
    skipped: int
    seconds: float


def parse_collection_name(name: str) -> tuple[str, int] | None:
    """(embedder slug, user id) of a memory collection name."""
    match = _NAME.match(name)
    return (match["slug"], int(match["user"])) if match else None


def reindex(
    service: MemoryService, *, rebuild_current: bool = False, progress: bool = True
) -> ReindexReport:
    """Move every memory into the active embedder's collections, with a progress bar."""
    started = time.perf_counter()
    active = service.embedder.slug
    todo: list[tuple[Any, int, bool]] = []
    for collection in service.memory_collections():
        parsed = parse_collection_name(collection.name)
        if parsed is None:
            continue
        slug, user_id = parsed
        if slug != active or rebuild_current:
            todo.append((collection, user_id, slug == active))
    total = sum(c.count() for c, _, _ in todo)
    moved = skipped = 0
    columns = (
        TextColumn("[bold]re-indexing memories"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
    )
    with Progress(*columns, disable=not progress) as bar:
        task = bar.add_task("reindex", total=total)
        for source, user_id, in_place in todo:
            done, left_out = _copy(service, source, user_id, in_place, bar, task)
            moved += done
            skipped += left_out
            if not in_place:
                service.client.delete_collection(source.name)
    return ReindexReport(len(todo), moved, skipped, round(time.perf_counter() - started, 2))


def _copy(
    service: MemoryService, source: Any, user_id: int, in_place: bool, bar: Progress, task: Any
) -> tuple[int, int]:
    target = service.collection(user_id, create=True)
    assert target is not None
    existing_keys: set[str] = set()
    if not in_place:
        metas = target.get(include=["metadatas"])["metadatas"] or []
        existing_keys = {str(m.get("key")) for m in metas if m and m.get("key")}
    moved = skipped = offset = 0
    while True:
        page = source.get(include=["documents", "metadatas"], limit=BATCH, offset=offset)
        ids, docs, metas = page["ids"], page["documents"] or [], page["metadatas"] or []
        if not ids:
            return moved, skipped
        keep = [
            i
            for i, meta in enumerate(metas)
            if (meta or {}).get("user_id") == user_id
            and not (meta.get("key") and str(meta.get("key")) in existing_keys)
        ]
        if keep:
            target.upsert(
                ids=[ids[i] for i in keep],
                documents=[docs[i] or "" for i in keep],
                metadatas=[metas[i] for i in keep],
            )
        moved += len(keep)
        skipped += len(ids) - len(keep)
        bar.advance(task, len(ids))
        offset += len(ids)
