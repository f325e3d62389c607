"""Who is asking: argon2 password hashes, signed bearer tokens (OAuth2 password flow) for the API, signed
cookie sessions with a CSRF token for the web UI, and a limit on failed logins.

Every route states the roles it admits through `require(...)` (API) or `ui_user(...)` (UI); unit
membership is checked where the submission is loaded (app.py), never trusted from the client.
"""

from __future__ import annotations

import secrets
import threading
import time
from collections import defaultdict, deque

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from fastapi import Depends, HTTPException, Request
from fastapi.security import OAuth2PasswordBearer
from itsdangerous import BadSignature, URLSafeTimedSerializer
from sqlalchemy import select
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool

from review.service.store import User

hasher = PasswordHasher()
oauth2_scheme = OAuth2PasswordBearer(tokenUrl="/api/token", auto_error=False)

# argon2 takes ~50 ms on purpose; an unknown name is checked against this hash so that it takes as long
_DUMMY_HASH = hasher.hash(secrets.token_hex(8))


def hash_password(password: str) -> str:
    return hasher.hash(password)


def check_password(user: User | None, password: str) -> bool:
    try:
        return hasher.verify(user.password_hash if user else _DUMMY_HASH, password) and user is not None
    except (VerificationError, InvalidHashError):
        return False


class LoginLimiter:
    """At most `attempts` failed logins per (name, client address) within `window` seconds. In memory:
    the service runs as one process (the worker's queue claims assume it too)."""

    def __init__(self, attempts: int, window: float):
        self.attempts, self.window = attempts, window
        self.failures: dict[tuple[str, str], deque[float]] = defaultdict(deque)
        self.lock = threading.Lock()

    def _recent(self, key: tuple[str, str]) -> deque[float]:
        times = self.failures[key]
        while times and times[0] < time.monotonic() - self.window:
            times.popleft()
        return times

    def blocked(self, key: tuple[str, str]) -> bool:
        with self.lock:
            return len(self._recent(key)) >= self.attempts

    def failed(self, key: tuple[str, str]) -> None:
        with self.lock:
            self._recent(key).append(time.monotonic())

    def succeeded(self, key: tuple[str, str]) -> None:
        with self.lock:
            self.failures.pop(key, None)


def authenticate(request: Request, session: Session, name: str, password: str) -> User:
    """The user, or HTTPException 429 (too many failures) / 401 (wrong name or password)."""
    limiter: LoginLimiter = request.app.state.login_limiter
    key = (name, request.client.host if request.client else "")
    if limiter.blocked(key):
        raise HTTPException(429, "登录失败次数过多，请稍后再试 / too many failed logins, try again later")
    user = session.scalars(select(User).where(User.name == name)).one_or_none()
    if not check_password(user, password):
        limiter.failed(key)
        raise HTTPException(401, "用户名或密码错误 / wrong user name or password",
                            headers={"WWW-Authenticate": "Bearer"})
    limiter.succeeded(key)
    return user


# --- API: bearer tokens ---------------------------------------------------------------------------
def _serializer(request: Request) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(request.app.state.settings.signing_key, salt="api-token")


def issue_token(request: Request, user: User) -> str:
    return _serializer(request).dumps({"uid": user.id})


def token_uid(request: Request, token: str | None) -> int:
    """The user id a bearer token carries (signature and age checked), or HTTPException 401."""
    try:
        data = _serializer(request).loads(token, max_age=request.app.state.settings.token_minutes * 60) if token else None
    except BadSignature:
        data = None
    if not isinstance(data, dict) or not isinstance(data.get("uid"), int):
        raise HTTPException(401, "需要登录 / not authenticated", headers={"WWW-Authenticate": "Bearer"})
    return data["uid"]


def db_session(request: Request):
    with request.app.state.sessions() as session:
        yield session


def user_from_token(request: Request, session: Session, token: str | None) -> User:
    """The user a bearer token names (signature and age checked, then looked up: a deleted user's token
    stops working at once), or HTTPException 401. No password hashing here: argon2 runs at sign-in only."""
    user = session.get(User, token_uid(request, token))
    if user is None:
        raise HTTPException(401, "需要登录 / not authenticated", headers={"WWW-Authenticate": "Bearer"})
    return user


def check_role(user: User, roles: tuple[str, ...]) -> User:
    if user.role not in roles:
        raise HTTPException(403, "无权执行此操作 / your role may not do this")
    return user


def api_user(request: Request, token: str | None = Depends(oauth2_scheme),
             session: Session = Depends(db_session)) -> User:
    return user_from_token(request, session, token)


def require(*roles: str):
    """Dependency: the caller, who must hold one of `roles`."""
    def check(user: User = Depends(api_user)) -> User:
        return check_role(user, roles)
    return check


class RecentUsers:
    """Users that bearer tokens named in the last `ttl` seconds, detached with their units loaded, so that
    an upload in a burst needs no trip to the threadpool and the database to learn who sent it (that trip
    and the ORM query were a fifth of an upload's CPU). Users are only ever added, never edited or removed,
    by this service; one removed from the database by other means loses access within `ttl` seconds."""

    def __init__(self, ttl: float = 30.0):
        self.ttl = ttl
        self.users: dict[int, tuple[float, User]] = {}
        self.lock = threading.Lock()

    def get(self, uid: int) -> User | None:
        with self.lock:
            entry = self.users.get(uid)
        return entry[1] if entry and entry[0] > time.monotonic() else None

    def put(self, user: User) -> User:
        with self.lock:
            if len(self.users) > 10_000:  # a bound, not a policy: any entry is cheap to look up again
                self.users.clear()
            self.users[user.id] = (time.monotonic() + self.ttl, user)
        return user


def require_in_one_trip(*roles: str):
    """Dependency for async routes on the hot path (uploads): as `require`, but the caller is looked up in
    `RecentUsers` first and otherwise in one trip to the threadpool with a session of its own (a chain of
    sync dependencies costs a trip per dependency, and under a burst of uploads each trip queues behind the
    others for a thread and the GIL). The user comes back detached, units loaded: read it, never change it."""
    def load(request: Request, uid: int) -> User:
        with request.app.state.sessions() as session:
            user = session.get(User, uid)
            if user is None:
                raise HTTPException(401, "需要登录 / not authenticated", headers={"WWW-Authenticate": "Bearer"})
            return request.app.state.recent_users.put(user)

    async def check(request: Request, token: str | None = Depends(oauth2_scheme)) -> User:
        uid = token_uid(request, token)
        user = request.app.state.recent_users.get(uid) or await run_in_threadpool(load, request, uid)
        return check_role(user, roles)
    return check


# --- UI: cookie sessions with a CSRF token ----------------------------------------------------------
class LoginRequired(Exception):
    """Raised by UI routes without a session; the app answers with a redirect to the login page."""


def start_ui_session(request: Request, user: User) -> None:
    request.session.clear()
    request.session.update({"uid": user.id, "csrf": secrets.token_urlsafe(24), "since": int(time.time())})


def ui_user(request: Request, session: Session, *roles: str) -> User:
    uid = request.session.get("uid")
    user = session.get(User, uid) if uid else None
    if user is None:
        raise LoginRequired()
    if roles and user.role not in roles:
        raise HTTPException(403, "无权访问此页面 / your role may not open this page")
    return user


def csrf_token(request: Request) -> str:
    return request.session.get("csrf", "")


def check_csrf(request: Request, submitted: str | None) -> None:
    expected = request.session.get("csrf")
    if not expected or not submitted or not secrets.compare_digest(expected, submitted):
        raise HTTPException(403, "表单已过期，请刷新页面后重试 / invalid or missing CSRF token")
