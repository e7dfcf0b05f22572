"""Problems found in an input, collected so that a check reports all of them at once.

Every input check of sparkforge (models, reports, writer options, legacy dicts, read filters)
records what is wrong where in a [`ProblemCollector`][sparkforge.errors.ProblemCollector], then
raises one error carrying every [`Problem`][sparkforge.errors.Problem]. Users reach these names from
`sparkforge.errors`.

This module imports nothing from pyspark, and from sparkforge only the error it raises (when
it raises it: `sparkforge.errors` re-exports this module's names).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Iterable

    from sparkforge.errors import ConfigurationError

__all__ = ["Problem", "ProblemCollector", "render_problems"]


@dataclass(frozen=True, slots=True)
class Problem:
    """One problem found in an input: where it is and what is wrong with it.

    Parameters
    ----------
    path
        Where the problem is, as a field path such as ``steps[2].valid_rows``.
    reason
        What is wrong, in words a user can act on.

    Examples
    --------
    >>> str(Problem("steps[2].valid_rows", "expected a count >= 0, got -1"))
    'steps[2].valid_rows: expected a count >= 0, got -1'
    """

    path: str
    reason: str

    def __str__(self) -> str:
        return f"{self.path}: {self.reason}" if self.path else self.reason


class ProblemCollector:
    """Collect every problem of one input, so a check reports all of them at once.

    Every input check of sparkforge (models, reports, writer options, legacy dicts, read
    filters) collects its problems here and raises once, with all of them.

    Examples
    --------
    >>> problems = ProblemCollector()
    >>> problems.add("steps[0].valid_rows", "expected a count >= 0, got -1")
    >>> bool(problems), len(problems)
    (True, 1)
    >>> print(problems.render())
    1 problem(s): steps[0].valid_rows: expected a count >= 0, got -1
    """

    __slots__ = ("_problems",)

    def __init__(self) -> None:
        self._problems: list[Problem] = []

    def add(self, path: str, reason: str) -> None:
        """Record that the input is wrong at ``path`` for ``reason``.

        Examples
        --------
        >>> problems = ProblemCollector()
        >>> problems.add("batch_size", "expected an integer >= 1, got 0")
        >>> problems.problems
        (Problem(path='batch_size', reason='expected an integer >= 1, got 0'),)
        """
        self._problems.append(Problem(path, reason))

    def extend(self, problems: Iterable[Problem], *, prefix: str = "") -> None:
        """Record ``problems`` found elsewhere, their paths prefixed with ``prefix``.

        Examples
        --------
        >>> problems = ProblemCollector()
        >>> problems.extend([Problem("valid_rows", "expected >= 0, got -1")], prefix="steps[3].")
        >>> print(problems.problems[0])
        steps[3].valid_rows: expected >= 0, got -1
        """
        for problem in problems:
            self._problems.append(Problem(prefix + problem.path, problem.reason))

    @property
    def problems(self) -> tuple[Problem, ...]:
        """Every problem recorded so far, in the order found."""
        return tuple(self._problems)

    def render(self, *, limit: int = 20) -> str:
        """Render the problems with [`render_problems`][sparkforge.errors.render_problems].

        Examples
        --------
        >>> problems = ProblemCollector()
        >>> for i in range(3):
        ...     problems.add(f"steps[{i}].phase", "is required")
        >>> problems.render(limit=2)
        '3 problem(s): steps[0].phase: is required; steps[1].phase: is required; ... and 1 more'
        """
        return render_problems(self.problems, limit=limit)

    def raise_config_error(
        self, error_type: type[ConfigurationError] | None = None, *, code: str = "CONFIG_INVALID"
    ) -> None:
        """Raise one configuration error carrying every problem, if any was recorded.

        The error's ``option`` names the options at fault (the problems' paths) and its
        ``reason`` says what is wrong with each; with one problem they are its path and reason.

        Parameters
        ----------
        error_type
            The [`ConfigurationError`][sparkforge.errors.ConfigurationError] subclass to raise
            (default: itself).
        code
            Its code, a template taking ``{option}`` and ``{reason}``.

        Raises
        ------
        ConfigurationError
            When a problem was recorded; ``problems`` holds them all.

        Examples
        --------
        >>> problems = ProblemCollector()
        >>> problems.add("batch_size", "expected an integer in 1..10, got 0")
        >>> problems.raise_config_error()
        Traceback (most recent call last):
        ...
        sparkforge.errors.ConfigurationError: [CONFIG_INVALID] Invalid value for batch_size: \
expected an integer in 1..10, got 0.
        """
        if not self._problems:
            return
        # Imported here: sparkforge.errors imports this module to re-export its names.
        from sparkforge.errors import ConfigurationError

        found = self.problems
        if len(found) == 1:
            option, reason = found[0].path, found[0].reason
        else:
            option = ", ".join(dict.fromkeys(p.path for p in found))
            reason = "; ".join(str(p) for p in found)
        raise (error_type or ConfigurationError)(
            code, {"option": option, "reason": reason}, problems=found
        )

    def __len__(self) -> int:
        return len(self._problems)

    def __bool__(self) -> bool:
        return bool(self._problems)


def render_problems(problems: tuple[Problem, ...], *, limit: int = 20) -> str:
    """Render problems as one readable string, at most ``limit`` of them in full.

    Parameters
    ----------
    problems
        The problems to render.
    limit
        How many to spell out; the rest are counted.

    Returns
    -------
    str
        ``"N problem(s): path: reason; path: reason ..."``.

    Examples
    --------
    >>> render_problems((Problem("run_id", "is required"), Problem("mode", "is required")))
    '2 problem(s): run_id: is required; mode: is required'
    """
    shown = "; ".join(str(p) for p in problems[:limit])
    more = len(problems) - limit
    tail = f"; ... and {more} more" if more > 0 else ""
    return f"{len(problems)} problem(s): {shown}{tail}"
