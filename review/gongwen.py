"""公文 elements after GB/T 9704-2012, read from a `Document`'s visible lines.

The parser is deliberately forgiving: real documents arrive as txt copies, docx drafts and portal pages
that only loosely follow the standard, so every element is looked for on its own and a missing one is
simply None. The layout it expects, top to bottom:

    版头  份号 / 密级和保密期限 / 紧急程度 / 发文机关标志 / 发文字号 (+ 签发人 on 上行文)
    主体  标题 (may wrap over 2-3 lines) / 主送机关 / 正文 / 附件说明 / 署名 / 成文日期 / 附注
    版记  抄送 / 印发机关和印发日期

Markings are only taken from the head lines and from page headers/footers: 秘密 in a body sentence
("国家秘密、商业秘密和个人隐私不予公开") is a principle, not a marking.

Also exported for the detectors: `DOC_NUMBER`, `find_doc_numbers`, `parse_date`.
"""

from __future__ import annotations

import calendar
import datetime
import re
import unicodedata
from datetime import date
from typing import Any

from review.document import Block, Document
from review.report import Classification, GongwenMetadata

HEAD_LINES = 8  # 份号, 密级, 紧急程度 sit above the 机关标志: a handful of lines at most
HEADER_ZONE = 15  # 机关标志, 发文字号 and the start of the title come within this many lines
TITLE_MAX_LINES = 3
SHORT_LINE = 200  # 版头 lines, titles, 署名 and 版记 lines are short; longer lines are body text

# White space as found in the wild: ordinary and ideographic spaces, plus zero-width characters that
# portals leave in copied numbers ("\u200b晋政办发〔2019〕12号"). Bounded, so that a long run of spaces
# cannot make the patterns quadratic.
_ZW = "\u200b\u200c\u200d\u2060\ufeff"
S = rf"[\s{_ZW}]{{0,6}}"
_STRIP = " \t\r\n\u3000\xa0" + _ZW

# --- 发文字号 ------------------------------------------------------------------------------------
# 机关代字 + 〔年份〕 + 序号 + 号. GB/T 9704 prescribes 〔〕, but [] ［］ （） () 【】 ﹝﹞ all occur, as do a
# stray 第 before the number and spaces anywhere. 政府令 and 公告 are numbered "令第N号" / "2020年第8号".
_OPEN, _CLOSE = r"〔\[［（(【﹝", r"〕\]］）)】﹞"
_CJK = r"[\u4e00-\u9fff]"
_CJK_NOT_LING = r"[\u4e00-\u4ee3\u4ee5-\u9fff]"  # any CJK but 令 (U+4EE4)
# The agency code is an atomic group: without backtracking into it, a scan of a long run of Chinese
# text stays fast (detectors run this over whole documents).
DOC_NUMBER = re.compile(
    rf"(?>{_CJK}{{1,10}}){S}[{_OPEN}]{S}\d{{4}}{S}[{_CLOSE}]{S}第?{S}\d+{S}号"  # 示农发〔2025〕12号
    rf"|(?>{_CJK_NOT_LING}{{1,20}})令{S}第{S}\d+{S}号"  # 山西省人民政府令第224号, 省政府令 第99号
    rf"|(?>{_CJK}{{1,20}}){S}\d{{4}}{S}年{S}第{S}\d+{S}号"  # 国家税务总局公告2020年第8号
)
# In running text the agency code swallows the words before it ("根据示农发〔2025〕12号"): cut after
# the last such word. 和 is kept inside 共和国; single characters that occur in agency names (据 in
# 数据局) are not cut on.
_CODE_LEAD = re.compile(r".*(?:根据|按照|依据|依照|参照|参见|详见|转发|印发|贯彻|落实|执行|废止|修订|"
                        r"的|及|与|(?<!共)和|并)")


def _trim_code(number: str) -> str:
    cut = _CODE_LEAD.match(number)
    if cut and cut.end() < len(number) and _CJK_RE.match(number[cut.end()]):
        return number[cut.end():]
    return number


_CJK_RE = re.compile(_CJK)


