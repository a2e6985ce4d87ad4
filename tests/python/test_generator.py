"""Tests of the synthetic data generator (classifier_monitor.generator).

Sizes are small (20k events) so the module runs in seconds; statistical
checks use tolerances of about 5 standard errors, and everything is seeded,
so the outcomes are deterministic anyway.
"""

from __future__ import annotations

import json
import math
import re
from datetime import datetime, timedelta, timezone

import duckdb
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from classifier_monitor import generator as gen
from classifier_monitor.generator import (
    CATEGORICAL_FEATURES,
    CLASSES,
    NUMERIC_FEATURES,
    SLICE_COLUMNS,
    GeneratorConfig,
    arrival_cutoffs,
    deliver,
    generate,
    write_demo,
)

N = 20_000
CFG = GeneratorConfig(n_inferences=N, seed=7)
# Anomaly rates raised so that their counts are measurable at 20k events.
RICH = GeneratorConfig(n_inferences=N, seed=11, conflict_rate=0.01, malformed_rate=0.01, correction_rate=0.05)

EXPECTED_INFERENCE_COLUMNS = [
    ("event_id", "VARCHAR"), ("event_time", "TIMESTAMP"), ("ingested_at", "TIMESTAMP"),
    ("model_name", "VARCHAR"), ("model_version", "VARCHAR"), ("predicted_class", "VARCHAR"),
    ("predicted_score", "DOUBLE"), ("class_scores", "VARCHAR"), ("latency_ms", "DOUBLE"),
    ("is_error", "BOOLEAN"), ("region", "VARCHAR"), ("device", "VARCHAR"), ("channel", "VARCHAR"),
    ("amount", "DOUBLE"), ("account_age_days", "DOUBLE"), ("session_seconds", "DOUBLE"),
    ("basket_size", "DOUBLE"), ("discount_pct", "DOUBLE"), ("browser", "VARCHAR"),
    ("payment_method", "VARCHAR"), ("referrer", "VARCHAR"),
]
EXPECTED_LABEL_COLUMNS = [
    ("event_id", "VARCHAR"), ("label", "VARCHAR"), ("labeled_at", "TIMESTAMP"),
    ("ingested_at", "TIMESTAMP"), ("label_source", "VARCHAR"),
]
# Similarity groups, written out independently of the generator's internals.
SIBLINGS = {
    "electronics": 0, "computers": 0, "phones": 0,
    "clothing": 1, "shoes": 1, "accessories": 1,
    "home": 2, "garden": 2,
    "toys": 3, "books": 3,
}

# Rows of a clean event: event_id known to the truth table.  The earliest
# ingested row of an event is the original (retries and conflicts land later).
ORIGINALS = """(
    select e.*, t.true_class
    from gen.inference_events e join gen.truth t using (event_id)
    qualify row_number() over (partition by e.event_id order by e.ingested_at) = 1
)"""
# Valid label rows and the latest one per event ("latest labeled_at, then ingested_at wins").
LATEST_LABELS = """
    select event_id, label from gen.label_events
    where event_id is not null and label is not null and labeled_at <= ingested_at
    qualify row_number() over (partition by event_id order by labeled_at desc, ingested_at desc) = 1
"""


def within(observed: float, n: int, p: float, sigmas: float = 5.0) -> bool:
    """Binomial count within `sigmas` standard deviations of n * p."""
    return abs(observed - n * p) <= sigmas * math.sqrt(n * p * (1 - p)) + 1


def rows(con, sql: str):
    return con.execute(sql).fetchall()


def scalar(con, sql: str):
    return con.execute(sql).fetchone()[0]


@pytest.fixture(scope="module")
def base():
    con = duckdb.connect()
    counts = generate(con, CFG)
    yield con, counts
    con.close()


@pytest.fixture(scope="module")
def rich():
    con = duckdb.connect()
    counts = generate(con, RICH)
    yield con, counts
    con.close()


