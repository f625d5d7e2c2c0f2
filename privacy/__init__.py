"""Privacy: what UK GDPR asks of an immutable ledger of people's appraisals (subject access
export; erasure and retention live beside it)."""