def find_doc_numbers(text: str) -> list[str]:
    """Every 发文字号 in `text`, in order, as written (leading words such as 根据 removed)."""
    return [_trim_code(m.group().strip(_STRIP)) for m in DOC_NUMBER.finditer(text or "")]


# --- dates ----------------------------------------------------------------------------------------
_CN_DIGIT = {"〇": 0, "○": 0, "零": 0, "O": 0, "o": 0, "Ｏ": 0, "◯": 0, "一": 1, "二": 2, "三": 3, "四": 4,
             "五": 5, "六": 6, "七": 7, "八": 8, "九": 9}
_CN = "〇○零OoＯ◯一二三四五六七八九"
DATE = re.compile(
    rf"(?<!\d)(?P<y>\d{{4}}){S}年{S}(?P<m>\d{{1,2}}){S}月{S}(?P<d>\d{{1,2}}){S}日"
    rf"|(?P<cy>[{_CN}]{{4}}){S}年{S}(?P<cm>[一二三四五六七八九十]{{1,3}}){S}月{S}(?P<cd>[一二三四五六七八九十]{{1,3}}){S}日"
    rf"|(?<![\d.])(?P<ny>\d{{4}}){S}(?P<sep>[-./／]){S}(?P<nm>\d{{1,2}}){S}(?P=sep){S}(?P<nd>\d{{1,2}})(?![\d.])"
)


def _cn_number(text: str) -> int | None:
    """一..九, 十, 十一, 二十, 三十一 (months and days)."""
    if "十" in text:
        tens, _, ones = text.partition("十")
        t = _CN_DIGIT.get(tens, 1) if tens else 1
        o = _CN_DIGIT.get(ones, 0) if ones else 0
        return t * 10 + o
    return _CN_DIGIT.get(text) if len(text) == 1 else None


def _iso(year: int | None, month: int | None, day: int | None) -> str | None:
    try:
        return datetime.date(year, month, day).isoformat()  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return None


def _date_of(m: re.Match) -> str | None:
    if m.group("y"):
        return _iso(int(m.group("y")), int(m.group("m")), int(m.group("d")))
    if m.group("cy"):
        year = int("".join(str(_CN_DIGIT[c]) for c in m.group("cy")))
        return _iso(year, _cn_number(m.group("cm")), _cn_number(m.group("cd")))
    return _iso(int(m.group("ny")), int(m.group("nm")), int(m.group("nd")))


def parse_date(s: str | None) -> str | None:
    """The first date in `s` as ISO yyyy-mm-dd (2024年3月5日, 二〇二四年三月五日, 2024-03-05, 2024.3.5)."""
    for m in DATE.finditer(s or ""):
        iso = _date_of(m)
        if iso:
            return iso
    return None


def _date_line(line: str) -> tuple[str, str, str] | None:
    """(text before the date, raw date, iso) when `line` ends with a valid date; else None."""
    if len(line) > SHORT_LINE or line[-1:] not in "日0123456789０１２３４５６７８９":
        return None
    matches = list(DATE.finditer(line))
    if not matches:
        return None
    m = matches[-1]
    if line[m.end():].strip(_STRIP):
        return None
    iso = _date_of(m)
    return (line[: m.start()].strip(_STRIP), m.group().strip(_STRIP), iso) if iso else None


# --- head markings ----------------------------------------------------------------------------------
_STAR = r"[★☆*＊✭✩⭐]"
_TERM = r"(?:长\s*期|[\d一二三四五六七八九十]+\s*(?:年|个\s*月))"
_LEVEL = r"(?:绝\s*密|机\s*密|秘\s*密)"
_MARK = re.compile(rf"(?:密级\s*[:：]?\s*)?(?P<level>{_LEVEL})(?:\s*{_STAR}\s*(?P<term>{_TERM})?)?")
_STARRED_MARK = re.compile(rf"(?P<level>{_LEVEL})\s*{_STAR}\s*(?P<term>{_TERM})?")
_WORK = r"(?:内部资料|内部明电|内部文件|内部使用|注意保存|工作秘密|内部)"
_URGENCY = r"(?:特\s*急|加\s*急|特\s*提|平\s*急)"
_COPY = r"(?:份号\s*[:：]?\s*)?\d{6}"
# A head line holds nothing but these tokens (and spaces): that is what tells a marking from a sentence.
_HEAD_TOKEN = re.compile(
    rf"\s*(?:(?P<copy>{_COPY})|(?P<mark>{_MARK.pattern})|(?P<work>{_WORK})"
    rf"|(?:紧急程度\s*[:：]?\s*)?(?P<urgency>{_URGENCY}))(?!\d)"
)