# --- shape -------------------------------------------------------------------


def test_columns_and_types(base):
    con, _ = base
    for table, expected in (("inference_events", EXPECTED_INFERENCE_COLUMNS),
                            ("label_events", EXPECTED_LABEL_COLUMNS),
                            ("truth", [("event_id", "VARCHAR"), ("true_class", "VARCHAR")])):
        got = [(r[0], r[1]) for r in rows(con, f"describe gen.{table}")]
        assert got == expected, table
    assert list(gen.INFERENCE_COLUMNS.items()) == EXPECTED_INFERENCE_COLUMNS
    assert list(gen.LABEL_COLUMNS.items()) == EXPECTED_LABEL_COLUMNS
    assert SLICE_COLUMNS == ["region", "device", "channel"]
    assert NUMERIC_FEATURES == ["amount", "account_age_days", "session_seconds", "basket_size", "discount_pct"]
    assert CATEGORICAL_FEATURES == ["browser", "payment_method", "referrer"]
    assert len(CLASSES) == 10 and set(CLASSES) == set(SIBLINGS)


def test_counts_match_tables(base):
    con, counts = base
    assert counts["events"] == N
    assert scalar(con, "select count(*) from gen.truth") == N
    assert scalar(con, "select count(distinct event_id) from gen.truth") == N
    assert counts["inference_rows"] == scalar(con, "select count(*) from gen.inference_events")
    assert counts["label_rows"] == scalar(con, "select count(*) from gen.label_events")
    assert counts["inference_rows"] == N + counts["retries"] + counts["conflicts"] + counts["malformed_inferences"]
    labeled = scalar(con, "select count(distinct event_id) from gen.label_events join gen.truth using (event_id)")
    assert counts["label_rows"] == labeled + counts["corrections"] + counts["malformed_labels"]


def test_event_ids_unique_and_well_formed(base):
    con, _ = base
    ids = [r[0] for r in rows(con, "select event_id from gen.truth")]
    assert all(re.fullmatch(r"evt-[0-9a-f]{12}", i) for i in ids)
    # every clean event has exactly one original row
    assert scalar(con, f"select count(*) from {ORIGINALS}") == N


def test_rows_physically_ordered_by_ingested_at(base):
    con, _ = base
    for table in ("inference_events", "label_events"):
        unordered = scalar(con, f"""
            select count(*) from (
                select ingested_at < lag(ingested_at) over (order by rowid) as back
                from gen.{table}) where back""")
        assert unordered == 0, table


# --- the model's outputs --------------------------------------------------------


def test_class_scores_consistent_with_prediction(base):
    con, _ = base
    for pred, score, scores in rows(con, """
            select predicted_class, predicted_score, class_scores
            from gen.inference_events join gen.truth using (event_id)"""):
        probs = json.loads(scores)
        assert list(probs) == CLASSES
        assert abs(sum(probs.values()) - 1.0) <= 1e-5
        assert probs[pred] == score                      # exact: same 6-decimal double
        assert score == max(probs.values())              # predicted_class is an argmax
        assert 0.0 <= score <= 1.0


def test_clean_rows_are_valid(base):
    con, _ = base
    bad = scalar(con, f"""
        select count(*) from gen.inference_events join gen.truth using (event_id)
        where model_name is distinct from 'product-categorizer'
           or model_version not in ('v1', 'v2') or predicted_class is null
           or predicted_score not between 0 and 1 or latency_ms < 0
           or event_time > ingested_at or not json_valid(class_scores)
           or event_time < timestamp '{CFG.start}' or event_time >= timestamp '{CFG.end}'
           or ingested_at > timestamp '{CFG.end}' + interval 20 hour""")
    assert bad == 0


