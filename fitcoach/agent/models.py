"""Chat model factory: ``FITCOACH_MODEL`` → a LangChain chat model.

``auto`` | ``offline`` | ``google_genai:<model>`` | ``openai:<model>`` (any OpenAI-compatible
server: vLLM, llama.cpp, LM Studio) | ``ollama:<model>``. ``FITCOACH_MODEL_BASE_URL`` applies to
every provider. Timeouts and retries are bounded; failures fall back to the offline model in
the graph (see graph.py)."""

from __future__ import annotations

from typing import Any

from langchain_core.language_models import BaseChatModel

from fitcoach.agent.offline_model import OfflineChatModel
from fitcoach.config import DEFAULT_GEMINI_MODEL, Settings

PROVIDERS = ("google_genai", "openai", "ollama")


class ModelConfigError(ValueError):
    """The model setting names an unknown provider or lacks what it needs."""


def create_chat_model(settings: Settings) -> BaseChatModel:
    """The primary chat model for these settings."""
    spec = settings.resolved_model
    if spec == "offline":
        return OfflineChatModel()
    provider, _, name = spec.partition(":")
    if provider == "google_genai":
        return _gemini(settings, name or DEFAULT_GEMINI_MODEL)
    if provider == "openai":
        return _openai(settings, name)
    if provider == "ollama":
        return _ollama(settings, name)
    raise ModelConfigError(
        f"unknown model provider {provider!r} in FITCOACH_MODEL={spec!r}; "
        f"use auto, offline or one of {', '.join(PROVIDERS)}"
    )


def _gemini(settings: Settings, name: str) -> BaseChatModel:
    from fitcoach.agent.gemini import CachedToolsGemini
    from fitcoach.agent.genai_checks import skip_type_mismatch_warnings

    skip_type_mismatch_warnings()

    key = settings.google_api_key.get_secret_value() if settings.google_api_key else ""
    if not key:
        raise ModelConfigError("google_genai needs GOOGLE_API_KEY (or GEMINI_API_KEY)")
    options: dict[str, Any] = {
        "model": name,
        "api_key": key,
        "base_url": settings.model_base_url,
        "vertexai": False,
        "timeout": settings.model_timeout_s,
        # The Google SDK reads 0 as "default retries"; 1 means a single attempt.
        "max_retries": max(1, settings.model_max_retries + 1),
    }
    return CachedToolsGemini(**options)


def _openai(settings: Settings, name: str) -> BaseChatModel:
    from langchain_openai import ChatOpenAI

    if not name:
        raise ModelConfigError("openai needs a model name, e.g. openai:llama-3.1-8b-instruct")
    key = settings.openai_api_key.get_secret_value() if settings.openai_api_key else "unused"
    return ChatOpenAI(
        model=name,
        api_key=key,  # type: ignore[arg-type]
        base_url=settings.model_base_url,
        timeout=settings.model_timeout_s,
        max_retries=settings.model_max_retries,
    )


def _ollama(settings: Settings, name: str) -> BaseChatModel:
    from langchain_ollama import ChatOllama

    if not name:
        raise ModelConfigError("ollama needs a model name, e.g. ollama:llama3.1")
    return ChatOllama(
        model=name,
        base_url=settings.model_base_url,
        client_kwargs={"timeout": settings.model_timeout_s},
    )
