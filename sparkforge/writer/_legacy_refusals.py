"""The v1 methods a legacy-form writer refuses, each with ``WRITER_MODE_MISMATCH``.

A `LegacyLogWriter` has no [`WriterConfig`][sparkforge.writer.WriterConfig], so every
``LogWriter`` method that needs one is replaced here by a refusal that says how to build a v1
writer. A unit test checks that no public ``LogWriter`` method is left without one.
"""

from __future__ import annotations

from typing import NoReturn

from typing_extensions import override

from sparkforge.writer.core import LogWriter
from sparkforge.writer.exceptions import WriterConfigurationError

__all__ = ["V1Refusals", "v1_only"]

_V1_ONLY = (
    "this writer was built with the legacy LogWriter(spark, schema, table) form; build it "
    "with LogWriter(spark, WriterConfig(...))"
)


def v1_only(method: str) -> WriterConfigurationError:
    """Return the refusal of ``method`` on a legacy-form writer.

    Examples
    --------
    >>> v1_only("summary").code
    'WRITER_MODE_MISMATCH'
    """
    return WriterConfigurationError("WRITER_MODE_MISMATCH", {"method": method, "reason": _V1_ONLY})


class V1Refusals(LogWriter):
    """The refusals; the first base of ``LegacyLogWriter``."""

    @override
    def write_report(self, *args: object, **kwargs: object) -> NoReturn:
        """Raise ``WRITER_MODE_MISMATCH``: the legacy writer has `append` instead."""
        raise v1_only("write_report")

    @override
    def write_reports(self, *args: object, **kwargs: object) -> NoReturn:
        """Raise ``WRITER_MODE_MISMATCH``: the legacy writer has `append` instead."""
        raise v1_only("write_reports")

    @override
    def read_logs(self, *args: object, **kwargs: object) -> NoReturn:
        """Raise ``WRITER_MODE_MISMATCH``: the legacy writer has `show` instead."""
        raise v1_only("read_logs")

    @override
    def validate_data_quality(self, *args: object, **kwargs: object) -> NoReturn:
        """Raise ``WRITER_MODE_MISMATCH``: the checks apply to the v1 log only."""
        raise v1_only("validate_data_quality")

    @override
    def migrate_legacy_table(self, *args: object, **kwargs: object) -> NoReturn:
        """Raise ``WRITER_MODE_MISMATCH``: a v1 writer on the same table migrates it."""
        raise v1_only("migrate_legacy_table")

    @override
    def summary(self, *args: object, **kwargs: object) -> NoReturn:
        """Raise ``WRITER_MODE_MISMATCH``: the analytics read the v1 log only."""
        raise v1_only("summary")

    @override
    def rule_failures(self, *args: object, **kwargs: object) -> NoReturn:
        """Raise ``WRITER_MODE_MISMATCH``: the analytics read the v1 log only."""
        raise v1_only("rule_failures")

    @override
    def trends(self, *args: object, **kwargs: object) -> NoReturn:
        """Raise ``WRITER_MODE_MISMATCH``: the analytics read the v1 log only."""
        raise v1_only("trends")

    @override
    def detect_anomalies(self, *args: object, **kwargs: object) -> NoReturn:
        """Raise ``WRITER_MODE_MISMATCH``: the analytics read the v1 log only."""
        raise v1_only("detect_anomalies")

    @override
    def export(self, *args: object, **kwargs: object) -> NoReturn:
        """Raise ``WRITER_MODE_MISMATCH``: exports read the v1 log only."""
        raise v1_only("export")

    @override
    def emit_openlineage(self, *args: object, **kwargs: object) -> NoReturn:
        """Raise ``WRITER_MODE_MISMATCH``: exports read the v1 log only."""
        raise v1_only("emit_openlineage")

    @override
    def render_html(self, *args: object, **kwargs: object) -> NoReturn:
        """Raise ``WRITER_MODE_MISMATCH``: the HTML report reads the v1 log only."""
        raise v1_only("render_html")

    @override
    def history(self, *args: object, **kwargs: object) -> NoReturn:
        """Raise ``WRITER_MODE_MISMATCH``: a v1 writer on the same table reads its history."""
        raise v1_only("history")

    @override
    def optimize(self, *args: object, **kwargs: object) -> NoReturn:
        """Raise ``WRITER_MODE_MISMATCH``: a v1 writer on the same table maintains it."""
        raise v1_only("optimize")

    @override
    def vacuum(self, *args: object, **kwargs: object) -> NoReturn:
        """Raise ``WRITER_MODE_MISMATCH``: a v1 writer on the same table maintains it."""
        raise v1_only("vacuum")

    @override
    def prune(self, *args: object, **kwargs: object) -> NoReturn:
        """Raise ``WRITER_MODE_MISMATCH``: a v1 writer on the same table maintains it."""
        raise v1_only("prune")

    @override
    def restore(self, *args: object, **kwargs: object) -> NoReturn:
        """Raise ``WRITER_MODE_MISMATCH``: a v1 writer on the same table maintains it."""
        raise v1_only("restore")
