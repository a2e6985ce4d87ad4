"""Run a suite's expectations with Great Expectations' SQL engine on DuckDB.

Every target is a GX query asset over the connection we already hold, so the
metrics are computed in DuckDB (pushdown): nothing but aggregates and a few
sample rows come back to Python, whatever the batch size - a full refresh
validates millions of rows in bounded memory.
"""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import date, datetime

from classifier_monitor.gates.batches import Target
from classifier_monitor.gates.suite import Expectation, Suite


@dataclass
class Outcome:
    """What one expectation found on its target."""

    expectation: Expectation
    target: Target
    success: bool
    allowed_unexpected_rate: float
    element_count: int | None = None
    unexpected_count: int | None = None
    unexpected_rate: float | None = None
    observed_value: str | None = None
    sample_rows: list[dict] = field(default_factory=list)
    error: str | None = None

    def message(self) -> str:
        e = self.expectation
        head = f"[{e.severity}] {e.key} on {self.target.table_name}: {e.describe()}"
        if self.error:
            return f"{head} could not be evaluated: {self.error}"
        if self.success:
            return f"{head} passed ({self.observed_value})"
        samples = "; ".join(json.dumps(row, default=str, sort_keys=True) for row in self.sample_rows)
        text = f"{head} failed: observed {self.observed_value}"
        return text + (f"; offending rows: {samples}" if samples else "")


def effective_mostly(expectation: Expectation, batch_rows: int | None, min_rows_for_rates: int) -> float:
    """GX's `mostly` for this run: 1 for zero-tolerance rules; for rate rules 1 - max rate,
    or 0 (recorded, not judged) when the batch is too small for a rate to mean anything."""
    if expectation.max_unexpected_rate is None:
        return 1.0
    if batch_rows is not None and batch_rows < min_rows_for_rates:
        return 0.0
    return 1.0 - expectation.max_unexpected_rate


def _plain(value):
    """GX results as JSON-friendly values."""
    if isinstance(value, (datetime, date)):
        return value.isoformat(sep=" ") if isinstance(value, datetime) else value.isoformat()
    if isinstance(value, (list, tuple)):
        return [_plain(item) for item in value]
    if isinstance(value, dict):
        return {str(key): _plain(item) for key, item in value.items()}
    return value


def _raised(exception_info) -> str | None:
    """The message of an exception GX caught while evaluating an expectation, if any."""
    if not exception_info:
        return None
    if exception_info.get("raised_exception"):
        return exception_info.get("exception_message") or "unknown error"
    for info in exception_info.values():
        if isinstance(info, dict) and info.get("raised_exception"):
            return info.get("exception_message") or "unknown error"
    return None


def _outcome(expectation: Expectation, target: Target, mostly: float, gx_result) -> Outcome:
    result = gx_result.result or {}
    error = _raised(gx_result.exception_info)
    outcome = Outcome(expectation, target, success=bool(gx_result.success) and error is None,
                      allowed_unexpected_rate=1.0 - mostly, error=error)
    if error:
        outcome.observed_value = "error"
        return outcome
    outcome.element_count = result.get("element_count")
    outcome.unexpected_count = result.get("unexpected_count")
    if "observed_value" in result:
        outcome.observed_value = json.dumps(_plain(result["observed_value"]), default=str)
    if outcome.element_count is not None:
        judged = outcome.element_count - (result.get("missing_count") or 0)
        if outcome.unexpected_count is not None and judged > 0:
            outcome.unexpected_rate = outcome.unexpected_count / judged
        if outcome.observed_value is None:
            rate = "n/a" if outcome.unexpected_rate is None else f"{outcome.unexpected_rate:.2%}"
            outcome.observed_value = (f"{outcome.unexpected_count or 0} of {judged} rows unexpected ({rate}; "
                                      f"allowed {outcome.allowed_unexpected_rate:.2%})")
    samples = result.get("partial_unexpected_index_list")
    if not samples and result.get("partial_unexpected_list"):
        samples = [{"value": value} for value in result["partial_unexpected_list"]]
    outcome.sample_rows = [_plain(row) for row in (samples or [])]
    return outcome


def validate_suite(connection, suite: Suite, targets: dict[str, Target], *, min_rows_for_rates: int = 0,
                   sample_rows: int = 5) -> list[Outcome]:
    """Validate every expectation of `suite` on its target; one Outcome per expectation."""
    from classifier_monitor import gx_duckdb

    gx_duckdb.install()
    import great_expectations as gx
    from great_expectations.expectations.expectation_configuration import ExpectationConfiguration

    context = gx_duckdb.ephemeral_context()
    datasource = gx_duckdb.add_duckdb_datasource(context, f"cm_{suite.name}", connection)
    outcomes = []
    for target_name, target in targets.items():
        expectations = suite.for_target(target_name)
        if not expectations:
            continue
        mostly = {e.name: effective_mostly(e, target.rows, min_rows_for_rates) for e in expectations}
        configurations = []
        for e in expectations:
            kwargs = dict(e.kwargs)
            if e.max_unexpected_rate is not None:
                kwargs["mostly"] = mostly[e.name]
            configurations.append(ExpectationConfiguration(type=e.type, kwargs=kwargs, meta={"name": e.name}))
        gx_suite = gx.ExpectationSuite(name=f"{suite.name}.{target_name}",
                                       expectations=[c.to_domain_obj() for c in configurations])
        # GX wants a query that starts with SELECT; the batch SQL may start with a CTE
        asset = datasource.add_query_asset(name=target_name, query=f"select * from ({target.sql}) as gate_batch")
        batch = asset.add_batch_definition_whole_table(f"{target_name}_batch").get_batch()
        result_format = {"result_format": "SUMMARY", "partial_unexpected_count": sample_rows}
        if target.index_columns:
            result_format["unexpected_index_column_names"] = list(target.index_columns)
        validation = batch.validate(gx_suite, result_format=result_format)
        by_name = {r.expectation_config.meta["name"]: r for r in validation.results}
        for e in expectations:
            outcomes.append(_outcome(e, target, mostly[e.name], by_name[e.name]))
    return outcomes
