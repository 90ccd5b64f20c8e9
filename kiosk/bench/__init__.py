"""Benchmarks that print figures; targets are compared as ratios, never timed in tests."""
