"""What a scan leaves for people: summary.csv and summary.xlsx (one row per document, a 台账 to import) and
report.html (self-contained: plotly.js is inlined, so it opens offline).

All three are rebuilt from reports.jsonl in one streaming pass, so they always agree with it and a
resumed scan's outputs cover every run. Like the reports, they name sensitive findings: the summary
shows the masked form of a finding, never its raw text, but treat the files as sensitive anyway.
"""

from __future__ import annotations

import csv
import heapq
import json
from collections import Counter
from pathlib import Path

from review.render import ATTRIBUTE_NAMES, CATEGORY_NAMES
from review.report import SEVERITY_ORDER
from review.scan.ledger import iter_reports

CATEGORIES = tuple(CATEGORY_NAMES)
ATTRIBUTE_NAMES = {**ATTRIBUTE_NAMES, None: "未判定（出错）"}
SEVERITY_WEIGHT = {"high": 10, "medium": 3, "low": 1, "info": 0}

# (csv key, xlsx header)
COLUMNS = [
    ("path", "路径"), ("format", "格式"), ("doc_number", "发文字号"), ("title", "标题"), ("date", "成文日期"),
    ("attribute", "建议公开属性"), ("confidence", "置信度"), ("needs_review", "需人工认定"),
    ("declared_attribute", "附注声明属性"),
    *[(f"n_{c}", CATEGORY_NAMES[c]) for c in CATEGORIES],
    ("top_flags", "主要问题"), ("classification", "密级标识"), ("secrecy_term", "保密期限"),
    ("secrecy_expires", "保密期限届满日"), ("secrecy_expired", "期限已满"), ("duplicate_of", "重复文件（同内容）"),
    ("error", "错误"),
]
TOP_RISKS = 200
LIST_LIMIT = 1000


def summary_row(report: dict) -> dict:
    meta = report.get("metadata") or {}
    attribute = report.get("attribute") or {}
    mark = meta.get("classification") or {}
    live = [f for f in report.get("flags") or [] if f.get("severity") != "info"]
    counts = Counter(f["category"] for f in live)
    top = sorted(live, key=lambda f: -SEVERITY_ORDER[f["severity"]])[:3]
    return {
        "path": report.get("path"), "format": report.get("format"), "doc_number": meta.get("doc_number"),
        "title": meta.get("title"), "date": meta.get("date"), "attribute": attribute.get("suggested"),
        "confidence": attribute.get("confidence"), "needs_review": bool(attribute.get("needs_review")),
        "declared_attribute": meta.get("declared_attribute"),
        **{f"n_{c}": counts.get(c, 0) for c in CATEGORIES},
        "top_flags": "; ".join(f"[{f['severity']}] {f['rule']}: {f.get('suggestion', '')}" for f in top),
        "classification": mark.get("raw"), "secrecy_term": mark.get("term"), "secrecy_expires": mark.get("expires"),
        "secrecy_expired": mark.get("expired"), "duplicate_of": report.get("duplicate_of"),
        "error": report.get("error"),
    }


def risk_score(report: dict) -> int:
    score = sum(SEVERITY_WEIGHT[f["severity"]] for f in report.get("flags") or [])
    if (report.get("metadata") or {}).get("classification"):
        score += 50
    return score


class _Aggregate:
    """Everything report.html shows, gathered in one pass."""

    def __init__(self):
        self.documents = 0
        self.attributes: Counter = Counter()
        self.categories: Counter = Counter()
        self.types: Counter = Counter()
        self.rules: Counter = Counter()
        self.formats: Counter = Counter()
        self.error_codes: Counter = Counter()
        self.error_examples: dict[str, str] = {}
        self.errors: list[dict] = []
        self.expired: list[dict] = []
        self.duplicates = 0
        self.risks: list[tuple[int, int, dict]] = []  # min-heap of the riskiest documents

    def add(self, report: dict) -> None:
        self.documents += 1
        self.formats[report.get("format") or "?"] += 1
        if report.get("duplicate_of"):
            self.duplicates += 1
        if report.get("error"):
            code = report.get("error_code") or "?"
            self.error_codes[code] += 1
            self.error_examples.setdefault(code, report["error"])
            if len(self.errors) < LIST_LIMIT:
                self.errors.append({"path": report["path"], "code": code, "error": report["error"]})
            self.attributes[None] += 1
            return
        self.attributes[(report.get("attribute") or {}).get("suggested")] += 1
        for flag in report.get("flags") or []:
            if flag["severity"] == "info":
                continue
            self.categories[flag["category"]] += 1
            self.types[f"{flag['category']}/{flag['type']}"] += 1
            self.rules[flag["rule"]] += 1
        mark = (report.get("metadata") or {}).get("classification")
        if mark and mark.get("expired") and len(self.expired) < LIST_LIMIT:
            meta = report["metadata"]
            self.expired.append({"path": report["path"], "mark": mark.get("raw"), "date": meta.get("date"),
                                 "expires": mark.get("expires"), "title": meta.get("title")})
        score = risk_score(report)
        if score > 0:
            entry = (score, self.documents, _risk_detail(report, score))
            if len(self.risks) < TOP_RISKS:
                heapq.heappush(self.risks, entry)
            elif entry > self.risks[0]:
                heapq.heapreplace(self.risks, entry)