def test_accuracy_and_sibling_errors(base):
    con, _ = base
    acc_before = scalar(con, f"""
        select avg((predicted_class = true_class)::int) from {ORIGINALS}
        where event_time < timestamp '{CFG.drift_start}'""")
    assert 0.7 <= acc_before <= 0.9
    errors = rows(con, f"select true_class, predicted_class from {ORIGINALS} where predicted_class != true_class")
    sibling_share = sum(SIBLINGS[t] == SIBLINGS[p] for t, p in errors) / len(errors)
    assert sibling_share > 0.6
    by_version = dict(rows(con, f"""
        select model_version, avg((predicted_class = true_class)::int) from {ORIGINALS}
        where region != 'eu-west' group by 1"""))
    assert by_version["v2"] > by_version["v1"] + 0.02


def test_class_prior_is_imbalanced(base):
    con, _ = base
    shares = [r[0] for r in rows(con, "select count(*) / sum(count(*)) over () from gen.truth group by true_class")]
    assert len(shares) == 10
    assert 0.2 <= max(shares) <= 0.3
    assert 0.015 <= min(shares) <= 0.035


def test_drift_episode_hits_only_the_drift_slice(base):
    con, _ = base
    stats = {
        (drift, after): (acc, lat, err, amount, bank)
        for drift, after, acc, lat, err, amount, bank in rows(con, f"""
            select region = 'eu-west', event_time >= timestamp '{CFG.drift_start}',
                avg((predicted_class = true_class)::int), median(latency_ms),
                avg(coalesce(is_error, false)::int), median(amount),
                avg((payment_method = 'bank_transfer')::int)
            from {ORIGINALS} group by all""")
    }
    acc_b, lat_b, err_b, amt_b, bank_b = stats[(True, False)]
    acc_a, lat_a, err_a, amt_a, bank_a = stats[(True, True)]
    assert acc_a < acc_b - 0.15 and acc_a < 0.68
    assert lat_a > 2.2 * lat_b
    assert err_a > 0.025 and err_b < 0.015
    assert amt_a > 1.4 * amt_b
    assert bank_a > bank_b + 0.1
    # the other slices stay put (v2's gradual rollout moves them only a little)
    acc_ob, lat_ob, err_ob, amt_ob, bank_ob = stats[(False, False)]
    acc_oa, lat_oa, err_oa, amt_oa, bank_oa = stats[(False, True)]
    assert abs(acc_oa - acc_ob) < 0.06
    assert 0.75 < lat_oa / lat_ob < 1.15
    assert err_oa < 0.015
    assert 0.9 < amt_oa / amt_ob < 1.1
    assert abs(bank_oa - bank_ob) < 0.03


def test_drift_start_default_and_override():
    assert CFG.drift_start == datetime(2026, 1, 10)
    assert GeneratorConfig(days=6).drift_start == datetime(2026, 1, 5)
    assert GeneratorConfig(drift_start_day=3).drift_start == datetime(2026, 1, 4)
    assert CFG.end == datetime(2026, 1, 15)


def test_daily_seasonality_and_v2_rollout(base):
    con, _ = base
    by_hour = dict(rows(con, "select hour(event_time), count(*) from gen.inference_events group by 1"))
    day = sum(by_hour.get(h, 0) for h in range(10, 15))
    night = sum(by_hour.get(h, 0) for h in (22, 23, 0, 1, 2))
    assert day > 2 * night
    half = CFG.start + timedelta(days=CFG.days / 2)
    assert scalar(con, f"select count(*) from gen.truth join gen.inference_events using (event_id) "
                       f"where model_version = 'v2' and event_time < timestamp '{half}'") == 0
    both = scalar(con, """select count(*) from (
        select date_trunc('hour', event_time) h from gen.inference_events
        group by 1 having count(distinct model_version) = 2)""")
    assert both >= 24
    last_day = CFG.end - timedelta(days=1)
    assert scalar(con, f"select count(*) from gen.inference_events join gen.truth using (event_id) "
                       f"where model_version = 'v1' and event_time >= timestamp '{last_day}'") == 0


