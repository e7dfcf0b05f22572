"""The reliability suite: bad input, crashes, concurrency, hostile names, drift, time zones."""

from __future__ import annotations
