"""`review serve`, `review user`, `review audit`: the service's commands (heavy imports stay inside them)."""

from __future__ import annotations

import sys
from pathlib import Path

import click

DEMO_UNIT = "示例县人民政府办公室"
DEMO_USERS = (("demo-drafter", "drafter"), ("demo-approver", "approver"), ("demo-admin", "admin"))


def _open_database():
    """Settings, a migrated database and its session factory, as the app would have them."""
    from review.service.settings import Settings
    from review.service.store import make_engine, make_sessions, upgrade_to_head

    settings = Settings().prepare()
    engine = make_engine(settings.sqlalchemy_url)
    upgrade_to_head(engine)
    return settings, make_sessions(engine)


@click.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8000, show_default=True, type=int)
@click.option("--demo", is_flag=True, help="create sample users (passwords printed once) and submit the samples")
def serve(host: str, port: int, demo: bool) -> None:
    """Start the review service (data in REVIEW_DATA_DIR, default ./var)."""
    import uvicorn

    from review.service.app import create_app

    if demo:
        set_up_demo()
    click.echo(f"review service on http://{host}:{port}/  (API docs: /docs)")
    uvicorn.run(create_app(), host=host, port=port, log_level="info")


def set_up_demo() -> None:
    from sqlalchemy import select

    from review.service.accounts import create_user
    from review.service.flow import submit
    from review.service.problems import Problem
    from review.service.store import User

    settings, sessions = _open_database()
    with sessions() as session:
        if session.scalars(select(User).where(User.name == DEMO_USERS[0][0])).first():
            click.echo("demo users exist already (their passwords were printed when they were created)")
            return
        click.echo(f"demo users of {DEMO_UNIT} (passwords are shown only now):")
        for name, role in DEMO_USERS:
            _, password = create_user(session, name, role, [] if role == "admin" else [DEMO_UNIT])
            click.echo(f"  {role:9} {name:14} {password}")
        drafter = session.scalars(select(User).where(User.name == DEMO_USERS[0][0])).one()
        samples = Path(__file__).resolve().parents[2] / "samples"
        submitted = 0
        for path in sorted(samples.glob("0*")) if samples.is_dir() else []:
            try:
                submit(session, settings, drafter, path.read_bytes(), path.name, None, None)
                submitted += 1
            except Problem as problem:
                click.echo(f"  sample {path.name} refused: {problem.message_en}")
        click.echo(f"submitted {submitted} sample documents for review" if submitted
                   else "no samples/ folder beside the package: upload documents through the web page")


@click.group()
def user() -> None:
    """Manage accounts of the review service."""


@user.command("add")
@click.argument("name")
@click.option("--role", type=click.Choice(["drafter", "approver", "admin"]), required=True)
@click.option("--unit", "units", multiple=True, help="unit (created as needed); repeat for approvers of several")
@click.option("--password-stdin", is_flag=True, help="read the password from standard input instead of generating one")
def user_add(name: str, role: str, units: tuple[str, ...], password_stdin: bool) -> None:
    """Add a user; without --password-stdin a password is generated and printed once."""
    from review.service.accounts import create_user
    from review.service.problems import Problem

    password = sys.stdin.readline().rstrip("\n") if password_stdin else None
    _, sessions = _open_database()
    with sessions() as session:
        try:
            created, password = create_user(session, name, role, list(units), password)
        except Problem as problem:
            raise click.ClickException(problem.message_en) from None
    click.echo(f"added {role} {created.name}" + (f" ({', '.join(units)})" if units else ""))
    if not password_stdin:
        click.echo(f"password (shown once): {password}")


@click.group()
def audit() -> None:
    """Check the decision log of the review service."""


@audit.command("verify")
def audit_verify() -> None:
    """Recompute the hash chain of decisions; exit 1 if it is broken."""
    from review.service import audit as audit_log

    _, sessions = _open_database()
    with sessions() as session:
        result = audit_log.verify(session)
    if result["ok"]:
        click.echo(f"ok: {result['entries']} decisions, head {result['head'] or '-'}")
        return
    for problem in result["problems"]:
        where = ", ".join(f"{key} {value}" for key, value in problem.items() if key != "problem")
        click.echo(f"broken: {where}: {problem['problem']}", err=True)
    sys.exit(1)
