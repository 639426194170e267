#!/usr/bin/env python3
"""Compose rehearsal: run the docker-compose.yml topology natively, without Docker.

Everything is derived from ``docker-compose.yml``, ``Dockerfile`` and the nginx config the
proxy service mounts. The image is "built" first: the Dockerfile's COPY lines into a temp
root, its ``pip install .`` as a wheel the replicas import (so packaging mistakes show; skip
with ``--editable``). Container hostnames are mapped to loopback:

* ``postgres:*`` image → the machine's PostgreSQL (a scratch database, dropped at the end);
* ``redis:*`` image → the machine's Redis (a dedicated database number);
* services built from the Dockerfile → their ``command`` (chroma) or the image ``CMD``
  (``fitcoach serve``, app1/app2) from this venv, on free loopback ports, with the image
  ``ENV``, the env file and the service ``environment``; named volumes become temp dirs;
* ``nginx:*`` image → the local nginx with the mounted conf, upstreams rewritten to the
  replicas' loopback ports.

Services start in the compose dependency order (``depends_on`` conditions), each declared
healthcheck is run (translated to loopback), then the stack is exercised through the proxy.
Exit codes: 0 all checks passed, 1 a check failed, 3 a prerequisite is missing (no nginx and
none installable, PostgreSQL or Redis unreachable). Everything started is torn down, also
on failure and Ctrl-C.

    .venv/bin/python deploy/rehearse.py [--json report.json] [--keep] [--editable]

See docs/operations.md, "Rehearsing the compose stack without Docker".
"""

from __future__ import annotations

import argparse
import contextlib
import fnmatch
import importlib.metadata
import importlib.util
import json
import os
import re
import shlex
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import zipfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import httpx
import yaml

sys.path.insert(0, str(Path(__file__).resolve().parent))  # deploy/ is not a package
from checklog import (
    CheckLog,
    Interrupted,
    PrerequisiteMissing,
    Result,
    raise_interrupted,
)

ROOT = Path(__file__).resolve().parent.parent
EXIT_OK, EXIT_FAILED, EXIT_PREREQUISITE = 0, 1, 3
POLL_S = 0.25
MEAL = "had 2 large eggs and a banana"
MEAL_KCAL = "143 kcal"  # the eggs alone: USDA 01123, 2 large
DAY_KCAL = "248 kcal"  # eggs + banana, the day's total
DEFAULT_POSTGRES = "postgresql://postgres@127.0.0.1:5432/postgres"
DEFAULT_REDIS = "redis://127.0.0.1:6379/14"  # tests use /15, the load bench /0
BAD_LOG_LINE = re.compile(
    r'"level": "(error|critical)"|^(ERROR|CRITICAL) |Traceback|redis_\w*unavailable'
)
"""Replica log lines that fail the run: errors, and Redis fallbacks to in-process state."""


class StaticFailure(Exception):
    """The compose files are wired wrongly or the image does not build: nothing starts."""


# ---------------------------------------------------------------- reading the files


def read_env_file(path: Path) -> dict[str, str]:
    """KEY=VALUE lines as compose reads an env file (comments, quotes, `` #`` comments)."""
    values: dict[str, str] = {}
    for raw in path.read_text().splitlines():
        line = raw.strip()
        if not line or line.startswith("#") or "=" not in line:
            continue
        key, value = line.split("=", 1)
        key, value = key.strip().removeprefix("export ").strip(), value.strip()
        if value[:1] in ("'", '"') and value.endswith(value[0]) and len(value) > 1:
            value = value[1:-1]
        elif " #" in value:
            value = value.split(" #", 1)[0].rstrip()
        values[key] = value
    return values


_VAR = re.compile(r"\$\$|\$\{([A-Za-z_][A-Za-z0-9_]*)(?:(:?[-?])([^}]*))?\}|\$([A-Za-z_]\w*)")


def interpolate(value: str, env: dict[str, str]) -> str:
    """Compose variable substitution: ``${X}``, ``${X:-d}``, ``${X-d}``, ``${X:?e}``, ``$$``."""

    def one(match: re.Match[str]) -> str:
        if match.group(0) == "$$":
            return "$"
        name = match.group(1) or match.group(4)
        op, arg = match.group(2), match.group(3) or ""
        current = env.get(name)
        if op == ":-":
            return current if current else arg
        if op == "-":
            return arg if current is None else current
        if op in (":?", "?") and not current:
            raise ValueError(f"compose variable {name} is required: {arg}")
        return current or ""

    return _VAR.sub(one, value)


def interpolate_tree(node: Any, env: dict[str, str]) -> Any:
    """Interpolate every string of a loaded compose document."""
    if isinstance(node, str):
        return interpolate(node, env)
    if isinstance(node, list):
        return [interpolate_tree(item, env) for item in node]
    if isinstance(node, dict):
        return {key: interpolate_tree(item, env) for key, item in node.items()}
    return node


@dataclass
class Image:
    """What the Dockerfile's final stage gives every container built from it."""

    env: dict[str, str]
    workdir: str
    cmd: list[str]
    copies: list[tuple[list[str], str]] = field(default_factory=list)
    """COPY sources (build context) → absolute destination."""
    runs: list[str] = field(default_factory=list)


def read_dockerfile(path: Path) -> Image:
    """ENV, WORKDIR, COPY, RUN and CMD (exec form) of the last stage."""
    text = re.sub(r"\\\n", " ", path.read_text())
    image = Image(env={}, workdir="/", cmd=[])
    for raw in text.splitlines():
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        instruction, _, rest = line.partition(" ")
        instruction = instruction.upper()
        if instruction == "FROM":
            image = Image(env={}, workdir="/", cmd=[])
        elif instruction == "ENV":
            parts = shlex.split(rest)
            if parts and "=" not in parts[0]:  # legacy form: ENV KEY value
                image.env[parts[0]] = " ".join(parts[1:])
                continue
            for part in parts:
                key, _, value = part.partition("=")
                image.env[key] = value
        elif instruction == "WORKDIR":
            image.workdir = str(Path(image.workdir) / rest.strip())
        elif instruction in ("COPY", "ADD"):
            parts = shlex.split(rest)
            if any(p.startswith("--from") for p in parts):
                continue  # from another stage: nothing of the context
            words = [p for p in parts if not p.startswith("--")]
            dest = words[-1] if words[-1].startswith("/") else f"{image.workdir}/{words[-1]}"
            image.copies.append((words[:-1], dest))
        elif instruction == "RUN":
            image.runs.append(rest.strip())
        elif instruction == "CMD":
            image.cmd = list(json.loads(rest))
    return image


