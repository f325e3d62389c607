"""The FastAPI app: settings, database (migrated at start-up), the review worker, the API and the web UI.

    uvicorn service:app            (or `review serve`)
"""

from __future__ import annotations

import logging
from contextlib import asynccontextmanager
from importlib import resources

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, RedirectResponse
from fastapi.staticfiles import StaticFiles
from starlette.datastructures import MutableHeaders
from starlette.middleware.sessions import SessionMiddleware
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from review import __version__
from review.service.auth import LoginLimiter, LoginRequired, RecentUsers
from review.service.problems import Problem
from review.service.settings import Settings
from review.service.store import make_engine, make_sessions, upgrade_to_head
from review.service.worker import ReviewWorker

log = logging.getLogger(__name__)

SECURITY_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "same-origin",
    "Content-Security-Policy": "default-src 'self'; img-src 'self' data:; object-src 'none'; frame-ancestors 'none'",
    "Cache-Control": "no-store",  # pages and reports quote sensitive text: never cache them
}


class SecurityHeaders:
    """Adds SECURITY_HEADERS to every response. Plain ASGI rather than @app.middleware("http"), whose
    BaseHTTPMiddleware runs each request through extra tasks and memory streams: measurable per upload."""

    def __init__(self, app: ASGIApp):
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            return await self.app(scope, receive, send)

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                for name, value in SECURITY_HEADERS.items():
                    headers.setdefault(name, value)
            await send(message)
        await self.app(scope, receive, send_with_headers)


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = (settings or Settings()).prepare()
    engine = make_engine(settings.sqlalchemy_url)
    sessions = make_sessions(engine)
    worker = ReviewWorker(sessions, settings.blob_dir, settings.worker_processes)

    @asynccontextmanager
    async def lifespan(app: FastAPI):
        upgrade_to_head(engine)
        worker.start()
        log.info("review service started (%s, %d review processes)", engine.dialect.name, settings.worker_processes)
        yield
        worker.stop()
        engine.dispose()

    app = FastAPI(title="review service — 政务公开保密审查", version=__version__, lifespan=lifespan,
                  description="Drafters submit documents; the holder of the disclosure seal checks the flags, "
                              "fixes the disclosure attribute and seals the decision into an audit chain.")
    app.state.settings, app.state.engine, app.state.sessions, app.state.worker = settings, engine, sessions, worker
    app.state.login_limiter = LoginLimiter(settings.login_attempts, settings.login_window_seconds)
    app.state.recent_users = RecentUsers()

    app.add_middleware(SessionMiddleware, secret_key=settings.signing_key, session_cookie="review_session",
                       max_age=settings.token_minutes * 60, same_site="strict", https_only=settings.cookie_secure)

    app.add_middleware(SecurityHeaders)

    @app.exception_handler(Problem)
    async def problem_response(request: Request, problem: Problem):
        if request.url.path.startswith("/api/"):
            return JSONResponse({"detail": problem.detail}, status_code=problem.status)
        from review.service.ui import error_page
        return error_page(request, problem.status, problem.message_zh, problem.message_en)

    @app.exception_handler(LoginRequired)
    async def to_login(request: Request, _exc: LoginRequired):
        return RedirectResponse("/login", status_code=303)

    from review.service import api, ui
    app.include_router(api.router)
    app.include_router(ui.router)
    app.mount("/static", StaticFiles(directory=str(resources.files("review.service") / "static")), name="static")
    return app