def _head_tokens(line: str) -> list[re.Match] | None:
    """The marking tokens of a line made of nothing else, or None."""
    tokens, pos = [], 0
    while pos < len(line):
        m = _HEAD_TOKEN.match(line, pos)
        if not m or m.end() == pos:
            if line[pos:].strip(_STRIP):
                return None
            break
        tokens.append(m)
        pos = m.end()
    return tokens or None


def _classification(m: re.Match) -> Classification:
    level = re.sub(r"\s", "", m.group("level"))
    term = m.group("term")
    term = re.sub(r"\s", "", unicodedata.normalize("NFKC", term)) if term else None
    raw = m.group().strip(_STRIP)
    raw = re.sub(r"^密级\s*[:：]?\s*", "", raw)
    return Classification(level=level, term=term, raw=raw)


def _work_classification(line: str, tokens: list[re.Match]) -> Classification:
    work = [t for t in tokens if t.group("work")]
    raw = line[work[0].start("work"): work[-1].end("work")].strip(_STRIP)
    return Classification(level="内部", term=None, raw=raw)


# --- 文种 -------------------------------------------------------------------------------------------
DOC_TYPES = sorted({
    # statutory (《党政机关公文处理工作条例》)
    "决议", "决定", "命令", "令", "公报", "公告", "通告", "意见", "通知", "通报", "报告", "请示", "批复",
    "议案", "函", "复函", "纪要", "会议纪要",
    # common non-statutory kinds
    "方案", "实施方案", "规划", "计划", "办法", "规定", "细则", "实施细则", "预案", "应急预案", "公示", "通讯录",
    "简报", "专报", "情况通报", "工作总结", "总结", "要点", "工作要点", "考察材料", "评标报告", "调查终结报告",
    "案件调查终结报告", "处罚决定书", "行政处罚决定书", "决定书", "答复", "意见书", "预算说明", "说明", "讲话",
    "统计公报", "条例", "实施条例", "解读", "政策解读", "贺电", "贺信",
}, key=len, reverse=True)  # longest first: 会议纪要 before 纪要, 复函 before 函
_TRAILING_PAREN = re.compile(r"\s*[（(][^（()）]{0,20}[)）]\s*$")  # （征求意见稿） （试行） （第一批）


def doc_type_of(title: str | None) -> str | None:
    """文种 from the end of a title; a trailing （征求意见稿）/（试行）/（第一批） is looked through."""
    # Spaces, zero-width and private-use characters are layout, not words (通　　知); a title that
    # publishes a book-titled text (印发《XX办法》) has that text's kind.
    text = "".join(c for c in (title or "") if not c.isspace() and unicodedata.category(c) not in ("Cf", "Co"))
    for _ in range(4):
        stripped = _TRAILING_PAREN.sub("", text.rstrip("“”\"》」0123456789"))
        if stripped == text:
            break
        text = stripped
    for kind in DOC_TYPES:
        if text.endswith(kind):
            return kind
    return None


# --- line shapes ------------------------------------------------------------------------------------
_SEPARATOR = re.compile(r"^[\s─━—_=\-－―★☆·.…]+$")
_KEY_VALUE = re.compile(r"^[\u4e00-\u9fff（）()]{2,10}\s*[:：]\s*\S")  # 当事人：xx, 索引号：xx
_NUMBERED = re.compile(r"^(?:[一二三四五六七八九十]+、|[（(][一二三四五六七八九十\d]+[)）]|\d+\s*[.．、])")
_SIGNER = re.compile(rf"签\s*发\s*人\s*[:：]\s*(?P<name>{_CJK}[\u4e00-\u9fff·•\s]*)")
_AGENCY_END = re.compile(r"(?:局|府|委|会|室|厅|部|院|办|处|所|站|队|馆|中心|校|学|园|司|行|社|组|团|街道|镇|乡|村|署|庭"
                         r"|党组|支部|总支|监狱|分局|大队|中队|法院|检察院)$")
