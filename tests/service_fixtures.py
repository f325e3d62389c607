"""Fixtures for the review service's tests: the app on SQLite, and on PostgreSQL when
REVIEW_TEST_DATABASE_URL points at a reachable server (each test run in its own schema, dropped after).

Import the fixtures into a test module with `from service_fixtures import *`.
"""

from __future__ import annotations

import io
import time
import uuid
from pathlib import Path

import docx
import pytest
from fastapi.testclient import TestClient

from review.detect.validators import id_check_digit
from review.service.accounts import create_user
from review.service.app import create_app
from review.service.settings import Settings

__all__ = ["backend_url", "service", "cheap_password_hashing", "Service", "make_settings", "postgres_schema_url", "id_number",
           "notice_docx", "notice_text"]

TEST_SECRET = "test-secret-key-for-the-review-service"
PASSWORD = "correct horse battery"


def id_number(body: str = "11010519491231002") -> str:
    """A valid (invented) resident ID number: region, birth date, sequence and the GB 11643 check digit."""
    return body + id_check_digit(body)


def notice_text(extra: str = "") -> str:
    """An invented notice holding a resident's ID number and mobile (the personal data to mask)."""
    return (f"示例县民政局关于发放临时救助金的通知\n"
            f"各乡镇民政办：\n"
            f"经审核，申请人张某某（身份证号{id_number()}，联系电话13800138000）符合临时救助条件，"
            f"现予发放救助金。{extra}\n"
            f"示例县民政局\n2025年3月1日")


def notice_docx(extra: str = "") -> bytes:
    document = docx.Document()
    for line in notice_text(extra).split("\n"):
        document.add_paragraph(line)
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


def make_settings(data_dir: Path, database_url: str | None = None, **overrides) -> Settings:
    """Reviews run in a thread of the app (worker_processes=0) unless overridden: no process start-up."""
    return Settings(**{"data_dir": data_dir, "database_url": database_url, "secret_key": TEST_SECRET,
                       "worker_processes": 0, **overrides})


def postgres_schema_url():
    """(url, cleanup) for a fresh schema in the test PostgreSQL database, or skip."""
    import os

    from sqlalchemy import create_engine, text

    base = os.environ.get("REVIEW_TEST_DATABASE_URL")
    if not base:
        pytest.skip("REVIEW_TEST_DATABASE_URL is not set (no PostgreSQL for the tests)")
    engine = create_engine(base)
    schema = f"review_test_{uuid.uuid4().hex[:12]}"
    try:
        with engine.begin() as connection:
            connection.execute(text(f'CREATE SCHEMA "{schema}"'))
    except Exception as exc:  # noqa: BLE001 - any connection failure means: no PostgreSQL here
        engine.dispose()
        pytest.skip(f"PostgreSQL at REVIEW_TEST_DATABASE_URL is not reachable ({type(exc).__name__})")
    separator = "&" if "?" in base else "?"

    def cleanup():
        with engine.begin() as connection:
            connection.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        engine.dispose()
    return f"{base}{separator}options=-csearch_path%3D{schema}", cleanup


class Service:
    """A running app (lifespan entered: migrated, worker started) with helpers to act as its users."""

    def __init__(self, client: TestClient):
        self.client, self.app = client, client.app

    def add_user(self, name: str, role: str, units: list[str] | None = None) -> dict[str, str]:
        """Create the user and return the Authorization header of a fresh token."""
        with self.app.state.sessions() as session:
            create_user(session, name, role, units or [], PASSWORD)
        return self.login(name)

    def login(self, name: str, password: str = PASSWORD) -> dict[str, str]:
        response = self.client.post("/api/token", data={"username": name, "password": password})
        assert response.status_code == 200, response.text
        return {"Authorization": f"Bearer {response.json()['access_token']}"}

    def upload(self, headers: dict, data: bytes, filename: str = "notice.docx", **fields) -> dict:
        response = self.client.post("/api/submissions", headers=headers, files={"file": (filename, data)},
                                    data=fields)
        assert response.status_code == 202, response.text
        return response.json()

    def wait(self, headers: dict, submission_id: int, timeout: float = 60) -> dict:
        """Poll until the review has finished (reviewed or failed)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            body = self.client.get(f"/api/submissions/{submission_id}", headers=headers).json()
            if body["status"] not in ("queued", "reviewing"):
                return body
            time.sleep(0.05)
        raise AssertionError(f"submission {submission_id} still {body['status']} after {timeout} s")


def backend_url(request, tmp_path: Path) -> str | None:
    """None (SQLite in tmp_path) or a PostgreSQL schema URL, from the fixture's param."""
    if getattr(request, "param", "sqlite") == "sqlite":
        return None
    url, cleanup = postgres_schema_url()
    request.addfinalizer(cleanup)
    return url


@pytest.fixture(autouse=True)
def cheap_password_hashing(monkeypatch):
    """argon2 with the production cost takes ~0.4 s per hash here; the tests hash dozens of passwords."""
    from argon2 import PasswordHasher

    monkeypatch.setattr("review.service.auth.hasher", PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1))


@pytest.fixture(params=["sqlite", "postgresql"])
def service(request, tmp_path):
    settings = make_settings(tmp_path / "data", backend_url(request, tmp_path))
    with TestClient(create_app(settings)) as client:
        yield Service(client)
