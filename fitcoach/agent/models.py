"""Chat model factory: ``FITCOACH_MODEL`` → a LangChain chat model."""

from __future__ import annotations

from langchain_core.language_models import BaseChatModel

from fitcoach.agent.offline_model import OfflineChatModel
from fitcoach.config import DEFAULT_GEMINI_MODEL, Settings


class ModelConfigError(ValueError):
    """The model setting names an unknown provider or lacks what it needs."""


def create_chat_model(settings: Settings) -> BaseChatModel:
    """The primary chat model for these settings (the offline model when nothing else fits)."""
    spec = settings.resolved_model
    if spec == "offline":
        return OfflineChatModel()
    provider, _, name = spec.partition(":")
    if provider == "google_genai":
        from langchain_google_genai import ChatGoogleGenerativeAI

        key = settings.google_api_key.get_secret_value() if settings.google_api_key else None
        if not key:
            raise ModelConfigError("google_genai needs GOOGLE_API_KEY (or GEMINI_API_KEY)")
        return ChatGoogleGenerativeAI(
            model=name or DEFAULT_GEMINI_MODEL,
            api_key=key,
            base_url=settings.model_base_url,
            timeout=settings.model_timeout_s,
            max_retries=max(1, settings.model_max_retries),
        )
    raise ModelConfigError(f"unknown model provider {provider!r} in FITCOACH_MODEL={spec!r}")
