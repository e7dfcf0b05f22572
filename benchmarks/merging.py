"""Merge a partial run's cases into the committed results, keeping every case's provenance.

``python -m benchmarks --only CASE --output benchmarks`` measures a few cases; the other
cases of ``benchmarks/results.json`` stay as they were measured. So that a reader knows when
and under what load each figure was measured, every case carries ``measured_at`` (the start
of the run that measured it) and ``run_mode``, besides the load averages around its group
(``load_avg_before``/``load_avg_after``), and the document lists in ``runs`` every run that
still has cases in it: its start, mode, duration, load averages at start and end, time
waited for a quiet machine, versions, and the cases it measured that are still there.

Nothing here imports PySpark: merging is unit-tested without a JVM.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

from benchmarks.results import build_document

if TYPE_CHECKING:
    from collections.abc import Mapping
    from pathlib import Path

__all__ = ["RUN_LOAD_KEYS", "merge_documents", "read_document", "stamp_cases"]

#: The machine facts that belong to one run (the load), not to the machine.
RUN_LOAD_KEYS = ("load_avg_start", "load_avg_end", "waited_for_quiet_secs")


def read_document(path: Path) -> dict[str, object] | None:
    """Return the results document at ``path``, or None when there is none (or not JSON)."""
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return document if isinstance(document, dict) else None


def _mapping(document: Mapping[str, object], key: str) -> dict[str, object]:
    value = document.get(key)
    return dict(value) if isinstance(value, dict) else {}


def stamp_cases(document: Mapping[str, object]) -> dict[str, dict[str, object]]:
    """Return the document's cases, each with ``measured_at`` and ``run_mode`` set.

    A case that has them keeps them (it was measured by an earlier run); the others get the
    document's ``run.started_at`` and ``run.mode``.

    Examples
    --------
    >>> cases = stamp_cases({"run": {"started_at": "t1", "mode": "full"},
    ...     "cases": {"a": {"x": 1.0}, "b": {"measured_at": "t0", "run_mode": "quick"}}})
    >>> cases["a"]
    {'x': 1.0, 'measured_at': 't1', 'run_mode': 'full'}
    >>> cases["b"]
    {'measured_at': 't0', 'run_mode': 'quick'}
    """
    run = _mapping(document, "run")
    stamped: dict[str, dict[str, object]] = {}
    for name, figures in _mapping(document, "cases").items():
        if not isinstance(figures, dict):
            continue
        case = dict(figures)
        case.setdefault("measured_at", run.get("started_at"))
        case.setdefault("run_mode", run.get("mode"))
        stamped[name] = case
    return stamped


def _run_record(document: Mapping[str, object]) -> dict[str, object]:
    """Describe the run that made ``document``: its run facts, load and versions."""
    run = _mapping(document, "run")
    machine = _mapping(document, "machine")
    record: dict[str, object] = {
        key: run.get(key) for key in ("started_at", "mode", "duration_secs")
    }
    record.update({key: machine.get(key) for key in RUN_LOAD_KEYS})
    record["versions"] = _mapping(document, "versions")
    return record


def merge_documents(
    previous: Mapping[str, object] | None, current: Mapping[str, object]
) -> dict[str, object]:
    """Return ``current`` with the cases of ``previous`` it did not measure, and their runs.

    Parameters
    ----------
    previous
        The committed results (None: there are none, ``current`` stands alone).
    current
        The document of the run just made (see :func:`~benchmarks.results.build_document`).

    Returns
    -------
    dict
        A results document: ``machine``, ``versions`` and ``run`` of ``current``; ``cases``:
        those of ``previous`` (in their order) with the ones ``current`` measured replaced,
        then ``current``'s new ones, each stamped (:func:`stamp_cases`); ``runs``: the runs
        that measured the cases kept, oldest first, each listing its cases; the targets
        checked again over the merged cases.

    Examples
    --------
    >>> old = {"machine": {"load_avg_start": [3.0]}, "versions": {}, "cases": {"a": {"x": 1.0},
    ...     "b": {"x": 2.0}}, "run": {"started_at": "t0", "mode": "full"}}
    >>> new = {"machine": {"load_avg_start": [9.0]}, "versions": {}, "cases": {"b": {"x": 5.0}},
    ...     "run": {"started_at": "t1", "mode": "full"}}
    >>> merged = merge_documents(old, new)
    >>> merged["cases"]["a"]["measured_at"], merged["cases"]["b"]["x"]
    ('t0', 5.0)
    >>> [(r["started_at"], r["cases"], r["load_avg_start"]) for r in merged["runs"]]
    [('t0', ['a'], [3.0]), ('t1', ['b'], [9.0])]
    """
    fresh = stamp_cases(current)
    cases: dict[str, dict[str, object]] = {}
    runs: list[dict[str, object]] = []
    if previous is not None:
        kept = stamp_cases(previous)
        cases = {name: fresh.get(name, figures) for name, figures in kept.items()}
        earlier = previous.get("runs")
        runs = (
            [dict(r) for r in earlier if isinstance(r, dict)]
            if isinstance(earlier, list) and earlier
            else [_run_record(previous)]
        )
    cases.update({name: figures for name, figures in fresh.items() if name not in cases})
    runs.append(_run_record(current))
    for record in runs:
        record["cases"] = [
            name
            for name, figures in cases.items()
            if figures.get("measured_at") == record.get("started_at")
        ]
    runs = [record for record in runs if record["cases"]]
    document = build_document(
        machine=_mapping(current, "machine"),
        versions=_mapping(current, "versions"),
        run=_mapping(current, "run"),
        cases=cases,
    )
    # build_document puts the required cases first; keep the committed order instead.
    document["cases"] = {name: document["cases"][name] for name in cases}  # type: ignore[index]
    document["runs"] = runs
    return document
