"""The durable queue (reviews interrupted by a crash resume at start-up), the migrations against the
tables, settings, and the service's CLI commands."""

from __future__ import annotations

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from click.testing import CliRunner
from fastapi.testclient import TestClient
from service_fixtures import *  # noqa: F403
from service_fixtures import Service, backend_url, make_settings, notice_docx
from sqlalchemy import select, update

from review.cli import main
from review.service.app import create_app
from review.service.settings import Settings
from review.service.store import Base, Submission, make_engine, upgrade_to_head


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_migrations_match_the_tables(request, tmp_path, backend):
    request.param = backend
    settings = make_settings(tmp_path, backend_url(request, tmp_path))
    engine = make_engine(settings.sqlalchemy_url)
    upgrade_to_head(engine)
    upgrade_to_head(engine)  # idempotent: the app runs it at every start
    with engine.connect() as connection:
        assert compare_metadata(MigrationContext.configure(connection), Base.metadata) == []
    engine.dispose()


def test_interrupted_reviews_resume_at_start_up(tmp_path):
    settings = make_settings(tmp_path)
    with TestClient(create_app(settings)) as client:
        service = Service(client)
        drafter = service.add_user("d", "drafter", ["单位"])
        ids = [service.upload(drafter, notice_docx(extra=str(n)))["id"] for n in range(3)]
        for submission_id in ids:
            service.wait(drafter, submission_id)
        with client.app.state.sessions() as session:  # as if the process had died mid-review
            session.execute(update(Submission).where(Submission.id.in_(ids[:2]))
                            .values(status="reviewing", report=None))
            session.commit()
    with TestClient(create_app(settings)) as client:  # restart on the same data
        service = Service(client)
        drafter = service.login("d")
        bodies = [service.wait(drafter, submission_id) for submission_id in ids]
        assert [body["status"] for body in bodies] == ["reviewed"] * 3
        assert [body["attempts"] for body in bodies] == [2, 2, 1]
        assert all(body["report"]["flags"] for body in bodies)


def test_review_processes_run_in_a_pool(tmp_path):
    """The default deployment reviews in a separate process (spawned), not in the app's threads."""
    with TestClient(create_app(make_settings(tmp_path, worker_processes=1))) as client:
        service = Service(client)
        drafter = service.add_user("d", "drafter", ["单位"])
        body = service.wait(drafter, service.upload(drafter, notice_docx())["id"], timeout=120)
        assert body["status"] == "reviewed" and body["report"]["flags"]


def test_settings_refuse_placeholder_secrets_and_keep_a_generated_one(tmp_path, monkeypatch):
    monkeypatch.setenv("REVIEW_SECRET_KEY", "changeme")
    with pytest.raises(ValueError):
        Settings()
    monkeypatch.delenv("REVIEW_SECRET_KEY")
    monkeypatch.setenv("REVIEW_DATA_DIR", str(tmp_path))
    first, second = Settings().signing_key, Settings().signing_key
    assert first == second and len(first) > 40
    assert (tmp_path / "secret_key").stat().st_mode & 0o777 == 0o600
    assert Settings().sqlalchemy_url == f"sqlite:///{(tmp_path / 'review.db').resolve()}"


def test_cli_user_add_audit_verify_and_demo(tmp_path, monkeypatch):
    monkeypatch.setenv("REVIEW_DATA_DIR", str(tmp_path))
    runner = CliRunner()
    added = runner.invoke(main, ["user", "add", "王审核", "--role", "approver", "--unit", "甲局", "--unit", "乙局",
                                 "--password-stdin"], input="a long password\n")
    assert added.exit_code == 0, added.output
    assert "password" not in added.output
    generated = runner.invoke(main, ["user", "add", "李起草", "--role", "drafter", "--unit", "甲局"])
    assert generated.exit_code == 0 and "password (shown once): " in generated.output
    again = runner.invoke(main, ["user", "add", "李起草", "--role", "drafter", "--unit", "甲局"])
    assert again.exit_code != 0 and "exists" in again.output
    verified = runner.invoke(main, ["audit", "verify"])
    assert verified.exit_code == 0 and verified.output.startswith("ok: 0 decisions")



def test_demo_creates_users_once_and_submits_the_samples(tmp_path, monkeypatch, capsys):
    from review.service.cli import set_up_demo

    monkeypatch.setenv("REVIEW_DATA_DIR", str(tmp_path))
    set_up_demo()
    printed = capsys.readouterr().out
    passwords = dict(line.split()[1:3] for line in printed.splitlines() if line.startswith("  ") and "demo-" in line)
    assert set(passwords) == {"demo-drafter", "demo-approver", "demo-admin"}
    assert "submitted 6 sample documents" in printed
    set_up_demo()
    assert "exist already" in capsys.readouterr().out
    with TestClient(create_app(make_settings(tmp_path))) as client:
        service = Service(client)
        approver = service.login("demo-approver", passwords["demo-approver"])
        queue = client.get("/api/submissions", headers=approver).json()
        assert len(queue) == 6
        bodies = [service.wait(approver, row["id"]) for row in queue]
    assert {body["report"]["format"] for body in bodies} == {"docx", "txt", "pdf", "html", "ofd"}
    assert all(body["status"] == "reviewed" for body in bodies)
