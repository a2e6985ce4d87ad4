"""What BI users rely on: `dbt docs generate` gives a complete catalog (every
model and column of the warehouse described, grains stated, exposures wired),
and every example query of docs/bi.md runs and answers what scikit-learn
answers on the same deduplicated rows."""
from __future__ import annotations

import json
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from sklearn.metrics import accuracy_score, confusion_matrix, recall_score

from classifier_monitor.generator import MODEL_NAME, GeneratorConfig, deliver, generate
from classifier_monitor.pipeline import PROJECT_DIR, Pipeline
from oracle import expected_events

EXAMPLE = re.compile(r"```sql\n-- example: (\w+)\n(.*?)```", re.S)
PARAMS = re.compile(r"^with params as \(select .*\),$", re.M)


@pytest.fixture(scope="module")
def warehouse(tmp_path_factory, dbt_work_dir):
    pipe = Pipeline(tmp_path_factory.mktemp("bi") / "w.duckdb", work_dir=dbt_work_dir)
    cfg = GeneratorConfig(n_inferences=4_000, days=3, drift_start_day=2, seed=21)
    with pipe.connect() as con:
        generate(con, cfg)
        deliver(con)
    pipe.build()
    pipe.dbt("docs", "generate")
    target = Path(dbt_work_dir) / "target"
    with pipe.connect() as con:
        events = expected_events(con.execute("select * from raw.inference_events").df(),
                                 con.execute("select * from raw.label_events").df())
    return {"pipe": pipe, "events": events,
            "manifest": json.loads((target / "manifest.json").read_text()),
            "catalog": json.loads((target / "catalog.json").read_text())}


def _project_nodes(manifest: dict, resource_type: str) -> dict:
    return {uid: node for uid, node in manifest["nodes"].items()
            if node["resource_type"] == resource_type and node["package_name"] == "classifier_monitor"}


def test_every_model_states_its_grain_and_documents_every_column(warehouse):
    manifest, catalog = warehouse["manifest"], warehouse["catalog"]
    models = _project_nodes(manifest, "model")
    assert len(models) >= 30
    problems = []
    for uid, node in sorted(models.items()):
        if "grain" not in node["description"].lower():
            problems.append(f"{node['name']}: description does not state the grain")
        documented = {name.lower(): column["description"] for name, column in node["columns"].items()}
        actual = {name.lower() for name in catalog["nodes"][uid]["columns"]}
        for column in sorted(actual):
            if not documented.get(column, "").strip():
                problems.append(f"{node['name']}.{column}: not documented")
        for column in sorted(set(documented) - actual):
            problems.append(f"{node['name']}.{column}: documented but not in the table")
    assert not problems, "\n".join(problems)


def test_sources_document_every_column(warehouse):
    manifest, catalog = warehouse["manifest"], warehouse["catalog"]
    problems = []
    for uid, source in manifest["sources"].items():
        assert source["description"].strip(), uid
        documented = {name.lower() for name, column in source["columns"].items() if column["description"].strip()}
        for column in catalog["sources"][uid]["columns"]:
            if column.lower() not in documented:
                problems.append(f"{source['name']}.{column}: not documented")
    assert not problems, "\n".join(problems)


def test_exposures_name_the_marts_they_read(warehouse):
    manifest = warehouse["manifest"]
    exposures = {exposure["name"]: exposure for exposure in manifest["exposures"].values()}
    assert {"classifier_monitor_report", "bi_example_queries"} <= set(exposures)
    for exposure in exposures.values():
        assert exposure["description"].strip() and exposure["owner"]["name"]
        depends = exposure["depends_on"]["nodes"]
        assert depends and all(uid in manifest["nodes"] for uid in depends)
        assert all(manifest["nodes"][uid]["schema"] == "marts" for uid in depends)
    # the report reads what docs/report.md says it shows
    report = {uid.split(".")[-1] for uid in exposures["classifier_monitor_report"]["depends_on"]["nodes"]}
    assert {"fct_confusion_matrix_hourly", "fct_feature_drift", "fct_slo_status"} <= report


def _examples() -> dict[str, str]:
    examples = dict(EXAMPLE.findall((PROJECT_DIR / "docs" / "bi.md").read_text()))
    assert set(examples) == {"recall_trend", "confusion_matrix_day", "confusion_matrix_pivot",
                             "slo_budget_left", "accuracy_by_version", "latest_drift"}
    return examples


def _run(warehouse, name: str, params: str) -> pd.DataFrame:
    sql = _examples()[name]
    assert PARAMS.search(sql), f"{name}: the params line is missing"
    sql = PARAMS.sub(lambda _: f"with params as (select {params}),", sql)
    with warehouse["pipe"].connect() as con:
        return con.execute(sql).df()


