"""Example Airflow DAG for classifier_monitor (an example only: Airflow is not a dependency).

Every hour: the `hourly` selector (staging, gates, rollups, SLIs, SLOs); in the
midnight run also the `daily` selector (drift), after the hourly part.
`max_active_runs=1` keeps Airflow from overlapping runs; the project's own run
lock makes an overlapping run exit 75 without touching anything should one start
anyway (e.g. a manual backfill). Exit 75 is retried, 1 fails the task.
"""
from datetime import datetime, timedelta

from airflow import DAG
from airflow.operators.bash import BashOperator
from airflow.operators.python import ShortCircuitOperator

PROJECT = "/srv/classifier_monitor"        # your checkout
ENV = {"CLASSIFIER_MONITOR_DB": "/srv/monitor/warehouse/monitor.duckdb", "DBT_PROFILES_DIR": f"{PROJECT}/profiles"}

with DAG(
    dag_id="classifier_monitor_hourly",
    schedule="5 * * * *",
    start_date=datetime(2026, 1, 1),
    catchup=False,                          # every build catches up on all new data by itself
    max_active_runs=1,
    default_args={"retries": 2, "retry_delay": timedelta(minutes=10)},
) as dag:
    freshness = BashOperator(
        task_id="source_freshness",
        bash_command=f"cd {PROJECT} && .venv/bin/dbt source freshness",
        env=ENV,
    )
    hourly = BashOperator(
        task_id="build_hourly",
        bash_command=f"cd {PROJECT} && .venv/bin/python -m classifier_monitor build --selector hourly",
        env=ENV,
    )
    # the drift windows are days: their models run once, in the first run of the day
    first_run_of_day = ShortCircuitOperator(
        task_id="first_run_of_day",
        python_callable=lambda data_interval_end, **_: data_interval_end.hour == 0,
    )
    daily = BashOperator(
        task_id="build_daily",
        bash_command=f"cd {PROJECT} && .venv/bin/python -m classifier_monitor build --selector daily",
        env=ENV,
    )
    freshness >> hourly >> first_run_of_day >> daily
