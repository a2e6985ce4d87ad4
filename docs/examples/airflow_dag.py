"""Example Airflow DAG for classifier_monitor (an example only: Airflow is not a dependency).

Hourly: the incremental build. `max_active_runs=1` keeps Airflow from overlapping runs;
the project's own run lock makes an overlapping run exit 75 without touching anything
should one start anyway (e.g. a manual backfill). Exit 75 is retried, 1 fails the task.
"""
from datetime import datetime, timedelta

from airflow import DAG
from airflow.operators.bash import BashOperator

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
    build = BashOperator(
        task_id="build",
        bash_command=f"cd {PROJECT} && .venv/bin/python -m classifier_monitor build",
        env=ENV,
    )
    freshness >> build