def test_recall_trend_example_equals_sklearn(warehouse):
    answer = _run(warehouse, "recall_trend",
                  f"'{MODEL_NAME}' as model_name, 'region' as slice_name, 'eu-west' as slice_value")
    events = warehouse["events"]
    rows = events[(events["region"] == "eu-west") & events["actual_class"].notna()].copy()
    rows["day"] = rows["hour"].dt.floor("D")
    checked = 0
    for (day, cls), got in answer.set_index(["day", "class"]).iterrows():
        day_rows = rows[rows["day"] == pd.Timestamp(day)]
        if got["support"] == 0:
            assert pd.isna(got["recall"])
            continue
        expected = recall_score(day_rows["actual_class"], day_rows["predicted_class"], labels=[cls],
                                average=None, zero_division=np.nan)[0]
        assert got["recall"] == pytest.approx(expected, abs=1e-12)
        checked += 1
    assert checked >= 10


def test_confusion_matrix_examples_equal_sklearn(warehouse):
    events = warehouse["events"]
    day = events["hour"].dt.floor("D").min() + pd.Timedelta(days=1)
    params = f"'{MODEL_NAME}' as model_name, timestamp '{day}' as day, 'all' as slice_name, 'all' as slice_value"
    long = _run(warehouse, "confusion_matrix_day", params)
    wide = _run(warehouse, "confusion_matrix_pivot", params).set_index("actual_class")
    rows = events[(events["hour"] >= day) & (events["hour"] < day + pd.Timedelta(days=1))
                  & events["actual_class"].notna()]
    labels = sorted(set(rows["actual_class"]) | set(rows["predicted_class"]))
    expected = pd.DataFrame(confusion_matrix(rows["actual_class"], rows["predicted_class"], labels=labels),
                            index=labels, columns=labels)
    got = long.pivot(index="actual_class", columns="predicted_class", values="n").reindex(
        index=labels, columns=labels).fillna(0).astype(int)
    pd.testing.assert_frame_equal(got, expected, check_names=False)
    pd.testing.assert_frame_equal(wide.reindex(index=sorted(wide.index), columns=sorted(wide.columns))
                                  .reindex(index=expected.index, columns=expected.columns).fillna(0).astype(int),
                                  expected, check_names=False)
    shares = long.groupby("actual_class")["share_of_actual"].sum()
    assert np.allclose(shares, 1.0)


def test_accuracy_by_version_example_equals_sklearn(warehouse):
    answer = _run(warehouse, "accuracy_by_version", f"'{MODEL_NAME}' as model_name")
    events = warehouse["events"].copy()
    events["day"] = events["hour"].dt.floor("D")
    assert len(answer) == events.groupby(["day", "model_version"]).ngroups
    for _, got in answer.iterrows():
        rows = events[(events["day"] == pd.Timestamp(got["day"])) & (events["model_version"] == got["model_version"])]
        labeled = rows[rows["actual_class"].notna()]
        assert got["n_predictions"] == len(rows) and got["n_labeled"] == len(labeled)
        assert got["accuracy"] == pytest.approx(accuracy_score(labeled["actual_class"], labeled["predicted_class"]),
                                                abs=1e-12)
        assert got["label_coverage"] == pytest.approx(len(labeled) / len(rows), abs=1e-12)


def test_slo_budget_example_is_the_latest_hour_of_each_slo_and_slice(warehouse):
    answer = _run(warehouse, "slo_budget_left", f"'{MODEL_NAME}' as model_name")
    with warehouse["pipe"].connect() as con:
        latest = con.execute("""
            select slo_name, slice_name, slice_value, hour, error_budget_left
            from marts.fct_slo_status
            qualify hour = max(hour) over (partition by slo_name, model_name, slice_name, slice_value)""").df()
    assert len(answer) == len(latest) > 0
    merged = answer.merge(latest, on=["slo_name", "slice_name", "slice_value", "hour"], suffixes=("", "_expected"))
    assert len(merged) == len(latest)
    assert np.allclose(merged["error_budget_left"], merged["error_budget_left_expected"])
    assert answer["error_budget_left_ratio"].is_monotonic_increasing


def test_latest_drift_example_lists_flagged_rows_of_the_last_window(warehouse):
    answer = _run(warehouse, "latest_drift", f"'{MODEL_NAME}' as model_name")
    with warehouse["pipe"].connect() as con:
        expected = con.execute("""
            select count(*) from marts.fct_feature_drift
            where window_start = (select max(window_start) from marts.fct_feature_drift)
              and severity in ('investigate', 'act')""").fetchone()[0]
    assert len(answer) == expected
    assert set(answer["severity"]) <= {"investigate", "act"}
