"""Long-term memory over Chroma: store, extraction, retrieval, patterns, embeddings."""

from __future__ import annotations

from fitcoach.memory.embeddings import (
    GeminiEmbeddingFunction,
    OfflineEmbeddingFunction,
    make_embedder,
)
from fitcoach.memory.extraction import MemoryExtractor, extract_facts
from fitcoach.memory.intents import detect_memory_intent
from fitcoach.memory.models import CATEGORIES, Category, Change, Constraints, Fact, Memory
from fitcoach.memory.patterns import learn_patterns
from fitcoach.memory.reindex import reindex
from fitcoach.memory.retrieval import build_memory_context
from fitcoach.memory.rules import extract_with_rules
from fitcoach.memory.store import MemoryService, MemoryStore, make_chroma_client

__all__ = [
    "CATEGORIES",
    "Category",
    "Change",
    "Constraints",
    "Fact",
    "GeminiEmbeddingFunction",
    "Memory",
    "MemoryExtractor",
    "MemoryService",
    "MemoryStore",
    "OfflineEmbeddingFunction",
    "build_memory_context",
    "detect_memory_intent",
    "extract_facts",
    "extract_with_rules",
    "learn_patterns",
    "make_chroma_client",
    "make_embedder",
    "memory_context",
    "reindex",
]


def memory_context(
    service: MemoryService, user_id: int, message: str, budget_tokens: int = 300
) -> str:
    """Profile + relevant memories of one person for the system prompt (≤ budget tokens)."""
    return service.memory_context(user_id, message, budget_tokens)