_SENTENCE_PUNCT = re.compile(r"[。，,；;：:！!？?]")
_ISSUER_FILE = re.compile(r"^\S.{0,38}文\s*件$")


def _is_agency(line: str) -> bool:
    """A bare agency name: 署名 or a 发文机关标志 without 文件 (XX县市场监督管理局)."""
    text = re.sub(r"[（(](?:盖章|印章|章)[)）]", "", line).strip(_STRIP)
    return (2 <= len(text) <= 40 and not _SENTENCE_PUNCT.search(text) and not DATE.search(text)
            and "关于" not in text and bool(_AGENCY_END.search(text)))


# In the head a 发文字号 line may lack the agency code (纪要: 〔2024〕12号) or, in a draft, the number
# (示政办发〔2025〕号); it is still the 发文字号 line and is reported as written.
_HEAD_NUMBER = re.compile(rf"{_CJK}{{0,10}}{S}[{_OPEN}]{S}\d{{0,4}}{S}[{_CLOSE}]{S}第?{S}\d*{S}号")


def _is_doc_number_line(line: str) -> re.Match | None:
    """A line that is a 发文字号 (optionally with 文号： or the 签发人 beside it), not a sentence quoting one."""
    if len(line) > SHORT_LINE or "号" not in line:  # every form ends in 号: most lines go no further
        return None
    m = DOC_NUMBER.search(line) or _HEAD_NUMBER.search(line)
    if not m:
        return None
    rest = line[: m.start()] + " " + line[m.end():]
    rest = _SIGNER.sub("", rest)
    rest = re.sub(r"(?:发文字号|文号|字号)\s*[:：]", "", rest)
    return m if not rest.strip(_STRIP) else None


def _title_like(line: str) -> bool:
    return (2 <= len(line) <= 100 and "。" not in line and line[-1] not in "。；;，,：:、"
            and not _SEPARATOR.match(line) and not _KEY_VALUE.match(line) and not _NUMBERED.match(line)
            and _date_line(line) is None and not _is_doc_number_line(line) and _head_tokens(line) is None
            and not line.startswith(("附件", "抄送", "签发人")))


# --- 附注 and 公开属性 ------------------------------------------------------------------------------
_NOTE = re.compile(r"^[（(]\s*此件[^（()）]*[)）]$")
_ATTRIBUTE_LINE = re.compile(r"(?:公开属性|公开方式|公开类型|公开形式|信息公开选项|公开选项)\s*[:：]\s*"
                             r"(?P<value>主动公开|依申请公开|不予公开|不公开|免予公开|删减后公开|部分公开)")


def _attribute_of(text: str | None) -> str | None:
    """proactive / on_request / withheld for a 附注 or a 公开方式 value; None when it says neither."""
    text = re.sub(r"\s", "", text or "")
    if re.search(r"不予公开|不公开|免予公开|不宜公开|非公开", text):
        return "withheld"
    if "依申请" in text:
        return "on_request"
    if re.search(r"主动公开|公开发布|删减后公开|部分公开|公开", text):  # 删减后公开 is published, masked
        return "proactive"
    return None


# --- portal metadata --------------------------------------------------------------------------------
_PORTAL_KEYS = {
    "index_number": ("索引号",),
    "publisher": ("发布机构", "发文机关", "发布单位", "发文单位", "来源"),
    "doc_number": ("文号", "发文字号"),
    "publish_date": ("发布日期", "发布时间", "公开日期", "发文日期"),
    "issue_date": ("成文日期",),
    "attribute": ("公开方式", "公开属性", "公开形式", "公开类型"),
    "title": ("标题", "名称", "文件名称"),
}


def _portal(metadata: dict[str, Any]) -> dict[str, str]:
    table = metadata.get("portal")
    if not isinstance(table, dict):
        return {}
    clean = {re.sub(rf"[\s:：{_ZW}]", "", str(k)): str(v).strip(_STRIP) for k, v in table.items() if v is not None}
    out = {}
    for field, keys in _PORTAL_KEYS.items():
        for key in keys:
            if clean.get(key):
                out[field] = clean[key]
                break
    return out


