"""Benchmarks at district scale (``make bench``); see bench/__main__.py."""
