"""Run the dbt project in-process against one DuckDB file.

dbt's fixed start-up cost is paid once per Python process instead of once per
command, which is what makes the demo, the benchmark and the property-based
tests fast. The DuckDB file stays open in this process between builds (dbt-duckdb
keeps its connection), so read it with `connect()` here, not from another
process, while a Pipeline is in use.

The parsed project (dbt's manifest) is kept in the process too and handed to
every later command (`dbtRunner(manifest=...)`, dbt's documented way to skip
parsing). dbt's own partial parsing cannot do that across warehouses: the
database file's path is part of the profile, and a changed profile makes dbt
parse the whole project again (on a small warehouse, a `dbt run` that switches
to another warehouse file took 4.7 s with partial parsing, 2.8 s with the kept
manifest). A manifest is reused only for the same database name (the
file's stem, which dbt writes into every relation), the same vars and
unchanged project files; the process's first command parses as usual, so a
process that runs one command pays nothing extra.
"""
from __future__ import annotations

import json
import os
import time
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import duckdb

PROJECT_DIR = Path(__file__).resolve().parents[2]


class BuildFailed(RuntimeError):
    """dbt build returned a failure; the message carries dbt's own errors."""


class RunLocked(RuntimeError):
    """Another run holds the warehouse; this one did nothing."""


EXIT_LOCKED = 75  # EX_TEMPFAIL: try again later

# What a manifest depends on in the project: its files (by path, size and mtime).
PROJECT_FILES = ("dbt_project.yml", "selectors.yml", "packages.yml", "models", "macros", "tests/dbt", "seeds",
                 "snapshots", "analyses")
# Commands that accept a parsed manifest (the others parse, or need none).
MANIFEST_COMMANDS = ("build", "run", "test", "seed", "compile", "docs", "ls", "list", "source", "show")
MANIFESTS_KEPT = 4  # a few megabytes each
_MANIFESTS: dict[tuple, object] = {}
_COMMANDS_RUN = [0]  # dbt commands this process has run


def _project_signature() -> tuple:
    """Path, size and modification time of every project file dbt parses."""
    entries = []
    for name in PROJECT_FILES:
        root = PROJECT_DIR / name
        for path in sorted(root.rglob("*")) if root.is_dir() else [root]:
            if path.is_file():
                stat = path.stat()
                entries.append((str(path.relative_to(PROJECT_DIR)), stat.st_size, stat.st_mtime_ns))
    return tuple(entries)


@contextmanager
def run_lock(db_path: str | Path):
    """An exclusive, non-blocking lock beside the DuckDB file for the length of a run.

    Two overlapping scheduled runs must not interleave: the second fails at once
    with a message that names the holder, and changes nothing. The lock is an
    flock, so it disappears with its process even after a crash.
    """
    import fcntl

    lock_path = Path(str(db_path) + ".run.lock")
    lock_path.parent.mkdir(parents=True, exist_ok=True)
    handle = open(lock_path, "a+")
    try:
        fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        handle.seek(0)
        holder = handle.read().strip() or "unknown"
        handle.close()
        raise RunLocked(f"another classifier_monitor run is in progress on {db_path} ({holder}); "
                        f"this run changed nothing. Lock file: {lock_path}") from None
    handle.seek(0)
    handle.truncate()
    handle.write(f"pid {os.getpid()} since {time.strftime('%Y-%m-%dT%H:%M:%SZ', time.gmtime())}\n")
    handle.flush()
    try:
        yield
    finally:
        handle.seek(0)
        handle.truncate()
        fcntl.flock(handle, fcntl.LOCK_UN)
        handle.close()


@dataclass
class BuildResult:
    success: bool
    seconds: float
    model_seconds: dict[str, float] = field(default_factory=dict)  # every node dbt ran, by name
    messages: list[str] = field(default_factory=list)
    node_types: dict[str, str] = field(default_factory=dict)  # name -> resource type (model, test, ...)
    hook_sql: dict[str, str] = field(default_factory=dict)  # on-run-start/-end hook name -> the SQL it ran