@dataclass
class Compose:
    """The compose project, interpolated, plus the files it points at."""

    path: Path
    services: dict[str, dict[str, Any]]
    env_file: Path
    image: Image

    @classmethod
    def load(cls, path: Path, env_file: Path) -> Compose:
        """Read and interpolate the compose file with the env file's variables."""
        document = yaml.safe_load(path.read_text())
        variables = read_env_file(env_file)
        document = interpolate_tree(document, variables)
        return cls(
            path, document["services"], env_file, read_dockerfile(path.parent / "Dockerfile")
        )

    def depends_on(self, name: str) -> dict[str, str]:
        """Dependency → condition (the short list form means service_started)."""
        deps = self.services[name].get("depends_on") or {}
        if isinstance(deps, list):
            return dict.fromkeys(deps, "service_started")
        return {dep: (spec or {}).get("condition", "service_started") for dep, spec in deps.items()}

    def order(self) -> list[str]:
        """Services in dependency order (stable by file order); fails on a cycle."""
        done: list[str] = []
        pending = list(self.services)
        while pending:
            ready = [s for s in pending if all(d in done for d in self.depends_on(s))]
            if not ready:
                raise ValueError(f"dependency cycle among {pending}")
            done += ready
            pending = [s for s in pending if s not in ready]
        return done

    def kind(self, name: str) -> str:
        """postgres | redis | nginx | build (a container from this repo's Dockerfile)."""
        spec = self.services[name]
        if "build" in spec:
            return "build"
        image = str(spec.get("image", ""))
        for kind in ("postgres", "redis", "nginx"):
            if image.split(":")[0].split("/")[-1] == kind:
                return kind
        raise ValueError(f"service {name}: image {image!r} has no native stand-in")

    def command(self, name: str) -> list[str]:
        """The service's command, else the image CMD."""
        command = self.services[name].get("command")
        if isinstance(command, str):
            return shlex.split(command)
        return list(command) if command else list(self.image.cmd)

    def volumes(self, name: str) -> list[tuple[str, str]]:
        """(source, container path) of the service's short-syntax volumes."""
        mounts = []
        for entry in self.services[name].get("volumes") or []:
            source, target = str(entry).split(":")[:2]
            mounts.append((source, target))
        return mounts

    def environment(self, name: str) -> dict[str, str]:
        """The env file(s) then ``environment`` (both already interpolated)."""
        spec = self.services[name]
        env: dict[str, str] = {}
        if spec.get("env_file"):  # `.env`, i.e. the copied .env.example (--env-file)
            env.update(read_env_file(self.env_file))
        declared = spec.get("environment") or {}
        if isinstance(declared, list):
            declared = dict(item.split("=", 1) for item in declared)
        env.update({k: "" if v is None else str(v) for k, v in declared.items()})
        return env

    def healthcheck(self, name: str) -> dict[str, Any] | None:
        """The declared healthcheck (None when absent or disabled)."""
        check = self.services[name].get("healthcheck")
        if not check or check.get("disable"):
            return None
        return dict(check)

    def published(self, name: str) -> list[tuple[str, int]]:
        """(host part, container port) of ``ports`` short syntax."""
        found = []
        for entry in self.services[name].get("ports") or []:
            host, _, container = str(entry).rpartition(":")
            found.append((host, int(container.split("/")[0])))
        return found


def duration_s(value: str | None, default: float) -> float:
    """Compose durations: ``10s``, ``1m30s``, ``500ms``."""
    if not value:
        return default
    units = {"h": 3600.0, "m": 60.0, "s": 1.0, "ms": 0.001, "us": 1e-6}
    total = 0.0
    for number, unit in re.findall(r"(\d+(?:\.\d+)?)(ms|us|h|m|s)", str(value)):
        total += float(number) * units[unit]
    return total


def flag_value(argv: list[str], flag: str) -> str | None:
    """The value after ``flag`` (or of ``flag=value``) in an argv."""
    for index, arg in enumerate(argv):
        if arg == flag and index + 1 < len(argv):
            return argv[index + 1]
        if arg.startswith(flag + "="):
            return arg.split("=", 1)[1]
    return None


def with_flag(argv: list[str], flag: str, value: str) -> list[str]:
    """argv with ``flag``'s value replaced (appended when absent)."""
    out = list(argv)
    for index, arg in enumerate(out):
        if arg == flag and index + 1 < len(out):
            out[index + 1] = value
            return out
        if arg.startswith(flag + "="):
            out[index] = f"{flag}={value}"
            return out
    return [*out, flag, value]


IMAGE_PORTS = {"postgres": 5432, "redis": 6379, "nginx": 80}


def container_port(compose: Compose, name: str) -> int:
    """The port the service listens on inside its container."""
    kind = compose.kind(name)
    if kind in IMAGE_PORTS:
        return IMAGE_PORTS[kind]
    port = flag_value(compose.command(name), "--port")
    if port is None:
        raise ValueError(f"service {name}: no --port in its command")
    return int(port)


def free_port() -> int:
    """A free loopback port (the usual bind-to-0 race is acceptable here)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


# ---------------------------------------------------------------- the local stand-ins


@dataclass
class Endpoint:
    """Where a compose service is reached on this machine."""

    host: str
    port: int
    database: str | None = None  # PostgreSQL database name / Redis db number
    user: str | None = None


@dataclass
class Stack(CheckLog):
    """The rehearsal's state: endpoints, processes, temp dirs, results."""

    compose: Compose
    tmp: Path
    postgres_admin: str
    redis_url: str
    endpoints: dict[str, Endpoint] = field(default_factory=dict)
    processes: dict[str, subprocess.Popen[bytes]] = field(default_factory=dict)
    logs: dict[str, Path] = field(default_factory=dict)
    scratch_db: str | None = None
    redis_keys_before: set[bytes] | None = None  # None: the redis service was never started
    nginx: str | None = None
    nginx_prefix: Path | None = None
    image_root: Path | None = None  # the image's files (COPY), None with --editable
    site: Path | None = None  # the package installed from its wheel (pip install .)
    exit_code: int = EXIT_FAILED

    # ---- mapping container names and paths to this machine

    def volume_dir(self, source: str) -> Path:
        """A named volume → a temp dir (shared by every service mounting it); binds → repo."""
        if source.startswith((".", "/", "~")):
            return (self.compose.path.parent / source).resolve()
        path = self.tmp / "volumes" / source
        path.mkdir(parents=True, exist_ok=True)
        return path

    def path_map(self, name: str) -> list[tuple[str, Path]]:
        """Container path → local path for one service (its volumes, and the image WORKDIR,
        which holds the repo's files the Dockerfile copies)."""
        mapped = [
            (target, self.volume_dir(source)) for source, target in self.compose.volumes(name)
        ]
        if self.compose.kind(name) == "build":
            workdir = self.compose.image.workdir
            root = self.image_root
            mapped.append(
                (workdir, root / workdir.lstrip("/") if root else self.compose.path.parent)
            )
        return sorted(mapped, key=lambda item: -len(item[0]))

    def localize(self, name: str, value: str) -> str:
        """Rewrite service URLs (``http://chroma:8000``) and container paths for loopback."""
        if "://" in value:
            return self.localize_url(value)
        for container, local in self.path_map(name):
            if value == container or value.startswith(container.rstrip("/") + "/"):
                return str(local) + value[len(container.rstrip("/")) :]
        return value

    def localize_url(self, value: str) -> str:
        """A URL whose host is a compose service → that service's loopback endpoint."""
        parts = urlsplit(value)
        endpoint = self.endpoints.get(parts.hostname or "")
        if endpoint is None:
            return value
        userinfo = ""
        if parts.username:
            userinfo = endpoint.user or parts.username
            if parts.password is not None:
                userinfo += f":{parts.password}"
            userinfo += "@"
        path = parts.path
        if endpoint.database is not None:
            path = f"/{endpoint.database}"
        netloc = f"{userinfo}{endpoint.host}:{endpoint.port}"
        return urlunsplit((parts.scheme, netloc, path, parts.query, parts.fragment))

    def base_env(self) -> dict[str, str]:
        """What a container starts with: PATH (venv first, like the image's pip install),
        a private HOME and TMPDIR, a UTF-8 locale; nothing else from this shell."""
        home = self.tmp / "home"
        home.mkdir(exist_ok=True)
        bin_dir = str(Path(sys.prefix) / "bin")
        return {
            "PATH": f"{bin_dir}:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
            "HOME": str(home),
            "TMPDIR": str(self.tmp),
            "LANG": "C.UTF-8",
        }

    def service_env(self, name: str) -> dict[str, str]:
        """Image ENV, then env_file, then environment; values localized."""
        env = self.base_env()
        if self.compose.kind(name) == "build":
            env.update(self.compose.image.env)
            if self.site is not None:  # the wheel's copy wins over the venv's editable one
                env["PYTHONPATH"] = str(self.site)
        env.update(self.compose.environment(name))
        return {key: self.localize(name, value) for key, value in env.items()}

    # ---- processes

    def spawn(self, name: str, argv: list[str], env: dict[str, str], cwd: Path) -> None:
        """Start one service process, output to its log file, in its own process group
        (Ctrl-C reaches only the rehearsal, which stops services in order); on Linux the
        child also gets SIGTERM if the rehearsal dies without tearing down."""
        log_path = self.tmp / "logs" / f"{name}.log"
        log_path.parent.mkdir(exist_ok=True)
        self.logs[name] = log_path
        with log_path.open("ab") as log:
            self.processes[name] = subprocess.Popen(
                argv,
                env=env,
                cwd=cwd,
                stdout=log,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                start_new_session=True,
                preexec_fn=_die_with_parent,
            )

    def stop(self, name: str, grace_s: float) -> str:
        """SIGTERM (SIGQUIT for nginx: graceful), then SIGKILL after ``grace_s``."""
        process = self.processes.get(name)
        if process is None:
            return "never started"
        if process.poll() is not None:
            return f"had already {_exit_text(process.returncode)}"
        sig = signal.SIGQUIT if self.compose.kind(name) == "nginx" else signal.SIGTERM
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, sig)
        try:
            # uvicorn re-raises the SIGTERM after its graceful shutdown: -15 is a clean stop
            return _exit_text(process.wait(timeout=grace_s))
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=10)
            return f"killed after {grace_s:.0f} s"

    def log_tail(self, name: str, lines: int = 15) -> str:
        """The end of a service's log."""
        path = self.logs.get(name)
        if path is None or not path.exists():
            return ""
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])


