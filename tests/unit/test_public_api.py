"""Every public module: a sorted ``__all__`` naming exactly what it exports, all importable."""

from __future__ import annotations

import importlib
import types

import pytest

PUBLIC_MODULES = [
    "sparkforge",
    "sparkforge.errors",
    "sparkforge.logging",
    "sparkforge.models",
    "sparkforge.models.config",
    "sparkforge.models.enums",
    "sparkforge.models.rates",
    "sparkforge.models.report",
    "sparkforge.models.results",
    "sparkforge.performance",
    "sparkforge.pipeline",
    "sparkforge.reporting",
    "sparkforge.table_operations",
    "sparkforge.validation",
    "sparkforge.validation.engine",
    "sparkforge.validation.log_checks",
    "sparkforge.validation.rates",
    "sparkforge.validation.report_checks",
    "sparkforge.validation.rules",
    "sparkforge.writer",
    "sparkforge.writer.config",
    "sparkforge.writer.core",
    "sparkforge.writer.exceptions",
    "sparkforge.writer.migration",
    "sparkforge.writer.models",
    "sparkforge.writer.results",
    "sparkforge.reporting.anomalies",
    "sparkforge.reporting.export",
    "sparkforge.reporting.html_report",
    "sparkforge.reporting.openlineage",
    "sparkforge.reporting.robust",
    "sparkforge.reporting.rule_failures",
    "sparkforge.reporting.runs",
    "sparkforge.reporting.summary",
    "sparkforge.reporting.trends",
    "sparkforge.table_operations.maintenance",
    "sparkforge.table_operations.retention",
    "sparkforge.table_operations.time_travel",
]


@pytest.mark.parametrize("name", PUBLIC_MODULES, ids=PUBLIC_MODULES)
def test_module_all_is_sorted_casefold_and_resolves(name: str) -> None:
    module = importlib.import_module(name)
    exported = list(module.__all__)
    assert exported == sorted(exported, key=str.casefold)
    assert len(set(exported)) == len(exported)
    missing = [n for n in exported if n not in vars(module)]
    assert missing == []


@pytest.mark.parametrize(
    "name",
    [
        "sparkforge",
        "sparkforge.models",
        "sparkforge.pipeline",
        "sparkforge.reporting",
        "sparkforge.table_operations",
        "sparkforge.validation",
        "sparkforge.writer",
    ],
    ids=str,
)
def test_package_all_equals_its_public_names(name: str) -> None:
    module = importlib.import_module(name)
    public = {
        n
        for n, value in vars(module).items()
        if not n.startswith("_") and not isinstance(value, types.ModuleType) and n != "annotations"
    }
    assert set(module.__all__) - {"__version__"} == public


def test_version_is_the_single_source() -> None:
    import sparkforge
    from sparkforge._version import __version__

    assert sparkforge.__version__ == __version__
    assert importlib.metadata.version("sparkforge") == __version__
