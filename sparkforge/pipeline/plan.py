"""The validated graph of a pipeline: its steps, their dependencies and execution order.

`build_plan` checks the whole graph and reports every problem at once; nothing here
touches Spark.
"""

from __future__ import annotations

from dataclasses import dataclass
from types import MappingProxyType
from typing import TYPE_CHECKING

from sparkforge.errors import PipelineError, Problem, SparkForgeError, render_problems
from sparkforge.pipeline.steps import BronzeStep, GoldStep, SilverStep
from sparkforge.table_operations import TableRef

if TYPE_CHECKING:
    from collections.abc import Mapping, Sequence

    from sparkforge.pipeline.steps import StepSpec

__all__ = [
    "build_plan",
    "PipelinePlan",
    "QUARANTINE_AT_COL",
    "QUARANTINE_RUN_ID_COL",
    "QUARANTINE_SUFFIX",
]

#: Appended to a step's table name to name its quarantine table.
QUARANTINE_SUFFIX = "_quarantine"
#: Column of a quarantine table: the id of the run that rejected the row.
QUARANTINE_RUN_ID_COL = "_sparkforge_run_id"
#: Column of a quarantine table: the UTC instant the row was quarantined.
QUARANTINE_AT_COL = "_sparkforge_quarantined_at"


@dataclass(frozen=True, slots=True, eq=False)
class PipelinePlan:
    """A pipeline graph that passed validation.

    Attributes
    ----------
    steps : Mapping[str, StepSpec]
        Every step by name, in declaration order.
    order : tuple[str, ...]
        The execution order: bronze steps, then silver steps in dependency order, then gold
        steps; declaration order breaks ties. Reports list steps in this order.
    dependencies : Mapping[str, tuple[str, ...]]
        The steps each step needs to have succeeded before it runs.

    *Added in 0.1.0.*
    """

    steps: Mapping[str, StepSpec]
    order: tuple[str, ...]
    dependencies: Mapping[str, tuple[str, ...]]

    def step(self, name: str) -> StepSpec:
        """Return the step called ``name``.

        Raises
        ------
        KeyError
            If the pipeline has no such step.
        """
        return self.steps[name]


def _kind(step: StepSpec | None) -> str:
    return "an unknown step" if step is None else f"a {step.phase} step"


def _check_sources(steps: Mapping[str, StepSpec], problems: list[Problem]) -> None:
    for name, step in steps.items():
        where = f"{step.phase} step {name!r}"
        if isinstance(step, SilverStep):
            source = steps.get(step.source_bronze)
            if not isinstance(source, BronzeStep):
                problems.append(
                    Problem(
                        where,
                        f"source_bronze {step.source_bronze!r} is {_kind(source)}, "
                        "not a bronze step",
                    )
                )
            silvers: Sequence[str] = step.source_silvers
        elif isinstance(step, GoldStep):
            silvers = step.source_silvers or ()
            if step.source_silvers is not None and not step.source_silvers:
                problems.append(Problem(where, "source_silvers is empty"))
            if step.source_silvers is None and not any(
                isinstance(s, SilverStep) for s in steps.values()
            ):
                problems.append(Problem(where, "the pipeline has no silver step to read"))
        else:
            continue
        for source_name in silvers:
            source = steps.get(source_name)
            if source_name == name:
                problems.append(Problem(where, "it lists itself in source_silvers"))
            elif not isinstance(source, SilverStep):
                problems.append(
                    Problem(
                        where,
                        f"source_silvers entry {source_name!r} is {_kind(source)}, "
                        "not a silver step",
                    )
                )


def _check_tables(
    steps: Mapping[str, StepSpec], *, schema: str, quarantine: bool, problems: list[Problem]
) -> None:
    owners: dict[str, str] = {}
    for name, step in steps.items():
        if isinstance(step, BronzeStep):
            continue
        tables = [step.table_name]
        if quarantine:
            tables.append(step.table_name + QUARANTINE_SUFFIX)
        for table in tables:
            where = f"{step.phase} step {name!r}"
            try:
                TableRef.named(schema, table)
            except SparkForgeError as exc:
                problems.append(Problem(where, exc.params.get("reason", str(exc))))
            key = table.lower()  # the catalog is case-insensitive
            if key in owners:
                problems.append(
                    Problem(where, f"table {table!r} is also written by step {owners[key]!r}")
                )
            else:
                owners[key] = name