def _meta_title(metadata: dict[str, Any]) -> str | None:
    """<meta name="ArticleTitle"> (the de-facto standard on Chinese government portals) or dc.title."""
    meta = metadata.get("html_meta")
    items: list[tuple[Any, Any]] = []
    if isinstance(meta, dict):
        items = list(meta.items())
    elif isinstance(meta, list):
        items = [(m.get("name"), m.get("content")) for m in meta if isinstance(m, dict)]
    wanted = {"articletitle", "dc.title"}
    for key, value in items:
        if str(key).lower() in wanted and isinstance(value, str) and value.strip():
            return value.strip(_STRIP)
    return None


# --- the parser -------------------------------------------------------------------------------------
def extract_gongwen(document: Document) -> GongwenMetadata:
    """The 公文 elements of `document`. Never raises: odd input yields None fields (and a warning)."""
    try:
        return _extract(document)
    except Exception as exc:  # metadata is an aid to the review, never a reason to lose the review
        document.warnings.append(f"公文 elements could not be read: {type(exc).__name__}: {exc}")
        return GongwenMetadata()


def _extract(document: Document) -> GongwenMetadata:
    every = document.lines()
    margins = [line for line, block in every if block.location.part in ("header", "footer")]
    has_portal = isinstance(document.metadata.get("portal"), dict)
    # The portal's metadata table, when rendered above the article, is not part of the 公文: leaving it
    # out keeps the 版头 within the first lines.
    main: list[tuple[str, Block]] = [(line, block) for line, block in every
                                     if block.location.part not in ("header", "footer")
                                     and not _is_portal_line(line, has_portal)]
    lines = [line for line, _ in main]
    found: dict[str, Any] = {}
    used: set[int] = set()  # head lines that are not the title

    _read_head(lines, margins, found, used)
    title_span = _read_title(document, lines, found, used)
    after = title_span[1] if title_span else 0
    _read_recipients(lines, after, found)
    _read_attachments(lines, after, found)
    _read_closing(lines, after, found)
    _read_attribute_line([line for line, _ in every], found)
    _read_portal(document, [line for line, _ in every], found)
    _read_draft_status(lines[: max(after, 1) + 2], found)
    _secrecy_expiry(found)
    return GongwenMetadata(**found)


_TERM = re.compile(r"^\s*(\d+)\s*(年|个月|月)\s*$")


def _secrecy_expiry(found: dict) -> None:
    """保密期限 counts from the 成文日期 (保守国家秘密法实施条例): the marking says when it runs out."""
    mark, issued = found.get("classification"), found.get("date")
    if not (mark and mark.term and issued):
        return
    m = _TERM.match(mark.term)
    if not m:
        return
    start = date.fromisoformat(issued)
    months = int(m.group(1)) * (12 if m.group(2) == "年" else 1)
    year, month = divmod(start.month - 1 + months, 12)
    end = date(start.year + year, month + 1, min(start.day, calendar.monthrange(start.year + year, month + 1)[1]))
    mark.expires = end.isoformat()
    mark.expired = end <= date.today()


_DRAFT = re.compile(r"[（(【\[]\s*((?:公开)?征求意见稿|讨论稿|送审稿|审议稿|修改稿|代拟稿|初稿|草稿|草案|稿)\s*[)）】\]]")


def _read_draft_status(head: list[str], found: dict) -> None:
    """（征求意见稿）/（讨论稿）… after the title: process information (条例第十六条), for the attribute."""
    for line in head:
        m = _DRAFT.search(line)
        if m:
            found["draft_status"] = m.group(1)
            return


