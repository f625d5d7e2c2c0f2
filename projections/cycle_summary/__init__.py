"""The cycle-summary family: per-school and per-trust summaries of an appraisal cycle.

``facts`` and ``subjects`` keep the counted facts; ``school`` and ``trust`` are the read
models over them; ``views`` the SQL views they share; ``asof`` replays them at a past position.
"""
