"""The admin-editable prompt documents, validated with pydantic, and the system prompt.

Documents (one YAML file each in ``prompts/``): ``coach`` (persona, tool guidance, safety),
``personalities`` (coaching styles), ``channels`` (per-channel style) and ``onboarding``.
Errors name the source (file or override), the field and the problem."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any, Literal, Protocol, TypeVar

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, ValidationInfo, field_validator

from fitcoach.agent.context import CoachContext

DEFAULT_PROMPTS_DIR = Path(__file__).resolve().parents[2] / "prompts"
NAME_PATTERN = re.compile(r"^[a-z][a-z0-9-]{1,31}$")
_D = TypeVar("_D", bound="PromptDocument")
ProfileFact = Literal["name", "goal", "sex", "birth_year", "height_cm", "weight_kg"]


@dataclass(frozen=True, slots=True)
class PromptIssue:
    """One problem: where (file or override), which field, what is wrong."""

    source: str
    field: str
    problem: str

    def __str__(self) -> str:
        return f"{self.source}: {self.field}: {self.problem}"


class PromptError(ValueError):
    """A prompt document is missing or invalid; the message names the file and the field."""

    def __init__(self, issues: list[PromptIssue]) -> None:
        self.issues = issues
        super().__init__("; ".join(map(str, issues)))


class PromptDocument(BaseModel):
    """Base of every prompt document: unknown fields are errors, text is stripped."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class CoachPrompt(PromptDocument):
    """The parts of the coach's system prompt (``coach.yaml``)."""

    persona: str = Field(min_length=10, max_length=4000)
    tool_guidance: str = Field(min_length=10, max_length=6000)
    safety: str = Field(min_length=10, max_length=4000)

    def render(self, profile_summary: str = "") -> str:
        """The system prompt, with what we know about the person appended."""
        parts = [self.persona, self.tool_guidance, self.safety]
        if profile_summary:
            parts.append("About this person: " + profile_summary)
        return "\n\n".join(parts)


class Personality(PromptDocument):
    """One coaching style."""

    label: str = Field(min_length=2, max_length=60)
    description: str = Field(min_length=5, max_length=300)
    style: str = Field(min_length=10, max_length=2000)


def _check_names(names: list[str]) -> None:
    bad = [n for n in names if not NAME_PATTERN.match(n)]
    if bad:
        raise ValueError(f"names must be lowercase letters, digits and '-': {bad}")


class PersonalitiesDoc(PromptDocument):
    """Coaching styles a person can pick (``personalities.yaml``)."""

    personalities: dict[str, Personality] = Field(min_length=1)
    default: str

    @field_validator("personalities")
    @classmethod
    def _names(cls, value: dict[str, Personality]) -> dict[str, Personality]:
        _check_names(list(value))
        return value

    @field_validator("default")
    @classmethod
    def _default_exists(cls, value: str, info: ValidationInfo) -> str:
        known = info.data.get("personalities")
        if known is not None and value not in known:
            raise ValueError(f"{value!r} is not one of {sorted(known)}")
        return value


class ChannelsDoc(PromptDocument):
    """How to write on each channel (``channels.yaml``); ``default`` for any other channel."""

    default: str = Field(min_length=10, max_length=1000)
    channels: dict[str, str] = Field(default_factory=dict)

    @field_validator("channels")
    @classmethod
    def _valid(cls, value: dict[str, str]) -> dict[str, str]:
        _check_names(list(value))
        short = [k for k, v in value.items() if len(v.strip()) < 10]
        if short:
            raise ValueError(f"style too short (at least 10 characters) for: {short}")
        return {k: v.strip() for k, v in value.items()}


def _default_missing() -> list[ProfileFact]:
    return ["name", "goal"]


class OnboardingDoc(PromptDocument):
    """What to do while the coach does not yet know the basics (``onboarding.yaml``)."""

    when_missing: list[ProfileFact] = Field(default_factory=_default_missing)
    instructions: str = Field(min_length=10, max_length=3000)


DOCUMENTS: dict[str, type[PromptDocument]] = {
    "coach": CoachPrompt,
    "personalities": PersonalitiesDoc,
    "channels": ChannelsDoc,
    "onboarding": OnboardingDoc,
}


def file_name(document: str) -> str:
    """The YAML file of a document."""
    return f"{document}.yaml"


def parse_document(document: str, raw: object, source: str) -> PromptDocument:
    """Validate a document's data; PromptError lists every (source, field, problem)."""
    model = DOCUMENTS.get(document)
    if model is None:
        raise PromptError([PromptIssue(source, "(document)", f"unknown document {document!r}")])
    if not isinstance(raw, dict):
        kind = type(raw).__name__
        raise PromptError([PromptIssue(source, "(top level)", f"expected a mapping, got {kind}")])
    try:
        return model.model_validate(raw)
    except ValidationError as exc:
        raise PromptError(
            [
                PromptIssue(
                    source,
                    ".".join(map(str, e["loc"])) or "(document)",
                    e["msg"].removeprefix("Value error, "),
                )
                for e in exc.errors()
            ]
        ) from exc


