"""The terminal summary of a Report: document, 公文 metadata, flags grouped by category, attribute."""

from __future__ import annotations

from collections import defaultdict

from review.report import Report

CATEGORY_NAMES = {
    "secret": "涉密标识/内容 secret",
    "personal": "个人信息 personal",
    "negative_list": "负面清单 negative list",
    "hidden": "隐藏内容 hidden",
    "redaction": "无效遮盖 redaction",
    "spam": "违规插入内容 spam",
    "placeholder": "未完成起草 placeholder",
    "consistency": "公开属性一致性 consistency",
}
ATTRIBUTE_NAMES = {"proactive": "主动公开", "on_request": "依申请公开", "withheld": "不予公开",
                   "needs_review": "需人工认定"}
_METADATA_LABELS = [("title", "标题"), ("doc_type", "文种"), ("doc_number", "发文字号"), ("issuer_mark", "发文机关标志"),
                    ("signer", "签发人"), ("recipients", "主送"), ("signature", "署名"), ("date", "成文日期"),
                    ("urgency", "紧急程度"), ("copy_number", "份号"), ("note", "附注"), ("cc", "抄送"),
                    ("printed_by", "印发机关"), ("printed_date", "印发日期"), ("index_number", "索引号"),
                    ("publisher", "发布机构"), ("publish_date", "发布日期")]


def render_text(report: Report) -> str:
    lines = [f"== {report.path}"]
    if report.error:
        lines.append(f"   ERROR [{report.error_code}] {report.error}")
        return "\n".join(lines) + "\n"
    facts = [report.format or "?", f"{report.pages} page(s)" if report.pages else None,
             report.encoding, f"sha256 {report.sha256[:12]}" if report.sha256 else None]
    lines.append("   " + " · ".join(f for f in facts if f))
    meta = report.metadata
    if meta.classification:
        term = f"，保密期限 {meta.classification.term}" if meta.classification.term else ""
        lines.append(f"   密级: {meta.classification.level}{term} ({meta.classification.raw})")
        if meta.classification.expires:
            state = "已期满，可提请解密审核" if meta.classification.expired else "未期满"
            lines.append(f"   保密期限至: {meta.classification.expires}（{state}）")
    for field, label in _METADATA_LABELS:
        value = getattr(meta, field)
        if value:
            lines.append(f"   {label}: {value}")
    if meta.attachments:
        lines.append(f"   附件: {'; '.join(meta.attachments)}")
    if meta.declared_attribute:
        lines.append(f"   声明的公开属性: {ATTRIBUTE_NAMES[meta.declared_attribute]}")
    for warning in report.warnings:
        lines.append(f"   warning: {warning}")

    by_category = defaultdict(list)
    for flag in report.flags:
        by_category[flag.category].append(flag)
    if not report.flags:
        lines.append("   no flags")
    for category, flags in by_category.items():
        lines.append(f"   [{CATEGORY_NAMES.get(category, category)}] {len(flags)}")
        for flag in flags:
            where = flag.location.describe()
            snippet = (flag.context or flag.text).replace("\n", " ")
            lines.append(f"     {flag.severity.upper():6} {flag.rule} @ {where}")
            lines.append(f"            «{_clip(snippet, 80)}»")
            lines.append(f"            {flag.explanation.summary}")
            if flag.legal_basis:
                lines.append(f"            依据: {'；'.join(b.cite() for b in flag.legal_basis)}")
            lines.append(f"            建议: {flag.suggestion}")
    attribute = report.attribute
    if attribute.suggested:
        confidence = f" ({attribute.confidence:.2f})" if attribute.confidence is not None else ""
        review = (f"，需人工认定（候选：{'、'.join(ATTRIBUTE_NAMES[c] for c in attribute.candidates)}）"
                  if attribute.needs_review else "")
        lines.append(f"   公开属性建议: {ATTRIBUTE_NAMES[attribute.suggested]}{confidence}{review}")
    for reason in attribute.reasons:
        basis = f" [{reason.legal_basis.cite()}]" if reason.legal_basis else ""
        lines.append(f"   - {reason.text}{basis}")
    return "\n".join(lines) + "\n"


def _clip(text: str, width: int) -> str:
    return text if len(text) <= width else text[: width - 1] + "…"
