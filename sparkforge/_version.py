"""The sparkforge version, in one place (read by pyproject and written into every log row)."""

from __future__ import annotations

__version__ = "0.1.0"
