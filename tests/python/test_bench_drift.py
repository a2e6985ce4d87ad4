"""The drift benchmark on a small warehouse: it builds the drift models in a
child process with a memory cap and reports time, peak memory and the shape
of what it built."""
import duckdb

from classifier_monitor import bench_drift, contract
from classifier_monitor.generator import GeneratorConfig, write_demo


def test_bench_drift_reports_time_memory_and_shape(tmp_path):
    db = tmp_path / "bench.duckdb"
    write_demo(str(db), GeneratorConfig(n_inferences=3_000, days=5, seed=3), progress=False)
    assert bench_drift.prepare(db, work_dir=tmp_path / "bench") > 0
    _check_floors(db)
    figures = bench_drift.run(db, memory_limit="500MB", work_dir=tmp_path / "bench")
    assert figures["seconds"] > 0 and 50 < figures["peak_rss_mb"] < 4_000
    assert figures["windows"] == 5 and figures["rows"] == 3_000
    assert figures["features"] == 11 and figures["drift_rows"] > 100
    assert sum(figures["severities"].values()) == figures["drift_rows"]
    assert figures["memory_limit"] == "500MB"

    daily = bench_drift.run_daily(db, memory_limit="500MB", work_dir=tmp_path / "bench")
    assert daily["seconds"] > 0 and 50 < daily["peak_rss_mb"] < 4_000
    assert daily["new_inference_rows"] > 0
    # the new hour's window changed (and the one before, if a late row of it
    # arrived too); the windows whose trailing reference holds them are logged too
    assert 1 <= daily["windows_own_inputs_changed"] <= 2 <= daily["windows_logged"]


def _check_floors(db):
    """The floor statements count what they claim: per daily window, model and
    value of each slice column, the distinct values of every numeric
    distribution, as pandas counts them from the staged rows."""
    figures = bench_drift.floors(db, memory_limit="500MB")
    assert figures["histograms_s"] > 0 and figures["value_counts_s"] > 0
    features = [*contract.NUMERIC_FEATURES, "predicted_score"]
    with duckdb.connect(str(db), read_only=True) as con:
        rows = con.execute("select * from staging.stg_inference_events").df()
    rows["window_start"] = rows["hour"].dt.floor("D")
    assert set(figures["value_count_rows"]) == set(features)
    for feature in features:
        present = rows[rows[feature].notna()]
        expected = sum(len(present.groupby(["window_start", "model_name", column, feature], dropna=False))
                       for column in contract.SLICE_COLUMNS)
        assert figures["value_count_rows"][feature] == expected, feature
        # buckets are coarser than values, never finer
        assert 0 < figures["histogram_rows"][feature] <= expected
