"""Embedding functions registered with Chroma: an offline default and Gemini.

Chroma's own default downloads a model on first use and fails offline, so every collection is
created with one of these. Both are registered (``@register_embedding_function``) so a
collection reopened by a new client rebuilds its function from the stored config."""

from __future__ import annotations

import hashlib
import itertools
import os
from typing import Any, Literal

import numpy as np
from chromadb.api.types import Documents, EmbeddingFunction, Embeddings, Space
from chromadb.utils.embedding_functions import register_embedding_function

from fitcoach.memory.text import CONCEPTS, raw_words, tokens

EmbedderName = Literal["auto", "offline", "gemini"]
OFFLINE_DIMS = 384
DEFAULT_GEMINI_EMBEDDING_MODEL = "gemini-embedding-001"
GEMINI_DIMS = 768

_WORD_WEIGHT = 1.0
_CONCEPT_WEIGHT = 0.8
_BIGRAM_WEIGHT = 0.5
_CHARGRAM_WEIGHT = 0.4
_LOW_INFORMATION = frozenset(
    {"train", "food", "week", "day", "kg", "km", "go", "usually", "much", "many", "ok", "safe"}
)
"""Frequent words in a coach's memory: they count, but less than specific ones."""


def _bucket(feature: str, dims: int) -> tuple[int, float]:
    """Stable (index, sign) of a feature: blake2b, never Python's salted ``hash``."""
    digest = hashlib.blake2b(feature.encode(), digest_size=8).digest()
    value = int.from_bytes(digest, "little")
    return value % dims, (1.0 if (value >> 63) & 1 else -1.0)


def offline_vector(text: str, dims: int = OFFLINE_DIMS) -> np.ndarray:
    """Hashed words, fitness concepts, word bigrams and character 3/4-grams, L2-normalised."""
    vector = np.zeros(dims, dtype=np.float32)
    words = tokens(text)
    features: dict[str, float] = {}
    for word in words:
        weight = _WORD_WEIGHT * (0.5 if word in _LOW_INFORMATION else 1.0)
        features["w:" + word] = features.get("w:" + word, 0.0) + weight
        concept = CONCEPTS.get(word)
        if concept is not None and concept != word:
            key = "w:" + concept
            features[key] = features.get(key, 0.0) + _CONCEPT_WEIGHT
    for left, right in itertools.pairwise(words):
        features[f"b:{left}_{right}"] = _BIGRAM_WEIGHT
    for word in raw_words(text):
        padded = f"#{word}#"
        grams = [padded[i : i + n] for n in (3, 4) for i in range(len(padded) - n + 1)]
        if grams:
            weight = _CHARGRAM_WEIGHT / np.sqrt(len(grams))
            for gram in grams:
                features["c:" + gram] = features.get("c:" + gram, 0.0) + weight
    for feature, weight in features.items():
        index, sign = _bucket(feature, dims)
        vector[index] += sign * weight
    norm = float(np.linalg.norm(vector))
    if norm == 0.0:
        vector[0] = 1.0
        return vector
    return vector / norm


@register_embedding_function
class OfflineEmbeddingFunction(EmbeddingFunction[Documents]):
    """Downloads nothing: hashed lexical features with a fitness synonym table (cosine)."""

    def __init__(self, dims: int = OFFLINE_DIMS) -> None:
        self.dims = dims

    def __call__(self, input: Documents) -> Embeddings:
        return [offline_vector(text, self.dims) for text in input]

    @staticmethod
    def name() -> str:
        return "fitcoach-offline"

    def default_space(self) -> Space:
        return "cosine"

    def supported_spaces(self) -> list[Space]:
        return ["cosine", "ip"]

    @staticmethod
    def build_from_config(config: dict[str, Any]) -> OfflineEmbeddingFunction:
        return OfflineEmbeddingFunction(dims=int(config.get("dims", OFFLINE_DIMS)))

    def get_config(self) -> dict[str, Any]:
        return {"dims": self.dims}

    @property
    def slug(self) -> str:
        """Short id used in collection names: a new embedder means a new collection."""
        return f"offline{self.dims}v1"