def _exit_text(code: int) -> str:
    """``exited 0`` / ``exited on SIGTERM``."""
    return f"exited on {signal.Signals(-code).name}" if code < 0 else f"exited {code}"


def _die_with_parent() -> None:
    """prctl(PR_SET_PDEATHSIG, SIGTERM) where available (Linux)."""
    with contextlib.suppress(Exception):
        import ctypes

        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGTERM)


# ---------------------------------------------------------------- prerequisites


def find_nginx(install: bool) -> str:
    """The nginx binary; installs ``nginx-light`` with apt when missing and running as root."""
    found = shutil.which("nginx") or next(
        (p for p in ("/usr/sbin/nginx", "/usr/local/sbin/nginx") if Path(p).exists()), None
    )
    if found:
        return found
    if not install or os.geteuid() != 0 or shutil.which("apt-get") is None:
        raise PrerequisiteMissing(
            "nginx is not installed and cannot be installed here (needs root and apt-get; "
            "install nginx-light or nginx)"
        )
    env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
    apt = ["apt-get", "-y", "-qq"]
    done = subprocess.run([*apt, "update"], env=env, capture_output=True, text=True, timeout=600)
    for package in ("nginx-light", "nginx"):  # nginx-light is gone from newer Debian releases
        done = subprocess.run(
            [*apt, "install", package], env=env, capture_output=True, text=True, timeout=600
        )
        if done.returncode == 0:
            break
    found = shutil.which("nginx") or "/usr/sbin/nginx"
    if not Path(found).exists():
        raise PrerequisiteMissing(f"installing nginx failed: {done.stderr.strip()[-300:]}")
    return found


def check_prerequisites(stack: Stack, install_nginx: bool) -> None:
    """Fail fast (exit 3) when the machine lacks what the compose services map to."""
    import psycopg
    import redis

    try:
        with psycopg.connect(stack.postgres_admin, connect_timeout=3):
            pass
    except psycopg.Error as exc:
        raise PrerequisiteMissing(
            f"PostgreSQL not reachable at {stack.postgres_admin}: {exc}"
        ) from exc
    try:
        redis.Redis.from_url(stack.redis_url, socket_connect_timeout=3).ping()
    except redis.RedisError as exc:
        raise PrerequisiteMissing(f"Redis not reachable at {stack.redis_url}: {exc}") from exc
    bin_dir = Path(sys.prefix) / "bin"
    for name in stack.compose.order():
        if stack.compose.kind(name) == "build":
            program = stack.compose.command(name)[0]
            if not (bin_dir / program).exists():
                raise PrerequisiteMissing(f"{program} (service {name}) not installed in {bin_dir}")
        if stack.compose.kind(name) == "nginx" and stack.nginx is None:
            stack.nginx = find_nginx(install_nginx)


# ---------------------------------------------------------------- static wiring checks


def static_checks(stack: Stack) -> None:
    """What compose would resolve before starting anything, checked against the files."""
    compose = stack.compose
    services = compose.services

    def order() -> str:
        names = compose.order()
        for name in names:
            for dep, condition in compose.depends_on(name).items():
                if dep not in services:
                    raise ValueError(f"{name} depends on unknown service {dep}")
                if condition == "service_healthy" and compose.healthcheck(dep) is None:
                    raise ValueError(f"{name} waits for {dep} to be healthy; it has no healthcheck")
        return " → ".join(names)

    def urls() -> str:
        seen = []
        for name in services:
            for key, value in compose.environment(name).items():
                if "://" not in value:
                    continue
                host, port = urlsplit(value).hostname, urlsplit(value).port
                if host and "." not in host and host != "localhost" and host not in services:
                    raise ValueError(f"{name} {key}: host {host} is not a compose service")
                if host in services:
                    expected = container_port(compose, host)
                    if port not in (None, expected):
                        raise ValueError(
                            f"{name} {key} uses port {port}; {host} listens on {expected}"
                        )
                    seen.append(f"{key}→{host}:{port or expected}")
        return ", ".join(sorted(set(seen)))

    def credentials() -> str:
        pg = next(n for n in services if compose.kind(n) == "postgres")
        pg_env = compose.environment(pg)
        checked = []
        for name in services:
            for key, value in compose.environment(name).items():
                parts = urlsplit(value)
                if "://" in value and parts.hostname == pg:
                    want = (
                        pg_env.get("POSTGRES_USER", "postgres"),
                        pg_env.get("POSTGRES_PASSWORD"),
                        pg_env.get("POSTGRES_DB", pg_env.get("POSTGRES_USER", "postgres")),
                    )
                    got = (parts.username, parts.password, parts.path.lstrip("/"))
                    if got != want:
                        raise ValueError(f"{name} {key} has user/password/db {got}, {pg} {want}")
                    checked.append(f"{name}.{key}")
        test = " ".join(_test_argv(compose.healthcheck(pg) or {}))
        user = pg_env.get("POSTGRES_USER", "postgres")
        if f"-U {user}" not in test:
            raise ValueError(f"{pg} healthcheck {test!r} does not use user {user}")
        return f"{', '.join(sorted(set(checked)))} match {pg}'s POSTGRES_* (password interpolated)"

    def volumes() -> str:
        notes = []
        for name in services:
            env = compose.environment(name)
            data_dir = env.get("FITCOACH_DATA_DIR")
            if data_dir is None:
                continue
            mounts = dict((t, s) for s, t in compose.volumes(name))
            if data_dir not in mounts:
                raise ValueError(f"{name}: FITCOACH_DATA_DIR {data_dir} is not a mounted volume")
            notes.append(f"{name}:{mounts[data_dir]}")
        return f"data dir mounted ({', '.join(notes)})"

    def healthcheck_ports() -> str:
        notes = []
        for name in services:
            test = " ".join(_test_argv(compose.healthcheck(name) or {}))
            for port in re.findall(r"(?:127\.0\.0\.1|localhost):(\d+)", test):
                if int(port) != container_port(compose, name):
                    raise ValueError(f"{name} healthcheck probes port {port}")
                notes.append(f"{name}:{port}")
        return ", ".join(notes)

    stack.record("compose", "dependency order and healthchecks", order)
    stack.record("compose", "service URLs name compose services and ports", urls)
    stack.record("compose", "database credentials match the postgres service", credentials)
    stack.record("compose", "app data dir is a mounted volume", volumes)
    stack.record(
        "compose", "healthchecks probe the ports the services listen on", healthcheck_ports
    )
    stack.record("compose", "proxy config wiring", lambda: proxy_conf(stack, check_only=True)[1])