def _risk_detail(report: dict, score: int) -> dict:
    meta = report.get("metadata") or {}
    attribute = report.get("attribute") or {}
    flags = sorted((f for f in report.get("flags") or [] if f["severity"] != "info"),
                   key=lambda f: -SEVERITY_ORDER[f["severity"]])
    return {
        "path": report["path"], "score": score, "title": meta.get("title"), "doc_number": meta.get("doc_number"),
        "attribute": ATTRIBUTE_NAMES.get(attribute.get("suggested"), attribute.get("suggested")),
        "confidence": attribute.get("confidence"),
        "reasons": [r.get("text", "") for r in attribute.get("reasons") or []][:4],
        "flags": [{"severity": f["severity"], "category": CATEGORY_NAMES.get(f["category"], f["category"]),
                   "rule": f["rule"], "suggestion": f.get("suggestion", ""),
                   "basis": "；".join(f"{b['law']}{b['article']}" for b in f.get("legal_basis") or []),
                   "where": _where(f.get("location") or {})} for f in flags[:20]],
        "more": max(0, len(flags) - 20),
    }


def _where(location: dict) -> str:
    bits = [location.get("part", "")]
    for key, label in (("page", "页"), ("paragraph", "段"), ("line", "行"), ("table", "表"), ("row", "行")):
        if location.get(key) is not None:
            bits.append(f"{label}{location[key]}")
    return " ".join(b for b in bits if b)


def write_outputs(out_dir: str | Path) -> None:
    """Rebuild summary.csv, summary.xlsx and report.html from reports.jsonl (streaming: any archive size)."""
    from openpyxl import Workbook

    out = Path(out_dir)
    reports_path = out / "reports.jsonl"
    aggregate = _Aggregate()
    book = Workbook(write_only=True)  # rows stream to a temporary file, not to memory
    sheet = book.create_sheet("台账")
    sheet.append([header for _, header in COLUMNS])
    with open(out / "summary.csv", "w", newline="", encoding="utf-8-sig") as handle:  # BOM: Excel reads UTF-8
        writer = csv.DictWriter(handle, fieldnames=[key for key, _ in COLUMNS])
        writer.writeheader()
        if reports_path.exists():
            for report in iter_reports(reports_path):
                row = summary_row(report)
                writer.writerow({key: _csv_cell(value) for key, value in row.items()})
                sheet.append([_xlsx_cell(row[key]) for key, _ in COLUMNS])
                aggregate.add(report)
    book.save(out / "summary.xlsx")
    (out / "report.html").write_text(render_html(aggregate), encoding="utf-8")


def _xlsx_cell(value):
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, str) and value[:1] in "=+-@":
        return "'" + value  # never let a document's text become a spreadsheet formula
    return value


def _csv_cell(value):
    if isinstance(value, str) and value[:1] in "=+-@":
        return "'" + value  # the same for CSV opened in a spreadsheet (CSV injection)
    return value


# --- report.html -------------------------------------------------------------------------------------
def render_html(aggregate: _Aggregate) -> str:
    import jinja2
    from plotly.offline import get_plotlyjs

    environment = jinja2.Environment(loader=jinja2.PackageLoader("review.scan", "templates"),
                                     autoescape=jinja2.select_autoescape(["html", "j2"]))
    charts = _charts(aggregate)
    template = environment.get_template("report.html.j2")
    return template.render(
        a=aggregate, charts=charts, plotly_js=get_plotlyjs(), attribute_names=ATTRIBUTE_NAMES,
        category_names=CATEGORY_NAMES, risks=sorted(aggregate.risks, reverse=True),
        charts_json={name: json.dumps(figure, ensure_ascii=False) for name, figure in charts.items()},
    )


def _bar(counter: Counter, names: dict | None = None, limit: int = 20, horizontal: bool = False) -> dict:
    items = counter.most_common(limit)
    labels = [(names or {}).get(key, key if key is not None else "—") for key, _ in items]
    values = [count for _, count in items]
    if horizontal:
        trace = {"type": "bar", "orientation": "h", "x": values[::-1], "y": labels[::-1]}
    else:
        trace = {"type": "bar", "x": labels, "y": values}
    height = max(260, 26 * len(items) + 80) if horizontal else 320
    return {"data": [trace], "layout": {"height": height, "margin": {"l": 200 if horizontal else 50, "r": 20, "t": 10,
                                                                      "b": 60}}}


def _charts(aggregate: _Aggregate) -> dict[str, dict]:
    attributes = aggregate.attributes
    pie = {"data": [{"type": "pie", "labels": [ATTRIBUTE_NAMES.get(k, str(k)) for k in attributes],
                     "values": list(attributes.values()), "hole": 0.4}],
           "layout": {"height": 320, "margin": {"l": 20, "r": 20, "t": 10, "b": 10}}}
    return {
        "attributes": pie,
        "categories": _bar(aggregate.categories, CATEGORY_NAMES),
        "types": _bar(aggregate.types, horizontal=True),
        "rules": _bar(aggregate.rules, horizontal=True),
        "errors": _bar(aggregate.error_codes),
    }
