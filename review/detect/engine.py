"""The detection engine: all rule packs compiled into one pass over a Document.

Stages, cheapest first, each able to say why it dropped a candidate:

    keyword prefilter  one Aho-Corasick pass (ahocorasick-rs) finds every keyword, term and context
                       word of every rule; a rule with keywords runs only if one of them occurs
    candidates         literal terms (from that same pass) and regexes; a regex with keywords of its own
                       (anchors: literals every match contains) runs only around them
    scope              head-of-document, visible or hidden text only, as the rule says
    allow              exceptions written in the rule
    validator          checksums and registries (review.detect.validators)
    context            words within a window raise or lower the score
    filters            small named false-positive filters (review.detect.filters)
    threshold          below min_score dropped; severity from the score
    merge              overlapping flags of one category: the strongest kept

The engine is built once per process and rule set (`engine_for`), then reused for every document.
"""

from __future__ import annotations

import bisect
import inspect
import logging
import re
from dataclasses import dataclass, field
from functools import lru_cache

import ahocorasick_rs

from review.detect import filters as filter_functions
from review.document import Document
from review.flags import make_flag
from review.report import SEVERITY_ORDER, ExplanationStep, Flag
from review.rules import Pattern, Rule, RuleSet, regex_reach

log = logging.getLogger(__name__)

HEAD_LINES = 10  # a 版头 marking sits in the first lines of the document
PAGE_CHROME = "page_chrome"  # Location.part of a web page's menus and footers (review.intake.html)
_SEVERITY_BELOW = {"high": "medium", "medium": "low", "low": "info", "info": "info"}
_CLAUSE_END = "，,；;。！？!?\n\t"
_SENTENCE_END = "；;。！？!?\n"
LOOKAROUND_REACH = 32  # characters a look-around may inspect beyond the match, when windows are cut to anchors


@dataclass
class Candidate:
    rule: "CompiledRule"
    start: int
    end: int
    score: float
    steps: list[ExplanationStep] = field(default_factory=list)
    severity: str | None = None
    trigger: tuple[int, int] = (0, 0)  # the match itself, before widening to its clause

    def __post_init__(self):
        self.trigger = (self.start, self.end)


def _surnames(limit: int = 400) -> list[str]:
    """The most frequent single surnames and every compound one, longest first for the regex."""
    from importlib import resources
    rows = [line.split("\t") for line in resources.files("review").joinpath("data", "surnames.tsv")
            .read_text(encoding="utf-8").splitlines() if line and not line.startswith("#")]
    single = [name for name, _ in rows if len(name) == 1][:limit]
    compound = [name for name, _ in rows if len(name) > 1]
    return sorted(set(single + compound), key=lambda name: (-len(name), name))  # stable across processes


@lru_cache(maxsize=1)
def _macros() -> dict[str, str]:
    surname = "(?:" + "|".join(_surnames()) + ")"
    return {"{SURNAME}": surname, "{NAME}": surname + r"[\u4e00-\u9fa5\u3400-\u4dbf]{1,2}"}


def _expand_macros(regex: str) -> str:
    """Patterns may say {SURNAME} or {NAME} instead of spelling out hundreds of surnames."""
    for macro, value in _macros().items() if "{" in regex else ():
        regex = regex.replace(macro, value)
    return regex


def _address_candidates(text: str):
    from review.detect.gazetteer import find_addresses
    for match in find_addresses(text, min_level="road"):
        yield match.start, match.end, f"address down to {match.level}"


# The person-name model's span score below which its spans are not used: on People's Daily dev, spans
# scoring 0.9 or more were names 95 % of the time, those between 0.7 and 0.9 only 46 % (models/person_ner).
PERSON_NER_MIN_SCORE = 0.9


@lru_cache(maxsize=1)
def _person_ner():
    """The shipped person-name model, or None (said once in the log) when it cannot be loaded: its rule then
    finds nothing, and the document's review, every other rule included, goes on."""
    from review.ner import PersonNER
    try:
        return PersonNER.load()
    except (ImportError, OSError, ValueError) as exc:
        log.warning("person-name model not loaded (%s): personal.person_name_model finds nothing", type(exc).__name__)
        return None


def _person_ner_candidates(text: str):
    model = _person_ner()
    for start, end, score in model.find(text) if model else ():
        if score >= PERSON_NER_MIN_SCORE:
            yield start, end, f"person-name model (p={score:.2f})"


# Named candidate finders for what a regex cannot say well (a gazetteer, a model).
FINDERS = {"address": _address_candidates, "person_ner": _person_ner_candidates}
# Finders that read only the sentence holding each keyword (within the window): the person-name model
# reads about 20,000 characters a second, and a name in another sentence is not the one the cue is about.
SENTENCE_FINDERS = {"person_ner"}


