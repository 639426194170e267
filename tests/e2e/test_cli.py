"""The installed ``fitcoach`` command, run as a person would script it."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

FITCOACH = shutil.which("fitcoach") or str(Path(sys.executable).parent / "fitcoach")


def run(
    args: list[str], stdin: str = "", data_dir: Path | None = None
) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k not in ("GOOGLE_API_KEY", "GEMINI_API_KEY")}
    env["FITCOACH_MODEL"] = "offline"
    if data_dir is not None:
        env["FITCOACH_DATA_DIR"] = str(data_dir)
    return subprocess.run(
        [FITCOACH, *args],
        input=stdin,
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
        check=False,
    )


def test_scripted_chat_logs_and_reports_the_day(tmp_path: Path) -> None:
    script = (
        "\n".join(
            [
                "had 2 large eggs and a banana for breakfast",
                "bench 3x5 at 80kg",
                "how am I doing today?",
                "undo",
                "how am I doing today?",
            ]
        )
        + "\n"
    )
    result = run(["chat", "--user", "alice"], stdin=script, data_dir=tmp_path)
    assert result.returncode == 0, result.stderr
    replies = [line for line in result.stdout.split("\n\n") if line.strip()]
    out = result.stdout
    assert "143 kcal" in out and "105 kcal" in out
    assert "Barbell Bench Press" in out
    assert "Today: 248 kcal" in out
    assert "removed your last entry (workout" in out
    assert out.rstrip().endswith("No workouts logged yet.")
    assert len(replies) >= 5
    # A second person on the same data dir starts empty.
    other = run(["chat", "--user", "bob"], stdin="how am I doing today?\n", data_dir=tmp_path)
    assert "haven't logged anything" in other.stdout
    # Data survives a restart for the first person.
    again = run(["chat", "--user", "alice"], stdin="how am I doing today?\n", data_dir=tmp_path)
    assert "Today: 248 kcal" in again.stdout


def test_db_upgrade_creates_the_database(tmp_path: Path) -> None:
    result = run(["db", "upgrade"], data_dir=tmp_path)
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "fitcoach.db").exists()


@pytest.mark.parametrize(
    ("args", "check"),
    [
        (
            ["food", "search", "--json", "banana"],
            lambda o: o["query"] == "banana" and o["results"][0]["ndb"] == "09040",
        ),
        (
            ["food", "parse", "--json", "2 large eggs"],
            lambda o: o["ndb"] == "01123" and o["grams"] == 100 and round(o["kcal"]) == 143,
        ),
        (
            ["meal", "parse", "--json", "2 large eggs and a banana"],
            lambda o: (
                [i["ndb"] for i in o["items"]] == ["01123", "09040"]
                and round(o["totals"]["kcal"]) == 248
            ),
        ),
        (
            ["exercise", "search", "--json", "bench"],
            lambda o: o["results"][0]["id"] == "Barbell_Bench_Press_-_Medium_Grip",
        ),
        (
            ["workout", "parse", "--json", "bench 3x5 @ 80kg"],
            lambda o: (
                o["entries"][0] | {}
                and o["entries"][0]["exercise_id"] == "Barbell_Bench_Press_-_Medium_Grip"
                and o["entries"][0]["sets"] == 3
                and o["entries"][0]["reps"] == 5
                and o["entries"][0]["weight_kg"] == 80.0
            ),
        ),
    ],
)
def test_domain_commands_print_json_lines(args: list[str], check: object) -> None:
    result = run(args)
    assert result.returncode == 0, result.stderr
    obj = json.loads(result.stdout.strip())
    assert callable(check) and check(obj)


def test_queries_from_stdin_give_one_line_each() -> None:
    result = run(["food", "search", "--json", "-"], stdin="oatmeal\napple\n\n")
    lines = [json.loads(line) for line in result.stdout.strip().splitlines()]
    assert [line["query"] for line in lines] == ["oatmeal", "apple"]


def _niceness(stat_path: Path) -> int:
    fields = stat_path.read_text().rsplit(")", 1)[1].split()
    return int(fields[16])  # field 19 of /proc/<pid>/stat, counted after "(comm)"


@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="needs Linux /proc")
def test_worker_processes_run_at_lower_cpu_priority(tmp_path: Path) -> None:
    import socket
    import time
    import urllib.request

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    env = {k: v for k, v in os.environ.items() if k not in ("GOOGLE_API_KEY", "GEMINI_API_KEY")}
    env.update(
        FITCOACH_MODEL="offline",
        FITCOACH_DATA_DIR=str(tmp_path),
        FITCOACH_PROCESS_ROLE="worker",
        FITCOACH_WORKER_NICE="7",
    )
    server = subprocess.Popen(
        [FITCOACH, "serve", "--port", str(port), "--no-scheduler"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,  # its own session: its autogroup is lowered too
    )
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/health/live", timeout=2):
                    break
            except OSError:
                assert server.poll() is None and time.monotonic() < deadline
                time.sleep(0.2)
        own = _niceness(Path("/proc/self/stat"))
        threads = list(Path(f"/proc/{server.pid}/task").glob("*/stat"))
        assert threads and all(_niceness(t) == min(own + 7, 19) for t in threads)
        autogroup = Path(f"/proc/{server.pid}/autogroup")
        if autogroup.exists():  # kernels with autogroup scheduling: sessions share the CPU
            assert autogroup.read_text().split()[-1] == str(min(own + 7, 19))
    finally:
        server.terminate()
        server.wait(timeout=30)


def test_a_load_without_unit_is_in_the_persons_units(tmp_path: Path) -> None:
    """ "bench 225x5" from someone who uses imperial units is 225 lb, not 225 kg."""
    script = "please use imperial\nbench 225x5\nbench 3x5 at 100kg\n"
    result = run(["chat", "--user", "ima"], stdin=script, data_dir=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "1×5 @ 225.0 lb" in result.stdout  # stored as 102.06 kg, shown in pounds
    assert "3×5 @ 220.5 lb" in result.stdout
    metric = run(["chat", "--user", "kim"], stdin="bench 180x5\nbench 225x5\n", data_dir=tmp_path)
    assert "1×5 @ 180 kg" in metric.stdout
    # 225 kg for 5 is far likelier pounds: asked, not logged
    assert "Was that 225 kg or 225 lb" in metric.stdout
