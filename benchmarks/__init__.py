"""Benchmarks of sparkforge: ratios against baselines measured in the same run."""
