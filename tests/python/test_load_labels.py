"""A file of late labels is appended with one command and applied by the next build."""
from datetime import datetime, timedelta

import pandas as pd
import pytest

from classifier_monitor.contract import append_rows
from classifier_monitor.labels_file import load_labels

T0 = datetime(2026, 5, 1, 8)


@pytest.fixture
def with_events(pipeline):
    with pipeline.connect() as con:
        append_rows(con, "inference_events", [
            {"event_id": f"e{i}", "event_time": T0 + timedelta(hours=i), "ingested_at": T0 + timedelta(hours=i),
             "model_name": "m", "model_version": "v1", "predicted_class": "a", "region": "eu",
             "device": "d", "channel": "c"} for i in range(3)])
    pipeline.build()
    return pipeline


@pytest.mark.parametrize("suffix", [".csv", ".parquet"])
def test_a_label_file_is_applied_to_its_hours(with_events, tmp_path, suffix):
    frame = pd.DataFrame({"event_id": ["e0", "e2", "e2"], "label": ["a", "b", "a"],
                          "labeled_at": ["2026-05-20 00:00:00", "2026-05-20 00:00:00", "2026-05-21 00:00:00"]})
    path = tmp_path / f"late{suffix}"
    frame.to_csv(path, index=False) if suffix == ".csv" else frame.to_parquet(path)
    with with_events.connect() as con:
        assert load_labels(con, path, now=datetime(2026, 5, 22)) == 3
    with_events.build()
    with with_events.connect() as con:
        rows = con.execute("select hour, n_labeled, n_correct from marts.fct_model_metrics_hourly "
                           "where slice_name = 'all' order by hour").fetchall()
    assert rows == [(T0, 1, 1), (T0 + timedelta(hours=1), 0, 0), (T0 + timedelta(hours=2), 1, 1)]


def test_a_file_without_labels_is_refused(with_events, tmp_path):
    path = tmp_path / "bad.csv"
    pd.DataFrame({"event_id": ["e0"], "truth": ["a"]}).to_csv(path, index=False)
    with with_events.connect() as con, pytest.raises(ValueError, match="missing column"):
        load_labels(con, path)