@dataclass(frozen=True)
class CompiledPattern:
    regex: re.Pattern
    score: float
    keywords: tuple[str, ...]  # run only around these (empty: over the whole text)
    near: int | None  # characters either side of a keyword the regex needs to see


def _compile_pattern(pattern: Pattern, rule: Rule, anchored: bool) -> CompiledPattern:
    regex = re.compile(_expand_macros(pattern.regex), re.I if "i" in pattern.flags else 0)
    if pattern.keywords and anchored:
        # a match contains an anchor, so it lies within its longest length of one: the windows lose nothing
        near = pattern.near_keywords or regex_reach(regex.pattern) + LOOKAROUND_REACH
        return CompiledPattern(regex, pattern.score, tuple(pattern.keywords), near)
    if pattern.near_keywords and not pattern.keywords:
        return CompiledPattern(regex, pattern.score, tuple(rule.keywords), pattern.near_keywords)
    return CompiledPattern(regex, pattern.score, (), None)


class CompiledRule:
    def __init__(self, rule: Rule, anchored: bool = True):
        self.rule = rule
        self.patterns = [_compile_pattern(p, rule, anchored) for p in rule.patterns]
        self.finder = FINDERS[rule.finder] if rule.finder else None
        self.allow = [re.compile(a) for a in rule.allow]
        self.filters = [filter_functions.get(name) for name in rule.filters]
        self.validator = None
        if rule.validator:
            from review.detect.validators import VALIDATORS
            self.validator = VALIDATORS[rule.validator]
        # a validator that can use context (an 18-digit bank account needs 账号 nearby) says so
        self.validator_takes_context = bool(self.validator) and \
            "context_ok" in inspect.signature(self.validator).parameters


