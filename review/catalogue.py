"""The proactive-disclosure catalogue: which item of 条例第二十条 / 第二十一条 a document's title falls under.

The items are data (rules/catalogue/proactive.yaml). A match is evidence, not a verdict: it enters the
attribute model as a structural feature (its weight learnt from the training corpus and checked by
cross-validation) and gives the approver the article and item that would ground proactive disclosure.
"""

from __future__ import annotations

import re
from functools import lru_cache
from importlib import resources
from pathlib import Path

import yaml
from pydantic import BaseModel, ConfigDict, PrivateAttr

from review.report import GongwenMetadata, LegalBasis


class Examples(BaseModel):
    model_config = ConfigDict(extra="forbid")
    match: list[str] = []
    no_match: list[str] = []


class CatalogueItem(BaseModel):
    model_config = ConfigDict(extra="forbid")
    id: str
    article: str
    item: str
    quote: str
    note: str | None = None
    patterns: list[str]
    exclude: list[str] = []
    examples: Examples = Examples()


class Catalogue(BaseModel):
    model_config = ConfigDict(extra="forbid")
    catalogue: str
    version: str
    law: str
    exclude: list[str] = []
    items: list[CatalogueItem]
    _compiled: list = PrivateAttr(default_factory=list)

    def model_post_init(self, _context) -> None:
        self._compiled = [(item, re.compile("|".join(f"(?:{p})" for p in item.patterns)),
                           re.compile("|".join(f"(?:{p})" for p in self.exclude + item.exclude)))
                          for item in self.items]

    def match(self, title: str | None) -> CatalogueItem | None:
        """The first item whose patterns the title matches and whose exclusions it does not."""
        if not title:
            return None
        for item, pattern, excluded in self._compiled:
            if pattern.search(title) and not excluded.search(title):
                return item
        return None

    def item(self, item_id: str) -> CatalogueItem:
        return next(item for item in self.items if item.id == item_id)

    def basis(self, item: CatalogueItem) -> LegalBasis:
        return LegalBasis(law=self.law, article=item.article + (f"第{item.item}项" if item.item else ""),
                          quote=item.quote)


@lru_cache(maxsize=2)
def load_catalogue(path: str | None = None) -> Catalogue:
    source = Path(path) if path else Path(str(resources.files("review._rules"))) / "catalogue" / "proactive.yaml"
    return Catalogue.model_validate(yaml.safe_load(source.read_text(encoding="utf-8")))


def title_of(metadata: GongwenMetadata, text: str) -> str | None:
    """The 标题 the 公文 reader found, else the first non-empty line (short texts, portal pages)."""
    if metadata.title:
        return metadata.title
    for line in text.splitlines():
        if line.strip():
            return line.strip()[:80]
    return None
