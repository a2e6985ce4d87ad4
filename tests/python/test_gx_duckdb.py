"""Great Expectations' SQL engine on DuckDB needs the fixes in
classifier_monitor.gx_duckdb: without them every metric fails and regex rules
cannot run; with them the results equal a direct computation."""
import re

import duckdb
import pandas as pd
import pytest

from classifier_monitor import gx_duckdb


@pytest.fixture
def table(tmp_path):
    con = duckdb.connect(str(tmp_path / "gx.duckdb"))
    con.execute("""
        create table t as
        select i as id, case when i % 7 = 0 then null else i end as v,
            ['v1', 'v2.1', 'release 3', 'v10-rc', 'x'][1 + i % 5] as version
        from range(2000) r(i)
    """)
    yield con
    con.close()


def validate(con, expectation):
    import great_expectations as gx

    context = gx_duckdb.ephemeral_context()
    datasource = gx_duckdb.add_duckdb_datasource(context, "d", con)
    batch = datasource.add_query_asset("q", query="select * from t").add_batch_definition_whole_table("b").get_batch()
    return batch.validate(gx.ExpectationSuite(name="s", expectations=[expectation])).results[0]


@pytest.fixture
def without():
    """Run a test with some fixes removed; put them back afterwards."""
    removed = []

    def remove(*fixes):
        gx_duckdb.install()
        gx_duckdb.uninstall(fixes)
        removed.extend(fixes)

    yield remove
    gx_duckdb.install()


def test_without_the_fix_every_metric_fails_on_duckdb(table, without):
    import great_expectations.expectations as gxe

    without("fetch_while_open")
    result = validate(table, gxe.ExpectColumnValuesToNotBeNull(column="v", mostly=0.5))
    assert not result.success
    assert "list index out of range" in str(result.exception_info)


def test_without_the_fix_regex_rules_cannot_run_on_duckdb(table, without):
    import great_expectations.expectations as gxe

    without("regex")
    result = validate(table, gxe.ExpectColumnValuesToMatchRegex(column="version", regex="^v"))
    assert not result.success and "Regex is not supported for dialect duckdb" in str(result.exception_info)


def test_with_the_fix_metrics_equal_a_direct_count(table):
    import great_expectations.expectations as gxe

    gx_duckdb.install()
    gx_duckdb.install()  # idempotent
    nulls = table.execute("select count(*) - count(v) from t").fetchone()[0]
    result = validate(table, gxe.ExpectColumnValuesToNotBeNull(column="v", mostly=0.5))
    assert result.success and result.result["unexpected_count"] == nulls == 286
    high = table.execute("select count(*) from t where v > 1500").fetchone()[0]
    result = validate(table, gxe.ExpectColumnValuesToBeBetween(column="v", max_value=1500))
    assert not result.success and result.result["unexpected_count"] == high


@pytest.mark.parametrize("regex", [r"^v\d+$", r"\d", r"rc", r"^[a-z0-9.]+$", r"\s"])
def test_regex_rules_search_like_the_pandas_engine(table, regex):
    import great_expectations.expectations as gxe

    gx_duckdb.install()
    values = pd.Series(table.execute("select version from t").df()["version"])
    expected = int((~values.str.contains(regex)).sum())  # GX's pandas engine: str.contains (search)
    matched = validate(table, gxe.ExpectColumnValuesToMatchRegex(column="version", regex=regex))
    not_matched = validate(table, gxe.ExpectColumnValuesToNotMatchRegex(column="version", regex=regex))
    assert matched.result["unexpected_count"] == expected
    assert not_matched.result["unexpected_count"] == len(values) - expected


def test_gx_shares_the_connection_a_second_handle_could_not_open(table, tmp_path):
    import great_expectations.expectations as gxe

    gx_duckdb.install()
    with pytest.raises(duckdb.ConnectionException, match="different configuration"):
        duckdb.connect(str(tmp_path / "gx.duckdb"), read_only=True)
    assert validate(table, gxe.ExpectTableRowCountToEqual(value=2000)).success


def test_validation_prints_no_progress_bars(table, capfd):
    import great_expectations.expectations as gxe

    gx_duckdb.install()
    validate(table, gxe.ExpectColumnValuesToNotBeNull(column="id"))
    out, err = capfd.readouterr()
    assert not re.search("Calculating Metrics", out + err)


def test_other_dialects_keep_gx_own_code_path(tmp_path):
    import great_expectations as gx
    import great_expectations.expectations as gxe

    gx_duckdb.install()
    context = gx_duckdb.ephemeral_context()
    path = tmp_path / "s.sqlite"
    import sqlite3

    with sqlite3.connect(path) as lite:
        lite.execute("create table t (v integer)")
        lite.executemany("insert into t values (?)", [(1,), (None,), (3,)])
    datasource = context.data_sources.add_sqlite("lite", connection_string=f"sqlite:///{path}")
    batch = datasource.add_table_asset("t", table_name="t").add_batch_definition_whole_table("b").get_batch()
    result = batch.validate(gx.ExpectationSuite(name="s", expectations=[
        gxe.ExpectColumnValuesToNotBeNull(column="v")])).results[0]
    assert result.result["unexpected_count"] == 1
    assert datasource.get_execution_engine().dialect_module is not gx_duckdb.DUCKDB_DIALECT
