"""Expectation suites: versioned JSON files, resolved against the run's settings.

A suite file (``suites/<name>.json``) is a Great Expectations suite
(``name``, ``expectations`` of ``type``/``kwargs``/``meta``, suite ``meta``)
with three additions read here, never by GX:

* ``{"$param": "<name>"}`` anywhere in ``kwargs`` or ``meta`` is replaced by a
  run parameter (the dbt vars ``quality_gate_*`` and a few derived values, see
  :func:`classifier_monitor.gates.runner.gate_params`);
* every expectation's ``meta`` names it (``name``), says which batch it reads
  (``target``) and its default ``severity`` (``critical`` stops the run,
  ``warning`` is only recorded);
* ``meta.max_unexpected_rate`` turns a row rule into a rate rule: the batch
  passes while at most that share of its rows break the rule (GX's
  ``mostly``). Without it the rule tolerates no row at all.

Severity overrides come from the dbt var ``quality_gate_severity``:
``{"<suite>.<expectation>" or "<expectation>": "critical" | "warning" | "off"}``.
"""
from __future__ import annotations

import copy
import json
from dataclasses import dataclass
from pathlib import Path

SUITE_DIR = Path(__file__).resolve().with_name("suites")
SEVERITIES = ("critical", "warning")
OFF = "off"


class SuiteError(ValueError):
    """A suite file or a severity override is invalid."""


@dataclass(frozen=True)
class Expectation:
    suite: str
    name: str
    type: str
    kwargs: dict
    target: str
    severity: str
    max_unexpected_rate: float | None  # None: no row may break the rule
    notes: str | None = None

    @property
    def key(self) -> str:
        return f"{self.suite}.{self.name}"

    @property
    def column_name(self) -> str | None:
        if "column" in self.kwargs:
            return self.kwargs["column"]
        if "column_A" in self.kwargs:
            return f"{self.kwargs['column_A']}, {self.kwargs['column_B']}"
        return None

    def describe(self) -> str:
        """The GX call, e.g. expect_column_values_to_match_regex(column=model_version, regex='^v')."""
        def shown(key, value):
            return value if key == "column" or not isinstance(value, str) else repr(value)

        args = ", ".join(f"{key}={shown(key, value)}" for key, value in self.kwargs.items() if key != "mostly")
        return f"{self.type}({args})"


@dataclass(frozen=True)
class Suite:
    name: str
    version: int
    description: str
    targets: dict
    expectations: tuple[Expectation, ...]

    def for_target(self, target: str) -> list[Expectation]:
        return [expectation for expectation in self.expectations if expectation.target == target]


def suite_names() -> list[str]:
    return sorted(path.stem for path in SUITE_DIR.glob("*.json"))


def read_suite_file(name: str) -> dict:
    path = SUITE_DIR / f"{name}.json"
    if not path.exists():
        raise SuiteError(f"no suite file {path.name}; known suites: {', '.join(suite_names())}")
    return json.loads(path.read_text())


def _resolve(value, params: dict, where: str):
    if isinstance(value, dict):
        if set(value) == {"$param"}:
            name = value["$param"]
            if name not in params:
                raise SuiteError(f"{where}: unknown parameter {name!r}")
            return copy.deepcopy(params[name])
        return {key: _resolve(item, params, where) for key, item in value.items()}
    if isinstance(value, list):
        return [_resolve(item, params, where) for item in value]
    return value


def check_severity_overrides(overrides: dict | None) -> dict:
    """Validate the quality_gate_severity var against every suite file; return it as a dict."""
    overrides = dict(overrides or {})
    known = set()
    for name in suite_names():
        for spec in read_suite_file(name)["expectations"]:
            known.update({spec["meta"]["name"], f"{name}.{spec['meta']['name']}"})
    for key, value in overrides.items():
        if key not in known:
            raise SuiteError(f"quality_gate_severity names {key!r}, which is no expectation of any suite "
                             f"(use '<suite>.<expectation>' or '<expectation>')")
        if value not in SEVERITIES + (OFF,):
            raise SuiteError(f"quality_gate_severity[{key!r}] is {value!r}; use critical, warning or off")
    return overrides


def load_suite(name: str, params: dict, severity_overrides: dict | None = None) -> Suite:
    """Read suites/<name>.json and resolve parameters and severities.

    Expectations switched off through the overrides are left out.
    """
    raw = read_suite_file(name)
    overrides = check_severity_overrides(severity_overrides)
    meta = raw.get("meta", {})
    targets = meta.get("targets", {})
    expectations = []
    seen = set()
    for position, spec in enumerate(raw["expectations"]):
        where = f"suite {name}, expectation #{position + 1}"
        spec_meta = _resolve(spec.get("meta", {}), params, where)
        for field in ("name", "target", "severity"):
            if field not in spec_meta:
                raise SuiteError(f"{where}: meta.{field} is required")
        expectation_name = spec_meta["name"]
        if expectation_name in seen:
            raise SuiteError(f"{where}: duplicate expectation name {expectation_name!r}")
        seen.add(expectation_name)
        if spec_meta["target"] not in targets:
            raise SuiteError(f"{where}: target {spec_meta['target']!r} is not declared in meta.targets")
        severity = overrides.get(f"{name}.{expectation_name}", overrides.get(expectation_name, spec_meta["severity"]))
        if severity == OFF:
            continue
        if severity not in SEVERITIES:
            raise SuiteError(f"{where}: severity {severity!r}; use critical or warning")
        rate = spec_meta.get("max_unexpected_rate")
        if rate is not None:
            rate = float(rate)
            if not 0.0 <= rate <= 1.0:
                raise SuiteError(f"{where}: max_unexpected_rate {rate} is outside [0, 1]")
        expectations.append(Expectation(
            suite=name,
            name=expectation_name,
            type=spec["type"],
            kwargs=_resolve(spec.get("kwargs", {}), params, where),
            target=spec_meta["target"],
            severity=severity,
            max_unexpected_rate=rate,
            notes=spec_meta.get("notes"),
        ))
    return Suite(
        name=raw["name"],
        version=int(meta.get("version", 1)),
        description=meta.get("description", ""),
        targets=targets,
        expectations=tuple(expectations),
    )
