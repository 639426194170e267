"""MemoryStore over Chroma: one collection per person, the store bound to one person.

Isolation is enforced inside the store, twice:
1. each person has their own collection (``fc_mem_<embedder>_u<user_id>``); a store is
   bound to one user id at construction and can only name that collection;
2. every read and delete also filters on ``user_id`` metadata (defence in depth).
One collection per person also makes GDPR deletion exact (the collection is dropped) and
keeps queries fast: a metadata filter over one shared 100k collection measured ~150 ms."""

from __future__ import annotations

import contextlib
import re
import threading
import uuid
from collections import OrderedDict
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, cast
from urllib.parse import urlsplit

import chromadb
import httpx
import structlog
from chromadb.api import ClientAPI
from chromadb.api.models.Collection import Collection
from chromadb.config import Settings as ChromaSettings
from chromadb.errors import NotFoundError

from fitcoach.memory.embeddings import MemoryEmbedder, make_embedder
from fitcoach.memory.models import CATEGORIES, Category, Change, Constraints, Fact, Memory
from fitcoach.memory.outage import MEMORY_HEALTH, MemoryUnavailable, memory_unavailable
from fitcoach.memory.text import tokens

log = structlog.get_logger(__name__)

COLLECTION_PREFIX = "fc_mem_"
NEAR_DUPLICATE = 0.9
"""Cosine similarity above which a new keyless fact merges into an existing memory."""
MAX_SOURCE_CHARS = 500
MAX_TEXT_CHARS = 300
_CACHE_SIZE = 256
_ABSENT_SIZE = 10_000
_MOVE_BATCH = 256
_NAME = re.compile(r"^" + COLLECTION_PREFIX + r"(?P<slug>.+)_u(?P<user>\d+)$")


def collection_owner(name: str) -> int | None:
    """The user id a memory collection's name carries (``fc_mem_<embedder>_u<id>``)."""
    match = _NAME.match(name)
    return int(match["user"]) if match else None


def utcnow() -> datetime:
    """Timezone-aware current time in UTC."""
    return datetime.now(UTC)


def make_chroma_client(
    data_dir: Path, chroma_url: str | None = None, timeout_s: float = 5.0
) -> ClientAPI:
    """The Chroma server client when a URL is set, else embedded storage under data_dir/chroma.

    Embedded mode allows one process per directory; several replicas need the server. A
    server's requests are bounded by ``timeout_s``; one that does not answer its heartbeat
    within it raises :class:`MemoryUnavailable` (the client's own start-up calls would wait
    forever)."""
    settings = ChromaSettings(anonymized_telemetry=False)
    if chroma_url:
        parts = urlsplit(chroma_url if "://" in chroma_url else f"http://{chroma_url}")
        ssl = parts.scheme == "https"
        port = parts.port or (443 if ssl else 8000)
        base = f"{'https' if ssl else 'http'}://{parts.hostname or 'localhost'}:{port}"
        try:
            httpx.get(f"{base}/api/v2/heartbeat", timeout=timeout_s).raise_for_status()
        except httpx.HTTPError as error:
            raise MemoryUnavailable(f"Chroma server at {base}: {error!r}") from error
        client = chromadb.HttpClient(
            host=parts.hostname or "localhost", port=port, ssl=ssl, settings=settings
        )
        bound_requests(client, timeout_s)
        return client
    path = data_dir / "chroma"
    path.mkdir(parents=True, exist_ok=True)
    return chromadb.PersistentClient(path=str(path), settings=settings)


def bound_requests(client: ClientAPI, timeout_s: float) -> None:
    """Give chromadb's HTTP session a timeout (it has none: ``httpx.Client(timeout=None)``)."""
    session = getattr(getattr(client, "_server", None), "_session", None)
    if isinstance(session, httpx.Client):
        session.timeout = httpx.Timeout(timeout_s, connect=min(timeout_s, 2.0))
    else:  # a chromadb release that keeps its session elsewhere: requests stay unbounded
        log.warning("chroma_timeout_not_set", client=type(client).__name__)


