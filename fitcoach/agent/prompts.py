"""Loads the admin-editable prompt files and renders the system prompt for one person."""

from __future__ import annotations

from functools import cache
from pathlib import Path

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

DEFAULT_PROMPTS_DIR = Path(__file__).resolve().parents[2] / "prompts"


class PromptError(ValueError):
    """A prompt file is missing or invalid; the message names the file and the field."""


class CoachPrompt(BaseModel):
    """The parts of the coach's system prompt."""

    model_config = ConfigDict(extra="forbid")

    persona: str = Field(min_length=10)
    tool_guidance: str = Field(min_length=10)
    safety: str = Field(min_length=10)

    def render(self, profile_summary: str = "") -> str:
        """The system prompt, with what we know about the person appended."""
        parts = [self.persona.strip(), self.tool_guidance.strip(), self.safety.strip()]
        if profile_summary:
            parts.append("About this person: " + profile_summary)
        return "\n\n".join(parts)


def load_prompt(path: Path) -> CoachPrompt:
    """Read and validate one prompt file."""
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise PromptError(f"{path}: cannot read: {exc}") from exc
    if not isinstance(raw, dict):
        raise PromptError(f"{path}: expected a mapping of fields")
    try:
        return CoachPrompt.model_validate(raw)
    except ValidationError as exc:
        problems = "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors())
        raise PromptError(f"{path}: {problems}") from exc


@cache
def coach_prompt(prompts_dir: Path = DEFAULT_PROMPTS_DIR) -> CoachPrompt:
    """The coach prompt from ``prompts_dir/coach.yaml`` (cached per directory)."""
    return load_prompt(prompts_dir / "coach.yaml")
