"""Onboarding a trust from its MIS: staff CSV exports synced into the ledger, reviews started
in bulk from line managers. Plans first (what would be recorded, every rejected row), then
records a whole file's changes in one transaction, or nothing."""
