"""fitcoach plan generate --profile FILE [--json]."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from fitcoach.cli_plans import plan_app

PROFILE = {
    "sex": "male", "age": 41, "height_cm": 178, "weight_kg": 92, "goal": "fat_loss",
    "days_per_week": 4, "session_min": 50, "equipment": ["dumbbell", "bands"],
    "level": "intermediate", "injuries": ["lower back"],
}


def test_json_output_shape(tmp_path: Path) -> None:
    path = tmp_path / "p.json"
    path.write_text(json.dumps(PROFILE))
    result = CliRunner().invoke(plan_app, ["generate", "--profile", str(path), "--json"])
    assert result.exit_code == 0, result.output
    lines = result.stdout.strip().splitlines()
    assert len(lines) == 1
    plan = json.loads(lines[0])
    assert set(plan) >= {"workout", "nutrition", "notes", "safety"}
    day = plan["workout"]["days"][0]
    exercise = day["exercises"][0]
    assert {"exercise_id", "name", "sets", "reps", "rest_s", "rir"} <= set(exercise)
    assert isinstance(exercise["sets"], int) and isinstance(exercise["rest_s"], int)
    assert isinstance(exercise["reps"], str) and "-" in exercise["reps"]
    assert {"kcal", "protein_g", "carbs_g", "fat_g", "bmr", "tdee"} <= set(plan["nutrition"])
    assert plan["safety"]["violations"] == []


def test_yaml_and_table_output(tmp_path: Path) -> None:
    path = tmp_path / "p.yaml"
    path.write_text("\n".join(f"{k}: {json.dumps(v)}" for k, v in PROFILE.items()))
    result = CliRunner().invoke(plan_app, ["generate", "--profile", str(path)])
    assert result.exit_code == 0, result.output
    assert "Nutrition" in result.stdout and "Upper A" in result.stdout


def test_invalid_profile_exits_2(tmp_path: Path) -> None:
    path = tmp_path / "p.json"
    path.write_text(json.dumps({**PROFILE, "weight_kg": 3}))
    result = CliRunner().invoke(plan_app, ["generate", "--profile", str(path), "--json"])
    assert result.exit_code == 2
    assert json.loads(result.stdout)["field"] == "weight_kg"
