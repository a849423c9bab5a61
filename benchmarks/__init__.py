"""Benchmarks: scripts that time minitorch_cnn against torch on the same machine (never timed tests)."""