def test_slices_and_feature_nulls(base):
    con, _ = base
    (regions, devices, channels, channel_null, discount_null, referrer_null, error_null,
     error_rate) = rows(con, f"""
        select count(distinct region), count(distinct device), count(distinct channel),
            avg((channel is null)::int), avg((discount_pct is null)::int), avg((referrer is null)::int),
            avg((is_error is null)::int), avg(is_error::int)
        from {ORIGINALS} where event_time < timestamp '{CFG.drift_start}'""")[0]
    assert (regions, devices, channels) == (6, 3, 4)
    assert 0.02 < channel_null < 0.04
    assert 0.012 < discount_null < 0.03
    assert 0.0 < referrer_null < 0.1
    assert 0.0 < error_null < 0.01
    assert 0.002 < error_rate < 0.01
    assert scalar(con, "select count(*) from gen.truth join gen.inference_events using (event_id) "
                       "where region is null or device is null or amount is null or amount <= 0") == 0


def test_amount_depends_on_true_class(base):
    con, _ = base
    med = dict(rows(con, f"""select true_class, median(amount) from {ORIGINALS}
                             where region != 'eu-west' group by 1"""))
    assert med["computers"] > 5 * med["books"]


# --- anomalies -------------------------------------------------------------------


def test_anomaly_rates(rich):
    con, counts = rich
    labeled = scalar(con, "select count(distinct event_id) from gen.label_events join gen.truth using (event_id)")
    assert within(labeled, N, RICH.label_rate)
    assert within(counts["retries"], N, RICH.retry_rate)
    assert within(counts["conflicts"], N, RICH.conflict_rate)
    assert within(counts["malformed_inferences"], N, RICH.malformed_rate)
    assert within(counts["corrections"], labeled, RICH.correction_rate)
    assert within(counts["malformed_labels"], labeled, RICH.malformed_rate)


def test_retries_identical_except_ingested_at(rich):
    con, counts = rich
    content = ", ".join(c for c, _ in EXPECTED_INFERENCE_COLUMNS if c != "ingested_at")
    groups = rows(con, f"""
        select count(*), count(distinct ingested_at) from gen.inference_events join gen.truth using (event_id)
        group by {content} having count(*) > 1""")
    assert sum(n - 1 for n, _ in groups) == counts["retries"] > 0
    assert all(n == d for n, d in groups)  # each copy landed at its own later time


def test_conflicts_change_prediction(rich):
    con, counts = rich
    groups = rows(con, """
        select event_id, count(distinct predicted_class), count(distinct class_scores),
            arg_min(predicted_class, ingested_at) as first_class
        from gen.inference_events join gen.truth using (event_id)
        group by event_id having count(distinct class_scores) > 1""")
    assert len(groups) == counts["conflicts"] > 0
    assert all(n_pred == 2 and n_scores == 2 for _, n_pred, n_scores, _ in groups)
    # the original (first ingested) row still carries the model's real prediction
    original = dict(rows(con, f"select event_id, predicted_class from {ORIGINALS}"))
    assert all(original[e] == first for e, _, _, first in groups)


def test_malformed_inference_rows(rich):
    con, counts = rich
    extra = rows(con, """
        select event_id, model_name, predicted_score, event_time > ingested_at, latency_ms < 0, class_scores
        from gen.inference_events
        where event_id is null or event_id not in (select event_id from gen.truth)""")
    assert len(extra) == counts["malformed_inferences"]

    def defects(row):
        event_id, model_name, score, future, negative, scores = row
        try:
            json.loads(scores)
            bad_json = False
        except ValueError:
            bad_json = True
        return [event_id is None, model_name is None, score > 1, future, negative, bad_json]

    found = [defects(r) for r in extra]
    assert all(sum(d) == 1 for d in found)                  # exactly one defect per malformed row
    assert all(any(d[k] for d in found) for k in range(6))  # every kind occurs
    fresh = [r[0] for r in extra if r[0] is not None]
    assert len(set(fresh)) == len(fresh)


