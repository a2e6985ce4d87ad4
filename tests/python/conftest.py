import os
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "python"))
sys.path.insert(0, str(Path(__file__).resolve().parent))
os.environ.setdefault("DBT_SEND_ANONYMOUS_USAGE_STATS", "false")

from classifier_monitor.pipeline import Pipeline  # noqa: E402


@pytest.fixture(scope="session")
def dbt_work_dir(tmp_path_factory):
    """One dbt target dir for the session, so dbt's partial parsing is reused."""
    return tmp_path_factory.mktemp("dbt")


@pytest.fixture
def pipeline(tmp_path, dbt_work_dir):
    """A fresh, empty DuckDB warehouse with the raw tables of the contract."""
    from classifier_monitor.contract import create_raw_tables

    pipe = Pipeline(tmp_path / "warehouse.duckdb", work_dir=dbt_work_dir)
    with pipe.connect() as con:
        create_raw_tables(con)
    return pipe