class MemoryService:
    """Owns the Chroma client and the embedder; hands out stores bound to one person."""

    def __init__(
        self,
        client: ClientAPI | Callable[[], ClientAPI],
        embedder: MemoryEmbedder,
        *,
        clock: Callable[[], datetime] = utcnow,
        cache_collections: bool = True,
    ) -> None:
        """``client``: a Chroma client, or how to connect one on first use (a Chroma server
        that is down when the process starts then costs memory, not the start)."""
        self._client = client if isinstance(client, ClientAPI) else None
        self._connect = None if isinstance(client, ClientAPI) else client
        self._connect_lock = threading.Lock()
        self.embedder = embedder
        self.clock = clock
        # Only safe when this process is the only writer (embedded mode): with a Chroma server,
        # another replica may delete a person's collection and a cached handle would go stale.
        self.cache_collections = cache_collections
        self._collections: OrderedDict[int, Collection] = OrderedDict()
        # Likewise only for the sole writer: people looked up and found to have no collection.
        self._absent: OrderedDict[int, None] = OrderedDict()
        self._creations = 0  # a lookup that overlapped a creation does not mark anyone absent
        self._lock = threading.Lock()

    @classmethod
    def from_settings(cls, settings: Any, **kwargs: Any) -> MemoryService:
        """Built from fitcoach Settings (``embedder`` defaults to ``auto`` until it exists)."""
        key = settings.google_api_key.get_secret_value() if settings.google_api_key else None
        embedder = make_embedder(
            str(getattr(settings, "embedder", "auto")),
            api_key=key or None,
            base_url=settings.model_base_url,
        )
        kwargs.setdefault("cache_collections", not settings.chroma_url)
        if settings.chroma_url:
            return cls(
                lambda: make_chroma_client(
                    settings.data_dir, settings.chroma_url, settings.memory_timeout_s
                ),
                embedder,
                **kwargs,
            )
        return cls(make_chroma_client(settings.data_dir), embedder, **kwargs)

    @property
    def client(self) -> ClientAPI:
        """The Chroma client, connected on first use; :class:`MemoryUnavailable` while the
        server cannot be reached, and right after it could not (a cool-down)."""
        if self._connect is not None:  # a server (embedded, there is nothing to reach)
            MEMORY_HEALTH.check()
        return self._connected()

    def _connected(self) -> ClientAPI:
        if self._client is not None:
            return self._client
        with self._connect_lock:
            if self._client is None:
                assert self._connect is not None
                try:
                    self._client = self._connect()
                except ValueError as error:  # chromadb: "Could not connect to a Chroma server"
                    raise MemoryUnavailable(str(error)) from error
            return self._client

    def reachable(self) -> bool:
        """True when the memory store answers (always, embedded). A probe: it asks even
        while the memory cools down after an outage, and ends the cool-down if it answers."""
        try:
            self._connected().heartbeat()
        except Exception as error:
            if memory_unavailable(error):
                return False
            raise
        MEMORY_HEALTH.reset()
        return True

    def for_user(self, user_id: int) -> MemoryStore:
        """The store of one person."""
        return MemoryStore(self, user_id)

    def collection_name(self, user_id: int, slug: str | None = None) -> str:
        """The collection that holds one person's memories under an embedder."""
        return f"{COLLECTION_PREFIX}{slug or self.embedder.slug}_u{int(user_id)}"

    def has_no_memories(self, user_id: int) -> bool:
        """True when this process, as the only writer, already found no collection for the
        person: the memory lookup can be skipped without a Chroma call or a thread hop (on a
        Chroma server another replica may write, so this is never known there)."""
        with self._lock:
            return user_id in self._absent

    def collection(self, user_id: int, *, create: bool) -> Collection | None:
        """One person's collection (cached), created on first write."""
        with self._lock:
            cached = self._collections.get(user_id)
            if cached is not None:
                self._collections.move_to_end(user_id)
                return cached
            creations = self._creations
        name = self.collection_name(user_id)
        ef = cast("Any", self.embedder)
        if create:
            found = self.client.get_or_create_collection(
                name,
                embedding_function=ef,
                metadata={"user_id": int(user_id)},
                configuration={"hnsw": {"space": "cosine"}},
            )
            with self._lock:
                self._creations += 1
                self._absent.pop(user_id, None)
        else:
            try:
                found = self.client.get_collection(name, embedding_function=ef)
            except (NotFoundError, ValueError):
                self._mark_absent(user_id, creations)
                return None
        if self.cache_collections:
            with self._lock:
                self._collections[user_id] = found
                while len(self._collections) > _CACHE_SIZE:
                    self._collections.popitem(last=False)
        return found

    def _mark_absent(self, user_id: int, creations_before_lookup: int) -> None:
        if not self.cache_collections:
            return
        with self._lock:
            if self._creations != creations_before_lookup:
                return  # a collection may have been created while the lookup ran
            self._absent[user_id] = None
            self._absent.move_to_end(user_id)
            while len(self._absent) > _ABSENT_SIZE:
                self._absent.popitem(last=False)

    def forget_collection(self, user_id: int, known: Sequence[Collection] | None = None) -> None:
        """Drop one person's collections (GDPR delete): the active embedder's and any an
        embedder used before left behind (until ``reindex`` runs, memories stay there);
        ``known``: those collections, when the caller listed them already."""
        with self._lock:
            self._collections.pop(user_id, None)
        found = self.collections_of(user_id) if known is None else known
        names = {self.collection_name(user_id)} | {c.name for c in found}
        for name in sorted(names):
            with contextlib.suppress(NotFoundError, ValueError):
                self.client.delete_collection(name)

    def collections_of(self, user_id: int) -> list[Collection]:
        """Every collection holding this person's memories, whatever embedder wrote it (the
        active one and any left from an embedder used before). Lists all collections: meant
        for the rare whole-person operations (export, delete, merge)."""
        return [c for c in self.memory_collections() if collection_owner(c.name) == user_id]

    def move_memories(self, source: int, target: int) -> int:
        """Give ``target`` every memory of ``source`` (two accounts of one person joined by
        ``/link``), then drop the source's collections; the number moved. The documents are
        re-embedded into the target's collection of the active embedder. A slot ("diet")
        both hold keeps the more recently updated memory."""
        sources = self.collections_of(source)
        if not sources:
            return 0
        incoming: list[Memory] = []
        for collection in sources:
            result = collection.get(where={"user_id": source})
            for index, memory_id in enumerate(result["ids"]):
                meta = dict((result["metadatas"] or [])[index] or {})
                if meta.get("user_id") == source:
                    text = (result["documents"] or [])[index] or ""
                    incoming.append(_memory(memory_id, text, meta, None))
        receiver = self.for_user(target)
        held = {m.key: m for m in receiver.all() if m.key}
        winners: dict[str, Memory] = {}
        loose: list[Memory] = []
        for memory in incoming:
            if not memory.key:
                loose.append(memory)
                continue
            best = winners.get(memory.key) or held.get(memory.key)
            if best is None or memory.updated_at > best.updated_at:
                winners[memory.key] = memory
        if replaced := [held[key].id for key in winners if key in held]:
            receiver.delete(replaced)
        moved = loose + list(winners.values())
        if moved:
            receiver.write_many(moved)
        with self._lock:
            self._collections.pop(source, None)
        for collection in sources:
            with contextlib.suppress(NotFoundError, ValueError):
                self.client.delete_collection(collection.name)
        return len(moved)

    def memory_collections(self) -> list[Collection]:
        """Every memory collection in the database, whatever its embedder."""
        found: list[Collection] = []
        offset, page = 0, 500
        while True:
            batch = self.client.list_collections(limit=page, offset=offset)
            found.extend(c for c in batch if c.name.startswith(COLLECTION_PREFIX))
            if len(batch) < page:
                return found
            offset += page

    def memory_context(self, user_id: int, message: str, budget_tokens: int = 300) -> str:
        """Profile + relevant memories for the system prompt (see :mod:`retrieval`)."""
        from fitcoach.memory.retrieval import build_memory_context

        return build_memory_context(self.for_user(user_id), message, budget_tokens)