@register_embedding_function
class GeminiEmbeddingFunction(EmbeddingFunction[Documents]):
    """Gemini embeddings through ``langchain_google_genai`` (honours ``base_url``).

    The API key is never written to the collection config; it is read from the environment
    (``GOOGLE_API_KEY``/``GEMINI_API_KEY``) when Chroma rebuilds the function."""

    def __init__(
        self,
        api_key: str | None = None,
        model: str = DEFAULT_GEMINI_EMBEDDING_MODEL,
        base_url: str | None = None,
        dims: int = GEMINI_DIMS,
    ) -> None:
        self.model = model
        self.base_url = base_url
        self.dims = dims
        self._api_key = api_key
        self._client: Any = None

    def _embeddings(self) -> Any:
        """The LangChain client, built on first use (so a config rebuild needs no key)."""
        if self._client is None:
            from langchain_google_genai import GoogleGenerativeAIEmbeddings
            from pydantic import SecretStr

            key = (
                self._api_key
                or os.environ.get("GOOGLE_API_KEY")
                or os.environ.get("GEMINI_API_KEY")
            )
            if not key:
                raise ValueError("Gemini embeddings need GOOGLE_API_KEY")
            self._client = GoogleGenerativeAIEmbeddings(
                model=self.model,
                api_key=SecretStr(key),
                base_url=self.base_url,
                vertexai=False,
                output_dimensionality=self.dims,
            )
        return self._client

    def __call__(self, input: Documents) -> Embeddings:
        vectors = self._embeddings().embed_documents(list(input))
        return [np.asarray(v, dtype=np.float32) for v in vectors]

    def embed_query(self, input: Documents) -> Embeddings:
        return [
            np.asarray(self._embeddings().embed_query(text), dtype=np.float32) for text in input
        ]

    @staticmethod
    def name() -> str:
        return "fitcoach-gemini"

    def default_space(self) -> Space:
        return "cosine"

    def supported_spaces(self) -> list[Space]:
        return ["cosine", "ip", "l2"]

    @staticmethod
    def build_from_config(config: dict[str, Any]) -> GeminiEmbeddingFunction:
        return GeminiEmbeddingFunction(
            model=str(config.get("model", DEFAULT_GEMINI_EMBEDDING_MODEL)),
            base_url=config.get("base_url"),
            dims=int(config.get("dims", GEMINI_DIMS)),
        )

    def get_config(self) -> dict[str, Any]:
        return {"model": self.model, "base_url": self.base_url, "dims": self.dims}

    @property
    def slug(self) -> str:
        """Short id used in collection names."""
        cleaned = "".join(ch if ch.isalnum() else "-" for ch in self.model)
        return f"gemini-{cleaned}-{self.dims}"


MemoryEmbedder = OfflineEmbeddingFunction | GeminiEmbeddingFunction


def resolve_embedder_name(choice: str, api_key: str | None) -> Literal["offline", "gemini"]:
    """``auto`` means Gemini when a key is set, offline otherwise."""
    if choice == "gemini":
        return "gemini"
    if choice == "offline":
        return "offline"
    if choice != "auto":
        raise ValueError("FITCOACH_EMBEDDER must be 'auto', 'offline' or 'gemini'")
    return "gemini" if api_key else "offline"


def make_embedder(
    choice: str,
    *,
    api_key: str | None = None,
    base_url: str | None = None,
    model: str = DEFAULT_GEMINI_EMBEDDING_MODEL,
) -> MemoryEmbedder:
    """The embedding function for a ``FITCOACH_EMBEDDER`` choice."""
    if resolve_embedder_name(choice, api_key) == "gemini":
        return GeminiEmbeddingFunction(api_key=api_key, model=model, base_url=base_url)
    return OfflineEmbeddingFunction()
