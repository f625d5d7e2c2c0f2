"""Test support shared by ``tests/`` and ``benchmarks/``: scenarios and synthetic histories.

Not part of the product: nothing outside tests and benchmarks imports it.
"""
