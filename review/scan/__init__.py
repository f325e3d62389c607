"""Batch scans of archives: `review scan PATH... --out DIR` (walk, dedupe, review in workers, ledger, outputs)."""
