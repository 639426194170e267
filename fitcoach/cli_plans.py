"""``fitcoach plan``: generate a safety-checked training and nutrition plan from a profile file."""

from __future__ import annotations

import json
import sys
from datetime import date
from pathlib import Path
from typing import Annotated, Any

import typer
import yaml
from rich.console import Console
from rich.table import Table

from fitcoach.domain.plans.generator import generate_plan
from fitcoach.domain.plans.plan import Plan
from fitcoach.domain.plans.profile import ProfileError, profile_from_mapping

plan_app = typer.Typer(help="Training and nutrition plans.", no_args_is_help=True)


@plan_app.callback()
def plan_group() -> None:
    """Training and nutrition plans (keeps ``generate`` a sub-command)."""


def load_profile_file(path: Path) -> dict[str, Any]:
    """A profile mapping from a JSON or YAML file ('-' reads stdin)."""
    text = sys.stdin.read() if str(path) == "-" else path.read_text(encoding="utf-8")
    data = yaml.safe_load(text)  # YAML is a superset of JSON
    if not isinstance(data, dict):
        raise typer.BadParameter("the profile must be a JSON/YAML object", param_hint="--profile")
    return data


@plan_app.command("generate")
def generate(
    profile: Annotated[
        Path, typer.Option("--profile", help="Profile JSON/YAML file, or '-' for stdin.")
    ],
    json_out: Annotated[bool, typer.Option("--json", help="Print one JSON object.")] = False,
) -> None:
    """Generate a plan: workout split, exercises, doses, nutrition targets, notes, safety."""
    data = load_profile_file(profile)
    try:
        plan = generate_plan(profile_from_mapping(data, this_year=date.today().year))
    except ProfileError as error:
        if json_out:
            sys.stdout.write(json.dumps({"error": str(error), "field": error.field}) + "\n")
        else:
            Console(stderr=True).print(f"[red]Invalid profile:[/] {error}")
        raise typer.Exit(2) from None
    if json_out:
        sys.stdout.write(json.dumps(plan.as_dict(), ensure_ascii=False) + "\n")
        return
    print_plan(plan, Console())


def print_plan(plan: Plan, console: Console) -> None:
    """A readable rendering of a plan (rich tables)."""
    console.print(f"[bold]Split:[/] {plan.workout.split}")
    for day in plan.workout.days:
        title = f"{day.weekday} — {day.name} (~{day.est_min} min)"
        table = Table(title=title, title_justify="left")
        for column in ("Exercise", "Sets", "Reps", "Rest (s)", "RIR", "Equipment"):
            table.add_column(column)
        for e in day.exercises:
            table.add_row(e.name, str(e.sets), e.reps, str(e.rest_s), str(e.rir),
                          e.equipment or "")
        console.print(table)
    n = plan.nutrition
    table = Table(title="Nutrition (per day)", title_justify="left")
    for column in ("kcal", "Protein g", "Carbs g", "Fat g", "BMR", "TDEE", "Weekly change"):
        table.add_column(column)
    table.add_row(str(n.kcal), str(n.protein_g), str(n.carbs_g), str(n.fat_g), str(n.bmr),
                  str(n.tdee), f"{n.weekly_change_kg:+.2f} kg ({n.weekly_change_pct:+.2f} %)")
    console.print(table)
    console.print("[bold]Progression[/]")
    for rule in plan.workout.progression:
        console.print(f"  • {rule}")
    console.print("[bold]Notes[/]")
    for note in plan.notes:
        console.print(f"  • {note}")
    violations = plan.safety.get("violations", [])
    console.print(f"[bold]Safety:[/] {len(violations)} correction(s)")