class MemoryStore:
    """The memories of exactly one person. Every call is scoped to ``user_id``."""

    def __init__(self, service: MemoryService, user_id: int) -> None:
        if not isinstance(user_id, int) or isinstance(user_id, bool):
            raise TypeError("user_id must be an int")
        self.service = service
        self.user_id = user_id

    # -- scoping ------------------------------------------------------------------------
    def _where(self, **filters: Any) -> dict[str, Any]:
        clauses: list[dict[str, Any]] = [{"user_id": self.user_id}]
        clauses += [{name: value} for name, value in filters.items() if value is not None]
        return clauses[0] if len(clauses) == 1 else {"$and": clauses}

    def _collection(self, create: bool = False) -> Collection | None:
        return self.service.collection(self.user_id, create=create)

    # -- reads --------------------------------------------------------------------------
    def all(self, category: str | None = None) -> list[Memory]:
        """Every memory (optionally of one category), oldest first."""
        collection = self._collection()
        if collection is None:
            return []
        result = collection.get(where=self._where(category=category))
        memories = self._owned(result["ids"], result["documents"], result["metadatas"])
        return sorted(memories, key=lambda m: (m.created_at, m.id))

    def everything(self) -> list[Memory]:
        """Every memory of this person in any collection, including those an embedder used
        before left behind (GDPR export), oldest first."""
        found: dict[str, Memory] = {}
        for collection in self.service.collections_of(self.user_id):
            result = collection.get(where=self._where())
            for memory in self._owned(result["ids"], result["documents"], result["metadatas"]):
                found.setdefault(memory.id, memory)
        return sorted(found.values(), key=lambda m: (m.created_at, m.id))

    def by_category(self) -> dict[str, list[Memory]]:
        """Memories grouped by category, in category order; empty categories left out."""
        grouped: dict[str, list[Memory]] = {c: [] for c in CATEGORIES}
        for memory in self.all():
            grouped.setdefault(memory.category, []).append(memory)
        return {c: items for c, items in grouped.items() if items}

    def get(self, memory_id: str) -> Memory | None:
        """One memory by id, if it is this person's."""
        collection = self._collection()
        if collection is None:
            return None
        result = collection.get(ids=[memory_id], where=self._where())
        found = self._owned(result["ids"], result["documents"], result["metadatas"])
        return found[0] if found else None

    def find_key(self, key: str) -> Memory | None:
        """The memory holding a slot such as "diet" or "injury:knee"."""
        collection = self._collection()
        if collection is None:
            return None
        result = collection.get(where=self._where(key=key), limit=1)
        found = self._owned(result["ids"], result["documents"], result["metadatas"])
        return found[0] if found else None

    def count(self) -> int:
        """How many memories this person has."""
        collection = self._collection()
        if collection is None:
            return 0
        return len(collection.get(where=self._where(), include=[])["ids"])

    def search(self, query: str, k: int = 5, category: str | None = None) -> list[Memory]:
        """The ``k`` memories closest to the query, best first, with ``score`` set."""
        collection = self._collection()
        if collection is None or not query.strip():
            return []
        result = collection.query(
            query_texts=[query],
            n_results=k,
            where=self._where(category=category),
            include=["documents", "metadatas", "distances"],
        )
        ids = result["ids"][0]
        docs = (result["documents"] or [[]])[0]
        metas = (result["metadatas"] or [[]])[0]
        distances = (result["distances"] or [[]])[0]
        found = self._owned(ids, docs, metas, [1.0 - float(d) for d in distances])
        return sorted(found, key=lambda m: -(m.score or 0.0))

    def constraints(self) -> Constraints:
        """Injuries, diet, allergies, dislikes and conditions still in force."""
        return constraints_from(self.all())

    # -- writes -------------------------------------------------------------------------
    def add(self, fact: Fact, *, source: str = "", origin: str = "rule") -> Change:
        """Store a fact: same slot or near-duplicate updates, anything else is added."""
        text = " ".join(fact.text.split())[:MAX_TEXT_CHARS]
        if not text:
            raise ValueError("a memory needs text")
        existing = self.find_key(fact.key) if fact.key else self._near_duplicate(text, fact)
        now = self.service.clock()
        if existing is None:
            memory = Memory(
                id=_new_id(fact.key),
                text=text,
                category=fact.category,
                key=fact.key,
                source=source[:MAX_SOURCE_CHARS],
                created_at=now,
                updated_at=now,
                confidence=round(fact.confidence, 3),
                origin=origin,
                tags=fact.tags,
            )
            self._write(memory)
            return Change("added", memory)
        same = _same_text(existing.text, text)
        memory = Memory(
            id=existing.id,
            text=text,
            category=fact.category,
            key=existing.key or fact.key,
            source=source[:MAX_SOURCE_CHARS] or existing.source,
            created_at=existing.created_at,
            updated_at=now,
            confidence=round(max(fact.confidence, existing.confidence), 3)
            if same
            else round(fact.confidence, 3),
            origin=origin,
            tags=fact.tags,
        )
        self._write(memory)
        if same:
            return Change("unchanged", memory)
        return Change("updated", memory, previous=existing.text)

    def delete(self, memory_ids: Sequence[str]) -> int:
        """Delete some of this person's memories by id; returns how many went."""
        collection = self._collection()
        if collection is None or not memory_ids:
            return 0
        owned = collection.get(ids=list(memory_ids), where=self._where(), include=[])["ids"]
        if owned:
            collection.delete(ids=owned, where=self._where())
        return len(owned)

    def delete_all(self) -> int:
        """GDPR delete: every memory of this person, and their collections (of any
        embedder), are gone."""
        collections = self.service.collections_of(self.user_id)
        count = sum(len(c.get(where=self._where(), include=[])["ids"]) for c in collections)
        self.service.forget_collection(self.user_id, collections)  # dropped with their memories
        return count

    # -- helpers ------------------------------------------------------------------------
    def _write(self, memory: Memory) -> None:
        self.write_many([memory])

    def write_many(self, memories: Sequence[Memory]) -> None:
        """Store these memories as they are (ids kept), as this person's."""
        collection = self._collection(create=True)
        assert collection is not None
        for start in range(0, len(memories), _MOVE_BATCH):
            batch = memories[start : start + _MOVE_BATCH]
            collection.upsert(
                ids=[m.id for m in batch],
                documents=[m.text for m in batch],
                metadatas=[self._metadata(m) for m in batch],
            )

    def _metadata(self, memory: Memory) -> dict[str, Any]:
        return {
            "user_id": self.user_id,
            "category": memory.category,
            "key": memory.key or "",
            "source": memory.source,
            "created_at": memory.created_at.isoformat(),
            "updated_at": memory.updated_at.isoformat(),
            "confidence": float(memory.confidence),
            "origin": memory.origin,
            "tags": ",".join(memory.tags),
        }

    def _near_duplicate(self, text: str, fact: Fact) -> Memory | None:
        for candidate in self.search(text, k=3, category=fact.category):
            if (candidate.score or 0.0) >= NEAR_DUPLICATE or _same_text(candidate.text, text):
                return candidate
        return None

    def _owned(
        self,
        ids: Sequence[str],
        documents: Sequence[str | None] | None,
        metadatas: Sequence[Any] | None,
        scores: Sequence[float] | None = None,
    ) -> list[Memory]:
        """Rows turned into memories; anything not owned by this user is dropped."""
        memories: list[Memory] = []
        for index, memory_id in enumerate(ids):
            meta = dict((metadatas or [])[index] or {})
            if meta.get("user_id") != self.user_id:
                continue
            memories.append(
                _memory(
                    memory_id,
                    (documents or [])[index] or "",
                    meta,
                    scores[index] if scores is not None else None,
                )
            )
        return memories