def _silver_order(
    steps: Mapping[str, StepSpec], problems: list[Problem]
) -> tuple[list[str], dict[str, tuple[str, ...]]]:
    silvers = {n: s for n, s in steps.items() if isinstance(s, SilverStep)}
    edges = {
        n: tuple(d for d in s.source_silvers if d in silvers and d != n) for n, s in silvers.items()
    }
    order: list[str] = []
    done: set[str] = set()
    remaining = list(silvers)
    while remaining:
        ready = next((n for n in remaining if all(d in done for d in edges[n])), None)
        if ready is None:
            problems.append(
                Problem("silver steps", f"dependency cycle: {_cycle(edges, remaining)}")
            )
            break
        order.append(ready)
        done.add(ready)
        remaining.remove(ready)
    return order, edges


def _cycle(edges: Mapping[str, tuple[str, ...]], among: Sequence[str]) -> str:
    # Every step left has an unmet dependency inside `among`; walking them must loop.
    path: list[str] = [among[0]]
    while True:
        step = next(d for d in edges[path[-1]] if d in among)
        if step in path:
            loop = [*path[path.index(step) :], step]
            return " -> ".join(loop)
        path.append(step)


def build_plan(steps: Sequence[StepSpec], *, schema: str, quarantine: bool) -> PipelinePlan:
    """Validate a pipeline's steps and return its plan.

    Parameters
    ----------
    steps
        The steps in declaration order.
    schema
        The schema the tables live in.
    quarantine
        Whether each table has a quarantine table beside it (whose names must be free too).

    Returns
    -------
    PipelinePlan
        The steps, their dependencies and execution order.

    Raises
    ------
    PipelineError
        ``PIPELINE_GRAPH_INVALID``, listing every problem: no steps, a duplicate step name,
        an unknown or wrong-phase source, two steps writing one table, a table name too long
        for its quarantine suffix, a cycle among silver steps.

    Examples
    --------
    >>> build_plan([], schema="s", quarantine=False)
    Traceback (most recent call last):
    ...
    sparkforge.errors.PipelineError: [PIPELINE_GRAPH_INVALID] Invalid pipeline: 1 problem(s): \
pipeline: it has no steps.
    """
    problems: list[Problem] = []
    by_name: dict[str, StepSpec] = {}
    for step in steps:
        if step.name in by_name:
            problems.append(
                Problem(
                    f"{step.phase} step {step.name!r}",
                    f"duplicate step name (also a {by_name[step.name].phase} step)",
                )
            )
        else:
            by_name[step.name] = step
    if not by_name:
        problems.append(Problem("pipeline", "it has no steps"))
    _check_sources(by_name, problems)
    _check_tables(by_name, schema=schema, quarantine=quarantine, problems=problems)
    silver_order, silver_edges = _silver_order(by_name, problems)
    if problems:
        found = tuple(problems)
        raise PipelineError("PIPELINE_GRAPH_INVALID", {"reason": render_problems(found)})
    all_silvers = tuple(n for n, s in by_name.items() if isinstance(s, SilverStep))
    deps: dict[str, tuple[str, ...]] = {}
    bronzes: list[str] = []
    golds: list[str] = []
    for name, step in by_name.items():
        if isinstance(step, BronzeStep):
            bronzes.append(name)
            deps[name] = ()
        elif isinstance(step, SilverStep):
            deps[name] = (step.source_bronze, *silver_edges[name])
        else:
            golds.append(name)
            deps[name] = step.source_silvers if step.source_silvers is not None else all_silvers
    return PipelinePlan(
        steps=MappingProxyType(by_name),
        order=(*bronzes, *silver_order, *golds),
        dependencies=MappingProxyType(deps),
    )
