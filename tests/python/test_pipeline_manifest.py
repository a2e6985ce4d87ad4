"""The in-process runner keeps dbt's parsed manifest per database name, vars
and project files, and hands it to later commands instead of parsing again."""
import os

from classifier_monitor import pipeline
from classifier_monitor.pipeline import Pipeline


def test_a_manifest_is_parsed_once_per_database_name_and_vars(tmp_path, monkeypatch):
    monkeypatch.setattr(pipeline, "_MANIFESTS", {})
    monkeypatch.setattr(pipeline, "_COMMANDS_RUN", [0])
    first = Pipeline(tmp_path / "a" / "w.duckdb", work_dir=tmp_path / "dbt")
    first._env()
    # the process's first command parses as dbt always does
    assert first._manifest(first._flags()) is None

    pipeline._COMMANDS_RUN[0] = 1
    kept = first._manifest(first._flags())
    assert kept is not None and kept.nodes["model.classifier_monitor.fct_confusion_matrix_hourly"].database == "w"
    # another warehouse file with the same name elsewhere: the same manifest
    other = Pipeline(tmp_path / "b" / "w.duckdb", work_dir=tmp_path / "dbt")
    other._env()
    assert other._manifest(other._flags()) is kept
    # other vars, or another database name (dbt writes it into every relation): parsed again
    assert first._manifest(first._flags({"drift_psi_bins": 7})) not in (None, kept)
    renamed = Pipeline(tmp_path / "c" / "x.duckdb", work_dir=tmp_path / "dbt")
    renamed._env()
    parsed = renamed._manifest(renamed._flags())
    assert parsed is not kept and parsed.nodes["model.classifier_monitor.fct_confusion_matrix_hourly"].database == "x"
    assert len(pipeline._MANIFESTS) <= pipeline.MANIFESTS_KEPT


def test_an_edited_project_file_changes_the_signature(tmp_path, monkeypatch):
    (tmp_path / "models").mkdir()
    model = tmp_path / "models" / "m.sql"
    model.write_text("select 1 as x")
    (tmp_path / "dbt_project.yml").write_text("name: p\n")
    monkeypatch.setattr(pipeline, "PROJECT_DIR", tmp_path)
    before = pipeline._project_signature()
    assert ("models/m.sql", len("select 1 as x"), model.stat().st_mtime_ns) in before
    model.write_text("select 2 as x")
    os.utime(model, ns=(model.stat().st_atime_ns, model.stat().st_mtime_ns + 1_000_000))
    assert pipeline._project_signature() != before
    (tmp_path / "macros").mkdir()
    (tmp_path / "macros" / "new.sql").write_text("{% macro m() %}{% endmacro %}")
    assert len(pipeline._project_signature()) == 3