def test_malformed_label_rows(rich):
    con, counts = rich
    kinds = rows(con, """
        select count_if(label is null), count_if(event_id is null), count_if(labeled_at > ingested_at)
        from gen.label_events""")[0]
    assert sum(kinds) == counts["malformed_labels"]
    assert all(k > 0 for k in kinds)
    # labeled_at after ingested_at "by days"
    assert scalar(con, "select min(labeled_at - ingested_at) from gen.label_events "
                       "where labeled_at > ingested_at") >= timedelta(days=1)


# --- labels ----------------------------------------------------------------------


@pytest.mark.parametrize("fixture", ["base", "rich"])
def test_latest_label_is_the_true_class(fixture, request):
    con, counts = request.getfixturevalue(fixture)
    mismatches = scalar(con, f"""
        select count(*) from ({LATEST_LABELS}) l join gen.truth t using (event_id)
        where l.label != t.true_class""")
    assert mismatches == 0
    # corrected events: the first label was wrong, the later one is right
    wrong_first = scalar(con, """
        select count(*) from (
            select event_id, arg_min(label, labeled_at) as first_label from gen.label_events
            where event_id is not null and label is not null and labeled_at <= ingested_at group by 1
        ) join gen.truth using (event_id) where first_label != true_class""")
    assert wrong_first == counts["corrections"]
    # "even the malformed rows agree": no label row with a wrong class except first labels of corrections
    all_wrong = scalar(con, """select count(*) from gen.label_events l join gen.truth t using (event_id)
                              where l.label != t.true_class""")
    assert all_wrong == counts["corrections"]


def test_label_delays_are_heavy_tailed(base):
    con, _ = base
    median_h, share_20d, max_delay, n_sources = rows(con, """
        select median(epoch(labeled_at - event_time)) / 3600,
            avg((labeled_at - event_time > interval 20 day)::int),
            max(labeled_at - event_time), count(distinct label_source)
        from gen.label_events l join (select distinct event_id, event_time from gen.inference_events
                                      join gen.truth using (event_id)) using (event_id)
        where labeled_at <= ingested_at""")[0]
    assert median_h < 24
    assert share_20d > 0.01
    assert timedelta(days=20) < max_delay <= timedelta(days=30)
    assert n_sources >= 3


def test_some_labels_arrive_before_their_inference(base):
    con, _ = base
    early = scalar(con, """
        select count(*) from gen.label_events l
        join (select event_id, min(ingested_at) as ingested_at from gen.inference_events group by 1) i
          using (event_id)
        where l.ingested_at < i.ingested_at""")
    assert early > 0


# --- determinism ------------------------------------------------------------------


def table_rows(con, schema="gen"):
    # rowid order: physical order must be reproducible too, not just the set
    return {t: rows(con, f"select * from {schema}.{t} order by rowid")
            for t in ("inference_events", "label_events", "truth")}


def test_same_config_same_rows(base):
    con, counts = base
    other = duckdb.connect()
    assert generate(other, CFG) == counts
    assert table_rows(other) == table_rows(con)


def test_rows_do_not_depend_on_thread_count():
    cfg = GeneratorConfig(n_inferences=3_000, seed=9)
    one, many = duckdb.connect(config={"threads": 1}), duckdb.connect(config={"threads": 4})
    generate(one, cfg)
    generate(many, cfg)
    assert table_rows(one) == table_rows(many)


def test_different_seed_different_rows(base):
    con, _ = base
    other = duckdb.connect()
    generate(other, GeneratorConfig(n_inferences=N, seed=8))
    ours, theirs = table_rows(con), table_rows(other)
    assert not set(r[0] for r in ours["truth"]) & set(r[0] for r in theirs["truth"])
    assert ours["inference_events"][:50] != theirs["inference_events"][:50]


