"""Reproducible benchmarks (run each as a script: `python benchmarks/<name>.py`)."""
