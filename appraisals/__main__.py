"""``python -m appraisals``: the same command line as ``appraisals``."""

from appraisals.cli import main

main()
