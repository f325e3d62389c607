"""Consistency checks on the disclosure attribute, raised as flags of category `consistency`.

    declared_more_open     the 附注 / 公开方式 declares a more open attribute than the suggestion
                           (主动公开 declared, 不予公开 suggested: high — publishing it would be a leak)
    declared_less_open     the declaration is less open than the suggestion (第十三条: disclosure is the rule)
    implementing_less_open an implementing document (贯彻/落实…的实施意见/实施方案/实施细则) of a superior document
                           named in 《》 or by its 文号 is marked, or suggested, less open than proactive:
                           the superior was published, and 第二十二条 asks to follow it
    general_reply_not_proactive  a 复函 answering an agency's general policy question (not one person's or
                           one company's own matter) that is neither declared nor suggested proactive

Each check is a pure function of the Document, its GongwenMetadata, the flags and the suggested Attribute;
what a flag says to the approver (severity, legal basis, suggestion) is data in rules/consistency.yaml.
"""

from __future__ import annotations

import re

from review.document import Document
from review.flags import make_flag
from review.gongwen import find_doc_numbers
from review.hidden import is_government_organ
from review.report import Attribute, ExplanationStep, Flag, GongwenMetadata
from review.rules import RuleSet

OPENNESS = {"withheld": 0, "on_request": 1, "proactive": 2}
NAMES = {"proactive": "主动公开", "on_request": "依申请公开", "withheld": "不予公开"}


def consistency_flags(document: Document, metadata: GongwenMetadata, flags: list[Flag], attribute: Attribute,
                      rules: RuleSet) -> list[Flag]:
    checks = (declared_attribute_flags, implementing_document_flags, general_reply_flags)
    return [flag for check in checks for flag in check(document, metadata, flags, attribute, rules)]


def decided_by_legal_rule(attribute: Attribute) -> bool:
    """A secret marking or a high negative-list finding withheld the document: withholding is then lawful
    whatever the declaration or the kind of document says."""
    return any(r.code == "secret_marking" or r.code.startswith("negative_list_") for r in attribute.reasons)


# --- (a) the declaration against the suggestion ---------------------------------------------------------
def declared_attribute_flags(document, metadata, flags, attribute, rules) -> list[Flag]:
    declared, suggested = metadata.declared_attribute, attribute.suggested
    if declared is None or suggested not in OPENNESS or declared == suggested or attribute.needs_review:
        return []  # nothing declared, or the approver must decide anyway (the attribute's reasons say so)
    if OPENNESS[declared] > OPENNESS[suggested]:
        rule = rules.get("consistency.declared_more_open")
        # 主动公开 declared for a document that must be withheld is a leak waiting to happen
        severity = "high" if (declared, suggested) == ("proactive", "withheld") else "medium"
    else:
        rule = rules.get("consistency.declared_less_open")
        severity = "medium" if (declared, suggested) == ("withheld", "proactive") else "low"
    if rule is None:
        return []
    text, start = _declaration(document, metadata)
    summary = f"标注的公开属性为“{NAMES[declared]}”，而审查建议为“{NAMES[suggested]}”"
    steps = [ExplanationStep(stage="consistency", detail=f"declared {declared} ({text})", outcome=f"suggested {suggested}")]
    steps += _attribute_steps(attribute)
    return [_flag(rule, document, text, start, summary, steps, severity)]


def _declaration(document: Document, metadata: GongwenMetadata) -> tuple[str, int | None]:
    """The words that declare the attribute and where they stand in the visible text (None: portal table)."""
    visible = document.visible_text
    if metadata.note and (start := visible.rfind(metadata.note)) >= 0:
        return metadata.note, start
    if m := _ATTRIBUTE_LINE.search(visible):
        return m.group(0), m.start()
    return f"公开方式：{NAMES[metadata.declared_attribute]}", None


_ATTRIBUTE_LINE = re.compile(r"(?:公开属性|公开方式|公开类型|公开形式)\s*[:：]\s*[\u4e00-\u9fff]{2,6}")


# --- (b) an implementing document of a published superior document -----------------------------------
_IMPLEMENTING_TITLE = re.compile(r"贯彻|落实|实施意见|实施方案|实施细则|实施办法")
# 为贯彻落实《…》（国发〔2024〕3号）精神 / 根据省政府办公厅《关于…的通知》: the superior named near the opening
_SUPERIOR_CUE = re.compile(r"(?:贯彻|落实|根据|按照|依据|执行)[^。\n]{0,30}?(?P<ref>《[^《》\n]{4,80}》)")
OPENING_CHARS = 600


