#!/usr/bin/env python3
"""Build local stand-ins for the images docker-compose.yml and the Dockerfile pull from Docker Hub.

For machines that run a Docker engine but cannot reach any container registry. One Debian
bookworm root file system is made with ``debootstrap --variant=minbase`` and imported as
``fitcoach-standin/bookworm:minbase``; the stand-ins are built on it from the Dockerfiles in
``deploy/standin/`` and tagged with the exact names the project uses:

* ``python:3.11-slim``   Debian's Python 3.11 in a venv at /usr/local (python, pip on PATH)
* ``postgres:16-alpine`` Debian's PostgreSQL **15**, an entrypoint like the official one
* ``redis:7-alpine``     Debian's redis-server 7.0, /data as working dir and volume
* ``nginx:1.27-alpine``  Debian's nginx 1.22, conf.d/*.conf only, in the foreground

Every stand-in carries the label ``fitcoach.standin=1``. Idempotent: an existing tag is kept
(also a real image of that name) unless ``--rebuild``; a real image is never replaced.

    .venv/bin/python deploy/standin_images.py [--rebuild] [--only postgres]

Needs root, ``debootstrap`` and a Docker engine; network to the Debian mirror (apt) and PyPI
(the python stand-in upgrades pip). See the module ``deploy/compose_up.py`` for the use.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Annotated

import typer
from rich.console import Console
from rich.table import Table

ROOT = Path(__file__).resolve().parent.parent
STANDIN_DIR = ROOT / "deploy" / "standin"
BASE_TAG = "fitcoach-standin/bookworm:minbase"
MIRROR = "http://deb.debian.org/debian"
SUITE = "bookworm"
LABEL = "fitcoach.standin"
HOST_CA_BUNDLE = Path("/etc/ssl/certs/ca-certificates.crt")


@dataclass(frozen=True)
class StandIn:
    """One stand-in image: its directory under deploy/standin/ and the tag it replaces."""

    name: str
    tag: str
    provenance: str


STANDINS = (
    StandIn("python", "python:3.11-slim", "Debian bookworm python3 3.11 + venv at /usr/local"),
    StandIn("postgres", "postgres:16-alpine", "Debian bookworm postgresql-15 (not 16)"),
    StandIn("redis", "redis:7-alpine", "Debian bookworm redis-server 7.0"),
    StandIn("nginx", "nginx:1.27-alpine", "Debian bookworm nginx-light 1.22"),
)
TAGS = tuple(s.tag for s in STANDINS)

console = Console(width=max(140, shutil.get_terminal_size().columns))
app = typer.Typer(add_completion=False, help=__doc__.split("\n\n")[0] if __doc__ else None)


def run(
    argv: list[str],
    timeout: float = 600,
    stdin: IO[bytes] | None = None,
    env: dict[str, str] | None = None,
) -> str:
    """Run a command, output captured; raises with its tail on failure."""
    done = subprocess.run(argv, capture_output=True, timeout=timeout, stdin=stdin, env=env)
    out = (done.stdout + done.stderr).decode(errors="replace")
    if done.returncode != 0:
        raise RuntimeError(f"{' '.join(argv[:4])} … failed ({done.returncode}):\n{out[-3000:]}")
    return out


def image_labels(tag: str) -> dict[str, str] | None:
    """The labels of a local image (None when the tag does not exist)."""
    done = subprocess.run(
        ["docker", "image", "inspect", "--format", "{{json .Config.Labels}}", tag],
        capture_output=True,
        text=True,
    )
    if done.returncode != 0:
        return None
    return json.loads(done.stdout.strip() or "null") or {}


def missing_images() -> list[str]:
    """The tags docker-compose.yml and the Dockerfile need that are not present locally."""
    return [tag for tag in TAGS if image_labels(tag) is None]


def docker_reachable() -> str | None:
    """None when the Docker engine answers, else why not."""
    if shutil.which("docker") is None:
        return "no docker client on PATH"
    try:
        done = subprocess.run(
            ["docker", "info", "--format", "{{.ServerVersion}}"],
            capture_output=True,
            text=True,
            timeout=20,
        )
    except subprocess.TimeoutExpired:
        return "docker info timed out"
    if done.returncode != 0:
        return f"no Docker daemon reachable: {done.stderr.strip()[-200:]}"
    return None


def build_base(rebuild: bool) -> str:
    """debootstrap a minbase bookworm once and import it as BASE_TAG."""
    if image_labels(BASE_TAG) is not None and not rebuild:
        return "exists"
    if os.geteuid() != 0 or shutil.which("debootstrap") is None:
        raise RuntimeError(
            "building the base needs root and debootstrap (apt-get install debootstrap)"
        )
    with tempfile.TemporaryDirectory(prefix="fitcoach-standin-", dir="/var/tmp") as tmp:
        rootfs = Path(tmp) / "rootfs"
        run(["debootstrap", "--variant=minbase", SUITE, str(rootfs), MIRROR], timeout=1800)
        # What Debian's official images also do: no services started by package scripts,
        # no recommends, no apt caches left in layers.
        policy = rootfs / "usr/sbin/policy-rc.d"
        policy.write_text("#!/bin/sh\nexit 101\n")
        policy.chmod(0o755)
        (rootfs / "etc/apt/apt.conf.d/90standin").write_text(
            'APT::Install-Recommends "false";\nAPT::Install-Suggests "false";\n'
            'Acquire::Languages "none";\n'
        )
        (rootfs / "etc/apt/sources.list").write_text(
            f"deb {MIRROR} {SUITE} main\ndeb {MIRROR} {SUITE}-updates main\n"
            f"deb http://deb.debian.org/debian-security {SUITE}-security main\n"
        )
        run(["chroot", str(rootfs), "apt-get", "clean"])
        for cache in ("var/lib/apt/lists", "var/cache/apt/archives"):
            for entry in (rootfs / cache).glob("*"):
                if entry.is_file():
                    entry.unlink()
        tar = subprocess.Popen(["tar", "-C", str(rootfs), "-c", "."], stdout=subprocess.PIPE)
        changes = [
            "--change",
            'CMD ["bash"]',
            "--change",
            "ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
            "--change",
            f"LABEL {LABEL}=1",
        ]
        run(["docker", "import", *changes, "-", BASE_TAG], stdin=tar.stdout)
        tar.wait()
    return f"debootstrap {SUITE} minbase from {MIRROR} → docker import"


def build_standin(standin: StandIn, rebuild: bool) -> str:
    """docker build deploy/standin/<name>/ on the base, tagged as the image it stands in for."""
    labels = image_labels(standin.tag)
    if labels is not None:
        if labels.get(LABEL) != "1":
            return "a real image has this tag: kept"
        if not rebuild:
            return "exists"
    with tempfile.TemporaryDirectory(prefix=f"fitcoach-standin-{standin.name}-") as tmp:
        context = Path(tmp) / "context"
        shutil.copytree(STANDIN_DIR / standin.name, context)
        if standin.name == "python":
            shutil.copy(HOST_CA_BUNDLE, context / "ca-certificates.crt")
        argv = [
            "docker",
            "build",
            "--pull=false",
            "--force-rm",
            "--build-arg",
            f"BASE={BASE_TAG}",
            "--label",
            f"{LABEL}=1",
            "--label",
            f"org.opencontainers.image.description=stand-in for {standin.tag}: "
            f"{standin.provenance} (deploy/standin_images.py)",
            "-t",
            standin.tag,
            str(context),
        ]
        run(argv, timeout=1800, env=dict(os.environ, DOCKER_BUILDKIT="0"))
    return standin.provenance


def image_size(tag: str) -> str:
    """The image's size in MB."""
    done = subprocess.run(
        ["docker", "image", "inspect", "--format", "{{.Size}}", tag], capture_output=True, text=True
    )
    return f"{int(done.stdout.strip()) / 1e6:.0f} MB" if done.returncode == 0 else "?"


