"""The `review` command line.

    review check FILE|FOLDER... [--format text|json|jsonl] [--config scan.yaml]

Exit codes: 0 no flags, 1 flags found (severity above info), 2 usage or configuration error,
3 some documents could not be reviewed.
"""

from __future__ import annotations

import json
import os
import re
import sys
from pathlib import Path

import click
import yaml
from pydantic import ValidationError

from review import __version__
from review.config import ScanConfig
from review.errors import RulePackError

EXIT_CLEAN, EXIT_FLAGS, EXIT_USAGE, EXIT_FAILED = 0, 1, 2, 3


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="review")
def main() -> None:
    """Confidentiality and pre-publication review of Chinese government documents (保密审查与公开属性)."""


def load_config(path: str | None) -> ScanConfig:
    if not path:
        return ScanConfig()
    try:
        data = yaml.safe_load(Path(path).read_text(encoding="utf-8")) or {}
        return ScanConfig.model_validate(data)
    except (OSError, yaml.YAMLError, ValidationError) as exc:
        raise click.UsageError(f"configuration {path}: {exc}") from None


def expand_paths(paths: tuple[str, ...]) -> list[str]:
    """Files as given; folders walked (sorted, hidden files skipped)."""
    out = []
    for given in paths:
        if os.path.isdir(given):
            for root, dirs, files in os.walk(given):
                dirs[:] = sorted(d for d in dirs if not d.startswith("."))
                out.extend(os.path.join(root, f) for f in sorted(files) if not f.startswith("."))
        else:
            out.append(given)
    return out


@main.command()
@click.argument("paths", nargs=-1, required=True, type=click.Path())
@click.option("--format", "output_format", type=click.Choice(["text", "json", "jsonl"]), default="text",
              show_default=True, help="text: a summary to read; json: one array; jsonl: one Report per line")
@click.option("--config", "config_path", type=click.Path(dir_okay=False),
              help="YAML scan configuration (limits, extra rule packs)")
def check(paths: tuple[str, ...], output_format: str, config_path: str | None) -> None:
    """Review documents and print one report per document."""
    from review.pipeline import review_file  # imported here so `review --help` stays instant
    from review.render import render_text

    config = load_config(config_path)
    try:
        from review.rules import rules_for
        rules_for(config)
    except RulePackError as exc:
        click.echo(f"review: rule pack error [{exc.code}]: {exc}", err=True)
        sys.exit(EXIT_USAGE)
    files = expand_paths(paths)
    if not files:
        raise click.UsageError("no files to review")
    failed = flagged = 0
    reports = []
    for path in files:
        report = review_file(path, config)
        failed += bool(report.error)
        flagged += any(f.severity != "info" for f in report.flags)
        if output_format == "jsonl":
            click.echo(report.to_json())
        elif output_format == "json":
            reports.append(report.model_dump(mode="json"))
        else:
            click.echo(render_text(report))
    if output_format == "json":
        click.echo(json.dumps(reports, ensure_ascii=False, indent=2))
    if output_format == "text" and len(files) > 1:
        click.echo(f"{len(files)} documents: {flagged} with flags, {failed} failed")
    sys.exit(EXIT_FAILED if failed else EXIT_FLAGS if flagged else EXIT_CLEAN)


@main.group()
def rules() -> None:
    """Rule packs: list, lint and test them."""


def _load_rules_or_exit(config_path: str | None):
    from review.rules import rules_for
    try:
        return rules_for(load_config(config_path))
    except RulePackError as exc:
        click.echo(f"review: rule pack error [{exc.code}]: {exc}", err=True)
        sys.exit(EXIT_USAGE)


@rules.command("list")
@click.option("--config", "config_path", type=click.Path(dir_okay=False))
def rules_list(config_path: str | None) -> None:
    """The active rules: id, category/type, severity, name."""
    ruleset = _load_rules_or_exit(config_path)
    for pack in ruleset.packs:
        click.echo(f"# {pack.pack} {pack.version}" + (f" (effective {pack.effective})" if pack.effective else ""))
        for rule in pack.rules:
            if ruleset.get(rule.id) is rule:
                click.echo(f"{rule.id:42} {rule.category}/{rule.type:22} {rule.severity:7} {rule.name}")