def superior_reference(document: Document, metadata: GongwenMetadata) -> str | None:
    """The superior document an implementing document names in its title or opening: 《title》 or a 文号."""
    title = metadata.title or ""
    if not _IMPLEMENTING_TITLE.search(title):
        return None
    if m := re.search(r"《[^《》]{4,80}》", title):
        return m.group(0)
    opening = document.visible_text[:OPENING_CHARS + len(title)]
    if m := _SUPERIOR_CUE.search(opening):
        return m.group("ref")
    own = metadata.doc_number
    cited = [n for n in find_doc_numbers(opening) if n != own]
    if cited and re.search(r"贯彻|落实|根据|按照", opening):
        return cited[0]
    return None


def implementing_document_flags(document, metadata, flags, attribute, rules) -> list[Flag]:
    rule = rules.get("consistency.implementing_less_open")
    if rule is None or metadata.draft_status or decided_by_legal_rule(attribute):
        return []  # a draft is process information; a marking or negative-list finding withholds lawfully
    declared, suggested = metadata.declared_attribute, attribute.suggested
    if declared in ("on_request", "withheld"):
        severity, said = "medium", f"标注为“{NAMES[declared]}”"
    elif declared is None and suggested in ("on_request", "withheld"):
        severity, said = "low", f"审查建议为“{NAMES[suggested]}”"
    else:
        return []
    superior = superior_reference(document, metadata)
    if superior is None:
        return []
    start = document.visible_text.find(superior)
    summary = f"本文件是贯彻落实上级文件{superior}的实施性文件，却{said}；上级文件已公开，实施性文件一般应主动公开"
    steps = [ExplanationStep(stage="consistency", detail=f"title {metadata.title!r} implements {superior}",
                             outcome=f"declared {declared}, suggested {suggested}")]
    return [_flag(rule, document, superior, start if start >= 0 else None, summary, steps, severity)]


# --- (c) a 复函 of general significance ------------------------------------------------------------------
_REPLY = re.compile(r"复函|函复|此复|答复如下")
# what a general policy question is about: how a rule applies, not whether one applicant gets something
_GENERAL_QUESTION = re.compile(r"适用|执行口径|口径|理解|解释|认定|界定|政策|标准|有关问题|如何|是否")
# one applicant's own matter named in the title: a person, a company, a petition, a plot of land
_PARTICULAR = re.compile(r"公司|先生|女士|同志|代表|委员(?!会)|申请人|信访|举报|投诉|地块|户籍?问题")


def is_general_reply(document: Document, metadata: GongwenMetadata, flags: list[Flag]) -> bool:
    """A 复函 to an agency answering how a policy applies, naming no private person."""
    title = metadata.title or ""
    if not (metadata.doc_type in ("复函", "函", "答复") and _REPLY.search(title + document.visible_text[-2000:])):
        return False
    recipients = (metadata.recipients or "").strip("：: ")
    if not recipients or not is_government_organ(recipients.split("、")[0]):
        return False
    if not _GENERAL_QUESTION.search(title) or _PARTICULAR.search(title):
        return False
    shown_personal = [f for f in flags if f.category == "personal" and f.severity != "info"
                      and (f.start is None or f.start < document.visible_end)]
    return not shown_personal


def general_reply_flags(document, metadata, flags, attribute, rules) -> list[Flag]:
    rule = rules.get("consistency.general_reply_not_proactive")
    declared, suggested = metadata.declared_attribute, attribute.suggested
    if rule is None or "proactive" in (declared, suggested) or decided_by_legal_rule(attribute):
        return []
    if not is_general_reply(document, metadata, flags):
        return []
    title = metadata.title or ""
    start = document.visible_text.find(title) if title else -1
    summary = (f"复函答复机关{metadata.recipients}的一般性政策问题，未标注或建议主动公开"
               f"（标注：{NAMES.get(declared, '无')}；建议：{suggested or '无'}）")
    steps = [ExplanationStep(stage="consistency", detail=f"{metadata.doc_type} to {metadata.recipients}",
                             outcome="general policy question, no personal data in the text")]
    return [_flag(rule, document, title or metadata.doc_type, start if start >= 0 else None, summary, steps, "low")]


# --- building the flags ------------------------------------------------------------------------------
def _attribute_steps(attribute: Attribute) -> list[ExplanationStep]:
    return [ExplanationStep(stage="attribute", detail=reason.code, outcome=reason.text[:80])
            for reason in attribute.reasons if reason.code not in ("declared", "declared_differs")]


def _flag(rule, document, text, start, summary, steps, severity) -> Flag:
    end = start + len(text) if start is not None else None
    return make_flag(rule, document, text=text, start=start, end=end, summary=summary, steps=steps,
                     severity=severity)
