"""Every rule proves itself: its `flag` examples fire, its `ignore` examples do not (like gitleaks'
rule samples). Each example is reviewed as a small document, so head-scoped rules see it in the head.
Rules fired by code rather than by the engine carry examples only where a test runs them: consistency
rules' examples are whole documents, reviewed through the pipeline in tests/test_consistency.py."""

import subprocess
import sys
from pathlib import Path

import pytest

from review.detect.engine import Engine
from review.rules import RuleSet, load_rules

RULES = load_rules()


def run_by_engine(rule) -> bool:
    return bool(rule.patterns or rule.terms or rule.finder)


CASES = [(rule.id, kind, text) for rule in RULES.rules.values() if run_by_engine(rule)
         for kind in ("flag", "ignore") for text in getattr(rule.examples, kind)]
CODE_FIRED_WITH_EXAMPLES = {"consistency"}  # categories whose examples another test module runs


@pytest.mark.parametrize("rule_id,kind,text", CASES, ids=[f"{r}-{k}-{i}" for i, (r, k, _) in enumerate(CASES)])
def test_rule_example(rule_id, kind, text):
    # each rule alone, so that another rule's overlapping flag cannot hide (or stand in for) its own
    fired = [f for f in Engine(RuleSet.only(RULES[rule_id])).detect_text(text)
             if f.rule == rule_id and f.severity != "info"]
    if kind == "flag":
        assert fired, f"{rule_id} should flag {text!r}"
        for flag in fired:
            assert text.find(flag.text) >= 0 and flag.explanation.steps and flag.legal_basis
    else:
        assert not fired, f"{rule_id} should not flag {text!r}: {[f.text for f in fired]}"


def test_every_detection_rule_has_examples():
    for rule in RULES.rules.values():
        if run_by_engine(rule):
            assert rule.examples.flag, f"{rule.id} has no flag example"


def test_no_example_goes_unrun():
    for rule in RULES.rules.values():
        if not run_by_engine(rule) and (rule.examples.flag or rule.examples.ignore):
            assert rule.category in CODE_FIRED_WITH_EXAMPLES, f"{rule.id}: examples that no test runs"


def review(*args):
    exe = Path(sys.executable).parent / "review"
    return subprocess.run([str(exe), *args], capture_output=True, text=True, timeout=120)


def test_rules_commands():
    listing = review("rules", "list")
    assert listing.returncode == 0 and "personal.id_card" in listing.stdout
    lint = review("rules", "lint")
    assert lint.returncode == 0, lint.stderr
    selftest = review("rules", "test")
    assert selftest.returncode == 0 and " 0 failed" in selftest.stdout


def test_agency_extends_and_disables_without_editing_shipped_packs(tmp_path):
    pack = tmp_path / "agency.yaml"
    pack.write_text("""pack: agency
version: "1"
disable: [spam.adult]
rules:
  - id: agency.project_code
    name: 内部项目代号
    category: negative_list
    type: internal_affairs
    severity: medium
    description: 本机关内部项目代号，不对外使用。
    legal_basis:
      - {law: 《中华人民共和国政府信息公开条例》, article: 第十六条, quote: 行政机关的内部事务信息……可以不予公开。}
    suggestion: 删除内部项目代号
    patterns:
      - regex: '青鸟-\\d{3}'
    examples:
      flag: ["项目代号青鸟-007"]
""", encoding="utf-8")
    config = tmp_path / "scan.yaml"
    config.write_text(f"rule_packs: ['{pack}']\ndisable_rules: [personal.email]\n", encoding="utf-8")
    listing = review("rules", "list", "--config", str(config)).stdout
    assert "agency.project_code" in listing
    assert "spam.adult" not in listing and "personal.email" not in listing
    assert review("rules", "test", "--config", str(config)).returncode == 0
    document = tmp_path / "draft.txt"
    document.write_text("关于青鸟-007项目的通知\n联系邮箱：zhang.san1985@qq.com\n", encoding="utf-8")
    out = review("check", str(document), "--config", str(config), "--format", "json").stdout
    assert "agency.project_code" in out and "personal.email" not in out
    bad = tmp_path / "bad.yaml"
    bad.write_text("disable_rules: [no.such_rule]\n", encoding="utf-8")
    result = review("rules", "list", "--config", str(bad))
    assert result.returncode == 2 and "no.such_rule" in result.stderr
