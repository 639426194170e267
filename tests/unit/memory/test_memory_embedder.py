"""The offline embedder: deterministic, normalised, registered, paraphrase-aware."""

from __future__ import annotations

import numpy as np
from chromadb.utils.embedding_functions import known_embedding_functions

from fitcoach.memory.embeddings import (
    OfflineEmbeddingFunction,
    make_embedder,
    offline_vector,
    resolve_embedder_name,
)


def test_vectors_are_deterministic_and_unit_length() -> None:
    a, b = offline_vector("Has a bad left knee"), offline_vector("Has a bad left knee")
    assert np.array_equal(a, b)
    assert abs(float(np.linalg.norm(a)) - 1.0) < 1e-5
    assert abs(float(np.linalg.norm(offline_vector(""))) - 1.0) < 1e-5


def test_paraphrases_are_closer_than_unrelated_memories() -> None:
    query = offline_vector("which leg exercises are safe with my injured knee?")
    fact = offline_vector("Has a bad left knee")
    other = offline_vector("Allergic to peanuts")
    assert float(query @ fact) > float(query @ other) + 0.1
    milk = offline_vector("can I have milk in my shake?")
    assert float(milk @ offline_vector("Lactose intolerant")) > float(
        milk @ offline_vector("Trains in the mornings")
    )


def test_registered_with_chroma_and_rebuilt_from_config() -> None:
    assert known_embedding_functions["fitcoach-offline"] is OfflineEmbeddingFunction
    ef = OfflineEmbeddingFunction(dims=128)
    rebuilt = OfflineEmbeddingFunction.build_from_config(ef.get_config())
    assert rebuilt.dims == 128
    assert len(ef(["squat"])[0]) == 128
    assert ef.default_space() == "cosine"


def test_auto_picks_offline_without_a_key() -> None:
    assert resolve_embedder_name("auto", None) == "offline"
    assert resolve_embedder_name("auto", "key") == "gemini"
    assert isinstance(make_embedder("auto"), OfflineEmbeddingFunction)