@rules.command("lint")
@click.option("--config", "config_path", type=click.Path(dir_okay=False))
def rules_lint(config_path: str | None) -> None:
    """Check that every pack loads and compiles and every rule explains itself."""
    from review.detect.engine import Engine
    ruleset = _load_rules_or_exit(config_path)
    problems = []
    try:
        Engine(ruleset)
    except (KeyError, ValueError, re.error) as exc:
        problems.append(f"engine: {exc}")
    for rule in ruleset.rules.values():
        if (rule.patterns or rule.terms or rule.finder) and not rule.examples.flag:
            problems.append(f"{rule.id}: no flag example")
        if not all(basis.quote for basis in rule.legal_basis):
            problems.append(f"{rule.id}: a legal basis without a quote")
    for problem in problems:
        click.echo(problem, err=True)
    click.echo(f"{len(ruleset.rules)} rules in {len(ruleset.packs)} packs: {len(problems)} problem(s)")
    sys.exit(EXIT_USAGE if problems else EXIT_CLEAN)


@rules.command("test")
@click.option("--config", "config_path", type=click.Path(dir_okay=False))
def rules_test(config_path: str | None) -> None:
    """Run every rule's examples (texts that must fire and texts that must not)."""
    from review.detect.engine import Engine
    results = Engine(_load_rules_or_exit(config_path)).self_test()
    failed = [r for r in results if r[3]]
    for rule_id, kind, text, problems in failed:
        click.echo(f"FAIL {rule_id} [{kind}] {text!r}: {'; '.join(problems)}")
    click.echo(f"{len(results) - len(failed)} passed, {len(failed)} failed")
    sys.exit(EXIT_FLAGS if failed else EXIT_CLEAN)


@main.command()
@click.option("--data", "data", multiple=True, required=True, type=click.Path(exists=True, dir_okay=False),
              help="JSONL rows {text|path, attribute, ...}: the built corpus, approvers' decisions")
@click.option("--out", default="models/attribute", show_default=True, type=click.Path(file_okay=False))
def train(data: tuple[str, ...], out: str) -> None:
    """Train the attribute classifier (cross-validated figures go into meta.json)."""
    from review.train import train as train_model
    try:
        meta = train_model(list(data), Path(out))
    except ValueError as exc:
        raise click.UsageError(str(exc)) from None
    cv = meta["cross_validation"]
    click.echo(f"{sum(meta['rows'].values())} rows {meta['rows']}")
    for name, figures in cv.items():
        if isinstance(figures, dict):
            click.echo(f"cv {name}: accuracy {figures['accuracy']} macro-F1 {figures['macro_f1']} "
                       f"leaks {figures['leaks']} needs_review {figures['needs_review']}")
    click.echo(f"needs_review margin {meta['needs_review_margin']}; model {meta['size_bytes'] / 1e6:.1f} MB in {out}")


@main.command("eval")
@click.argument("set_dir", type=click.Path(exists=True, file_okay=False))
@click.option("--config", "config_path", type=click.Path(dir_okay=False))
def eval_command(set_dir: str, config_path: str | None) -> None:
    """Score suggested attributes against SET_DIR/labels.jsonl: accuracy, macro-F1, confusion, leaks."""
    from review.train import evaluate
    result = evaluate(Path(set_dir), load_config(config_path))
    click.echo(f"{result['rows']} documents: accuracy {result['accuracy']}, macro-F1 {result['macro_f1']}, "
               f"leaks {result['leaks']}, needs_review {result['needs_review']}")
    for cell, count in result["confusion"].items():
        click.echo(f"  {cell:28} {count}")
    for miss in result["misjudged"]:
        click.echo(f"  misjudged {miss['file']}: expected {miss['expected']}, suggested {miss['suggested']} "
                   f"({', '.join(miss['reasons'])})")
    sys.exit(EXIT_FLAGS if result["leaks"] else EXIT_CLEAN)


# Commands that live beside their subsystem (each module keeps its heavy imports inside the commands).
from review.scan.cli import scan  # noqa: E402
from review.service.cli import audit, serve, user  # noqa: E402

for _command in (scan, serve, user, audit):
    main.add_command(_command)


if __name__ == "__main__":
    main()
