"""Drift models under incremental runs: after arrivals in several batches
(inferences in event-time order, hours-late inferences, labels weeks late),
the drift tables equal a full refresh, a second build changes nothing, and a
run recomputes only the windows whose inputs (or references) changed."""
from datetime import timedelta

import pytest

from classifier_monitor.generator import GeneratorConfig, deliver, generate
from snapshots import assert_same_state, snapshot

SELECT = "+fct_feature_drift"
DRIFT_TABLES = [
    "intermediate.int_drift_numeric_cells",
    "intermediate.int_drift_numeric_samples",
    "intermediate.int_drift_numeric_buckets",
    "intermediate.int_drift_category_counts",
    "intermediate.int_drift_numeric_bins",
    "intermediate.int_drift_categorical_comparison",
    "marts.fct_feature_drift",
]


def _arrive_and_build(pipe, cfg, cuts, vars=None):
    previous = None
    with pipe.connect() as con:
        generate(con, cfg)
    for cut in cuts:
        with pipe.connect() as con:
            deliver(con, until=cut, since=previous)
        previous = cut
        pipe.build(select=SELECT, vars=vars)


def _log_batch(pipe):
    with pipe.connect() as con:
        return con.execute("select max(batch_id) from intermediate.int_drift_window_log").fetchone()[0]


# the default trailing reference (shared by the windows of a week) and one
# sliding with every window
@pytest.mark.parametrize("vars", [None, {"drift_reference_step": 1}], ids=["weekly", "sliding"])
def test_incremental_drift_equals_a_full_refresh(pipeline, vars):
    cfg = GeneratorConfig(n_inferences=5_000, days=9, seed=5)
    cuts = [cfg.start + timedelta(days=4, hours=7), cfg.end + timedelta(hours=13)]
    _arrive_and_build(pipeline, cfg, cuts, vars)

    # a late batch of mostly labels: label rows of many old windows are
    # recomputed; feature rows only where inference rows arrived (at most the
    # newest windows), everything else keeps its batch
    with pipeline.connect() as con:
        before = con.execute("select window_start, feature, _window_batch from marts.fct_feature_drift "
                             "where feature_type <> 'label' order by all").fetchall()
        deliver(con, until=cfg.end + timedelta(days=20), since=cuts[-1])
    pipeline.build(select=SELECT, vars=vars)
    batch = _log_batch(pipeline)
    with pipeline.connect() as con:
        after = con.execute("select window_start, feature, _window_batch from marts.fct_feature_drift "
                            "where feature_type <> 'label' order by all").fetchall()
        relabeled = con.execute(f"select count(distinct window_start) from marts.fct_feature_drift "
                                f"where feature_type = 'label' and _window_batch = {batch}").fetchone()[0]
        refeatured = {row[0] for row in con.execute(
            f"select window_start from intermediate.int_drift_window_log where batch_id = {batch} "
            f"and kind = 'features' and own_inputs_changed").fetchall()}
    assert [row[:2] for row in before] == [row[:2] for row in after]
    # (a changed window also changes the references of the windows after it)
    recomputed = {row[0] for row, old in zip(after, before) if row != old}
    assert all(any(timedelta(0) <= window - own <= timedelta(days=13) for own in refeatured) for window in recomputed)
    assert len(refeatured) <= 2 and relabeled >= 5

    with pipeline.connect() as con:
        incremental = snapshot(con, DRIFT_TABLES)
    pipeline.build(select=SELECT, vars=vars)
    with pipeline.connect() as con:
        rerun = snapshot(con, DRIFT_TABLES)
    assert_same_state(incremental, rerun)

    pipeline.build(select=SELECT, vars=vars, full_refresh=True)
    with pipeline.connect() as con:
        full = snapshot(con, DRIFT_TABLES)
    assert_same_state(incremental, full)
    assert len(full["marts.fct_feature_drift"]) > 800


def test_incremental_drift_with_a_fixed_reference_equals_a_full_refresh(pipeline):
    cfg = GeneratorConfig(n_inferences=4_000, days=8, seed=11)
    fixed = {"drift_reference_mode": "fixed", "drift_reference_start": str(cfg.start + timedelta(days=1)),
             "drift_reference_end": str(cfg.start + timedelta(days=4)), "drift_pool_versions": True}
    # the second batch completes the reference period: every window is recomputed
    _arrive_and_build(pipeline, cfg, [cfg.start + timedelta(days=2, hours=5), cfg.end + timedelta(days=3)], fixed)
    with pipeline.connect() as con:
        incremental = snapshot(con, DRIFT_TABLES)
        bounds = con.execute("select distinct reference_start, reference_end, model_version "
                             "from marts.fct_feature_drift").fetchall()
    assert bounds == [(cfg.start + timedelta(days=1), cfg.start + timedelta(days=4), "all")]
    pipeline.build(select=SELECT, vars=fixed, full_refresh=True)
    with pipeline.connect() as con:
        full = snapshot(con, DRIFT_TABLES)
    assert_same_state(incremental, full)


@pytest.mark.parametrize("vars", [{"drift_window_hours": 0}, {"drift_reference_mode": "fixed"},
                                  {"drift_reference_mode": "sliding"}])
def test_invalid_drift_settings_fail_loudly(pipeline, vars):
    build = pipeline.build(select="int_drift_window_log", vars=vars, check=False)
    assert not build.success
    assert any("drift" in message for message in build.messages)
