"""Configuration every layer may read: settings from ``APPRAISALS_*`` and logging setup.

Depends on nothing of ours; the composition root (``appraisals``) builds from it.
"""
