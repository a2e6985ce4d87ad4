import os
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "python"))
sys.path.insert(0, str(Path(__file__).resolve().parent))
os.environ.setdefault("DBT_SEND_ANONYMOUS_USAGE_STATS", "false")

from classifier_monitor.pipeline import Pipeline  # noqa: E402


# The longest modules first. `make test` runs two workers that take whole
# files; starting the long property-based ones first keeps one worker from
# finishing them alone while the other idles.
LONGEST_FIRST = ("test_incremental_equals_full_refresh.py", "test_slis_incremental.py",
                 "test_scheduling_selectors.py", "test_drift_incremental.py", "test_quality_gates_dbt.py")


def pytest_collection_modifyitems(items):
    rank = {name: index for index, name in enumerate(LONGEST_FIRST)}
    items.sort(key=lambda item: rank.get(item.path.name, len(rank)))  # stable: the rest keep their order


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
