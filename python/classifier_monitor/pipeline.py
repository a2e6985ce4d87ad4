"""Run the dbt project in-process against one DuckDB file.

dbt's fixed start-up cost is paid once per Python process instead of once per
command, which is what makes the demo, the benchmark and the property-based
tests fast. The DuckDB file stays open in this process between builds (dbt-duckdb
keeps its connection), so read it with `connect()` here, not from another
process, while a Pipeline is in use.
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


class Pipeline:
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
        argv = list(args) + [
            "--project-dir", str(PROJECT_DIR),
            "--profiles-dir", str(PROJECT_DIR / "profiles"),
            "--target-path", str(self.work_dir / "target"),
            "--log-path", str(self.work_dir / "logs"),
            "--quiet",
        ]
        if vars:
            argv += ["--vars", json.dumps(vars, default=str)]
        started = time.perf_counter()
        with run_lock(self.db_path):
            result = dbtRunner().invoke(argv)
        seconds = time.perf_counter() - started
        timings, messages, types = {}, [], {}
        for node_result in getattr(result.result, "results", None) or []:
            name = getattr(node_result.node, "name", str(node_result.node))
            timings[name] = node_result.execution_time
            types[name] = str(getattr(node_result.node, "resource_type", ""))
            if str(node_result.status) not in ("success", "pass"):
                messages.append(f"{name}: {node_result.status}: {node_result.message}")
        if result.exception is not None:
            messages.append(str(result.exception))
        build = BuildResult(bool(result.success), seconds, timings, messages, types)
        if check and not build.success:
            raise BuildFailed("dbt " + " ".join(args) + " failed:\n" + "\n".join(messages))
        return build

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