def _read_head(lines: list[str], margins: list[str], found: dict, used: set[int]) -> None:
    for i, line in enumerate(lines[:HEAD_LINES]):
        tokens = _head_tokens(line) if len(line) <= SHORT_LINE else None
        if not tokens:
            continue
        used.add(i)
        for t in tokens:
            if t.group("copy") and "copy_number" not in found:
                found["copy_number"] = re.search(r"\d{6}", t.group("copy")).group()
            elif t.group("mark") and "classification" not in found:
                found["classification"] = _classification(_MARK.match(t.group("mark")))
            elif t.group("urgency") and "urgency" not in found:
                found["urgency"] = re.sub(r"\s", "", t.group("urgency"))
        if "classification" not in found and any(t.group("work") for t in tokens):
            found["classification"] = _work_classification(line, tokens)

    if "classification" not in found:
        # Page headers and footers repeat the marking on every page; a starred marking may stand
        # beside other header text there, a bare 秘密 must stand alone.
        for line in margins:
            starred = _STARRED_MARK.search(line)
            tokens = _head_tokens(line)
            if starred:
                found["classification"] = _classification(starred)
            elif tokens and any(t.group("mark") for t in tokens):
                mark = next(t for t in tokens if t.group("mark"))
                found["classification"] = _classification(_MARK.match(mark.group("mark")))
            elif tokens and any(t.group("work") for t in tokens):
                found["classification"] = _work_classification(line, tokens)
            if "classification" in found:
                break

    for i, line in enumerate(lines[:HEADER_ZONE]):
        if i in used or len(line) > SHORT_LINE:
            continue
        if "issuer_mark" not in found and _ISSUER_FILE.match(line) and "关于" not in line \
                and not _SENTENCE_PUNCT.search(line):
            found["issuer_mark"] = line
            used.add(i)
        elif "doc_number" not in found and (m := _is_doc_number_line(line)):
            found["doc_number"] = m.group().strip(_STRIP)
            used.add(i)
            if signer := _signer(line):
                found["signer"] = signer
        elif "signer" not in found and (signer := _signer(line)):
            found["signer"] = signer
            used.add(i)
        elif _SEPARATOR.match(line):
            used.add(i)


def _signer(line: str) -> str | None:
    if len(line) > SHORT_LINE or "签" not in line:
        return None
    m = _SIGNER.search(DOC_NUMBER.sub(" ", line))
    if not m:
        return None
    return re.sub(r"\s+", " ", m.group("name")).strip() or None


def _read_title(document: Document, lines: list[str], found: dict, used: set[int]) -> tuple[int, int] | None:
    """Fill title and doc_type; return the (first, last+1) line span of the title in `lines`."""
    span = _title_span(lines, found, used)
    title = "".join(lines[span[0]: span[1]]) if span else None

    # Portal pages carry navigation before the article: their own title metadata is more reliable.
    meta_title = _meta_title(document.metadata) or _portal(document.metadata).get("title")
    if meta_title:
        title = meta_title
    elif document.format == "html" and isinstance(document.metadata.get("html_title"), str):
        pieces = [p.strip(_STRIP) for p in re.split(r"[_|｜]|\s[-—–]\s", document.metadata["html_title"])]
        pieces = [p for p in pieces if p]
        typed = [p for p in pieces if doc_type_of(p)]
        if (not title or not doc_type_of(title)) and (typed or pieces):
            title = (typed or pieces)[0]

    if title:
        found["title"] = title
        found["doc_type"] = doc_type_of(title)
    return span


def _title_span(lines: list[str], found: dict, used: set[int]) -> tuple[int, int] | None:
    start = None
    for i, line in enumerate(lines[:HEADER_ZONE]):
        if i in used or not _title_like(line):
            continue
        # A bare agency name before a title that does not itself start with 关于 is the 机关标志
        # (XX县市场监督管理局 / 行政处罚决定书); before a 关于 line it is the first line of a wrapped title.
        if "issuer_mark" not in found and _is_agency(line) and not doc_type_of(line):
            nxt = lines[i + 1] if i + 1 < len(lines) else ""
            if (i + 1) in used or (nxt and _title_like(nxt) and not nxt.startswith("关于")):
                found["issuer_mark"] = line
                used.add(i)
                continue
        start = i
        break
    if start is None:
        return None
    end = _title_end(lines, start)
    # 纪要 and 简报 heads put a name, then the number, then the real title (专题会议纪要 / 〔2024〕12号 /
    # 关于…的会议纪要): a titled line right after the number wins, the first one joins the 标志.
    j = end
    while j < len(lines) and j < HEADER_ZONE and (j in used or _is_doc_number_line(lines[j])):
        j += 1
    if j > end and j < len(lines) and _title_like(lines[j]):
        second = _title_end(lines, j)
        if doc_type_of("".join(lines[j:second])):
            found["issuer_mark"] = found.get("issuer_mark", "") + "".join(lines[start:end])
            return j, second
    return start, end


