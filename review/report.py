"""The Report contract: what one document's review produces, for the CLI, the service, batch scans
and the approver. Reports carry sensitive text (the approver needs it): treat them as sensitive.

Changing a field means bumping SCHEMA_VERSION and regenerating docs/report.schema.json
(`python -m review.report > docs/report.schema.json`); a test checks the committed schema.
"""

from __future__ import annotations

import hashlib
import json
import re
import unicodedata
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from review.document import Location

SCHEMA_VERSION = "1.3"  # 1.3: attribute.needs_review; suggested is always proactive | on_request | withheld

Category = Literal["secret", "personal", "negative_list", "hidden", "redaction", "spam", "placeholder",
                   "consistency"]  # consistency: the attribute checks (declared vs suggested, implementing docs, 函复)
Severity = Literal["high", "medium", "low", "info"]
AttributeValue = Literal["proactive", "on_request", "withheld", "needs_review"]  # needs_review: reports before 1.3
SEVERITY_ORDER = {"info": 0, "low": 1, "medium": 2, "high": 3}


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class LegalBasis(Strict):
    law: str = Field(description="e.g. 《中华人民共和国政府信息公开条例》")
    article: str = Field(description="e.g. 第十五条")
    quote: str = Field("", description="a short quote of the article")

    def cite(self) -> str:
        return f"{self.law}{self.article}"


class ExplanationStep(Strict):
    """One stage a candidate went through: which rule, keyword or pattern, validator, context, filter,
    model label; `outcome` says what that stage concluded."""

    stage: str = Field(description="intake | keyword | pattern | validator | context | filter | model | threshold")
    detail: str
    outcome: str | None = None


class Explanation(Strict):
    summary: str = Field(description="one sentence: why this flag fired")
    steps: list[ExplanationStep] = []
    score: float | None = None


class Flag(Strict):
    id: str = Field(description="stable fingerprint: rule + normalised text, independent of position")
    category: Category
    type: str
    severity: Severity
    text: str = Field(description="the exact text, as extracted")
    context: str | None = Field(None, description="the finding with some text around it, from the same block")
    start: int | None = Field(None, description="offset in the document's extracted text")
    end: int | None = None
    location: Location
    rule: str
    explanation: Explanation
    legal_basis: list[LegalBasis] = []
    suggestion: str = Field(description="what to do, e.g. the masked form")


class AttributeReason(Strict):
    code: str
    text: str
    legal_basis: LegalBasis | None = None


class Attribute(Strict):
    suggested: AttributeValue | None = None
    confidence: float | None = None
    candidates: list[AttributeValue] = []
    needs_review: bool = Field(False, description="low confidence: the approver chooses between the candidates; "
                                                  "suggested is the one of least expected cost")
    reasons: list[AttributeReason] = []


class Classification(Strict):
    """密级和保密期限, e.g. 秘密★1年."""

    level: str = Field(description="绝密 | 机密 | 秘密 | 内部 (work secret)")
    term: str | None = Field(None, description="保密期限 as written, e.g. 1年, 6个月")
    raw: str
    expires: str | None = Field(None, description="成文日期 + 保密期限, ISO, when both are known")
    expired: bool | None = Field(None, description="the term has run out: a candidate for declassification review")


class GongwenMetadata(Strict):
    """公文 elements after GB/T 9704, plus the metadata table of a government portal page."""

    copy_number: str | None = Field(None, description="份号")
    classification: Classification | None = Field(None, description="密级和保密期限")
    urgency: str | None = Field(None, description="紧急程度: 特急 | 加急 ...")
    issuer_mark: str | None = Field(None, description="发文机关标志")
    doc_number: str | None = Field(None, description="发文字号, e.g. 示农发〔2025〕12号")
    signer: str | None = Field(None, description="签发人")
    title: str | None = Field(None, description="标题")
    doc_type: str | None = Field(None, description="文种 from the title: 通知, 请示, 会议纪要...")
    draft_status: str | None = Field(None, description="征求意见稿 / 讨论稿 / 送审稿… marked after the title")
    recipients: str | None = Field(None, description="主送机关")
    attachments: list[str] = Field([], description="附件说明")
    signature: str | None = Field(None, description="署名 (发文机关署名)")
    date: str | None = Field(None, description="成文日期, ISO yyyy-mm-dd")
    date_raw: str | None = None
    note: str | None = Field(None, description="附注 as written")
    declared_attribute: Literal["proactive", "on_request", "withheld"] | None = Field(
        None, description="the attribute the 附注 or the portal declares")
    cc: str | None = Field(None, description="抄送")
    printed_by: str | None = Field(None, description="印发机关")
    printed_date: str | None = Field(None, description="印发日期, ISO")
    index_number: str | None = Field(None, description="索引号 (portal)")
    publisher: str | None = Field(None, description="发布机构 (portal)")
    publish_date: str | None = Field(None, description="发布日期 (portal)")


class Report(Strict):
    schema_version: str = SCHEMA_VERSION
    path: str
    sha256: str | None = None
    format: str | None = None
    size: int | None = None
    pages: int | None = None
    encoding: str | None = None
    metadata: GongwenMetadata = GongwenMetadata()
    properties: dict[str, str] = Field({}, description="document properties as found (author, company...)")
    attribute: Attribute = Attribute()
    flags: list[Flag] = []
    warnings: list[str] = []
    error: str | None = Field(None, description="why the document could not be reviewed, in plain words")
    error_code: str | None = None
    duplicate_of: str | None = Field(None, description="batch scans: the path of an identical file (same sha256) "
                                     "whose review this report repeats; the file was not reviewed again")
    timings: dict[str, float] = Field({}, description="milliseconds per stage")
    tool: dict[str, str] = {}

    def to_json(self) -> str:
        return json.dumps(self.model_dump(mode="json"), ensure_ascii=False)


# --- fingerprints ----------------------------------------------------------------------------------
_spaces = re.compile(r"\s+")


def normalise_for_fingerprint(text: str) -> str:
    """Full/half width and white space must not change a flag's identity (NFKC folds widths)."""
    return _spaces.sub("", unicodedata.normalize("NFKC", text)).lower()


def fingerprint(rule: str, text: str) -> str:
    digest = hashlib.sha256(f"{rule}\x00{normalise_for_fingerprint(text)}".encode()).hexdigest()
    return digest[:16]


def report_json_schema() -> dict:
    return Report.model_json_schema()


if __name__ == "__main__":
    print(json.dumps(report_json_schema(), ensure_ascii=False, indent=2))
