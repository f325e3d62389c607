"""`review serve`, `review user`, `review audit`: the service's commands (heavy imports stay inside them)."""

from __future__ import annotations

import click


@click.command()
def serve() -> None:
    """Start the review service."""
    raise click.ClickException("not built yet")


@click.group()
def user() -> None:
    """Manage accounts of the review service."""


@click.group()
def audit() -> None:
    """Check the decision log of the review service."""
