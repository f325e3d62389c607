"""Rule packs: YAML data under rules/, validated on load.

The on-disk schema (pydantic, strict) is kept apart from what detectors use, so that a broken pack
fails fast with a message naming the file and the rule id. Shipped packs live in the package
(`review._rules`, mapped from the repository's top-level rules/); an agency adds its own packs through
ScanConfig.rule_packs, later packs overriding rules of the same id.
"""

from __future__ import annotations

import datetime
import re
from datetime import date
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from review.errors import RulePackError
from review.report import Category, LegalBasis, Severity


class Examples(BaseModel):
    model_config = ConfigDict(extra="forbid")
    flag: list[str] = []
    ignore: list[str] = []


def regex_reach(regex: str) -> int | None:
    """The longest text `regex` can match (look-arounds not counted), or None when a repetition is
    unbounded (*, +, {n,})."""
    # the standard library's own parser measures it (the private module is stable since 3.11)
    from re import _parser
    longest = _parser.parse(regex.replace("{SURNAME}", "X").replace("{NAME}", "X")).getwidth()[1]
    return None if longest >= _parser.MAXREPEAT else longest


class Pattern(BaseModel):
    """A regular expression; a named group `value` marks the flagged part (else the whole match)."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    regex: str
    score: float = Field(0.5, ge=0, le=1)
    flags: str = ""  # e.g. "i"
    keywords: list[str] = Field([], description="anchors: literals of which every match contains one; the regex "
                                "runs only around them (speed), finding exactly what a whole-text search finds")
    near_keywords: int | None = Field(None, ge=1, le=2000, description="run only this many characters around "
                                      "the keywords (the pattern's own, else the rule's); with the pattern's own "
                                      "keywords it defaults to the regex's longest match")

    @model_validator(mode="after")
    def _anchored_patterns_are_bounded(self):
        if self.keywords and self.near_keywords is None:
            try:
                reach = regex_reach(self.regex)
            except re.error:
                return self  # the engine reports the broken regex when it compiles the rule
            if reach is None:
                raise ValueError("a pattern with keywords and an unbounded repetition (*, +, {n,}) needs "
                                 "near_keywords: how far from a keyword a match can reach")
        return self


class Context(BaseModel):
    """Words near a candidate (within `window` characters either side) that raise or lower its score."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    window: int = Field(20, ge=0, le=500)
    words: list[str] = []
    boost: float = Field(0.3, ge=0, le=1)
    negative: list[str] = []
    penalty: float = Field(0.5, ge=0, le=1)
    require: bool = False  # drop candidates with no positive context word


# all: the document's visible and hidden text; visible / hidden: one of them; head: the first lines and page
# headers/footers (markings); page: all, plus a web page's chrome (menus, footers, link bars) outside the
# article — chrome is not the document, but injected spam hides there
Scope = Literal["all", "visible", "hidden", "head", "page"]


