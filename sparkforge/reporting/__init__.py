"""Everything that reads pipeline reports and the run log, and answers people.

Today: :func:`format_report`, the text rendering of one run's report
(:mod:`sparkforge.reporting.text`).

Examples
--------
>>> from sparkforge.reporting import format_report
>>> callable(format_report)
True
"""

from __future__ import annotations

from sparkforge.reporting.text import format_report, rows_read_from_sources

__all__ = ["format_report", "rows_read_from_sources"]
