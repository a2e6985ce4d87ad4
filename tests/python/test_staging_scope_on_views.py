"""The portable staging scope (default__cm_scope_judged_rows, which every
other adapter takes and DuckDB takes with `staging_row_ids: false`), over raw
sources that are views (as over Parquet files): after any sequence of arrivals,
incremental staging equals a full refresh, and a run without new raw rows
re-stages nothing. Staging is the only place the scope acts, so only the
staging models are built."""
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from arrivals import arrive_and_build
from classifier_monitor.contract import create_raw_tables
from classifier_monitor.pipeline import Pipeline
from snapshots import assert_same_state, snapshot

VIEWS = {"raw_schema": "raw_views", "staging_row_ids": False}
STAGING = "stg_inference_rows stg_label_rows"
STAGING_TABLES = ["staging.stg_inference_rows", "staging.stg_label_rows"]


def _staged_after(con, moment) -> int:
    return sum(con.execute(f"select count(*) from {table} where _staged_at > ?", [moment]).fetchone()[0]
               for table in STAGING_TABLES)


@settings(max_examples=6, deadline=None, suppress_health_check=list(HealthCheck))
@given(data=st.data(), n_batches=st.integers(1, 5))
def test_incremental_staging_through_views_equals_a_full_refresh(tmp_path_factory, dbt_work_dir, data, n_batches):
    pipe = Pipeline(tmp_path_factory.mktemp("views") / "w.duckdb", work_dir=dbt_work_dir)
    with pipe.connect() as con:
        create_raw_tables(con)
        con.execute("create schema raw_views")
        for table in ("inference_events", "label_events"):
            con.execute(f"create view raw_views.{table} as select * from raw.{table}")
    arrive_and_build(pipe, data.draw, n_batches, lambda: pipe.build(select=STAGING, vars=VIEWS))

    with pipe.connect() as con:
        incremental = snapshot(con, STAGING_TABLES)
        # the newest run marker of either table: a run may have staged labels only
        last = max((con.execute(f"select max(_staged_at) from {table}").fetchone()[0] for table in STAGING_TABLES),
                   key=lambda moment: (moment is not None, moment))
    pipe.build(select=STAGING, vars=VIEWS)
    with pipe.connect() as con:
        if last is not None:
            assert _staged_after(con, last) == 0
        assert_same_state(incremental, snapshot(con, STAGING_TABLES))

    pipe.build(select=STAGING, vars=VIEWS, full_refresh=True)
    with pipe.connect() as con:
        assert_same_state(incremental, snapshot(con, STAGING_TABLES))
