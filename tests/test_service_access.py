"""Every role against every endpoint: the server admits exactly the roles it should (API and UI)."""

from __future__ import annotations

import pytest
from argon2 import PasswordHasher
from fastapi.testclient import TestClient
from service_fixtures import Service, make_settings, notice_docx

from review.service.app import create_app

ROLES = ("anonymous", "drafter", "approver", "admin")
UNIT = "示例县民政局"

# (method, path, the roles admitted); {id} is a reviewed submission of UNIT
API = [
    ("POST", "/api/submissions", {"drafter"}),
    ("GET", "/api/submissions", {"drafter", "approver"}),
    ("GET", "/api/submissions/{id}", {"drafter", "approver"}),
    ("POST", "/api/submissions/{id}/retry", {"drafter", "approver"}),
    ("POST", "/api/submissions/{id}/decision", {"approver"}),
    ("POST", "/api/submissions/{id}/requests", {"approver"}),
    ("GET", "/api/submissions/{id}/masked", {"drafter", "approver"}),
    ("GET", "/api/ledger", {"approver", "admin"}),
    ("GET", "/api/catalog", {"drafter", "approver", "admin"}),
    ("GET", "/api/audit/verify", {"approver", "admin"}),
    ("GET", "/api/decisions/export", {"admin"}),
    ("GET", "/api/users", {"admin"}),
    ("POST", "/api/users", {"admin"}),
    ("GET", "/api/units", {"admin"}),
    ("POST", "/api/units", {"admin"}),
    ("GET", "/api/config", {"admin"}),
    ("PUT", "/api/config", {"admin"}),
    ("GET", "/api/me", {"drafter", "approver", "admin"}),
]
UI = [
    ("GET", "/submissions", {"drafter", "approver"}),
    ("GET", "/submissions/{id}", {"drafter", "approver"}),
    ("GET", "/ledger", {"approver", "admin"}),
    ("GET", "/ledger/export.xlsx", {"approver", "admin"}),
    ("GET", "/catalog", {"drafter", "approver", "admin"}),
    ("GET", "/catalog/export.csv", {"drafter", "approver", "admin"}),
    ("GET", "/audit", {"approver", "admin"}),
    ("GET", "/admin", {"admin"}),
]


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    """One app with a user per role and one reviewed submission; each test gets fresh clients."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr("review.service.auth.hasher", PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1))
        app = create_app(make_settings(tmp_path_factory.mktemp("access")))
        with TestClient(app) as client:
            service = Service(client)
            headers = {"drafter": service.add_user("drafter", "drafter", [UNIT]),
                       "approver": service.add_user("approver", "approver", [UNIT]),
                       "admin": service.add_user("admin", "admin"),
                       "anonymous": {}}
            submission = service.upload(headers["drafter"], notice_docx())
            service.wait(headers["drafter"], submission["id"])
            yield service, headers, submission["id"]


def body_for(path: str) -> dict:
    if path.endswith("/decision"):
        return {"json": {"attribute": "withheld", "reason": "测试"}}
    if path == "/api/submissions":
        return {"files": {"file": ("x.txt", "示例县通知\n内容。".encode())}}
    if path == "/api/users":
        return {"json": {"name": "new-user", "role": "admin"}}
    if path == "/api/units":
        return {"json": {"name": "新单位"}}
    if path == "/api/config":
        return {"json": {"disable_rules": []}}
    return {}


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("method,path,admitted", API, ids=[f"{m} {p}" for m, p, _ in API])
def test_api_roles(world, role, method, path, admitted):
    service, headers, submission_id = world
    response = service.client.request(method, path.format(id=submission_id), headers=headers[role],
                                      **body_for(path))
    if role == "anonymous":
        assert response.status_code == 401
    elif role in admitted:
        assert response.status_code not in (401, 403), response.text
        assert response.status_code < 500
    else:
        assert response.status_code == 403, response.text


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("method,path,admitted", UI, ids=[f"{m} {p}" for m, p, _ in UI])
def test_ui_roles(world, role, method, path, admitted):
    service, _, submission_id = world
    with TestClient(service.app) as client:  # own cookie jar
        if role != "anonymous":
            login = client.post("/login", data={"username": role, "password": "correct horse battery"},
                                follow_redirects=False)
            assert login.status_code == 303
        response = client.request(method, path.format(id=submission_id), follow_redirects=False)
    if role == "anonymous":
        assert response.status_code == 303 and response.headers["location"] == "/login"
    elif role in admitted:
        assert response.status_code == 200, response.text
    else:
        assert response.status_code == 403


def test_ui_forms_need_the_csrf_token(world):
    service, _, submission_id = world
    with TestClient(service.app) as client:
        client.post("/login", data={"username": "approver", "password": "correct horse battery"})
        response = client.post(f"/submissions/{submission_id}/decision",
                               data={"attribute": "withheld", "reason": "x"}, follow_redirects=False)
        assert response.status_code == 403
        assert "CSRF" in response.text


def test_logins_are_rate_limited(world):
    service, _, _ = world
    for _ in range(service.app.state.settings.login_attempts):
        assert service.client.post("/api/token", data={"username": "drafter", "password": "wrong"}).status_code == 401
    blocked = service.client.post("/api/token", data={"username": "drafter", "password": "correct horse battery"})
    assert blocked.status_code == 429
    service.app.state.login_limiter.failures.clear()


def test_tokens_are_checked(world):
    service, _, _ = world
    for token in ("nonsense", "eyJ1aWQiOjF9.forged.signature"):
        response = service.client.get("/api/me", headers={"Authorization": f"Bearer {token}"})
        assert response.status_code == 401


def test_uploads_check_tokens_and_remember_callers_only_briefly(tmp_path):
    """The upload route takes its caller from auth.RecentUsers: forged tokens and tokens of unknown users
    still get 401, and a user removed from the database loses upload access once the entry expires."""
    from itsdangerous import URLSafeTimedSerializer
    from sqlalchemy import delete

    from review.service.store import Submission, User, user_units

    with TestClient(create_app(make_settings(tmp_path))) as client:  # an app of its own: its worker must run
        service = Service(client)
        app = service.app
        signer = URLSafeTimedSerializer(app.state.settings.signing_key, salt="api-token")
        files = {"file": ("notice.docx", notice_docx(extra="令牌"))}
        for token in ("nonsense", signer.dumps({"uid": 99999}), signer.dumps({"uid": "1"})):
            response = client.post("/api/submissions", headers={"Authorization": f"Bearer {token}"}, files=files)
            assert response.status_code == 401, token

        leaver = service.add_user("leaver", "drafter", [UNIT])
        accepted = client.post("/api/submissions", headers=leaver, files=files)
        assert accepted.status_code == 202
        service.wait(leaver, accepted.json()["id"])
        uid = signer.loads(leaver["Authorization"].removeprefix("Bearer "))["uid"]
        assert app.state.recent_users.get(uid) is not None
        with app.state.sessions() as session:  # removed by other means than the service (it never deletes users)
            session.execute(delete(Submission).where(Submission.submitter_id == uid))
            session.execute(delete(user_units).where(user_units.c.user_id == uid))
            session.execute(delete(User).where(User.id == uid))
            session.commit()
        app.state.recent_users.users[uid] = (0.0, app.state.recent_users.users[uid][1])  # the 30 s have passed
        again = {"file": ("notice.docx", notice_docx(extra="令牌2"))}
        assert client.post("/api/submissions", headers=leaver, files=again).status_code == 401
        assert client.get("/api/me", headers=leaver).status_code == 401  # other routes: at once
