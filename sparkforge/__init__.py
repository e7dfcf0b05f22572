"""sparkforge: PySpark + Delta Lake pipelines in the Medallion layout, with a typed run log.

Build a pipeline with :class:`~sparkforge.pipeline.PipelineBuilder`; every run returns a
:class:`~sparkforge.models.PipelineReport`; :class:`sparkforge.writer.LogWriter` keeps those
reports in one Delta log table.
"""

from __future__ import annotations

from sparkforge._version import __version__

__all__ = ["__version__"]
