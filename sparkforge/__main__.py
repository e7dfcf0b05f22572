"""``python -m sparkforge``: the ``sparkforge`` command line."""

from __future__ import annotations

from sparkforge.cli import main

if __name__ == "__main__":
    raise SystemExit(main())