class Engine:
    """`anchored=False` runs every regex with keywords of its own over the whole text instead of around
    them: the slow reference that tests compare the anchors with."""

    def __init__(self, rules: RuleSet, anchored: bool = True):
        self.rules = [CompiledRule(r, anchored) for r in rules.rules.values() if r.patterns or r.terms or r.finder]
        words = set()
        for compiled in self.rules:
            r = compiled.rule
            words.update(r.keywords, r.terms, r.context.words, r.context.negative)
            words.update(k for p in compiled.patterns for k in p.keywords)
        self.words = sorted(w for w in words if w)
        # a DFA: larger to build than the default NFA, but scans text about twice as fast
        self.automaton = ahocorasick_rs.AhoCorasick(self.words, implementation=ahocorasick_rs.Implementation.DFA) \
            if self.words else None

    def detect_text(self, text: str) -> list[Flag]:
        """Detection over a bare text (one block per line): rule examples, `review rules test`."""
        return self.detect(Document.from_text(text))

    def self_test(self) -> list[tuple[str, str, str, list[str]]]:
        """Run every rule's examples, each rule on its own: (rule id, "flag"|"ignore", text, problems)."""
        results = []
        for compiled in self.rules:
            rule = compiled.rule
            alone = Engine(RuleSet.only(rule))
            for kind in ("flag", "ignore"):
                for text in getattr(rule.examples, kind):
                    fired = [f for f in alone.detect_text(text) if f.rule == rule.id and f.severity != "info"]
                    problems = []
                    if kind == "flag" and not fired:
                        problems.append("did not fire")
                    if kind == "ignore" and fired:
                        problems.append(f"fired on {[f.text for f in fired]}")
                    results.append((rule.id, kind, text, problems))
        return results

    # -- the pass ---------------------------------------------------------------------------------
    def detect(self, document: Document) -> list[Flag]:
        text = document.text
        positions = self._find_words(text)
        head_end = _head_end(document)
        head_spans = _head_spans(document, head_end)
        candidates: list[Candidate] = []
        for compiled in self.rules:
            rule = compiled.rule
            if rule.keywords and not any(positions.get(k) for k in rule.keywords):
                continue
            for candidate in self._candidates(compiled, text, positions,
                                              head_spans if rule.scope == "head" else None):
                if self._in_scope(rule, candidate, document, head_end) and self._judge(candidate, text, positions,
                                                                                    document):
                    candidates.append(candidate)
        return [self._flag(c, document) for c in _merge(candidates)]

    def _find_words(self, text: str) -> dict[str, list[int]]:
        positions: dict[str, list[int]] = {}
        if self.automaton is None:
            return positions
        for index, start, _ in self.automaton.find_matches_as_indexes(text, overlapping=True):
            positions.setdefault(self.words[index], []).append(start)
        return positions

    def _candidates(self, compiled: CompiledRule, text: str, positions, spans=None):
        rule = compiled.rule
        for term in rule.terms:
            for start in positions.get(term, ()):
                yield Candidate(compiled, start, start + len(term), rule.term_score,
                                [ExplanationStep(stage="keyword", detail=f"term «{term}»", outcome="matched")])
        if compiled.finder is not None:
            # a finder with keywords looks only near them (the address finder near 住址, 现住...)
            near = rule.context.window + 80 if rule.keywords else None
            windows = _sentence_windows(rule.keywords, positions, near, text) if rule.finder in SENTENCE_FINDERS \
                else _windows(rule.keywords, positions, near, len(text))
            for lo, hi in windows:
                for start, end, detail in compiled.finder(text[lo:hi]):
                    yield Candidate(compiled, lo + start, lo + end, 0.5,
                                    [ExplanationStep(stage="pattern", detail=f"finder {rule.finder}: {detail}",
                                                     outcome="matched")])
        for number, pattern in enumerate(compiled.patterns):
            regex = pattern.regex
            windows = spans or _windows(pattern.keywords, positions, pattern.near, len(text))
            for match in _matches(regex, text, windows):
                group = "value" if "value" in regex.groupindex and match.group("value") is not None else 0
                start, end = match.span(group)
                if start == end:
                    continue
                yield Candidate(compiled, start, end, pattern.score,
                                [ExplanationStep(stage="pattern", detail=f"pattern {number + 1}: {regex.pattern[:80]}",
                                                 outcome="matched")])

    @staticmethod
    def _in_scope(rule: Rule, candidate: Candidate, document: Document, head_end: int) -> bool:
        block = document.locate(candidate.start)
        if block is not None and block.location.part == PAGE_CHROME:
            return rule.scope == "page"
        if rule.scope in ("all", "page"):
            return True
        if block is None:
            return False
        if rule.scope == "visible":
            return block.hidden is None
        if rule.scope == "hidden":
            return block.hidden is not None
        # head: the first lines of the body, or a page header/footer (where markings are printed)
        return block.hidden is None and (candidate.start < head_end or block.location.part in ("header", "footer"))

    def _judge(self, candidate: Candidate, text: str, positions, document: Document) -> bool:
        compiled, rule = candidate.rule, candidate.rule.rule
        value = text[candidate.start:candidate.end]
        for allow in compiled.allow:
            if allow.search(value):
                candidate.steps.append(ExplanationStep(stage="filter", detail=f"allow {allow.pattern}",
                                                       outcome="dropped"))
                return False
        context = rule.context
        lo, hi = candidate.start - context.window, candidate.end + context.window
        seen = [w for w in context.words if _near(positions.get(w), lo, hi, candidate)]
        # A lowering label after a value belongs to its own line (13092924017（执法证号）); one on the next line
        # is another item's (…联系电话\n13826226592。\n2.合同、发票…) and must not sink this one.
        line_end = text.find("\n", candidate.end)
        after_limit = hi if line_end < 0 else min(hi, line_end)
        against = [w for w in context.negative if _near(positions.get(w), lo, after_limit, candidate)]
        if compiled.validator is not None:
            check = compiled.validator(value, context_ok=bool(seen)) if compiled.validator_takes_context \
                else compiled.validator(value)
            candidate.steps.append(ExplanationStep(stage="validator", detail=f"{rule.validator}: {check.detail}",
                                                   outcome="valid" if check.ok else "invalid"))
            if not check.ok:
                return False
            candidate.score = min(1.0, candidate.score + 0.3)
        if context.words or context.negative:
            if seen:
                candidate.score = min(1.0, candidate.score + context.boost)
            if against:
                candidate.score = max(0.0, candidate.score - context.penalty)
            candidate.steps.append(ExplanationStep(
                stage="context", detail=f"within {context.window} characters: "
                + (f"raising {', '.join(seen)}" if seen else "no raising word")
                + (f"; lowering {', '.join(against)}" if against else ""),
                outcome=f"score {candidate.score:.2f}"))
            if context.require and not seen:
                return False
        _expand(candidate, text, rule.expand)  # filters judge the statement, not the trigger word
        for check in compiled.filters:
            verdict = check(candidate, text, document)
            if verdict is None:
                continue
            outcome, reason = verdict
            candidate.steps.append(ExplanationStep(stage="filter", detail=f"{check.__name__}: {reason}",
                                                   outcome=outcome))
            if outcome == "drop":
                return False
            candidate.severity = "info"
        if candidate.score < rule.min_score:
            return False
        if candidate.severity is None:
            candidate.severity = rule.severity if candidate.score >= 0.7 else _SEVERITY_BELOW[rule.severity]
        candidate.steps.append(ExplanationStep(
            stage="threshold", detail=f"score {candidate.score:.2f} (min {rule.min_score:.2f}; full severity from 0.70)",
            outcome=candidate.severity))
        return True

    @staticmethod
    def _flag(candidate: Candidate, document: Document) -> Flag:
        rule = candidate.rule.rule
        text = document.text[candidate.start:candidate.end]
        suggestion = None
        if rule.mask:
            from review.detect.masking import mask
            suggestion = f"{rule.suggestion}：{mask(rule.mask, text)}"
        return make_flag(rule, document, text=text, start=candidate.start, end=candidate.end,
                         summary=f"{rule.name}", steps=candidate.steps, score=round(candidate.score, 2),
                         suggestion=suggestion, severity=candidate.severity)