class Pipeline:
    # dbt writes target/manifest.json and run_results.json after every command
    # (about a tenth of a second of a command on a small warehouse). Tests, which
    # read results from the returned BuildResult, turn it off; `docs generate`
    # always writes.
    write_json: bool = True
    # Hand dbt the manifest parsed by an earlier command of this process (see
    # the module docstring).
    reuse_manifest: bool = True

    def __init__(self, db_path: str | Path, work_dir: str | Path | None = None, threads: int = 2):
        self.db_path = str(db_path)
        self.work_dir = Path(work_dir) if work_dir else PROJECT_DIR
        self.threads = threads

    def _env(self):
        os.environ["CLASSIFIER_MONITOR_DB"] = self.db_path
        os.environ["CLASSIFIER_MONITOR_THREADS"] = str(self.threads)
        os.environ.setdefault("DBT_SEND_ANONYMOUS_USAGE_STATS", "false")

    def dbt(self, *args: str, vars: dict | None = None, check: bool = True) -> BuildResult:
        """Invoke a dbt command (e.g. 'build', '--full-refresh') and return timings per node."""
        from dbt.cli.main import dbtRunner

        self._env()
        flags = self._flags(vars)
        argv = list(args) + flags
        started = time.perf_counter()
        with run_lock(self.db_path):
            manifest = self._manifest(flags) if self.reuse_manifest and args[0] in MANIFEST_COMMANDS else None
            if not self.write_json and args[0] != "docs":
                argv.append("--no-write-json")
            result = dbtRunner(manifest=manifest).invoke(argv)
            _COMMANDS_RUN[0] += 1
        seconds = time.perf_counter() - started
        timings, messages, types, hooks = {}, [], {}, {}
        for node_result in getattr(result.result, "results", None) or []:
            name = getattr(node_result.node, "name", str(node_result.node))
            timings[name] = node_result.execution_time
            types[name] = str(getattr(node_result.node, "resource_type", ""))
            if types[name] == "operation":
                hooks[name] = (getattr(node_result.node, "compiled_code", None) or "").strip()
            if str(node_result.status) not in ("success", "pass"):
                messages.append(f"{name}: {node_result.status}: {node_result.message}")
        if result.exception is not None:
            messages.append(str(result.exception))
        build = BuildResult(bool(result.success), seconds, timings, messages, types, hooks)
        if check and not build.success:
            raise BuildFailed("dbt " + " ".join(args) + " failed:\n" + "\n".join(messages))
        return build

    def _flags(self, vars: dict | None = None) -> list[str]:
        """The flags every command of this warehouse gets (and its manifest depends on)."""
        flags = [
            "--project-dir", str(PROJECT_DIR),
            "--profiles-dir", str(PROJECT_DIR / "profiles"),
            "--target-path", str(self.work_dir / "target"),
            "--log-path", str(self.work_dir / "logs"),
            "--quiet",
        ]
        if vars:
            flags += ["--vars", json.dumps(vars, default=str)]
        return flags

    def _manifest(self, flags: list[str]):
        """The parsed project for this warehouse's database name and these vars,
        parsed once per process (and again when a project file changes). None for
        the process's first command: it parses as dbt always does, so a process
        that runs one command (the CLI under a scheduler) pays no extra parse."""
        from dbt.cli.main import dbtRunner

        key = (Path(self.db_path).stem, json.dumps(flags), _project_signature())
        if key not in _MANIFESTS:
            if not _COMMANDS_RUN[0]:
                return None
            parsed = dbtRunner().invoke(["parse", *flags])
            if not parsed.success:
                return None  # let the command itself parse and report the error
            while len(_MANIFESTS) >= MANIFESTS_KEPT:
                del _MANIFESTS[next(iter(_MANIFESTS))]  # the oldest
            _MANIFESTS[key] = parsed.result
        return _MANIFESTS[key]

    def build(self, full_refresh: bool = False, select: str | None = None, vars: dict | None = None,
              check: bool = True, selector: str | None = None) -> BuildResult:
        """`dbt build`, optionally limited by --select or by a named selector of
        selectors.yml ('hourly', 'daily')."""
        args = ["build"]
        if full_refresh:
            args.append("--full-refresh")
        if select:
            args += ["--select", select]
        if selector:
            args += ["--selector", selector]
        return self.dbt(*args, vars=vars, check=check)

    @contextmanager
    def connect(self):
        con = duckdb.connect(self.db_path)
        try:
            yield con
        finally:
            con.close()