def _test_argv(check: dict[str, Any]) -> list[str]:
    """A healthcheck's test as an argv (``CMD`` form) or shell words (``CMD-SHELL``)."""
    test = check.get("test") or []
    if isinstance(test, str):
        return shlex.split(test)
    if test and test[0] == "CMD-SHELL":
        return shlex.split(" ".join(test[1:]))
    return list(test[1:]) if test and test[0] == "CMD" else list(test)


# ---------------------------------------------------------------- the image build


def dockerignore(context: Path) -> Callable[[str, list[str]], set[str]]:
    """A copytree ``ignore`` from ``.dockerignore`` (plain and ``**/`` patterns; no ``!``)."""
    path = context / ".dockerignore"
    lines = path.read_text().splitlines() if path.exists() else []
    patterns = [p.strip().strip("/") for p in lines if p.strip() and not p.startswith("#")]

    def ignore(directory: str, names: list[str]) -> set[str]:
        rel_dir = Path(os.path.relpath(directory, context))  # symlinks are not resolved
        ignored = set()
        for name in names:
            rel = (rel_dir / name).as_posix()
            for pattern in patterns:
                anywhere = pattern.startswith("**/")
                if fnmatch.fnmatch(name if anywhere else rel, pattern.removeprefix("**/")):
                    ignored.add(name)
        return ignored

    return ignore


def _can_build_here() -> bool:
    """Whether this venv's setuptools builds wheels by itself (≥ 70.1, or ``wheel``)."""
    try:
        installed = importlib.metadata.version("setuptools")
    except importlib.metadata.PackageNotFoundError:
        return False
    version = tuple(int(p) for p in re.findall(r"\d+", installed)[:2])
    return version >= (70, 1) or importlib.util.find_spec("wheel") is not None


def build_image(stack: Stack) -> None:
    """The Dockerfile's COPY into a temp root, then its ``pip install .`` as a wheel build
    (no deps: those come from this venv) unpacked where the replicas import it from."""
    compose = stack.compose
    builds = {str(spec.get("build")) for spec in compose.services.values() if "build" in spec}
    context = (compose.path.parent / builds.pop()).resolve()
    image = compose.image
    root = stack.tmp / "image"
    ignore = dockerignore(context)

    def copy() -> str:
        copied = []
        for sources, dest in image.copies:
            into_dir = dest.endswith(("/", "/.")) or len(sources) > 1
            target = root / os.path.normpath(dest).lstrip("/")
            for source in sources:
                origin = context / source
                if origin.is_dir():
                    shutil.copytree(origin, target, ignore=ignore, dirs_exist_ok=True)
                else:
                    final = target / origin.name if into_dir else target
                    final.parent.mkdir(parents=True, exist_ok=True)
                    shutil.copy2(origin, final)
                copied.append(source)
        stack.image_root = root
        return f"{', '.join(copied)} → {image.workdir} (.dockerignore applied)"

    def install() -> str:
        runs = [run for run in image.runs if re.search(r"\bpip install\b", run)]
        if not runs:
            return "no pip install in the Dockerfile: the checkout is used"
        spec = runs[-1].split("pip install", 1)[1].split()[-1]
        source = root / os.path.normpath(f"{image.workdir}/{spec}").lstrip("/")
        wheels = stack.tmp / "wheels"
        argv = [sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(wheels)]
        if _can_build_here():  # else pip fetches the build backend into an isolated env
            argv.append("--no-build-isolation")
        done = subprocess.run(
            [*argv, str(source)],
            capture_output=True,
            text=True,
            timeout=300,
        )
        if done.returncode != 0:
            raise RuntimeError(f"pip wheel failed: {done.stderr.strip()[-800:]}")
        [wheel] = wheels.glob("*.whl")
        site = stack.tmp / "site"
        with zipfile.ZipFile(wheel) as archive:
            archive.extractall(site)
        stack.site = site
        others = [run for run in image.runs if run not in runs]
        return f"`{runs[-1]}` → {wheel.name}; not reproduced: {others or 'nothing'}"

    def imported() -> str:
        replica = next(n for n in compose.services if compose.kind(n) == "build")
        package = compose.command(replica)[0]
        code = f"import importlib.util as u; print(u.find_spec('{package}').origin)"
        done = subprocess.run(
            ["python", "-c", code],
            env=stack.service_env(replica),
            cwd=stack.tmp,
            capture_output=True,
            text=True,
            timeout=60,
        )
        where = done.stdout.strip()
        assert done.returncode == 0, done.stderr[-800:]
        assert stack.site is not None and where.startswith(str(stack.site)), where
        return f"{package} imported from the wheel ({Path(where).parent.relative_to(stack.tmp)})"

    stack.record("build", "COPY into the image", copy)
    if stack.failed:
        return
    stack.record("build", "RUN pip install . (wheel)", install)
    if stack.site is not None:
        stack.record("build", "replicas import the installed package", imported)


# ---------------------------------------------------------------- the proxy config


def proxy_conf(stack: Stack, check_only: bool = False) -> tuple[str, str]:
    """The mounted nginx conf with upstream ``server svc:port`` → loopback and ``listen`` →
    the rehearsal port; returns (conf text, summary). Raises when the wiring is off."""
    compose = stack.compose
    proxy = next(n for n in compose.services if compose.kind(n) == "nginx")
    mounts = [(s, t) for s, t in compose.volumes(proxy) if t.startswith("/etc/nginx/conf.d/")]
    if not mounts:
        raise ValueError(f"{proxy} mounts no config into /etc/nginx/conf.d/ (the http context)")
    source = (compose.path.parent / mounts[0][0]).resolve()
    text = source.read_text()
    published = [port for _, port in compose.published(proxy)]
    listens = [int(p) for p in re.findall(r"^\s*listen\s+(\d+)\s*;", text, re.M)]
    if not set(published) & set(listens):
        raise ValueError(
            f"{proxy} publishes container ports {published}, conf listens on {listens}"
        )
    upstreams: list[str] = []

    def upstream(match: re.Match[str]) -> str:
        host, port = match.group(2), int(match.group(3))
        if host not in compose.services:
            raise ValueError(f"upstream server {host}:{port} is not a compose service")
        if port != container_port(compose, host):
            raise ValueError(
                f"upstream {host}:{port}; {host} listens on {container_port(compose, host)}"
            )
        if host not in compose.depends_on(proxy):
            raise ValueError(f"{proxy} does not depend on upstream {host}")
        upstreams.append(host)
        endpoint = stack.endpoints.get(host)
        return (
            match.group(0)
            if check_only or endpoint is None
            else f"{match.group(1)}{endpoint.host}:{endpoint.port}"
        )

    rewritten = re.sub(r"(\bserver\s+)([A-Za-z0-9_.-]+):(\d+)", upstream, text)
    if not check_only:
        port = stack.endpoints[proxy].port
        rewritten = re.sub(
            r"^(\s*listen\s+)(\d+)(\s*;)", rf"\g<1>127.0.0.1:{port}\3", rewritten, flags=re.M
        )
    summary = (
        f"{mounts[0][0]} → {mounts[0][1]}; upstreams {', '.join(upstreams)}; "
        f"listen {listens} published as {compose.published(proxy)}"
    )
    return rewritten, summary


