"""An independent reimplementation of the contract's rules in pandas, and the
expected marts computed with scikit-learn on the rows it keeps.

It shares no code with the dbt project: if both agree, the SQL is right.
"""
from __future__ import annotations

import json

import numpy as np
import pandas as pd
from sklearn.metrics import confusion_matrix, precision_recall_fscore_support

from classifier_monitor.contract import SLICE_COLUMNS

MISSING = "(missing)"
SKEW = pd.Timedelta(minutes=5)
KEY = ["hour", "model_name", "model_version", "slice_name", "slice_value"]


def _is_json_object(text) -> bool:
    if text is None or (isinstance(text, float) and np.isnan(text)):
        return True
    try:
        return isinstance(json.loads(text), dict)
    except (ValueError, TypeError):
        return False


def inference_reason(row) -> str | None:
    def missing(value):
        return value is None or (isinstance(value, float) and np.isnan(value)) or value is pd.NaT or (
            isinstance(value, str) and value.strip() == "")

    for column in ("event_id", "ingested_at", "event_time", "model_name", "model_version", "predicted_class"):
        if missing(row[column]):
            return f"missing_{column}"
    score = row["predicted_score"]
    if not missing(score) and not 0 <= score <= 1:
        return "predicted_score_out_of_range"
    latency = row["latency_ms"]
    if not missing(latency) and latency < 0:
        return "invalid_latency_ms"
    if not _is_json_object(row["class_scores"]):
        return "invalid_class_scores"
    if row["event_time"] > row["ingested_at"] + SKEW:
        return "event_time_in_future"
    return None


def label_reason(row) -> str | None:
    for column, reason in (("event_id", "missing_event_id"), ("ingested_at", "missing_ingested_at"),
                           ("label", "missing_label"), ("labeled_at", "missing_labeled_at")):
        value = row[column]
        if value is None or value is pd.NaT or (isinstance(value, str) and value.strip() == "") or (
                isinstance(value, float) and np.isnan(value)):
            return reason
    if row["labeled_at"] > row["ingested_at"] + SKEW:
        return "labeled_at_in_future"
    return None


def accepted_inferences(raw: pd.DataFrame) -> pd.DataFrame:
    """First-ingested valid version per event_id."""
    raw = raw.copy()
    raw["reason"] = raw.apply(inference_reason, axis=1)
    valid = raw[raw["reason"].isna()].copy()
    valid["event_id"] = valid["event_id"].str.strip()
    valid = valid.sort_values(["event_id", "ingested_at"], kind="mergesort")
    return valid.drop_duplicates("event_id", keep="first")


def applied_labels(raw: pd.DataFrame) -> pd.DataFrame:
    """Latest valid label per event_id (labeled_at, then ingested_at)."""
    raw = raw.copy()
    raw["reason"] = raw.apply(label_reason, axis=1)
    valid = raw[raw["reason"].isna()].copy()
    valid["event_id"] = valid["event_id"].str.strip()
    valid = valid.sort_values(["event_id", "labeled_at", "ingested_at"], kind="mergesort")
    return valid.drop_duplicates("event_id", keep="last")


def expected_events(raw_inferences: pd.DataFrame, raw_labels: pd.DataFrame, slices=SLICE_COLUMNS) -> pd.DataFrame:
    events = accepted_inferences(raw_inferences)
    labels = applied_labels(raw_labels)[["event_id", "label"]].rename(columns={"label": "actual_class"})
    events = events.merge(labels, on="event_id", how="left")
    events["hour"] = events["event_time"].dt.floor("h")
    for column in slices:
        events[column] = events[column].where(events[column].notna(), MISSING)
    return events


def grouped(events: pd.DataFrame, slices=SLICE_COLUMNS):
    """Yield (key tuple, rows) for every hourly key: each slice column plus 'all'."""
    base = ["hour", "model_name", "model_version"]
    for (hour, model, version), rows in events.groupby(base):
        yield (hour, model, version, "all", "all"), rows
        for column in slices:
            for value, slice_rows in rows.groupby(column):
                yield (hour, model, version, column, value), slice_rows


def expected_marts(events: pd.DataFrame, slices=SLICE_COLUMNS):
    """(confusion, class_metrics, model_metrics) DataFrames computed with scikit-learn."""
    confusion_rows, class_rows, model_rows = [], [], []
    for key, rows in grouped(events, slices):
        labeled = rows[rows["actual_class"].notna()]
        y_true, y_pred = labeled["actual_class"].to_numpy(), labeled["predicted_class"].to_numpy()
        model = dict(zip(KEY, key), n_predictions=len(rows), n_labeled=len(labeled),
                     n_correct=int((y_true == y_pred).sum()))
        model["accuracy"] = model["n_correct"] / len(labeled) if len(labeled) else None
        model["label_coverage"] = len(labeled) / len(rows)
        if len(labeled):
            classes = sorted(set(y_true) | set(y_pred))
            matrix = confusion_matrix(y_true, y_pred, labels=classes)
            for i, actual in enumerate(classes):
                for j, predicted in enumerate(classes):
                    if matrix[i, j]:
                        confusion_rows.append(dict(zip(KEY, key), actual_class=actual, predicted_class=predicted,
                                                   n=int(matrix[i, j])))
            precision, recall, f1, support = precision_recall_fscore_support(
                y_true, y_pred, labels=classes, zero_division=np.nan)
            for i, name in enumerate(classes):
                tp = int(matrix[i, i])
                class_rows.append(dict(
                    zip(KEY, key), **{"class": name}, tp=tp, fp=int(matrix[:, i].sum()) - tp,
                    fn=int(matrix[i, :].sum()) - tp, tn=len(labeled) - int(matrix[:, i].sum()) - int(matrix[i, :].sum()) + tp,
                    support=int(support[i]), predicted=int(matrix[:, i].sum()),
                    precision=precision[i], recall=recall[i], f1=f1[i]))
            for average in ("macro",):
                p, r, f, _ = precision_recall_fscore_support(y_true, y_pred, labels=classes, average=average,
                                                             zero_division=np.nan)
                model.update(macro_precision=p, macro_recall=r, macro_f1=f)
            _, _, weighted, _ = precision_recall_fscore_support(y_true, y_pred, labels=classes, average="weighted",
                                                                zero_division=np.nan)
            model["weighted_f1"] = weighted
        else:
            model.update(macro_precision=None, macro_recall=None, macro_f1=None, weighted_f1=None)
        model_rows.append(model)
    return pd.DataFrame(confusion_rows), pd.DataFrame(class_rows), pd.DataFrame(model_rows)