@pytest.mark.parametrize("days, chunk_size", [
    (14, 1_234),  # chunks span days
    (1, 150),     # chunks span ~3.6 hours: far less than the lag of late rows, retries, conflicts
])
def test_chunked_equals_unchunked(days, chunk_size):
    cfg = GeneratorConfig(n_inferences=1_000, days=days, seed=3, retry_rate=0.05, conflict_rate=0.02,
                          malformed_rate=0.02)
    whole, chunked = duckdb.connect(), duckdb.connect()
    counts_whole = generate(whole, cfg)
    counts_chunked = generate(chunked, cfg, chunk_size=chunk_size)
    assert counts_whole == counts_chunked
    assert table_rows(whole) == table_rows(chunked)


def test_chunked_progress_goes_to_stderr(capsys):
    generate(duckdb.connect(), GeneratorConfig(n_inferences=3_000), progress=True, chunk_size=1_000)
    err = capsys.readouterr().err
    assert "generating inferences: 1,000 / 3,000 (33%)" in err
    assert "generating inferences: 3,000 / 3,000 (100%)" in err


@pytest.mark.parametrize("n", [1, 200])
def test_tiny_sizes(n):
    con = duckdb.connect()
    counts = generate(con, GeneratorConfig(n_inferences=n, days=1))
    assert counts["events"] == n == scalar(con, "select count(*) from gen.truth")
    assert counts["inference_rows"] == scalar(con, "select count(*) from gen.inference_events") >= n


def test_custom_schema_and_regeneration_replaces():
    con = duckdb.connect()
    generate(con, GeneratorConfig(n_inferences=500), schema="sim")
    counts = generate(con, GeneratorConfig(n_inferences=300), schema="sim")
    assert scalar(con, "select count(*) from sim.truth") == 300
    assert scalar(con, "select count(*) from sim.inference_events") == counts["inference_rows"]
    with pytest.raises(ValueError):
        generate(con, GeneratorConfig(n_inferences=10), schema="bad name; drop")


# --- delivery ---------------------------------------------------------------------


def assert_same_multiset(con, a: str, b: str):
    assert scalar(con, f"select count(*) from (select * from {a} except all select * from {b})") == 0
    assert scalar(con, f"select count(*) from (select * from {b} except all select * from {a})") == 0


def test_hourly_delivery_partitions_rows(base):
    con, counts = base
    cutoffs = arrival_cutoffs(CFG, every_hours=6, con=con)
    con.execute("drop schema if exists feed cascade")
    delivered = {"inference_rows": 0, "label_rows": 0}
    previous = None
    for cut in cutoffs:
        got = deliver(con, until=cut, since=previous, target_schema="feed")
        for key in delivered:
            delivered[key] += got[key]
        previous = cut
    assert delivered == {"inference_rows": counts["inference_rows"], "label_rows": counts["label_rows"]}
    for table in ("inference_events", "label_events"):
        assert_same_multiset(con, f"gen.{table}", f"feed.{table}")
    assert [r[1] for r in rows(con, "describe feed.inference_events")] == [t for _, t in EXPECTED_INFERENCE_COLUMNS]
    # nothing left after the last cut-off
    assert deliver(con, since=cutoffs[-1], target_schema="feed") == {"inference_rows": 0, "label_rows": 0}


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(st.integers(min_value=0, max_value=45 * 24 * 60), min_size=1, max_size=6, unique=True))
def test_any_cutoffs_partition_rows(base, minutes):
    con, counts = base
    cuts = [CFG.start + timedelta(minutes=m) for m in sorted(minutes)]
    con.execute("drop schema if exists split cascade")
    bounds = [None, *cuts, None]
    total = {"inference_rows": 0, "label_rows": 0}
    for since, until in zip(bounds[:-1], bounds[1:]):
        got = deliver(con, until=until, since=since, target_schema="split")
        total = {k: total[k] + got[k] for k in total}
    assert total == {"inference_rows": counts["inference_rows"], "label_rows": counts["label_rows"]}
    assert_same_multiset(con, "gen.label_events", "split.label_events")


