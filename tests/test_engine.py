"""The engine's speed-ups change nothing: a regex anchored on its keywords finds exactly what the same regex
finds over the whole text, every match holds one of its anchors, and a broken anchor declaration fails on
load with the rule's id."""

import json
import os
import random
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

from review.detect.engine import Engine
from review.document import Document
from review.errors import RulePackError
from review.rules import load_pack, load_rules, regex_reach

RULES = load_rules()
ANCHORED = Engine(RULES)
WHOLE_TEXT = Engine(RULES, anchored=False)
FILLER = ["", "\n", "，", "。", " ", "\u3000\u3000", "：", "\t", "号", "（", "）", "@", "2025年", "13800001234"]


def examples_text(seed: int, prose: list[str]) -> str:
    """Every rule example, flag and ignore, shuffled and glued with punctuation, prose and near-misses."""
    examples = [text for rule in RULES.rules.values() for kind in ("flag", "ignore")
                for text in getattr(rule.examples, kind)]
    rng = random.Random(seed)
    pieces = []
    for text in rng.sample(examples, len(examples)) * 2:
        pieces += [rng.choice(FILLER), text, rng.choice(FILLER)]
        if prose and rng.random() < 0.5:
            pieces.append(rng.choice(prose))
    return "".join(pieces)


def flags_of(engine: Engine, text: str):
    document = Document.from_text(text)
    return [(f.rule, f.start, f.end, f.severity, f.explanation.score, [s.detail for s in f.explanation.steps])
            for f in engine.detect(document)]


def assert_same_flags(text: str) -> None:
    anchored, whole = flags_of(ANCHORED, text), flags_of(WHOLE_TEXT, text)
    assert anchored == whole
    assert anchored, "the text should raise flags, or the comparison proves little"


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_anchored_patterns_flag_exactly_what_whole_text_search_flags(seed):
    assert_same_flags(examples_text(seed, prose=[]))


def test_the_same_on_real_government_text(shared_dir):
    rows = (shared_dir / "data" / "policy_docs_central_shandong" / "policy_documents.jsonl").read_text(
        encoding="utf-8").splitlines()[:60]
    prose = [sentence + "。" for row in rows for sentence in (json.loads(row)["content_zh"] or "").split("。")
             if sentence.strip()]
    assert_same_flags(examples_text(4, prose))


def test_every_match_of_an_anchored_pattern_holds_one_of_its_keywords():
    text = examples_text(5, prose=[])
    checked = 0
    for compiled in ANCHORED.rules:
        for number, (declared, pattern) in enumerate(zip(compiled.rule.patterns, compiled.patterns), start=1):
            if not declared.keywords:
                continue
            for match in pattern.regex.finditer(text):
                checked += 1
                assert any(k in match.group() for k in declared.keywords), \
                    f"{compiled.rule.id} pattern {number} matched {match.group()!r} without any of its keywords"
    assert checked > 20


def test_the_window_is_the_longest_match_unless_declared():
    assert regex_reach(r"(?:机关|职工)食堂[^，。；\n]{0,30}(?:承包|经营|外包)") == 36
    assert regex_reach(r"1[3-9]\d(?!\d)") == 3  # look-arounds match no characters
    assert regex_reach(r"_{3,}") is None
    assert regex_reach(r"{NAME}：") is not None


PACK = """pack: test
version: "1"
rules:
  - id: test.unbounded
    name: 测试规则
    category: negative_list
    type: test
    severity: medium
    description: An anchored pattern with an unbounded repetition.
    legal_basis: [{law: 《条例》, article: 第一条, quote: 测试。}]
    suggestion: 无
    patterns:
      - regex: '警力\\s*\\d+\\s*名'
        keywords: [警力]
"""


def test_an_anchored_unbounded_pattern_needs_near_keywords(tmp_path):
    path = tmp_path / "pack.yaml"
    with pytest.raises(RulePackError) as caught:
        load_pack(path, PACK)
    assert caught.value.code == "R002" and "test.unbounded" in str(caught.value) and "near_keywords" in str(caught.value)
    pack = load_pack(path, PACK + "        near_keywords: 40\n")
    assert pack.rules[0].patterns[0].near_keywords == 40


def test_expanded_patterns_are_the_same_in_every_process():
    """Surnames expand in a fixed order, so explanations (which quote the pattern) do not vary by run."""
    script = "from review.detect.engine import _macros; print(_macros()['{NAME}'])"
    outputs = {subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True,
                              env={**os.environ, "PYTHONHASHSEED": seed}).stdout for seed in ("1", "2")}
    assert len(outputs) == 1


def test_the_person_name_model_reads_only_the_sentences_that_hold_its_cues(monkeypatch):
    """personal.person_name_model runs the slow model on the sentence around each cue word, not on a window
    of characters across sentences (a name in the next sentence is not the one the cue is about)."""
    from review.detect import engine as engine_module

    seen: list[str] = []

    def recording_finder(text):
        seen.append(text)
        return iter(())
    monkeypatch.setitem(engine_module.FINDERS, "person_ner", recording_finder)
    engine = Engine(RULES)
    before, cue, after = "全县共有农村低保对象一千二百户。", "该户户主现居示例县城关镇。", "下一步将继续做好兜底保障工作。"
    engine.detect(Document.from_text(before + cue + after))
    assert seen == [cue]
    seen.clear()
    engine.detect(Document.from_text("全县做好兜底保障工作，落实各项政策。"))  # no cue: the model is not run
    assert seen == []


def test_without_the_person_name_model_the_other_rules_still_run(monkeypatch, caplog):
    from review import ner
    from review.detect import engine as engine_module

    monkeypatch.setattr(ner, "default_model_path", lambda: Path(tempfile.gettempdir()) / "no-such-model")
    engine_module._person_ner.cache_clear()
    try:
        text = "信访人覃莉莎，现居示例县城关镇，手机13800138000。"
        flags = Engine(RULES).detect(Document.from_text(text))
        assert {f.type for f in flags} >= {"mobile"}
        assert not any(f.rule == "personal.person_name_model" for f in flags)
        assert "person-name model not loaded" in caplog.text
    finally:
        engine_module._person_ner.cache_clear()
