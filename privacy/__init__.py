"""Privacy: what UK GDPR asks of an immutable ledger of people's appraisals: subject access
export, per-person keys (crypto-shredding), erasure and retention."""