def test_deliver_accepts_aware_datetimes(base):
    con, _ = base
    con.execute("drop schema if exists aware cascade")
    cut = CFG.start + timedelta(days=2)
    naive = deliver(con, until=cut, target_schema="aware")
    con.execute("drop schema aware cascade")
    aware = deliver(con, until=cut.replace(tzinfo=timezone.utc), target_schema="aware")
    assert naive == aware and naive["inference_rows"] > 0


def test_arrival_cutoffs():
    cuts = arrival_cutoffs(CFG, every_hours=1)
    assert cuts[0] == CFG.start + timedelta(hours=1)
    assert all(b - a == timedelta(hours=1) for a, b in zip(cuts, cuts[1:]))
    assert cuts[-1] >= CFG.last_arrival_bound > cuts[-2]
    assert len(arrival_cutoffs(CFG, every_hours=24)) == math.ceil(
        (CFG.last_arrival_bound - CFG.start) / timedelta(days=1))
    with pytest.raises(ValueError):
        arrival_cutoffs(CFG, every_hours=0)


def test_arrival_cutoffs_from_data(base):
    con, _ = base
    last = scalar(con, "select max(ingested_at) from (select ingested_at from gen.inference_events "
                       "union all select ingested_at from gen.label_events)")
    cuts = arrival_cutoffs(CFG, every_hours=1, con=con)
    assert cuts[-1] >= last > cuts[-2]
    assert last <= CFG.last_arrival_bound


def test_write_demo(tmp_path):
    cfg = GeneratorConfig(n_inferences=2_000, days=3)
    path = tmp_path / "demo.duckdb"
    until = cfg.start + timedelta(days=1)
    result = write_demo(str(path), cfg, until=until, progress=False)
    con = duckdb.connect(str(path))
    assert result["delivered_inference_rows"] == scalar(con, "select count(*) from raw.inference_events") > 0
    assert result["delivered_label_rows"] == scalar(con, "select count(*) from raw.label_events") > 0
    assert scalar(con, "select max(ingested_at) from raw.inference_events") <= until
    assert scalar(con, "select count(*) from gen.inference_events") == result["inference_rows"]
    con.close()
    # a second run replaces raw.* instead of appending
    again = write_demo(str(path), cfg, progress=False)
    con = duckdb.connect(str(path))
    assert scalar(con, "select count(*) from raw.inference_events") == again["inference_rows"]
    assert scalar(con, "select count(*) from raw.label_events") == again["label_rows"]
    con.close()


# --- configuration ------------------------------------------------------------------


@pytest.mark.parametrize("kwargs", [
    {"n_inferences": 0}, {"days": 0}, {"label_rate": 1.5}, {"retry_rate": -0.1},
    {"drift_slice": ("browser", "chrome")}, {"drift_start_day": 99},
])
def test_invalid_config(kwargs):
    with pytest.raises(ValueError):
        GeneratorConfig(**kwargs)


def test_aware_start_is_normalised_to_naive_utc():
    cfg = GeneratorConfig(start=datetime(2026, 1, 1, 1, tzinfo=timezone(timedelta(hours=1))))
    assert cfg.start == datetime(2026, 1, 1) and cfg.start.tzinfo is None


def test_other_drift_slice():
    con = duckdb.connect()
    cfg = GeneratorConfig(n_inferences=8_000, seed=5, drift_slice=("device", "tablet"), drift_start_day=7)
    generate(con, cfg)
    lat = dict(rows(con, f"""
        select device = 'tablet', median(latency_ms) from {ORIGINALS}
        where event_time >= timestamp '{cfg.drift_start}' group by 1"""))
    assert lat[True] > 2.2 * lat[False]
