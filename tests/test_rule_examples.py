"""Every rule proves itself: its `flag` examples fire, its `ignore` examples do not (like gitleaks'
rule samples). Each example is reviewed as a one-paragraph document, so head-scoped rules see it in
the head."""

import pytest

from review.detect.engine import engine_for
from review.document import Document, Location
from review.rules import load_rules

RULES = load_rules()
ENGINE = engine_for(RULES)
CASES = [(rule.id, kind, text) for rule in RULES.rules.values()
         for kind in ("flag", "ignore") for text in getattr(rule.examples, kind)]


def flags_of(text: str):
    document = Document(path="example.txt", format="txt", sha256="0", size=len(text))
    for number, line in enumerate(text.split("\n"), start=1):
        document.add(line, Location(part="body", line=number))
    return ENGINE.detect(document.finish())


@pytest.mark.parametrize("rule_id,kind,text", CASES, ids=[f"{r}-{k}-{i}" for i, (r, k, _) in enumerate(CASES)])
def test_rule_example(rule_id, kind, text):
    fired = [f for f in flags_of(text) if f.rule == rule_id and f.severity != "info"]
    if kind == "flag":
        assert fired, f"{rule_id} should flag {text!r}"
        for flag in fired:
            assert text.find(flag.text) >= 0 and flag.explanation.steps
    else:
        assert not fired, f"{rule_id} should not flag {text!r}: {[f.text for f in fired]}"


def test_every_detection_rule_has_examples():
    for rule in RULES.rules.values():
        if rule.patterns or rule.terms:
            assert rule.examples.flag, f"{rule.id} has no flag example"
