"""The review service: drafters submit, the holder of the disclosure seal decides (FastAPI)."""