def _windows(keywords, positions, near: int | None, length: int) -> list[tuple[int, int]]:
    """The stretches of text a pattern needs to see: all of it, or merged windows around keyword hits."""
    if not near or not keywords:
        return [(0, length)]
    starts = sorted(p for k in keywords for p in positions.get(k, ()))
    spans: list[list[int]] = []
    for start in starts:
        lo, hi = max(0, start - near), min(length, start + near)
        if spans and lo <= spans[-1][1]:
            spans[-1][1] = max(spans[-1][1], hi)
        else:
            spans.append([lo, hi])
    return [(lo, hi) for lo, hi in spans]


_SENTENCE_END = re.compile(r"[。！？!?]")


def _sentence_windows(keywords, positions, near: int | None, text: str) -> list[tuple[int, int]]:
    """As _windows, but each keyword's window ends at the sentence ends on either side of it."""
    if not near or not keywords:
        return [(0, len(text))]
    spans: list[list[int]] = []
    for start in sorted(p for k in keywords for p in positions.get(k, ())):
        lo, hi = max(0, start - near), min(len(text), start + near)
        before = [m.end() for m in _SENTENCE_END.finditer(text, lo, start)]
        after = _SENTENCE_END.search(text, start, hi)
        lo, hi = (before[-1] if before else lo), (after.end() if after else hi)
        if spans and lo <= spans[-1][1]:
            spans[-1][1] = max(spans[-1][1], hi)
        else:
            spans.append([lo, hi])
    return [(lo, hi) for lo, hi in spans]


def _matches(pattern, text: str, windows):
    for lo, hi in windows:
        yield from pattern.finditer(text, lo, hi)


def _near(starts: list[int] | None, lo: int, hi: int, candidate: Candidate) -> bool:
    """A context word starting within [lo, hi) that is not the candidate itself."""
    if not starts:
        return False
    i = bisect.bisect_left(starts, max(lo, 0))
    while i < len(starts) and starts[i] < hi:
        if not (candidate.start <= starts[i] < candidate.end):
            return True
        i += 1
    return False


def _expand(candidate: Candidate, text: str, how: str) -> None:
    """Widen a keyword hit to its clause or sentence, so the approver sees the statement, not a word."""
    if how == "none":
        return
    stops = _CLAUSE_END if how == "clause" else _SENTENCE_END
    start, end = candidate.start, candidate.end
    while start > 0 and text[start - 1] not in stops and candidate.end - start < 120:
        start -= 1
    while end < len(text) and text[end] not in stops and end - candidate.start < 160:
        end += 1
    while start < end and text[start] in " \u3000\t":
        start += 1
    candidate.start, candidate.end = start, end


def _head_spans(document: Document, head_end: int) -> list[tuple[int, int]]:
    """Where a head-scoped rule looks: the first lines and every page header and footer."""
    spans = [(0, head_end)]
    spans += [(b.start, b.end) for b in document.blocks
              if b.hidden is None and b.location.part in ("header", "footer") and b.start >= head_end]
    return spans


def _head_end(document: Document) -> int:
    lines = 0
    for block in document.blocks:
        if block.hidden is not None:
            break
        if block.location.part in ("header", "footer"):
            continue
        lines += block.text.count("\n") + 1
        if lines >= HEAD_LINES:
            return block.end
    return document.visible_end


def _merge(candidates: list[Candidate]) -> list[Candidate]:
    """Overlapping candidates of one category: keep the strongest (severity, score, length)."""
    def strength(c: Candidate):
        return (SEVERITY_ORDER[c.severity], c.end - c.start, c.score)

    kept: list[Candidate] = []
    by_category: dict[str, list[Candidate]] = {}
    for candidate in sorted(candidates, key=strength, reverse=True):
        group = by_category.setdefault(candidate.rule.rule.category, [])
        if any(c.start < candidate.end and candidate.start < c.end for c in group):
            continue
        group.append(candidate)
        kept.append(candidate)
    return sorted(kept, key=lambda c: c.start)


@lru_cache(maxsize=8)
def engine_for(rules: RuleSet) -> Engine:
    return Engine(rules)
