"""What the compose checks share: the report lines, timing one check, the rich report."""

from __future__ import annotations

import shutil
import time
import types
from collections.abc import Callable
from dataclasses import dataclass, field


class PrerequisiteMissing(Exception):
    """Something the check needs from the machine is not there (exit code 3)."""


class Interrupted(Exception):
    """SIGTERM received: tear down and stop."""


def raise_interrupted(signum: int, frame: types.FrameType | None) -> None:
    """Signal handler: turn SIGTERM into :class:`Interrupted`."""
    raise Interrupted(f"signal {signum}")


@dataclass
class Result:
    """One line of the report."""

    phase: str
    name: str
    ok: bool
    seconds: float
    detail: str


@dataclass(kw_only=True)
class CheckLog:
    """The report lines of one run and its start time (keyword-only: subclasses keep their
    own positional fields)."""

    results: list[Result] = field(default_factory=list)
    started_at: float = field(default_factory=time.monotonic)

    def record(self, phase: str, name: str, check: Callable[[], str]) -> bool:
        """Run one check, timing it; an exception is a failure with its message."""
        started = time.monotonic()
        try:
            detail, ok = check(), True
        except (KeyboardInterrupt, Interrupted):
            raise
        except Exception as exc:
            detail, ok = f"{type(exc).__name__}: {exc}", False
        self.results.append(Result(phase, name, ok, time.monotonic() - started, detail))
        return ok

    @property
    def failed(self) -> bool:
        """Whether any line failed."""
        return any(not result.ok for result in self.results)

    def print_report(self, title: str) -> list[Result]:
        """A rich table of every line, then the verdict; returns the failed lines."""
        from rich.console import Console
        from rich.table import Table

        table = Table(title=title)
        for column in ("phase", "check", "result", "s", "detail"):
            table.add_column(column, overflow="fold")
        for r in self.results:
            mark = "[green]PASS[/]" if r.ok else "[red]FAIL[/]"
            table.add_row(r.phase, r.name, mark, f"{r.seconds:.2f}", r.detail)
        console = Console(width=max(170, shutil.get_terminal_size().columns))
        console.print(table)
        failed = [r for r in self.results if not r.ok]
        verdict = "[red]FAILED[/]" if failed else "[green]PASSED[/]"
        console.print(
            f"{verdict}: {len(self.results) - len(failed)}/{len(self.results)} lines ok, "
            f"{time.monotonic() - self.started_at:.1f} s in all"
        )
        return failed
