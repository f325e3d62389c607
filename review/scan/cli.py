"""`review scan`: see review.scan."""

from __future__ import annotations

import click


@click.command()
@click.argument("paths", nargs=-1, required=True, type=click.Path(exists=True))
@click.option("--out", "out_dir", required=True, type=click.Path(file_okay=False), help="output folder")
def scan(paths: tuple[str, ...], out_dir: str) -> None:
    """Scan folders and zip archives into OUT (reports.jsonl, summary.csv/xlsx, report.html)."""
    raise click.ClickException("not built yet")
