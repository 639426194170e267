"""Prompt files: validated on load, clear errors, the last good version stays in use."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from fitcoach.admin.prompt_files import PromptFiles, all_issues
from fitcoach.agent.prompts import (
    DEFAULT_PROMPTS_DIR,
    DOCUMENTS,
    CoachPrompt,
    PromptError,
    PromptSet,
    coach_prompt,
    load_document,
    load_prompt,
    parse_yaml,
    validate_dir,
)


@pytest.fixture
def prompts_dir(tmp_path: Path) -> Path:
    folder = tmp_path / "prompts"
    folder.mkdir()
    for name in DOCUMENTS:
        shutil.copy(DEFAULT_PROMPTS_DIR / f"{name}.yaml", folder / f"{name}.yaml")
    return folder


def _touch(path: Path, text: str) -> None:
    path.write_text(text, encoding="utf-8")
    stat = path.stat()
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000_000))


def test_the_packaged_files_are_valid() -> None:
    assert validate_dir(DEFAULT_PROMPTS_DIR, require_all=True) == []
    personalities = load_document("personalities")
    assert {"supportive", "tough-love", "data-driven"} <= set(
        personalities.model_dump()["personalities"]
    )
    channels = load_document("channels").model_dump()["channels"]
    assert {"telegram", "slack", "web"} <= set(channels)


def test_coach_prompt_and_render_keep_working() -> None:
    prompt = coach_prompt()
    assert isinstance(prompt, CoachPrompt)
    text = prompt.render("name Ann")
    assert text.startswith("You are fitcoach") and text.endswith("About this person: name Ann")
    assert load_prompt(DEFAULT_PROMPTS_DIR / "coach.yaml") == prompt


def test_a_bad_file_names_the_file_the_field_and_the_problem(prompts_dir: Path) -> None:
    path = prompts_dir / "coach.yaml"
    path.write_text("persona: hi\ntool_guidance: 3\nsafety: fine safety text\nvoice: x\n")
    with pytest.raises(PromptError) as caught:
        load_document("coach", prompts_dir)
    issues = {(i.source, i.field) for i in caught.value.issues}
    assert issues == {
        (str(path), "persona"),
        (str(path), "tool_guidance"),
        (str(path), "voice"),
    }
    message = str(caught.value)
    assert f"{path}: persona: String should have at least 10 characters" in message
    assert "voice: Extra inputs are not permitted" in message


def test_broken_yaml_and_cross_field_errors_are_clear() -> None:
    with pytest.raises(PromptError, match=r"x.yaml: \(yaml\): "):
        parse_yaml("coach", "persona: [unclosed", "x.yaml")
    text = (
        (DEFAULT_PROMPTS_DIR / "personalities.yaml")
        .read_text()
        .replace("default: supportive", "default: grumpy")
    )
    with pytest.raises(PromptError) as caught:
        parse_yaml("personalities", text, "p.yaml")
    (issue,) = caught.value.issues
    assert (issue.source, issue.field) == ("p.yaml", "default")
    assert "'grumpy' is not one of" in issue.problem


def test_the_last_good_version_stays_when_a_file_turns_bad(prompts_dir: Path) -> None:
    files = PromptFiles(prompts_dir)
    files.reload()
    path = prompts_dir / "coach.yaml"
    good = path.read_text().replace("You are fitcoach", "You are Coach Kim, fitcoach")
    _touch(path, good)
    assert files.reload()
    assert "Coach Kim" in files.docs["coach"].model_dump()["persona"]
    _touch(path, "persona: [")  # broken
    assert not files.reload()
    assert "Coach Kim" in files.docs["coach"].model_dump()["persona"]  # still the good one
    (issue,) = all_issues(files)
    assert issue.source == str(path) and issue.field == "(yaml)"
    _touch(path, good.replace("Coach Kim", "Coach Lee"))
    assert files.reload() and all_issues(files) == []


def test_a_bad_file_at_start_uses_the_packaged_one(prompts_dir: Path) -> None:
    (prompts_dir / "channels.yaml").write_text("default: short\n")
    (prompts_dir / "onboarding.yaml").unlink()  # missing: packaged one, no problem
    files = PromptFiles(prompts_dir)
    files.reload()
    assert files.docs["channels"] == load_document("channels")
    assert [i.field for i in all_issues(files)] == ["default"]
    assert files.path("onboarding") == DEFAULT_PROMPTS_DIR / "onboarding.yaml"


def test_compose_combines_every_part() -> None:
    prompt_set = PromptSet.from_documents({d: load_document(d) for d in DOCUMENTS}, {})
    text = prompt_set.compose("telegram", "tough-love", "name Ann", frozenset({"goal"}))
    parts = [
        "You are fitcoach",
        "Coaching style (Tough love)",
        "Channel style (telegram): This is a Telegram chat",
        "This person is new",
        "Numbers must come from tools",
        "You are not a doctor",
        "About this person: name Ann",
    ]
    positions = [text.index(p) for p in parts]
    assert positions == sorted(positions)
    default = prompt_set.compose("irc", None, "", frozenset())
    assert "Coaching style (Supportive)" in default
    assert "Channel style (irc): Write plain text" in default
    assert "This person is new" not in default
    assert "Coaching style (Supportive)" in prompt_set.compose("web", "no-such-style")
