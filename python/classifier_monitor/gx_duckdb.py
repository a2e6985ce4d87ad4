"""Great Expectations' SQL engine on DuckDB: the two fixes it needs, and a
quiet in-memory context bound to a DuckDB connection we already hold.

Why a fix at all (verified with great-expectations 1.24.1, duckdb 1.5.6,
duckdb-engine 0.17.0, SQLAlchemy 2.0.58):

1. Results fetched after the connection is closed.
   ``SqlAlchemyExecutionEngine.execute_query`` runs a query inside
   ``with self.get_connection() as connection`` and returns the *unfetched*
   cursor result. For dialects GX does not keep a persistent connection for
   (DuckDB is one), leaving the ``with`` block returns the connection to the
   pool, whose reset-on-return rolls the implicit transaction back, and DuckDB
   drops the pending result. Every metric then fails with
   ``MetricResolutionError: list index out of range``. The fix buffers the
   rows (``Result.freeze()``) while the connection is still open.

2. No regular expressions for DuckDB.
   GX builds regex conditions per dialect and knows none for DuckDB, so
   ``expect_column_values_to_match_regex`` raises "Regex is not supported for
   dialect duckdb". DuckDB's ``regexp_matches`` has the same search (not
   full-match) semantics as GX's pandas engine (``str.contains``); DuckDB's
   ``~`` operator is a *full* match, so the Postgres rule GX would otherwise
   borrow would change the meaning of unanchored patterns.

Both patches are scoped: they change behaviour only for engines whose dialect
is ``duckdb`` and leave every other dialect on GX's own code path.

Sharing the connection: a second ``duckdb.connect()`` to a file this process
already holds with a different configuration fails, so GX gets cursors of the
connection we already have (inside a dbt Python model: the model's
``session``) through SQLAlchemy's ``creator`` hook.
"""
from __future__ import annotations

import os
import threading

_INSTALL_LOCK = threading.Lock()

# The GX metric modules that bind get_dialect_regex_expression at import time.
_REGEX_MODULES = (
    "great_expectations.expectations.metrics.util",
    "great_expectations.expectations.metrics.column_map_metrics.column_values_match_regex",
    "great_expectations.expectations.metrics.column_map_metrics.column_values_not_match_regex",
    "great_expectations.expectations.metrics.column_map_metrics.column_values_match_regex_list",
    "great_expectations.expectations.metrics.column_map_metrics.column_values_not_match_regex_list",
    "great_expectations.expectations.metrics.column_aggregate_metrics.column_values_match_regex_values",
    "great_expectations.expectations.metrics.column_aggregate_metrics.column_values_not_match_regex_values",
)


def quiet_environment() -> None:
    """No analytics calls from a pipeline run (progress bars: see ephemeral_context)."""
    os.environ.setdefault("GX_ANALYTICS_ENABLED", "false")


class _DuckDBDialectTypes:
    """Stands in for GX's ``dialect_module`` on DuckDB engines.

    GX leaves ``dialect_module`` as None for DuckDB; the regex patch needs to
    recognise a DuckDB engine from the dialect argument GX passes around, and
    type lookups keep working because every attribute falls through to
    SQLAlchemy's top-level types (what GX uses when the module is None).
    """

    def __getattr__(self, name):
        import sqlalchemy

        return getattr(sqlalchemy, name)


DUCKDB_DIALECT = _DuckDBDialectTypes()


def _patched_execute_query(original):
    def execute_query(self, query):
        if self.dialect_name != "duckdb":
            return original(self, query)
        with self.get_connection() as connection:
            result = self._execute_query_with_recovery(connection, query)
            if result.returns_rows:
                # fetch now: leaving the block rolls back and DuckDB drops the result
                return result.freeze()()
            return result

    execute_query.__wrapped__ = original
    return execute_query


def _patched_init(original):
    def __init__(self, *args, **kwargs):
        original(self, *args, **kwargs)
        if self.engine is not None and self.dialect_name == "duckdb":
            self.dialect_module = DUCKDB_DIALECT

    __init__.__wrapped__ = original
    return __init__


def _patched_regex(original):
    def get_dialect_regex_expression(column, regex, dialect, positive=True):
        if dialect is DUCKDB_DIALECT:
            import sqlalchemy

            matches = sqlalchemy.func.regexp_matches(column, sqlalchemy.literal(regex))
            return matches if positive else sqlalchemy.not_(matches)
        return original(column, regex, dialect, positive)

    get_dialect_regex_expression.__wrapped__ = original
    return get_dialect_regex_expression


FIXES = ("fetch_while_open", "regex")
_installed: set = set()


def _targets(fix: str):
    """(owner, attribute, patch) triples of one fix."""
    import importlib

    from great_expectations.execution_engine import SqlAlchemyExecutionEngine

    if fix == "fetch_while_open":
        return [(SqlAlchemyExecutionEngine, "execute_query", _patched_execute_query)]
    if fix == "regex":
        return [(SqlAlchemyExecutionEngine, "__init__", _patched_init)] + [
            (importlib.import_module(name), "get_dialect_regex_expression", _patched_regex) for name in _REGEX_MODULES]
    raise ValueError(f"unknown fix {fix!r}; known: {FIXES}")


def install(fixes=FIXES) -> None:
    """Apply the DuckDB fixes to GX's SQL engine (idempotent, thread-safe)."""
    with _INSTALL_LOCK:
        quiet_environment()
        for fix in fixes:
            if fix in _installed:
                continue
            for owner, attribute, patch in _targets(fix):
                setattr(owner, attribute, patch(getattr(owner, attribute)))
            _installed.add(fix)


def uninstall(fixes=FIXES) -> None:
    """Undo install() (the tests use it to show each fix is needed)."""
    with _INSTALL_LOCK:
        for fix in fixes:
            if fix not in _installed:
                continue
            for owner, attribute, _ in _targets(fix):
                setattr(owner, attribute, getattr(owner, attribute).__wrapped__)
            _installed.discard(fix)


def ephemeral_context():
    """An in-memory GX context: nothing written to disk, no analytics, no progress bars."""
    quiet_environment()
    import great_expectations as gx
    from great_expectations.data_context.types.base import (
        DataContextConfig,
        InMemoryStoreBackendDefaults,
        ProgressBarsConfig,
    )

    config = DataContextConfig(
        store_backend_defaults=InMemoryStoreBackendDefaults(),
        analytics_enabled=False,
        progress_bars=ProgressBarsConfig(globally=False, metric_calculations=False),
    )
    return gx.get_context(mode="ephemeral", project_config=config)


def add_duckdb_datasource(context, name: str, connection):
    """A GX SQL datasource whose connections are cursors of `connection`.

    `connection` is a duckdb.DuckDBPyConnection (in a dbt Python model, the
    `session`). Each SQLAlchemy connection is a fresh cursor: it shares the
    database instance and sees committed data, and no second file handle with
    another configuration is ever opened.
    """
    import duckdb_engine
    from sqlalchemy.pool import StaticPool

    return context.data_sources.add_or_update_sql(
        name=name,
        connection_string="duckdb:///:memory:",  # never opened: the creator supplies connections
        kwargs={
            "creator": lambda: duckdb_engine.ConnectionWrapper(connection.cursor()),
            "poolclass": StaticPool,
        },
    )
