"""Data-quality gates: Great Expectations suites run inside the dbt DAG (docs/quality-gates.md).

suites/*.json   the versioned suites, one per checkpoint
suite.py        load a suite file, resolve its parameters and severities
batches.py      the SQL of the rows each checkpoint validates
validate.py     run a suite with GX's SQL engine on DuckDB (see gx_duckdb.py)
results.py      outcomes as rows of the gate logs and fct_quality_gate_results
runner.py       the checkpoints the dbt Python models call
"""
