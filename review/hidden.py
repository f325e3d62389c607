"""Flags that intake raises by itself: hidden content (comments, tracked changes, hidden, white and tiny
text, CSS-hidden nodes, annotations, hidden sheets, document properties naming a person or an
organisation, embedded objects) and failed PDF redactions.

The detection packs also scan the hidden blocks for personal data or secrets; these flags say that
the hidden content is there at all, which is enough to stop publication as it stands.
"""

from __future__ import annotations

import re

from review.document import Block, Document, Location
from review.flags import make_flag
from review.report import ExplanationStep, Flag
from review.rules import RuleSet

# block hidden kind -> rule id
_RULE_FOR_KIND = {
    "comment": "hidden.comment",
    "tracked_deletion": "hidden.tracked_deletion",
    "hidden_text": "hidden.hidden_text",
    "white_text": "hidden.white_text",
    "tiny_text": "hidden.tiny_text",
    "css_hidden": "hidden.css_hidden",
    "annotation": "hidden.annotation",
    "hidden_sheet": "hidden.hidden_sheet",
    "hidden_rows": "hidden.hidden_sheet",
    "hidden_columns": "hidden.hidden_sheet",
    "doc_property": "hidden.doc_property",
    "html_comment": "hidden.html_comment",
}
# A page comment is flagged for its mere presence only when it holds text, not a template marker
# (<!-- 头部开始 -->); the packs scan every comment for what it says.
HTML_COMMENT_MIN_CJK = 10
_CJK = re.compile(r"[\u4e00-\u9fff\u3400-\u4dbf]")

# Properties that hold who wrote or owns the file. Title, subject and keywords hold content, which the
# detection packs read like any other text.
_PERSON_PROPERTIES = re.compile(r"^(dc:creator|cp:lastModifiedBy|app:Company|app:Manager|custom:.*|/Author|"
                                r"DocInfo/Author|DocInfo/CustomData/.*|creator|lastModifiedBy|last_modified_by|Author|Company|Manager)$",
                                re.I)
# Account names that software fills in by itself: they name nobody.
_DEFAULT_ACCOUNTS = re.compile(
    r"^(administrator|admin|user|users|owner|author|guest|unknown|anonymous|default|pc|test|"
    r"microsoft( office)?( user| 用户)?|windows (user|用户)|微软用户|微软中国|用户|作者|匿名|系统管理员|管理员|"
    r"lenovo|dell|hp|asus|acer|python-docx|openpyxl|apache poi|reportlab|wps|wps office|kingsoft|"
    r"deepin|uos|uos用户|ofd|dwx|x|[a-z]{1,2}|\d+)$", re.I)


# A government organ named as author is the publisher itself: reported for completeness (info), not a
# finding. People and companies (a vendor, a consultant) are findings.
_GOVERNMENT_ORGAN = re.compile(r"(人民政府|政府|委员会|办公室|办公厅|局|厅|部|署|委|办|处|科|所|站|队|中心|院|馆|"
                               r"学校|小学|中学|大学|学院|党组|党委|支部|街道|乡|镇|法院|检察院)$")


def is_government_organ(value: str) -> bool:
    value = value.strip()
    return len(value) >= 4 and bool(_GOVERNMENT_ORGAN.search(value)) and "公司" not in value


def is_default_account(value: str) -> bool:
    return bool(_DEFAULT_ACCOUNTS.match(value.strip()))


def is_identifying_property(block: Block) -> bool:
    """A property that names a person or an organisation (not a software default)."""
    name = (block.hidden.detail if block.hidden else None) or block.location.name or ""
    return bool(_PERSON_PROPERTIES.match(name)) and not is_default_account(block.text)


def intake_flags(document: Document, rules: RuleSet) -> list[Flag]:
    return hidden_content_flags(document, rules) + tracked_insertion_flags(document, rules) + \
        embedded_object_flags(document, rules) + redaction_flags(document, rules)


def hidden_content_flags(document: Document, rules: RuleSet) -> list[Flag]:
    flags = []
    for block in document.hidden_blocks:
        rule = rules.get(_RULE_FOR_KIND.get(block.hidden.kind, ""))
        if rule is None:
            continue
        if block.hidden.kind == "doc_property" and not is_identifying_property(block):
            continue
        if block.hidden.kind == "html_comment" and len(_CJK.findall(block.text)) < HTML_COMMENT_MIN_CJK:
            continue
        severity = None
        if block.hidden.kind == "doc_property" and is_government_organ(block.text):
            severity = "info"
        who = f"，作者 {block.hidden.author}" if block.hidden.author else ""
        when = f"，时间 {block.hidden.date}" if block.hidden.date else ""
        steps = [ExplanationStep(stage="intake", detail=f"hidden kind {block.hidden.kind}"
                                 + (f" ({block.hidden.detail})" if block.hidden.detail else ""),
                                 outcome="not visible when the document is rendered")]
        if block.hidden.author:
            steps.append(ExplanationStep(stage="intake", detail=f"author {block.hidden.author}",
                                         outcome=block.hidden.date))
        if severity == "info":
            steps.append(ExplanationStep(stage="filter", detail="is_government_organ",
                                         outcome="names the issuing organ itself: info only"))
        flags.append(make_flag(
            rule, document, text=block.text, start=block.start, end=block.end, location=block.location,
            summary=f"{rule.name}{who}{when}",
            steps=steps, severity=severity))
    return flags


def tracked_insertion_flags(document: Document, rules: RuleSet) -> list[Flag]:
    rule = rules.get("hidden.tracked_insertion")
    if rule is None:
        return []
    flags = []
    for insertion in document.metadata.get("tracked_insertions", []):
        location = Location(part="tracked_change", paragraph=insertion.get("paragraph"),
                            name=insertion.get("part"))
        start = document.visible_text.find(insertion["text"]) if len(insertion["text"]) > 1 else -1
        flags.append(make_flag(
            rule, document, text=insertion["text"], start=start if start >= 0 else None,
            end=start + len(insertion["text"]) if start >= 0 else None, location=location,
            summary=f"未接受的修订（插入），作者 {insertion.get('author') or '未知'}，时间 {insertion.get('date') or '未知'}",
            steps=[ExplanationStep(stage="intake", detail="w:ins run", outcome="revision history is in the file")]))
    return flags


def embedded_object_flags(document: Document, rules: RuleSet) -> list[Flag]:
    rule = rules.get("hidden.embedded_object")
    if rule is None:
        return []
    return [make_flag(rule, document, text=obj.name, location=obj.location,
                      summary=f"嵌入对象 {obj.name}（{obj.content_type or '未知类型'}，{obj.size or 0} 字节）未随正文审查",
                      steps=[ExplanationStep(stage="intake", detail=f"embedded part {obj.location.name}",
                                             outcome="not reviewed")])
            for obj in document.embedded]


def redaction_flags(document: Document, rules: RuleSet) -> list[Flag]:
    rule = rules.get("redaction.covered_text")
    if rule is None:
        return []
    flags = []
    for redaction in document.redactions:
        location = Location(part="body", page=redaction.page, bbox=redaction.bbox)
        flags.append(make_flag(
            rule, document, text=redaction.covered_text, start=redaction.start, end=redaction.end,
            location=location,
            summary=f"第{redaction.page}页的黑色遮盖框下仍有可复制的文字",
            steps=[ExplanationStep(stage="intake", detail=f"filled dark rectangle at {tuple(round(v) for v in redaction.bbox)}",
                                   outcome="characters under it are still in the text layer")]))
    return flags