def nginx_main_conf(prefix: Path) -> str:
    """The http context the nginx image gives conf.d/ (plus a log naming the upstream)."""
    temp = "\n".join(
        f"    {kind}_temp_path {prefix}/tmp/{kind};"
        for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi")
    )
    return f"""worker_processes 1;
error_log {prefix}/logs/error.log notice;
pid {prefix}/nginx.pid;
events {{ worker_connections 1024; }}
http {{
    log_format rehearsal '$remote_addr "$request" $status upstream="$upstream_addr" '
                         'request_id=$request_id';
    access_log {prefix}/logs/access.log rehearsal;
{temp}
    sendfile on;
    keepalive_timeout 65;
    include {prefix}/conf.d/*.conf;
}}
"""


# ---------------------------------------------------------------- starting services


def start_service(stack: Stack, name: str) -> str:
    """Start (or attach) one service; returns what was done."""
    compose = stack.compose
    kind = compose.kind(name)
    if kind == "postgres":
        import psycopg

        stack.scratch_db = f"fitcoach_rehearsal_{os.getpid()}"
        with psycopg.connect(stack.postgres_admin, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{stack.scratch_db}" WITH (FORCE)')
            conn.execute(f'CREATE DATABASE "{stack.scratch_db}"')
        endpoint = stack.endpoints[name]
        return f"machine PostgreSQL {endpoint.host}:{endpoint.port}, scratch db {stack.scratch_db}"
    if kind == "redis":
        import redis

        client = redis.Redis.from_url(stack.redis_url)
        stack.redis_keys_before = set(client.scan_iter("fitcoach:*"))
        command = " ".join(compose.command(name)) or "(image default)"
        return f"machine Redis {stack.redis_url} (its own config; `{command}` not reproduced)"
    if kind == "nginx":
        assert stack.nginx is not None
        prefix = stack.tmp / "nginx"
        for sub in ("conf.d", "logs", "tmp"):
            (prefix / sub).mkdir(parents=True, exist_ok=True)
        conf, _ = proxy_conf(stack)
        target = next(t for _, t in compose.volumes(name) if t.startswith("/etc/nginx/conf.d/"))
        (prefix / "conf.d" / Path(target).name).write_text(conf)
        (prefix / "nginx.conf").write_text(nginx_main_conf(prefix))
        stack.nginx_prefix = prefix
        argv = [stack.nginx, "-p", str(prefix), "-c", str(prefix / "nginx.conf")]
        banner = subprocess.run([stack.nginx, "-v"], capture_output=True, text=True, timeout=10)
        version = banner.stderr.strip().rsplit("/", 1)[-1]
        if tuple(int(p) for p in re.findall(r"\d+", version)[:3]) >= (1, 19, 5):
            argv += ["-e", "stderr"]  # never touch the system's error log path
        test = subprocess.run([*argv, "-t"], capture_output=True, text=True, timeout=30)
        if test.returncode != 0:
            raise RuntimeError(f"nginx -t: {test.stderr.strip()}")
        stack.spawn(name, [*argv, "-g", "daemon off;"], stack.base_env(), prefix)
        image = compose.services[name].get("image")
        return (
            f"nginx {version} (compose: {image}) on 127.0.0.1:{stack.endpoints[name].port}, "
            "nginx -t ok"
        )
    # built from the Dockerfile: its command or the image CMD, on loopback
    endpoint = stack.endpoints[name]
    argv = [stack.localize(name, arg) for arg in compose.command(name)]
    argv = with_flag(with_flag(argv, "--host", "127.0.0.1"), "--port", str(endpoint.port))
    workdir = stack.tmp / "work" / name  # no stray .env from the checkout is read
    workdir.mkdir(parents=True, exist_ok=True)
    stack.spawn(name, argv, stack.service_env(name), workdir)
    return " ".join(argv)


def probe_argv(stack: Stack, name: str) -> list[str]:
    """The service's healthcheck test, translated to this machine."""
    compose = stack.compose
    check = compose.healthcheck(name) or {}
    argv = _test_argv(check)
    endpoint = stack.endpoints[name]
    if argv and argv[0] == "pg_isready":
        argv = with_flag(
            with_flag(argv, "-U", endpoint.user or "postgres"), "-d", str(stack.scratch_db)
        )
        return [*argv, "-h", endpoint.host, "-p", str(endpoint.port)]
    if argv and argv[0] == "redis-cli":
        return [
            "redis-cli",
            "-h",
            endpoint.host,
            "-p",
            str(endpoint.port),
            "-n",
            str(endpoint.database or 0),
            *argv[1:],
        ]
    inner = str(container_port(compose, name))
    return [
        re.sub(rf"((?:127\.0\.0\.1|localhost):){inner}\b", rf"\g<1>{endpoint.port}", arg)
        for arg in argv
    ]


def probe(stack: Stack, name: str) -> bool:
    """Run the healthcheck once (or, with none, whether the port accepts connections)."""
    process = stack.processes.get(name)
    if process is not None and process.poll() is not None:
        raise RuntimeError(f"{name} exited with {process.returncode}:\n{stack.log_tail(name)}")
    check = stack.compose.healthcheck(name)
    endpoint = stack.endpoints[name]
    if check is None:
        with (
            contextlib.suppress(OSError),
            socket.create_connection((endpoint.host, endpoint.port), timeout=1),
        ):
            return True
        return False
    timeout = duration_s(check.get("timeout"), 30)
    argv = probe_argv(stack, name)
    if shutil.which(argv[0], path=stack.base_env()["PATH"]) is None:
        return probe_in_python(stack, name, argv[0], timeout)
    try:
        done = subprocess.run(
            argv,
            env=stack.base_env(),
            capture_output=True,
            timeout=timeout,
            cwd=stack.tmp,
        )
    except (subprocess.TimeoutExpired, FileNotFoundError):
        return False
    return done.returncode == 0


def probe_in_python(stack: Stack, name: str, program: str, timeout: float) -> bool:
    """pg_isready / redis-cli ping equivalents when those tools are not installed."""
    endpoint = stack.endpoints[name]
    try:
        if program == "pg_isready":
            import psycopg

            with psycopg.connect(_scratch_url(stack), connect_timeout=max(1, int(timeout))):
                return True
        if program == "redis-cli":
            import redis

            return bool(redis.Redis.from_url(stack.redis_url, socket_timeout=timeout).ping())
    except Exception:
        return False
    raise RuntimeError(f"{name}: healthcheck program {program} is not installed ({endpoint})")


def bring_up(stack: Stack, deadline_s: float) -> bool:
    """Start services as compose does: each once its dependencies meet their conditions;
    healthchecks are polled every 0.25 s instead of their interval. A service that never
    gets healthy fails its line and its dependants are never started."""
    compose = stack.compose
    pending = compose.order()
    started: dict[str, float] = {}
    healthy: set[str] = set()
    failed: set[str] = set()
    hard_deadline = time.monotonic() + deadline_s
    while pending or any(n not in healthy and n not in failed for n in started):
        for name in list(pending):
            deps = compose.depends_on(name)
            if any(dep in failed for dep in deps):
                pending.remove(name)
                failed.add(name)
                stack.results.append(Result("start", name, False, 0.0, "a dependency failed"))
                continue
            if all(
                dep in healthy if cond == "service_healthy" else dep in started
                for dep, cond in deps.items()
            ):
                pending.remove(name)
                started[name] = time.monotonic()
                try:
                    what = start_service(stack, name)
                except Exception as exc:
                    failed.add(name)
                    stack.results.append(Result("start", name, False, 0.0, f"{exc}"))
                    continue
                stack.results.append(Result("start", name, True, 0.0, what))
        for name in [n for n in started if n not in healthy and n not in failed]:
            check = compose.healthcheck(name)
            limit = (
                duration_s(check.get("start_period"), 0)
                + duration_s(check.get("interval"), 30) * int(check.get("retries", 3))
                if check
                else 30.0
            )
            took = time.monotonic() - started[name]
            try:
                ok = probe(stack, name)
            except RuntimeError as exc:
                ok, limit = False, -1.0
                message = str(exc)
            else:
                message = f"compose gives up after {limit:.0f} s"
            label = "healthy" if check else "accepting connections (no healthcheck declared)"
            if ok:
                healthy.add(name)
                stack.results.append(Result("health", name, True, took, label))
            elif took > limit or time.monotonic() > hard_deadline:
                failed.add(name)
                stack.results.append(Result("health", name, False, took, f"not healthy: {message}"))
        time.sleep(POLL_S)
    return not failed


# ---------------------------------------------------------------- checks through the proxy


@dataclass
class Proxied:
    """A response through the proxy and the replica nginx sent it to."""

    response: httpx.Response
    replica: str
    tried: list[str]


class StackClient:
    """HTTP through the proxy; finds which replica answered from nginx's access log."""

    def __init__(self, stack: Stack, proxy: str, replicas: list[str]) -> None:
        self.stack = stack
        self.base = f"http://127.0.0.1:{stack.endpoints[proxy].port}"
        self.replicas = {f"127.0.0.1:{stack.endpoints[r].port}": r for r in replicas}
        self.http = httpx.Client(base_url=self.base, timeout=60)
        assert stack.nginx_prefix is not None
        self.access_log = stack.nginx_prefix / "logs" / "access.log"

    def tried(self, line: str) -> list[str]:
        """The replicas nginx tried for one access log line, in order (last one answered)."""
        found = re.search(r'upstream="([^"]*)"', line)
        addresses = found.group(1).replace(" : ", ", ").split(", ") if found else []
        return [self.replicas.get(address, address) for address in addresses]

    def upstreams_of(self, request_id: str) -> list[str]:
        """The replicas nginx tried for the request with this X-Request-ID."""
        deadline = time.monotonic() + 3
        while time.monotonic() < deadline:
            for line in self.access_log.read_text().splitlines():
                if f"request_id={request_id}" in line:
                    return self.tried(line)
            time.sleep(0.05)
        raise AssertionError(f"request {request_id} not in nginx's access log")

    def send(self, method: str, path: str, **kwargs: Any) -> Proxied:
        """One request; the app echoes nginx's $request_id, which names the log line."""
        response = self.http.request(method, path, **kwargs)
        request_id = response.headers.get("x-request-id", "")
        tried = self.upstreams_of(request_id) if request_id else ["?"]
        return Proxied(response, tried[-1], tried)

    def chat(self, text: str, session: str | None = None) -> tuple[str, str, str]:
        """POST /api/chat → (session id, first reply text, replica)."""
        body: dict[str, str] = {"text": text}
        if session:
            body["session_id"] = session
        answer = self.send("POST", "/api/chat", json=body)
        answer.response.raise_for_status()
        data = answer.response.json()
        return data["session_id"], data["replies"][0]["text"], answer.replica

    def chat_on_another_replica(
        self, text: str, session: str, not_on: str, tries: int = 4
    ) -> tuple[str, str]:
        """Repeat a read-only message until a replica other than ``not_on`` answers it."""
        for _ in range(tries):
            _, reply, replica = self.chat(text, session)
            if replica != not_on:
                return reply, replica
        raise AssertionError(f"{tries} requests all went to {not_on}: no round robin")


def metric_sum(text: str, name: str, **labels: str) -> float:
    """Sum of a Prometheus series' samples whose labels include ``labels``."""
    total = 0.0
    for line in text.splitlines():
        if not line.startswith(name + "{") and not line.startswith(name + " "):
            continue
        if all(f'{k}="{v}"' in line for k, v in labels.items()):
            total += float(line.rsplit(" ", 1)[1])
    return total


def proxy_checks(stack: Stack) -> None:
    """Exercise the stack through nginx: health, page, chat, replicas, socket, memory."""
    compose = stack.compose
    proxy = next(n for n in compose.services if compose.kind(n) == "nginx")
    replicas = [n for n in compose.depends_on(proxy) if compose.kind(n) == "build"]
    client = StackClient(stack, proxy, replicas)
    state: dict[str, Any] = {}

    def ready() -> str:
        got = client.send("GET", "/health/ready")
        body = got.response.json()
        assert got.response.status_code == 200 and body["status"] == "ok", got.response.text
        assert body["checks"]["database"] == "ok", body
        return f"200 {body['checks']} model={body['model']} via {got.replica}"

    def page() -> str:
        got = client.send("GET", "/")
        assert got.response.status_code == 200, got.response.status_code
        assert '<script src="/widget.js"' in got.response.text, "no widget script tag"
        script = client.send("GET", "/widget.js")
        assert script.response.status_code == 200, script.response.status_code
        return f"/ and /widget.js 200 via {got.replica}, {script.replica}"

    def request_id() -> str:
        got = client.send("GET", "/health/live")  # raises unless the id is in nginx's log
        rid = got.response.headers.get("x-request-id", "")
        assert re.fullmatch(r"[0-9a-f]{32}", rid), f"x-request-id {rid!r} is not nginx's"
        return f"{got.replica} echoes nginx's $request_id ({rid[:8]}…, the access log's)"

    def chat() -> str:
        session, reply, replica = client.chat(MEAL)
        assert MEAL_KCAL in reply, reply
        state.update(session=session, first_replica=replica)
        return f"{replica}: {reply.splitlines()[0][:60]}…"

    def shared_session() -> str:
        reply, replica = client.chat_on_another_replica(
            "how am I doing today?", state["session"], state["first_replica"]
        )
        assert DAY_KCAL in reply, reply
        return f"meal logged on {state['first_replica']}, day total {DAY_KCAL} read on {replica}"

    def balanced() -> str:
        before = {r: _replica_messages(stack, r) for r in replicas}
        served = [client.chat("how am I doing this week?")[2] for _ in range(4)]
        after = {r: _replica_messages(stack, r) for r in replicas}
        grew = {r: after[r] - before[r] for r in replicas}
        assert all(grew.values()), f"per-replica web message counters grew by {grew}"
        assert set(served) == set(replicas), f"served by {served}"
        return f"4 messages: access log {served}; /metrics web messages +{grew}"

    def websocket() -> str:
        from websockets.sync.client import connect

        origin = client.base
        url = client.base.replace("http://", "ws://") + "/ws/chat"
        with connect(url, additional_headers={"Origin": origin}, open_timeout=10) as ws:
            ws.send(json.dumps({"type": "hello"}))
            ready_frame = json.loads(ws.recv(timeout=10))
            assert ready_frame["type"] == "ready", ready_frame
            ws.send(json.dumps({"type": "message", "id": "ws-1", "text": MEAL}))
            frames: list[dict[str, Any]] = []
            while not frames or frames[-1]["type"] not in ("end", "error"):
                frames.append(json.loads(ws.recv(timeout=30)))
        kinds = [f["type"] for f in frames]
        deltas = [f["text"] for f in frames if f["type"] == "delta"]
        assert kinds[0] == "ack" and kinds[1] == "start" and kinds[-1] == "end", kinds
        assert len(deltas) >= 2 and "".join(deltas) == frames[-1]["text"], kinds
        assert MEAL_KCAL in frames[-1]["text"], frames[-1]["text"]
        replica = _last_upstream(client, "/ws/chat")
        return (
            f"Origin {origin} accepted (Host kept); {len(deltas)} deltas joined == end; {replica}"
        )

    def websocket_foreign_origin() -> str:
        from websockets.exceptions import InvalidStatus
        from websockets.sync.client import connect

        url = client.base.replace("http://", "ws://") + "/ws/chat"
        try:
            with connect(
                url, additional_headers={"Origin": "https://evil.example"}, open_timeout=10
            ):
                pass
        except InvalidStatus as exc:
            assert exc.response.status_code == 403, exc.response.status_code
            return "handshake refused with 403 through nginx"
        raise AssertionError("a foreign origin was accepted")

    def memory() -> str:
        session, reply, replica = client.chat("remember that I'm vegetarian")
        state.update(memory_session=session, memory_replica=replica)
        chroma = urlsplit(compose.environment(replica)["FITCOACH_CHROMA_URL"]).hostname
        found = _chroma_memories(stack.endpoints[str(chroma)], "vegetarian")
        assert found, f"no memory about 'vegetarian' on the chroma server (reply: {reply})"
        return f"{replica} stored it; chroma server: {found}"

    def recall() -> str:
        reply, replica = client.chat_on_another_replica(
            "what do you remember about me?", state["memory_session"], state["memory_replica"]
        )
        assert "vegetarian" in reply.lower(), reply
        return f"{replica} recalls what {state['memory_replica']} stored"

    def metrics() -> str:
        got = client.send("GET", "/metrics")
        assert got.response.status_code == 200, got.response.status_code
        total = metric_sum(got.response.text, "fitcoach_messages_total", channel="web")
        assert total > 0, "fitcoach_messages_total{channel=web} is 0"
        return f"200 from {got.replica}, fitcoach_messages_total{{channel=web}} {total:.0f}"

    def redis_keys() -> str:
        import redis

        session = state["session"]
        found = list(redis.Redis.from_url(stack.redis_url).scan_iter(f"fitcoach:rate:*{session}*"))
        assert found, "no fitcoach:rate:* key for the chat session in Redis"
        return f"{len(found)} rate-limit key(s) for the session in {stack.redis_url}"

    def postgres_rows() -> str:
        import psycopg

        with psycopg.connect(_scratch_url(stack)) as conn:
            version = conn.execute("SELECT version_num FROM alembic_version").fetchone()
            inbox = conn.execute("SELECT count(*) FROM inbox WHERE channel = 'web'").fetchone()
            meals = conn.execute("SELECT count(*) FROM meals").fetchone()
        assert version and inbox and meals and inbox[0] > 0 and meals[0] >= 2, (inbox, meals)
        return f"migrated to {version[0]}; {inbox[0]} web inbox rows, {meals[0]} meals"

    def body_cap() -> str:
        got = client.http.post("/api/chat", content=b"x" * (3 * 1024 * 1024))
        assert got.status_code == 413, got.status_code
        assert "x-request-id" not in got.headers, "the app answered, not nginx"
        return "3 MB body refused with 413 by nginx (client_max_body_size), never reached a replica"

    def clean_logs() -> str:
        found = []
        for replica in replicas:
            for line in stack.logs[replica].read_text(errors="replace").splitlines():
                if BAD_LOG_LINE.search(line):
                    found.append(f"{replica}: {line[:160]}")
        assert not found, "\n".join(found[:5])
        return f"no errors, tracebacks or Redis fallbacks in {', '.join(replicas)}"

    def failover() -> str:
        victim = replicas[-1]
        process = stack.processes[victim]
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=10)
        body = {"text": "how am I doing today?", "session_id": state["session"]}
        served = [client.send("POST", "/api/chat", json=body) for _ in range(4)]
        for got in served:
            assert got.response.status_code == 200, got.response.status_code
            assert DAY_KCAL in got.response.json()["replies"][0]["text"], got.response.text
        where = [got.replica for got in served]
        assert victim not in where, where
        retried = sum(victim in got.tried for got in served)
        return (
            f"{victim} SIGKILLed; 4/4 answered by {sorted(set(where))}, "
            f"{retried} after nginx tried {victim} first (proxy_next_upstream)"
        )

    checks: list[tuple[str, Callable[[], str]]] = [
        ("GET /health/ready", ready),
        ("GET / (web chat page)", page),
        ("X-Request-ID passed through", request_id),
        ("POST /api/chat gets a coach reply", chat),
        ("session continues on the other replica", shared_session),
        ("both replicas serve (round robin)", balanced),
        ("WebSocket /ws/chat streams a reply", websocket),
        ("WebSocket from a foreign origin refused", websocket_foreign_origin),
        ("memory stored on the Chroma server", memory),
        ("memory recalled by the other replica", recall),
        ("GET /metrics", metrics),
        ("Redis used for rate limits", redis_keys),
        ("PostgreSQL holds the data", postgres_rows),
        ("body over client_max_body_size refused", body_cap),
        ("replica logs are clean", clean_logs),
        ("a replica dies: nginx fails over", failover),
    ]
    try:
        for name, check in checks:
            stack.record("proxy", name, check)
    finally:
        client.http.close()


