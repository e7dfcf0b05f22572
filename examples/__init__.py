"""Runnable examples of sparkforge, and the local Spark + Delta session they share."""