def parse_yaml(document: str, text: str, source: str) -> PromptDocument:
    """Parse and validate a document from YAML text."""
    try:
        raw = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise PromptError([PromptIssue(source, "(yaml)", str(exc).replace("\n", " "))]) from exc
    return parse_document(document, raw, source)


def load_document(document: str, prompts_dir: Path = DEFAULT_PROMPTS_DIR) -> PromptDocument:
    """Read and validate one document's file."""
    path = prompts_dir / file_name(document)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise PromptError([PromptIssue(str(path), "(file)", f"cannot read: {exc}")]) from exc
    return parse_yaml(document, text, str(path))


def validate_dir(prompts_dir: Path, *, require_all: bool = False) -> list[PromptIssue]:
    """Every problem of the document files in a directory (empty when all are valid).

    A missing file is a problem only with ``require_all`` (otherwise the packaged one is used).
    """
    issues: list[PromptIssue] = []
    for document in DOCUMENTS:
        if not require_all and not (prompts_dir / file_name(document)).exists():
            continue
        try:
            load_document(document, prompts_dir)
        except PromptError as exc:
            issues.extend(exc.issues)
    return issues


def to_yaml(data: dict[str, Any]) -> str:
    """A document as readable YAML (multi-line text as ``|`` blocks), for diffs and display."""
    return yaml.dump(data, Dumper=_BlockDumper, sort_keys=False, allow_unicode=True, width=100)


class _BlockDumper(yaml.SafeDumper):
    pass


def _str_block(dumper: yaml.SafeDumper, value: str) -> yaml.ScalarNode:
    style = "|" if "\n" in value else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


_BlockDumper.add_representer(str, _str_block)


def load_prompt(path: Path) -> CoachPrompt:
    """Read and validate one coach prompt file (kept for existing callers)."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise PromptError([PromptIssue(str(path), "(file)", f"cannot read: {exc}")]) from exc
    doc = parse_yaml("coach", text, str(path))
    assert isinstance(doc, CoachPrompt)
    return doc


@cache
def coach_prompt(prompts_dir: Path = DEFAULT_PROMPTS_DIR) -> CoachPrompt:
    """The coach prompt from ``prompts_dir/coach.yaml`` (cached per directory)."""
    return load_prompt(prompts_dir / "coach.yaml")


@dataclass(frozen=True, slots=True)
class PromptSet:
    """One consistent set of documents, and how they combine into a system prompt."""

    coach: CoachPrompt
    personalities: PersonalitiesDoc
    channels: ChannelsDoc
    onboarding: OnboardingDoc
    versions: dict[str, int] = field(default_factory=dict)
    """Override version in effect per document (absent: the file)."""

    @classmethod
    def from_documents(cls, docs: dict[str, PromptDocument], versions: dict[str, int]) -> PromptSet:
        """Assemble from validated documents keyed by name."""
        return cls(
            coach=_as(docs["coach"], CoachPrompt),
            personalities=_as(docs["personalities"], PersonalitiesDoc),
            channels=_as(docs["channels"], ChannelsDoc),
            onboarding=_as(docs["onboarding"], OnboardingDoc),
            versions=dict(versions),
        )

    def document(self, name: str) -> PromptDocument:
        """A document by name."""
        doc: PromptDocument = getattr(self, name)
        return doc

    def personality(self, name: str | None) -> tuple[str, Personality]:
        """The named personality if it exists, else the default one."""
        doc = self.personalities
        key = name if name in doc.personalities else doc.default
        return key, doc.personalities[key]

    def compose(
        self,
        channel: str,
        personality: str | None = None,
        profile_summary: str = "",
        missing: frozenset[str] = frozenset(),
    ) -> str:
        """Persona + personality + channel style + onboarding + tools + safety + profile."""
        _, style = self.personality(personality)
        channel_style = self.channels.channels.get(channel.lower(), self.channels.default)
        parts = [
            self.coach.persona,
            f"Coaching style ({style.label}): {style.style}",
            f"Channel style ({channel}): {channel_style}",
        ]
        if missing & set(self.onboarding.when_missing):
            parts.append(self.onboarding.instructions)
        parts += [self.coach.tool_guidance, self.coach.safety]
        if profile_summary:
            parts.append("About this person: " + profile_summary)
        return "\n\n".join(parts)


def _as(doc: PromptDocument, model: type[_D]) -> _D:
    if not isinstance(doc, model):
        raise TypeError(f"expected {model.__name__}, got {type(doc).__name__}")
    return doc


class PromptRenderer(Protocol):
    """Builds the system prompt for one model call (implemented by the admin PromptService)."""

    async def render_system_prompt(self, context: CoachContext) -> str:
        """The full system prompt for this person, channel and moment."""
        ...
