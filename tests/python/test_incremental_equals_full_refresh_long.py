"""Property 1 and 2 of the design on long arrival sequences (3 to 5 batches);
the short ones are in test_incremental_equals_full_refresh.py."""
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from incremental_property import check_incremental_builds_equal_a_full_refresh


@settings(max_examples=5, deadline=None, suppress_health_check=list(HealthCheck))
@given(data=st.data(), n_batches=st.integers(3, 5))
def test_incremental_builds_equal_a_full_refresh_over_long_sequences(tmp_path_factory, dbt_work_dir, data,
                                                                    n_batches):
    check_incremental_builds_equal_a_full_refresh(tmp_path_factory.mktemp("prop") / "w.duckdb", dbt_work_dir,
                                                  data.draw, n_batches)
