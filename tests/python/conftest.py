import os
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "python"))
sys.path.insert(0, str(Path(__file__).resolve().parent))
os.environ.setdefault("DBT_SEND_ANONYMOUS_USAGE_STATS", "false")

from classifier_monitor.pipeline import Pipeline  # noqa: E402

# Tests read every result from the returned BuildResult, never from target/*.json.
Pipeline.write_json = False


# The longest modules first (measured, longest first). `make test` runs two
# workers that take whole files; starting the long ones first keeps one worker
# from finishing a long file alone while the other idles. The property-based
# test is split in two files so that each worker takes half of its examples.
LONGEST_FIRST = ("test_incremental_equals_full_refresh_long.py", "test_incremental_equals_full_refresh.py",
                 "test_late_labels_and_backfill.py", "test_drift_incremental.py", "test_quality_gates_dbt.py",
                 "test_bench_drift.py", "test_slis_incremental.py", "test_scheduling_selectors.py",
                 "test_drift_exactness.py", "test_drift_statistics.py", "test_load_labels.py",
                 "test_drift_detection.py", "test_slo_status.py", "test_metrics_exact.py",
                 "test_staging_scope_on_views.py")


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
