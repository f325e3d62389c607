"""The review service's ASGI app, for `uvicorn service:app` (settings from REVIEW_* environment variables)."""

from review.service.app import create_app

app = create_app()
