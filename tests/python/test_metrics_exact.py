"""Property 5: every count and metric of the three hourly marts equals
scikit-learn on the same deduplicated rows, for every hour, version and slice.
The rows are re-derived from the raw tables by an independent pandas
implementation of the contract's rules (tests/python/oracle.py)."""
import numpy as np
import pandas as pd
import pytest

from classifier_monitor.generator import GeneratorConfig, deliver, generate
from classifier_monitor.pipeline import Pipeline
from oracle import KEY, expected_events, expected_marts


@pytest.fixture(scope="module")
def built(tmp_path_factory, dbt_work_dir):
    pipe = Pipeline(tmp_path_factory.mktemp("exact") / "w.duckdb", work_dir=dbt_work_dir)
    cfg = GeneratorConfig(n_inferences=30_000, days=3, seed=7, malformed_rate=0.003, conflict_rate=0.003)
    with pipe.connect() as con:
        generate(con, cfg)
        deliver(con)
    pipe.build()
    with pipe.connect() as con:
        raw_inferences = con.execute("select * from raw.inference_events").df()
        raw_labels = con.execute("select * from raw.label_events").df()
        marts = {name: con.execute(f"select * exclude (_batch_id) from marts.{name}").df()
                 for name in ("fct_confusion_matrix_hourly", "fct_class_metrics_hourly", "fct_model_metrics_hourly")}
    events = expected_events(raw_inferences, raw_labels)
    return marts, expected_marts(events), events


def _aligned(actual: pd.DataFrame, expected: pd.DataFrame, keys: list[str]):
    assert len(actual) == len(expected), f"{len(actual)} rows, expected {len(expected)}"
    merged = actual.merge(expected, on=keys, how="outer", suffixes=("", "_expected"), indicator=True)
    unmatched = merged[merged["_merge"] != "both"]
    assert unmatched.empty, f"keys only on one side:\n{unmatched[keys + ['_merge']].head()}"
    return merged


def _assert_close(merged: pd.DataFrame, column: str):
    got = merged[column].astype("float64").to_numpy()
    want = merged[f"{column}_expected"].astype("float64").to_numpy()
    np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-12, equal_nan=True, err_msg=column)


def test_the_data_exercises_the_edge_cases(built):
    marts, _, events = built
    classes = marts["fct_class_metrics_hourly"]
    assert classes["precision"].isna().any(), "a class only seen as a label (precision 0/0)"
    assert classes["recall"].isna().any(), "a class only seen as a prediction (recall 0/0)"
    assert events["actual_class"].isna().any() and events["actual_class"].notna().any()
    assert (marts["fct_model_metrics_hourly"]["slice_value"] == "(missing)").any()


def test_confusion_matrix_equals_sklearn(built):
    marts, (confusion, _, _), _ = built
    merged = _aligned(marts["fct_confusion_matrix_hourly"], confusion, KEY + ["actual_class", "predicted_class"])
    assert (merged["n"] == merged["n_expected"]).all()


def test_class_metrics_equal_sklearn(built):
    marts, (_, classes, _), _ = built
    merged = _aligned(marts["fct_class_metrics_hourly"], classes, KEY + ["class"])
    for column in ("tp", "fp", "fn", "tn", "support", "predicted"):
        assert (merged[column] == merged[f"{column}_expected"]).all(), column
    for column in ("precision", "recall", "f1"):
        _assert_close(merged, column)


def test_model_metrics_equal_sklearn(built):
    marts, (_, _, models), _ = built
    merged = _aligned(marts["fct_model_metrics_hourly"], models, KEY)
    for column in ("n_predictions", "n_labeled", "n_correct"):
        assert (merged[column] == merged[f"{column}_expected"]).all(), column
    for column in ("accuracy", "label_coverage", "macro_precision", "macro_recall", "macro_f1", "weighted_f1"):
        _assert_close(merged, column)
