"""The one validation-rate formula of sparkforge (its Column twin: ``sparkforge.validation``)."""

from __future__ import annotations

__all__ = ["RATE_TOLERANCE", "validation_rate"]

#: How far (percentage points) a reported rate may be from :func:`validation_rate` of its
#: counts and still match: producers may round the rate they report.
RATE_TOLERANCE = 0.01


def validation_rate(valid_rows: int, invalid_rows: int) -> float:
    """Return ``valid_rows`` as a percentage of all validated rows; 100.0 when there are none.

    Every rate sparkforge computes or checks (validation passes, report checks, log checks,
    the writer) comes from this formula, or from its Column twin
    [`sparkforge.validation.validation_rate_column`][].

    Parameters
    ----------
    valid_rows, invalid_rows
        Validated rows that passed and failed.

    Returns
    -------
    float
        ``100 * valid / (valid + invalid)``, in 0-100.

    Examples
    --------
    >>> validation_rate(3, 1)
    75.0
    >>> validation_rate(0, 0)
    100.0
    """
    total = valid_rows + invalid_rows
    return 100.0 * valid_rows / total if total else 100.0