def _title_end(lines: list[str], start: int) -> int:
    end = start + 1
    while end < len(lines):
        so_far, nxt = "".join(lines[start:end]), lines[end]
        if re.fullmatch(r"[（(][^（()）]*(?:稿|试行|暂行)[^（()）]*[)）]", nxt):  # （征求意见稿） on its own line
            end += 1
            continue
        complete = doc_type_of(so_far)
        # A title is complete once it ends in a 文种, unless the next line plainly continues it
        # (…工作要点 / 的通知).
        if complete and not nxt.startswith(("的", "》", "”")):
            break
        # PDF text wraps anywhere, even inside the 文种 (…的报 / 告): a short tail that completes it joins.
        if not complete and len(nxt) <= 4 and doc_type_of(so_far + nxt) and re.fullmatch(_CJK + "+", nxt):
            end += 1
            break
        if end - start >= TITLE_MAX_LINES or not _title_like(nxt) or nxt.startswith(("（", "(")):
            break
        if len(nxt) > 40:  # wrapped title lines are short; a long line is the body
            break
        end += 1
    return end


def _read_recipients(lines: list[str], after: int, found: dict) -> None:
    for i in range(after, min(after + 4, len(lines))):
        line = lines[i]
        if _is_doc_number_line(line) or _signer(line) or re.fullmatch(r"[（(][^（()）]*[)）]", line):
            continue
        candidate = line
        if line.endswith(("，", "、", ",")) and i + 1 < len(lines):
            candidate = line + lines[i + 1]
        if (candidate.endswith(("：", ":")) and len(candidate) <= 150 and "。" not in candidate
                and "如下" not in candidate
                and not candidate.startswith(("附件", "抄送", "为", "根据", "按照", "现将", "经"))):
            found["recipients"] = candidate[:-1].strip(_STRIP)
        return


_ATTACHMENT_START = re.compile(r"^附\s*件\s*[:：]\s*(?P<rest>.*)$")
_ITEM_NUMBER = re.compile(r"(?:^|\s)\d+\s*[.．、]\s*")


def _read_attachments(lines: list[str], after: int, found: dict) -> None:
    for i in range(after, len(lines)):
        m = _ATTACHMENT_START.match(lines[i])
        if not m:
            continue
        items = _split_items(m.group("rest"))
        for line in lines[i + 1:]:
            if not re.match(r"^\d+\s*[.．、]", line):
                break
            items += _split_items(line)
        found["attachments"] = items
        return


def _split_items(text: str) -> list[str]:
    """'1.xxx 2.yyy' → ['xxx', 'yyy']; an unnumbered text is one item."""
    parts = [p.strip(_STRIP) for p in _ITEM_NUMBER.split(text)]
    return [p for p in parts if p]


_PRINTED = re.compile(rf"^(?P<org>.*?\S)\s*(?P<date>{DATE.pattern}){S}印{S}发$")
_CC = re.compile(r"^(?:抄\s*送|分\s*送)\s*[:：]\s*(?P<rest>.*)$")


