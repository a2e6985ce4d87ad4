"""Drift detection on generated traffic: the generator shifts `amount`, changes
the payment methods and degrades the model in region eu-west from
cfg.drift_start on. With the default settings that window is flagged for those
features and for predicted_score (the model becomes less confident), while
every earlier window and every other region stays at none or info; for two seeds."""
import pytest

from classifier_monitor.generator import GeneratorConfig, write_demo
from classifier_monitor.pipeline import Pipeline


@pytest.mark.parametrize("seed", [1, 2])
def test_injected_drift_is_flagged_and_nothing_else(tmp_path, dbt_work_dir, seed):
    cfg = GeneratorConfig(n_inferences=60_000, days=14, seed=seed)
    db = tmp_path / "drift.duckdb"
    write_demo(str(db), cfg, progress=False)
    pipe = Pipeline(db, work_dir=dbt_work_dir)
    pipe.build(select="+fct_feature_drift")
    with pipe.connect() as con:
        drift = con.execute("select * from marts.fct_feature_drift").df()

    start = drift["window_start"]
    flagged = drift["severity"].isin(["investigate", "act"])
    other_regions = (drift["slice_name"] == "region") & (drift["slice_value"] != "eu-west")
    false_alarms = drift[flagged & ((start < cfg.drift_start) | other_regions)]
    assert false_alarms.empty, false_alarms[["window_start", "slice_value", "feature", "psi", "severity_reason"]]

    onset = drift[(start == cfg.drift_start) & (drift["slice_name"] == "region") & (drift["slice_value"] == "eu-west")]
    for feature in ("amount", "payment_method", "predicted_score"):
        # (a version rolled out after the reference period has no reference yet)
        rows = onset[(onset["feature"] == feature) & (onset["n_reference"] >= 200)]
        assert len(rows) and rows["severity"].isin(["investigate", "act"]).all(), rows
    assert (onset.loc[onset["feature"] == "payment_method", "severity"] == "act").all()
    # features are compared over all versions, predictions per version
    assert set(onset.loc[onset["feature"] == "amount", "model_version"]) == {"all"}
    assert set(onset.loc[onset["feature"] == "predicted_score", "model_version"]) <= {"v1", "v2"}