def _replica_messages(stack: Stack, replica: str) -> float:
    """fitcoach_messages_total{channel="web"} of one replica, read from it directly."""
    url = f"http://127.0.0.1:{stack.endpoints[replica].port}/metrics"
    return metric_sum(httpx.get(url, timeout=10).text, "fitcoach_messages_total", channel="web")


def _last_upstream(client: StackClient, path: str) -> str:
    """The replica of the latest access log line for ``path`` (written when it closed)."""
    deadline = time.monotonic() + 3
    while time.monotonic() < deadline:
        lines = [line for line in client.access_log.read_text().splitlines() if f" {path} " in line]
        if lines:
            return f"served by {' → '.join(client.tried(lines[-1]))}"
        time.sleep(0.1)
    return "replica not logged yet"


def _chroma_memories(endpoint: Endpoint, word: str) -> str:
    """Memories containing ``word`` on the Chroma server, read with chromadb.HttpClient."""
    import chromadb
    from chromadb.config import Settings as ChromaSettings

    client = chromadb.HttpClient(
        host=endpoint.host, port=endpoint.port, settings=ChromaSettings(anonymized_telemetry=False)
    )
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        for collection in client.list_collections():
            if not collection.name.startswith("fc_mem_"):
                continue
            documents = collection.get(include=["documents"])
            hits = [d for d in documents.get("documents") or [] if d and word in d.lower()]
            if hits:
                return f"{collection.name}: {hits}"
        time.sleep(0.3)
    return ""