@app.command()
def main(
    rebuild: Annotated[
        bool, typer.Option(help="rebuild stand-ins (and the base) that exist")
    ] = False,
    only: Annotated[
        list[str] | None, typer.Option(help="python | postgres | redis | nginx (repeatable)")
    ] = None,
) -> None:
    """Build the base rootfs image, then each stand-in; print what was done."""
    if problem := docker_reachable():
        console.print(f"[red]{problem}[/]")
        raise typer.Exit(3)
    wanted = [s for s in STANDINS if not only or s.name in only]
    if only and len(wanted) != len(only):
        raise typer.BadParameter(f"--only takes {', '.join(s.name for s in STANDINS)}")
    table = Table(title="stand-in images")
    for column in ("image", "result", "s", "size", "what"):
        table.add_column(column, overflow="fold")
    failed = False
    started = time.monotonic()
    steps: list[tuple[str, StandIn | None]] = [(BASE_TAG, None), *[(s.tag, s) for s in wanted]]
    for tag, standin in steps:
        began = time.monotonic()
        try:
            with console.status(f"building {tag}…"):
                what = build_base(rebuild) if standin is None else build_standin(standin, rebuild)
            mark = "[green]ok[/]"
        except (RuntimeError, subprocess.TimeoutExpired) as exc:
            what, mark, failed = str(exc), "[red]FAILED[/]", True
        table.add_row(tag, mark, f"{time.monotonic() - began:.1f}", image_size(tag), what)
        if failed:
            break
    console.print(table)
    console.print(f"{'FAILED' if failed else 'done'} in {time.monotonic() - started:.1f} s")
    raise typer.Exit(1 if failed else 0)


if __name__ == "__main__":
    sys.exit(app())