def constraints_from(memories: Sequence[Memory]) -> Constraints:
    """Constraints from the tags of memories; resolved ones (healed injuries) are left out."""
    found: dict[str, list[str]] = {k: [] for k in ("injury", "diet", "allergy", "dislike")}
    found["condition"] = []
    for memory in memories:
        if "resolved" in memory.tags:
            continue
        for tag in memory.tags:
            kind, _, value = tag.partition(":")
            if kind in found:
                found[kind].append(memory.text if kind == "injury" else value)
    return Constraints(
        injuries=_unique(found["injury"]),
        diet=_unique(found["diet"]),
        allergies=_unique(found["allergy"]),
        dislikes=_unique(found["dislike"]),
        conditions=_unique(found["condition"]),
    )


def _memory(memory_id: str, text: str, meta: dict[str, Any], score: float | None) -> Memory:
    category = str(meta.get("category", "preferences"))
    tags = tuple(t for t in str(meta.get("tags", "")).split(",") if t)
    return Memory(
        id=memory_id,
        text=text,
        category=cast("Category", category if category in CATEGORIES else "preferences"),
        key=str(meta.get("key") or "") or None,
        source=str(meta.get("source", "")),
        created_at=_parse_time(meta.get("created_at")),
        updated_at=_parse_time(meta.get("updated_at")),
        confidence=float(meta.get("confidence", 0.5)),
        origin=str(meta.get("origin", "rule")),
        tags=tags,
        score=score,
    )


def _parse_time(value: Any) -> datetime:
    try:
        parsed = datetime.fromisoformat(str(value))
    except ValueError:
        return datetime.fromtimestamp(0, UTC)
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def _new_id(key: str | None) -> str:
    suffix = uuid.uuid4().hex[:12]
    return f"k-{key}-{suffix}" if key else f"m-{suffix}"


def _same_text(a: str, b: str) -> bool:
    squash = re.compile(r"[^a-z0-9]+")
    if squash.sub("", a.lower()) == squash.sub("", b.lower()):
        return True
    return tokens(a) == tokens(b)


def _unique(values: list[str]) -> list[str]:
    return list(dict.fromkeys(v for v in values if v))
