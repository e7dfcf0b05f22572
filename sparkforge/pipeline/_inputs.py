"""The inputs of a run, checked, and the facts of where it executes."""

from __future__ import annotations

import getpass
import socket
from collections.abc import Mapping
from typing import TYPE_CHECKING

from pyspark.sql import DataFrame

from sparkforge.errors import Problem
from sparkforge.pipeline.steps import BronzeStep

if TYPE_CHECKING:
    from collections.abc import Callable

    from pyspark.sql import SparkSession

    from sparkforge.pipeline.plan import PipelinePlan

__all__ = ["environment_facts", "input_problems", "string_map"]


def input_problems(plan: PipelinePlan, bronze_sources: object) -> list[Problem]:
    """Return every problem of a run's ``bronze_sources`` (none when it is usable)."""
    problems: list[Problem] = []
    if not isinstance(bronze_sources, Mapping):
        problems.append(
            Problem(
                "bronze_sources",
                "expected a mapping of bronze step name to DataFrame, "
                f"got {type(bronze_sources).__name__}",
            )
        )
        return problems
    expected = [n for n, s in plan.steps.items() if isinstance(s, BronzeStep)]
    for name in expected:
        if name not in bronze_sources:
            problems.append(Problem("bronze_sources", f"no DataFrame for bronze step {name!r}"))
        elif not isinstance(bronze_sources[name], DataFrame):
            got = type(bronze_sources[name]).__name__
            problems.append(
                Problem(f"bronze_sources[{name!r}]", f"expected a DataFrame, got {got}")
            )
    for name in bronze_sources:
        if name not in expected:
            problems.append(
                Problem(
                    "bronze_sources",
                    f"{name!r} is not a bronze step of the pipeline "
                    f"(bronze steps: {', '.join(expected) or 'none'})",
                )
            )
    return problems


def environment_facts(spark: SparkSession) -> dict[str, str | None]:
    """Return what is known of where the run executes (None where unknown)."""

    def attempt(get: Callable[[], object]) -> str | None:
        try:
            value = get()
        except Exception:  # a fact we cannot learn is left out, never fatal
            return None
        return None if value is None else str(value)

    return {
        "spark_version": attempt(lambda: spark.version),
        "app_id": attempt(lambda: spark.conf.get("spark.app.id", None)),
        "user": attempt(getpass.getuser),
        "host": attempt(socket.gethostname),
    }


def string_map(value: object) -> dict[str, str] | None:
    """Return ``value`` as a dict of strings (None -> empty); None when it is not one."""
    if value is None:
        return {}
    if isinstance(value, Mapping) and all(
        isinstance(k, str) and isinstance(v, str) for k, v in value.items()
    ):
        return dict(value)
    return None
