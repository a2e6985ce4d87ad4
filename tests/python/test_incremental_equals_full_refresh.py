"""Property 1 and 2 of the design on short arrival sequences (1 or 2 batches);
test_incremental_equals_full_refresh_long.py takes the long ones. Two files, so
the two pytest workers of `make test` share the property's examples."""
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from incremental_property import check_incremental_builds_equal_a_full_refresh


@settings(max_examples=7, deadline=None, suppress_health_check=list(HealthCheck))
@given(data=st.data(), n_batches=st.integers(1, 2))
def test_incremental_builds_equal_a_full_refresh(tmp_path_factory, dbt_work_dir, data, n_batches):
    check_incremental_builds_equal_a_full_refresh(tmp_path_factory.mktemp("prop") / "w.duckdb", dbt_work_dir,
                                                  data.draw, n_batches)