def _scratch_url(stack: Stack) -> str:
    """The admin URL pointed at the scratch database."""
    parts = urlsplit(stack.postgres_admin)
    return urlunsplit((parts.scheme, parts.netloc, f"/{stack.scratch_db}", parts.query, ""))


# ---------------------------------------------------------------- teardown and report


def tear_down(stack: Stack, keep: bool) -> None:
    """Stop services in reverse dependency order, drop the scratch db, remove temp files."""
    compose = stack.compose
    for name in reversed(compose.order()):
        if name in stack.processes:
            grace = min(duration_s(compose.services[name].get("stop_grace_period"), 10), 20)
            started = time.monotonic()
            what = stack.stop(name, grace)
            stack.results.append(Result("teardown", name, True, time.monotonic() - started, what))
    if stack.scratch_db:
        import psycopg

        started = time.monotonic()
        try:
            with psycopg.connect(stack.postgres_admin, autocommit=True) as conn:
                conn.execute(f'DROP DATABASE IF EXISTS "{stack.scratch_db}" WITH (FORCE)')
            detail, ok = f"dropped {stack.scratch_db}", True
        except psycopg.Error as exc:
            detail, ok = f"could not drop {stack.scratch_db}: {exc}", False
        stack.results.append(
            Result("teardown", "scratch database", ok, time.monotonic() - started, detail)
        )
    if stack.redis_keys_before is not None:
        import redis

        try:
            client = redis.Redis.from_url(stack.redis_url, socket_timeout=5)
            new = set(client.scan_iter("fitcoach:*")) - stack.redis_keys_before
            if new:
                client.delete(*new)
            detail, ok = f"deleted the {len(new)} fitcoach:* key(s) the run created", True
        except redis.RedisError as exc:
            detail, ok = f"could not clean up: {exc}", False
        stack.results.append(Result("teardown", "redis keys", ok, 0.0, detail))
    if keep:
        stack.results.append(Result("teardown", "temp dir", True, 0.0, f"kept {stack.tmp}"))
    else:
        shutil.rmtree(stack.tmp, ignore_errors=True)


