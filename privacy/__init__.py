"""Personal data: per-person keys (crypto-shredding), erasure and retention."""