class Rule(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str = Field(pattern=r"^[a-z0-9_]+(\.[a-z0-9_]+)+$")
    category: Category
    type: str
    severity: Severity
    name: str = Field(min_length=2, description="short Chinese name shown to the approver, e.g. 批注")
    description: str = Field(min_length=4)
    legal_basis: list[LegalBasis] = Field(min_length=1)
    suggestion: str
    keywords: list[str] = Field([], description="prefilter: the rule runs only where one of them occurs")
    terms: list[str] = Field([], description="literal terms that are findings by themselves")
    term_score: float = Field(0.6, ge=0, le=1)
    patterns: list[Pattern] = []
    finder: str | None = Field(None, description="a named candidate finder (review.detect.engine.FINDERS)")
    context: Context = Context()
    validator: str | None = None
    allow: list[str] = Field([], description="regexes: a candidate text matching one is not a finding")
    filters: list[str] = Field([], description="named false-positive filters (review.detect.filters)")
    mask: str | None = Field(None, description="masking kind for the suggested fix")
    scope: Scope = "all"
    min_score: float = Field(0.4, ge=0, le=1)
    expand: Literal["none", "clause", "sentence"] = Field("none", description="flag the whole clause/sentence")
    examples: Examples = Examples()


class RulePack(BaseModel):
    model_config = ConfigDict(extra="forbid")

    pack: str
    version: str
    effective: date | None = Field(None, description="the pack applies from this date (ISO)")
    description: str = ""
    rules: list[Rule]
    disable: list[str] = []  # rule ids of earlier packs that this pack switches off


def load_pack(path: Path | str, text: str | None = None) -> RulePack:
    path = Path(path)
    try:
        data = yaml.safe_load(text if text is not None else path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise RulePackError(f"{path}: cannot read rule pack: {exc}", code="R001") from None
    if not isinstance(data, dict):
        raise RulePackError(f"{path}: a rule pack is a mapping with pack, version and rules", code="R001")
    try:
        pack = RulePack.model_validate(data)
    except ValidationError as exc:
        raise RulePackError(f"{path}: {_describe(exc, data)}", code="R002") from None
    ids = [rule.id for rule in pack.rules]
    duplicates = sorted({i for i in ids if ids.count(i) > 1})
    if duplicates:
        raise RulePackError(f"{path}: duplicate rule ids {duplicates}", code="R003")
    return pack


def _describe(exc: ValidationError, data: dict) -> str:
    problems = []
    for error in exc.errors()[:5]:
        where = error["loc"]
        if len(where) >= 2 and where[0] == "rules" and isinstance(where[1], int):
            rules = data.get("rules") or []
            rule_id = rules[where[1]].get("id", f"#{where[1]}") if where[1] < len(rules) and \
                isinstance(rules[where[1]], dict) else f"#{where[1]}"
            field = ".".join(str(x) for x in where[2:]) or "(rule)"
            problems.append(f"rule {rule_id}: {field}: {error['msg']}")
        else:
            problems.append(f"{'.'.join(str(x) for x in where)}: {error['msg']}")
    return "; ".join(problems)


def shipped_pack_paths() -> list[Path]:
    folder = resources.files("review._rules")
    return sorted(Path(str(item)) for item in folder.iterdir() if item.name.endswith(".yaml"))


class RuleSet:
    """All active rules by id, from the shipped packs then the configured ones."""

    def __init__(self, packs: list[RulePack]):
        self.rules: dict[str, Rule] = {}
        today = datetime.date.today()
        self.packs = packs = [p for p in packs if p.effective is None or p.effective <= today]
        for pack in packs:
            for rule_id in pack.disable:
                self.rules.pop(rule_id, None)
            for rule in pack.rules:
                self.rules[rule.id] = rule

    @classmethod
    def only(cls, rule: Rule) -> "RuleSet":
        """A set holding one rule: its examples are tested without other rules' flags merging over them."""
        single = cls([])
        single.rules = {rule.id: rule}
        return single

    def __getitem__(self, rule_id: str) -> Rule:
        return self.rules[rule_id]

    def get(self, rule_id: str) -> Rule | None:
        return self.rules.get(rule_id)

    def versions(self) -> dict[str, str]:
        return {pack.pack: pack.version for pack in self.packs}


@lru_cache(maxsize=8)
def load_rules(extra: tuple[str, ...] = (), disabled: tuple[str, ...] = ()) -> RuleSet:
    """Loaded once per process and per configuration (workers call it once)."""
    paths = shipped_pack_paths() + [Path(p) for p in extra]
    rules = RuleSet([load_pack(path) for path in paths])
    unknown = sorted(set(disabled) - set(rules.rules))
    if unknown:
        raise RulePackError(f"disable_rules names unknown rule ids: {', '.join(unknown)}", code="R004")
    for rule_id in disabled:
        rules.rules.pop(rule_id)
    return rules


def rules_for(config) -> RuleSet:
    return load_rules(tuple(config.rule_packs), tuple(config.disable_rules))