def print_report(stack: Stack) -> None:
    """A rich table of every line, the verdict, and the logs of what failed."""
    from rich.console import Console

    failed = stack.print_report("compose rehearsal (docker-compose.yml run natively)")
    console = Console(width=max(170, shutil.get_terminal_size().columns))
    for name in {r.name for r in failed} & set(stack.logs):
        console.print(f"[bold]--- {name} log (last lines)[/]\n{stack.log_tail(name, 25)}")


# ---------------------------------------------------------------- main


def rehearse(args: argparse.Namespace) -> int:
    """Run the whole rehearsal; returns the exit code."""
    compose = Compose.load(args.compose, args.env_file)
    tmp = Path(tempfile.mkdtemp(prefix="fitcoach-rehearsal-"))
    tmp.chmod(0o755)  # nginx workers (nobody when run as root) traverse it
    stack = Stack(compose, tmp, args.postgres, args.redis)
    try:
        static_checks(stack)
        if stack.failed:
            raise StaticFailure
        check_prerequisites(stack, install_nginx=not args.no_install)
        if not args.editable:
            build_image(stack)
            if stack.failed:
                raise StaticFailure
        pg, rd = urlsplit(args.postgres), urlsplit(args.redis)
        for name in compose.order():
            kind = compose.kind(name)
            if kind == "postgres":
                stack.endpoints[name] = Endpoint(
                    pg.hostname or "127.0.0.1",
                    pg.port or 5432,
                    f"fitcoach_rehearsal_{os.getpid()}",
                    pg.username or "postgres",
                )
            elif kind == "redis":
                stack.endpoints[name] = Endpoint(
                    rd.hostname or "127.0.0.1", rd.port or 6379, rd.path.strip("/") or "0"
                )
            else:
                port = args.proxy_port if kind == "nginx" and args.proxy_port else free_port()
                stack.endpoints[name] = Endpoint("127.0.0.1", port)
        if bring_up(stack, args.timeout):
            proxy_checks(stack)
    except StaticFailure:
        stack.exit_code = EXIT_FAILED
    except PrerequisiteMissing as exc:
        stack.results.append(Result("prerequisite", "machine", False, 0.0, str(exc)))
        stack.exit_code = EXIT_PREREQUISITE
    except (KeyboardInterrupt, Interrupted) as exc:
        stack.results.append(Result("interrupted", type(exc).__name__, False, 0.0, str(exc)))
        stack.exit_code = 130
    else:
        stack.exit_code = EXIT_FAILED if stack.failed else EXIT_OK
    finally:
        # A second Ctrl-C or SIGTERM must not abort the teardown (it is bounded by timeouts).
        previous = {s: signal.signal(s, signal.SIG_IGN) for s in (signal.SIGINT, signal.SIGTERM)}
        try:
            tear_down(stack, args.keep)
        finally:
            for signum, handler in previous.items():
                signal.signal(signum, handler)
        if stack.exit_code == EXIT_OK and stack.failed:  # a teardown line failed
            stack.exit_code = EXIT_FAILED
        print_report(stack)
        if args.json:
            args.json.write_text(
                json.dumps(
                    {
                        "exit_code": stack.exit_code,
                        "passed": stack.exit_code == EXIT_OK,
                        "seconds": round(time.monotonic() - stack.started_at, 2),
                        "results": [r.__dict__ for r in stack.results],
                    },
                    indent=2,
                )
            )
    return stack.exit_code


def main(argv: list[str] | None = None) -> int:
    """Parse the command line and rehearse."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--compose", type=Path, default=ROOT / "docker-compose.yml")
    parser.add_argument(
        "--env-file",
        type=Path,
        default=ROOT / ".env.example",
        help="stands in for .env (compose's env_file and variable interpolation)",
    )
    parser.add_argument(
        "--postgres",
        default=DEFAULT_POSTGRES,
        help="admin URL of the machine's PostgreSQL (trust auth)",
    )
    parser.add_argument(
        "--redis",
        default=DEFAULT_REDIS,
        help="the machine's Redis; the db number is the rehearsal's own",
    )
    parser.add_argument("--proxy-port", type=int, default=0, help="nginx port (default: free)")
    parser.add_argument("--timeout", type=float, default=120, help="startup deadline, seconds")
    parser.add_argument("--no-install", action="store_true", help="never apt-get install nginx")
    parser.add_argument("--keep", action="store_true", help="keep the temp dir (logs, data)")
    parser.add_argument(
        "--editable",
        action="store_true",
        help="skip the image build (COPY + pip install . as a wheel): run the checkout as is",
    )
    parser.add_argument("--json", type=Path, help="also write the results as JSON")
    args = parser.parse_args(argv)
    signal.signal(signal.SIGTERM, raise_interrupted)
    signal.signal(signal.SIGHUP, raise_interrupted)
    # Ctrl-C always interrupts, even when started as a background job (SIGINT inherited
    # as ignored): the teardown in rehearse() then runs.
    signal.signal(signal.SIGINT, signal.default_int_handler)
    return rehearse(args)


if __name__ == "__main__":
    sys.exit(main())