def _read_closing(lines: list[str], after: int, found: dict) -> None:
    """署名, 成文日期, 附注, 抄送, 印发 — all in the lines after the title."""
    candidates: list[tuple[int, str | None, str, str]] = []  # (index, signature, raw date, iso)
    for i in range(after, len(lines)):
        line = lines[i]
        if len(line) > SHORT_LINE:
            continue  # none of these elements is a long line (and this keeps big documents fast)
        if "note" not in found and _NOTE.match(line):
            found["note"] = line
            continue
        if "printed_by" not in found and line.endswith("发") and (m := _PRINTED.match(line)):
            found["printed_by"] = m.group("org").strip(_STRIP)
            found["printed_date"] = parse_date(m.group("date"))
            continue
        if (m := _CC.match(line)) and ("cc" not in found or line.startswith("抄")):
            found["cc"] = _join_cc(m.group("rest"), lines[i + 1: i + 4])
            continue
        dated = _date_line(line)
        if dated is None:
            continue
        before, raw, iso = dated
        signature = None
        if before:
            if not _is_agency(before):
                continue  # a sentence ending with a date
            signature = re.sub(r"\s+", " ", before)
        else:
            above = []
            for j in range(i - 1, max(after, i - 3) - 1, -1):
                if not _is_agency(lines[j]):
                    break
                above.insert(0, lines[j])
            signature = re.sub(r"\s+", " ", "、".join(above)) or None
        candidates.append((i, signature, raw, iso))

    # The first dated 署名 after the title is the document's own; attachments may follow with theirs.
    signed = [c for c in candidates if c[1]]
    chosen = signed[0] if signed else (candidates[-1] if candidates else None)
    if chosen:
        _, found["signature"], found["date_raw"], found["date"] = chosen

    if attribute := _attribute_of(found.get("note")):
        found["declared_attribute"] = attribute


def _read_attribute_line(lines: list[str], found: dict) -> None:
    """公开属性：主动公开 / 公开方式：依申请公开, when no 附注 declares the attribute."""
    if found.get("declared_attribute"):
        return
    for line in lines:
        if "公开" in line and (m := _ATTRIBUTE_LINE.search(line)):
            if attribute := _attribute_of(m.group("value")):
                found["declared_attribute"] = attribute
            return


def _join_cc(first: str, following: list[str]) -> str:
    """抄送 may wrap; GB/T 9704 ends it with 。, which is dropped."""
    text = first.strip(_STRIP)
    for line in following:
        if text.endswith("。") or _CC.match(line) or _date_line(line) or "印发" in line:
            break
        text += line
    return text.rstrip("。").strip(_STRIP)


_INLINE_PORTAL = re.compile(r"(?P<key>索引号|发布机构|发文机关|文号|发文字号|发布日期|成文日期|公开方式|公开属性)"
                            r"\s*[:：]\s*(?P<value>[^\s:：]+)")


def _is_portal_line(line: str, has_portal: bool) -> bool:
    """A row of the portal metadata table (索引号：… 主题分类：…), not a line of the document."""
    if "：" not in line and ":" not in line:  # every key is followed by a colon
        return False
    keys = _PORTAL_ROW.findall(line)
    return bool(keys) and line.startswith(tuple(keys)) and (has_portal or len(keys) >= 2)


_PORTAL_ROW = re.compile(r"(索引号|主题分类|发布机构|发文机关|成文日期|文号|发文字号|发布日期|公开方式|公开属性|有效性|"
                         r"信息名称|生效日期|废止日期)\s*[:：]")


def _read_portal(document: Document, lines: list[str], found: dict) -> None:
    portal = _portal(document.metadata)
    if not portal:
        # A portal page rendered as text ("索引号：xxx  发布机构：xxx") in the first lines.
        inline = {}
        for line in lines[:40]:
            if "：" not in line and ":" not in line:
                continue
            for m in _INLINE_PORTAL.finditer(line):
                inline.setdefault(m.group("key"), m.group("value"))
        portal = _portal({"portal": inline})
    if portal.get("index_number"):
        found["index_number"] = portal["index_number"]
    if portal.get("publisher"):
        found["publisher"] = portal["publisher"]
    if portal.get("publish_date"):
        found["publish_date"] = parse_date(portal["publish_date"]) or portal["publish_date"]
    if not found.get("doc_number") and portal.get("doc_number"):
        numbers = find_doc_numbers(portal["doc_number"])
        found["doc_number"] = numbers[0] if numbers else portal["doc_number"]
    if not found.get("date") and portal.get("issue_date"):
        found["date"] = parse_date(portal["issue_date"])
        found["date_raw"] = portal["issue_date"] if found["date"] else None
    if not found.get("declared_attribute") and portal.get("attribute"):
        attribute = _attribute_of(portal["attribute"])
        if attribute:
            found["declared_attribute"] = attribute
