"""Property 1 and 2 of the design, as one check the property-based tests call:
after any sequence of arrivals, building incrementally after each batch ends in
exactly the state of one full-refresh build, and one more build with no new
data changes nothing."""
from arrivals import arrive_and_build
from classifier_monitor.contract import create_raw_tables
from classifier_monitor.pipeline import Pipeline
from snapshots import assert_same_state, snapshot


def check_incremental_builds_equal_a_full_refresh(db_path, work_dir, draw, n_batches: int) -> None:
    pipe = Pipeline(db_path, work_dir=work_dir)
    with pipe.connect() as con:
        create_raw_tables(con)
    pipe.dbt("seed")
    # After each batch the models run as a scheduler's build runs them; the data
    # tests, which change no table, run once below on the final incremental
    # state (a third of a build's time on these tiny warehouses).
    arrive_and_build(pipe, draw, n_batches, lambda: pipe.dbt("run"))

    with pipe.connect() as con:
        incremental = snapshot(con)
    pipe.build()
    with pipe.connect() as con:
        rerun = snapshot(con)
    assert_same_state(incremental, rerun)

    pipe.dbt("run", "--full-refresh")
    with pipe.connect() as con:
        full = snapshot(con)
    assert_same_state(incremental, full)
