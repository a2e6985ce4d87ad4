"""Load a file of (late) labels into the raw label table.

CSV or Parquet with at least event_id and label; labeled_at defaults to the
load time, ingested_at is always the load time (the row lands now), and
label_source defaults to the file name. Appending is the only write: the
pipeline's "latest label wins" rule then applies the file like any other
arrival, so loading the same file twice changes nothing in the rollups.
"""
from __future__ import annotations

from datetime import datetime, timezone
from pathlib import Path

from classifier_monitor.contract import LABEL_COLUMNS, create_raw_tables

REQUIRED = ("event_id", "label")


def _reader(path: Path) -> str:
    suffix = path.suffix.lower()
    if suffix == ".csv":
        return f"read_csv('{path}', header = true, all_varchar = true)"
    if suffix in (".parquet", ".pq"):
        return f"read_parquet('{path}')"
    raise ValueError(f"{path}: expected a .csv or .parquet file")


def load_labels(con, path: str | Path, schema: str = "raw", now: datetime | None = None) -> int:
    """Append the file's rows to {schema}.label_events; returns the number of rows appended."""
    path = Path(path).resolve()
    if not path.exists():
        raise FileNotFoundError(path)
    now = (now or datetime.now(timezone.utc)).replace(tzinfo=None)
    create_raw_tables(con, schema)
    source = _reader(path)
    columns = {row[0] for row in con.execute(f"describe select * from {source}").fetchall()}
    missing = [name for name in REQUIRED if name not in columns]
    if missing:
        raise ValueError(f"{path.name}: missing column(s) {', '.join(missing)}; found {', '.join(sorted(columns))}")
    select = {
        "event_id": "event_id",
        "label": "label",
        # a value that does not parse becomes null and the row is quarantined, not dropped
        "labeled_at": "try_cast(labeled_at as timestamp)" if "labeled_at" in columns else "$now",
        "ingested_at": "$now",
        "label_source": "label_source" if "label_source" in columns else "$source",
    }
    expressions = ", ".join(f"cast({select[name]} as {kind}) as {name}" for name, kind in LABEL_COLUMNS.items())
    before = con.execute(f"select count(*) from {schema}.label_events").fetchone()[0]
    con.execute(f"insert into {schema}.label_events select {expressions} from {source}",
                {"now": now, "source": f"file:{path.name}"} if ("$source" in expressions) else {"now": now})
    return con.execute(f"select count(*) from {schema}.label_events").fetchone()[0] - before
