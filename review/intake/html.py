"""HTML pages, in particular 政府信息公开 article pages from government portals.

A portal page is mostly chrome (top bar, banner, menus, breadcrumb, 打印本页/关闭窗口 tools, a footer
with 网站标识码/ICP/公网安备) around one article. Detectors must see the article, all of it, and
nothing else in the visible text: a gambling link injected into the article body has to be found, the
word 首页 in the menu must not count as document text.

Why selectolax and our own extraction rather than trafilatura: measured on the six devset pages,
trafilatura (favor_recall, tables on) drops exactly what we are here to find: the visible gambling
link inside the article (it looks like boilerplate), the display:none spam block, the 信息公开
metadata table and in one page the title; and it is slower (240 pages/s against 460 for this module
on those pages). Portal pages follow a few platform templates, so a list of known article containers
(#zoom, .TRS_Editor...) with a text-density fallback keeps every node of the body, which is what
review needs.

What a Document gets:
- visible blocks, in document order, from the metadata table (part=body, name=metadata), the title,
  the article container and attachment lists; data-table rows are one block each, cells joined by tab;
- text hidden by CSS (inline style, simple <style> rules, the hidden attribute) anywhere on the page,
  as css_hidden blocks: spam is often injected in a hidden div near the footer, outside the article;
- metadata["portal"] (the metadata table as a dict), ["html_meta"] (<meta name=...>), ["html_title"];
- the page chrome (menus, banners, footers) as blocks of part page_chrome, kept out of the visible text
  (hidden kind page_chrome): only rules scoped "page" (injected spam) look at them;
- links of the kept regions (and of hidden nodes, marked part=css_hidden) in document.links;
- the text of the page's comments as html_comment blocks (published with the source, so scanned).
"""

from __future__ import annotations

import codecs
import re
from dataclasses import dataclass, field

from selectolax.lexbor import LexborHTMLParser, SelectolaxError

from review import errors
from review.document import HiddenInfo, Location
from review.errors import DocumentError
from review.intake.text import detect_encoding

# -- encoding ------------------------------------------------------------------------------------

_META_CHARSET = re.compile(rb"""<meta[^>]*?charset\s*=\s*["']?\s*([A-Za-z0-9_.:-]+)""", re.I)
_BOMS = (codecs.BOM_UTF8, codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)
_GB_FAMILY = {"gb2312", "gbk", "gb18030"}
# A page that says latin-1 / windows-1252 / ascii is mislabelled Chinese text more often than not, and
# those codecs decode any bytes: better to let detection decide. UTF-16/32 in a meta tag is also a lie
# (the meta tag itself was readable as ASCII), as the HTML standard notes.
_DISTRUSTED = {"latin_1", "iso8859_1", "cp1252", "ascii", "utf-16", "utf-16-le", "utf-16-be", "utf-32"}


def decode_html(data: bytes) -> tuple[str, str]:
    """(text, encoding): a BOM wins, then a <meta charset> that actually decodes, then detection."""
    if not data.startswith(_BOMS):
        match = _META_CHARSET.search(data[:8192])
        if match:
            try:
                declared = codecs.lookup(match.group(1).decode("ascii")).name
            except LookupError:
                declared = None
            if declared and declared not in _DISTRUSTED:
                # gb2312 pages routinely hold GBK-only characters: try the supersets before giving up
                candidates = [declared] + (["gbk", "gb18030"] if declared in _GB_FAMILY else [])
                for name in candidates:
                    try:
                        return data.decode(name), codecs.lookup(name).name
                    except UnicodeDecodeError:
                        continue
    encoding = detect_encoding(data)
    return data.decode(encoding, errors="replace"), encoding


# -- what is hidden ------------------------------------------------------------------------------

# each (pattern, detail) is tested on a lower-cased style declaration list
_HIDING = [
    (re.compile(r"(?:^|;)\s*display\s*:\s*none\b"), "display:none"),
    (re.compile(r"(?:^|;)\s*visibility\s*:\s*(?:hidden|collapse)\b"), "visibility:hidden"),
    (re.compile(r"(?:^|;)\s*font-size\s*:\s*0*\.?0+(?:px|pt|em|rem|%)?\s*(?:;|!|$)"), "font-size:0"),
    # the classic "black link" tricks: pushed off screen, or squeezed into a box too small to see
    (re.compile(r"(?:^|;)\s*(?:left|top|text-indent|margin-left|margin-top)\s*:\s*-\d{4,}"), "off-screen"),
]
_ZERO_BOX = re.compile(r"(?:^|;)\s*(?:height|width)\s*:\s*[01](?:px)?\s*(?:;|!|$)")
_OVERFLOW_HIDDEN = re.compile(r"(?:^|;)\s*overflow\s*:\s*hidden")
_DISPLAY_SHOWN = re.compile(r"(?:^|;)\s*display\s*:\s*(?!none)[a-z-]+")
_FONT_SIZE = re.compile(r"(?:^|;)\s*font-size\s*:\s*([^;!]+)")
_CSS_COMMENT = re.compile(r"/\*.*?\*/", re.S)
_CSS_RULE = re.compile(r"([^{}]+)\{([^{}]*)\}")
_MAX_CSS_RULES = 3000  # a style sheet larger than this is not hand-written injection cover


def hiding(style: str) -> str | None:
    """Why a CSS declaration list hides its element, or None."""
    style = style.lower()
    for pattern, detail in _HIDING:
        if pattern.search(style):
            return detail
    if _ZERO_BOX.search(style) and _OVERFLOW_HIDDEN.search(style):
        return "zero-size box, overflow:hidden"
    return None


def _sets_font_size(style: str) -> bool:
    match = _FONT_SIZE.search(style.lower())
    return bool(match) and not re.fullmatch(r"\s*0*\.?0+(?:px|pt|em|rem|%)?\s*", match.group(1))


def _strip_at_blocks(css: str) -> str:
    """Drop @media/@supports/@font-face... blocks: rules for print or small screens do not hide text
    from the reader of the page, and hiding them all is the safe reading for a desktop browser."""
    out, i = [], 0
    while True:
        at = css.find("@", i)
        if at < 0:
            out.append(css[i:])
            return "".join(out)
        out.append(css[i:at])
        brace, semi = css.find("{", at), css.find(";", at)
        if brace < 0 or (0 <= semi < brace):  # @import ...; @charset ...;
            i = len(css) if semi < 0 else semi + 1
            continue
        depth, j = 0, brace
        while j < len(css):
            depth += {"{": 1, "}": -1}.get(css[j], 0)
            j += 1
            if depth == 0:
                break
        i = j


def css_rules(tree: LexborHTMLParser, deadline) -> tuple[dict[int, str], set[int]]:
    """Apply the page's <style> rules that hide (or re-show) elements.

    Returns ({node id: detail} of hidden nodes, {ids of nodes given a non-zero font-size}). Rules are
    applied in order and a later display:block for the same node undoes an earlier display:none;
    specificity is not modelled. Selectors with pseudo-classes (:hover...) are skipped.
    """
    css = "\n".join(node.text() for node in tree.css("style"))
    css = _strip_at_blocks(_CSS_COMMENT.sub(" ", css))
    hidden: dict[int, str] = {}
    sized: set[int] = set()
    for number, match in enumerate(_CSS_RULE.finditer(css)):
        if number >= _MAX_CSS_RULES:
            break
        if number % 200 == 0:
            deadline.check()
        declarations = match.group(2)
        detail = hiding(declarations)
        shown = not detail and _DISPLAY_SHOWN.search(declarations.lower())
        sizes = _sets_font_size(declarations)
        if not (detail or shown or sizes):
            continue
        for selector in match.group(1).split(","):
            selector = selector.strip()
            if not selector or ":" in selector or len(selector) > 200:
                continue
            try:
                nodes = tree.css(selector)
            except (SelectolaxError, ValueError):
                continue
            for node in nodes:
                if detail:
                    hidden[node.mem_id] = f"{detail} (style rule {selector})"
                elif shown:
                    hidden.pop(node.mem_id, None)
                if sizes:
                    sized.add(node.mem_id)
    return hidden, sized


# -- page structure ------------------------------------------------------------------------------

SKIP = {"script", "style", "noscript", "template", "head", "title", "iframe", "object", "embed",
        "svg", "math", "canvas", "audio", "video", "-comment"}
BLOCK = {"address", "article", "aside", "blockquote", "body", "caption", "center", "dd", "details",
         "dialog", "dir", "div", "dl", "dt", "fieldset", "figcaption", "figure", "footer", "form", "h1",
         "h2", "h3", "h4", "h5", "h6", "header", "hgroup", "hr", "html", "legend", "li", "main", "menu",
         "nav", "ol", "option", "p", "pre", "section", "summary", "table", "tbody", "td", "tfoot", "th",
         "thead", "tr", "ul", "select", "textarea"}
# where the text density of an article accumulates (a <p>'s text counts for its container)
CONTAINERS = {"div", "td", "th", "section", "article", "main", "body", "form", "center", "blockquote",
              "font", "span"}

# Article containers of the common portal platforms (TRS WCM, 开普云 UCAP, 拓尔思, 大汉...), most
# specific first: the first one holding enough of the page's text wins.
CONTENT_SELECTORS = [
    "#zoom", "#Zoom", "#UCAP-CONTENT", ".TRS_Editor", ".TRS_UEDITOR", ".trs_editor_view",
    ".pages_content", ".article-content", ".article_content", ".articleContent", ".art_con", ".artCon",
    ".detail-content", ".detail_content", ".news_content", ".newsContent", ".con_text", ".xxgk_content",
    ".zoom", "#content", "#Content", ".view", "article", ".article", ".main-content", ".content", "main",
]

# labels of the 信息公开 metadata table (a label is also recognised by its trailing colon)
PORTAL_KEYS = [
    "信息索引号", "索引号", "发布机构", "发文机关", "发文机构", "发文单位", "信息来源", "所属机构", "文号",
    "发文字号", "发布日期", "发布时间", "成文日期", "发文日期", "生成日期", "实施日期", "废止日期", "公开方式",
    "公开属性", "公开形式", "公开范围", "公开时限", "主题分类", "体裁分类", "组配分类", "服务对象分类",
    "主题词", "关键词", "有效性", "效力状况", "时效", "名称", "标题", "文件名称", "内容概述", "责任部门",
]
_KEY_SET = set(PORTAL_KEYS)
# labels are often spaced out to line up (标　　题：), so white space may sit between their characters
_INLINE_PAIR = re.compile("(" + "|".join(r"\s*".join(key) for key in sorted(PORTAL_KEYS, key=len, reverse=True))
                          + r")\s*[:：]")
_LABEL = re.compile(r"((?:[\u4e00-\u9fffA-Za-z（）()]\s*){1,10}?)\s*[:：]?")
_DOC_LINK = re.compile(r"\.(?:pdf|docx?|xlsx?|wps|et|ofd|zip|rar|7z|pptx?|csv|txt)(?:[?#].*)?$", re.I)
_ATTACHMENT = re.compile(r"attach|fujian|xgfj|enclosure|appendix", re.I)
_SPACE = re.compile(r"[ \t\n\r\f\v\xa0]+")
_SPACES = re.compile(r" {2,}")
_NEWLINE = re.compile(r" *\n[ \n]*")
_TITLE_SPLIT = re.compile(r"\s*[_|–—]\s*|\s+-\s+")


def _squash(text: str | None) -> str:
    return _SPACE.sub(" ", text or "").strip()


def _ancestors(node):
    node = node.parent
    while node is not None:
        yield node
        node = node.parent


def _has_inside(node, selector: str) -> bool:
    """Whether an element strictly under node matches (Lexbor's css() also matches node itself)."""
    return any(found.mem_id != node.mem_id for found in node.css(selector))


def _inside(node, container) -> bool:
    return any(a.mem_id == container.mem_id for a in _ancestors(node))


def _text_len(node) -> tuple[int, int]:
    """(characters of text, characters of it in links), white space not counted."""
    total = len(re.sub(r"\s", "", node.text() or ""))
    linked = sum(len(re.sub(r"\s", "", a.text() or "")) for a in node.css("a"))
    return total, linked


def find_metadata(body):
    """The smallest table/list/div naming at least three of the 信息公开 labels."""
    best = None
    for node in body.css("table, ul, ol, dl, div, section"):
        text = node.text() or ""
        if len(text) > 3000 or sum(1 for key in ("索引号", "发布机构", "发文机关", "文号", "发文字号",
                                                 "发布日期", "成文日期", "公开方式", "公开属性",
                                                 "公开形式", "主题分类", "有效性") if key in text) < 3:
            continue
        if best is None or _inside(node, best):
            best = node
    return best


def parse_portal(node) -> dict[str, str]:
    """Label -> value pairs of the metadata element, labels as written (without the colon)."""
    if node.tag == "table":
        cells = [(c.tag, _squash(c.text())) for c in node.css("th, td")]
    else:  # innermost blocks of a list or div layout: "索引号：xxx" or <dt>索引号</dt><dd>xxx</dd>
        blocks = "li, dt, dd, p, div"
        cells = [(c.tag, _squash(c.text())) for c in node.css(blocks) if not _has_inside(c, blocks)]
    portal: dict[str, str] = {}
    i = 0
    while i < len(cells):
        tag, text = cells[i]
        label = _LABEL.fullmatch(text)
        key = re.sub(r"\s", "", label.group(1)) if label else ""
        if label and (tag == "th" or text[-1:] in ":：" or key in _KEY_SET):
            following = cells[i + 1][1] if i + 1 < len(cells) else ""
            if following and not _INLINE_PAIR.match(following) and not (
                    following[-1:] in ":：" and _LABEL.fullmatch(following)):
                portal.setdefault(key, following)
                i += 2
                continue
            i += 1
            continue
        # "索引号：xxx 主题分类：yyy" in one cell
        marks = list(_INLINE_PAIR.finditer(text))
        for k, mark in enumerate(marks):
            end = marks[k + 1].start() if k + 1 < len(marks) else len(text)
            value = text[mark.end():end].strip()
            if value:
                portal.setdefault(re.sub(r"\s", "", mark.group(1)), value)
        i += 1
    return portal


def find_content(body, metadata, deadline):
    """The article container: a known portal container holding enough text, else the densest one.

    "Enough": a third of the page's text outside links; failing that (short article, wordy chrome)
    as much as a third of the densest block's, or containing it. The density scoring is only run
    when needed: it is the slowest step.
    """
    page_total, page_linked = _text_len(body)
    densest, dense_len = None, None
    for selector in CONTENT_SELECTORS:
        best, best_len = None, 0
        for node in body.css(selector):
            if metadata is not None and (node.mem_id == metadata.mem_id or _inside(node, metadata)):
                continue
            total, linked = _text_len(node)
            if total and linked / total < 0.5 and total > best_len:
                best, best_len = node, total
        if best is None:
            continue
        if best_len >= 0.3 * (page_total - page_linked):
            return best
        if dense_len is None:
            densest = _densest(body, metadata, deadline)
            dense_len = _text_len(densest)[0] if densest is not None else 0
        if best_len >= 0.3 * dense_len or (densest is not None and _inside(densest, best)):
            return best
    return densest if dense_len is not None else _densest(body, metadata, deadline)


def _densest(body, metadata, deadline):
    """Readability-style scoring: each run of text counts for its container, half for the next one up.

    One top-down pass carrying (in a link?, nearest two containers), so deep nesting stays linear.
    """
    score: dict[int, float] = {}
    linked: dict[int, float] = {}
    nodes: dict[int, object] = {}
    skip_id = metadata.mem_id if metadata is not None else None
    stack = [(body, False, ())]
    steps = 0
    while stack:
        node, in_link, containers = stack.pop()
        steps += 1
        if steps % 2000 == 0:
            deadline.check()
        if node.tag == "-text":
            length = len(re.sub(r"\s", "", node.text_content or ""))
            bucket = linked if in_link else score
            for weight, container in zip((1.0, 0.5), containers) if length else ():
                nodes[container.mem_id] = container
                bucket[container.mem_id] = bucket.get(container.mem_id, 0.0) + weight * length
            continue
        if node.tag in SKIP or not node.is_element_node or node.mem_id == skip_id:
            continue
        if node.tag in CONTAINERS:
            containers = (node,) + containers[:1]
        in_link = in_link or node.tag == "a"
        # pre-order (children reversed onto the stack): on equal scores the outer container, seen
        # first, wins and nothing is lost
        stack.extend((child, in_link, containers) for child in reversed(list(node.iter(include_text=True))))
    best, best_score = None, 0.0
    for key, node in nodes.items():
        text, links = score.get(key, 0.0), linked.get(key, 0.0)
        value = text * (1 - links / (text + links)) if text else 0.0
        if value > best_score:
            best, best_score = node, value
    return best


def find_title(body, content, metadata, meta_title: str | None, order: dict[int, int]):
    """The article heading: the element whose text is the ArticleTitle/<title> (headings first, so
    that the breadcrumb's last item or the 名称 cell of the metadata table is not taken), else the last
    heading before the content."""
    wanted = _squash(meta_title)
    groups = ("h1, h2, h3, h4, h5, h6", "[class*=title], [id*=title], [class*=tit], [class*=bt]",
              "div, p, td, span, strong, b, font")
    for selector in groups if wanted else ():
        for node in body.css(selector):
            if (_squash(node.text()) == wanted and not _has_inside(node, "p, div, table, li")
                    and (metadata is None or not _inside(node, metadata))):
                return node
    if content is None:
        return None
    start = order.get(content.mem_id, 0)
    headings = [n for n in body.css("h1, h2, h3, [class*=title], [id*=title]")
                if order.get(n.mem_id, 1 << 60) < start and 0 < len(_squash(n.text())) <= 200
                and not _inside(content, n)]
    return headings[-1] if headings else None


def find_attachments(body, content, taken) -> list:
    """Attachment lists and links to files next to the article container (附件 often sit after it).

    Only near the article (under its grandparent): a footer link to 信息公开指南.pdf is chrome.
    """
    near = content.parent.parent if content.parent is not None else None
    if near is None or near.tag == "html":
        near = body
    found = []

    def free(node):
        return not any(node.mem_id == t.mem_id or _inside(node, t) or _inside(t, node) for t in taken + found)

    for node in near.css("[id], [class]"):
        name = f"{node.attributes.get('id') or ''} {node.attributes.get('class') or ''}"
        if _ATTACHMENT.search(name) and len(node.text() or "") < 3000 and free(node):
            found.append(node)
    for link in near.css("a[href]"):
        if _DOC_LINK.search(link.attributes.get("href") or ""):
            holder = next((a for a in _ancestors(link) if a.tag in BLOCK), None)
            for node in (holder, link):
                if node is not None and node.tag not in ("body", "html") and free(node):
                    found.append(node)
                    break
    return found


# -- the walk ------------------------------------------------------------------------------------

@dataclass
class _Frame:
    """What the walk knows about the element it is in."""

    region: str | None  # metadata | title | body | attachment, None for chrome
    tag: str
    table: dict | None = None  # {"index": n, "rows": count so far}
    row: int | None = None
    cell: int | None = None
    join: bool = False  # inside a simple table row: cells collected, not emitted block by block
    cells: list[str] | None = None
    cell_count: list[int] = field(default_factory=lambda: [0])

    def derive(self, **changes) -> "_Frame":
        """A copy with changes (dataclasses.replace is the walk's hot spot: this is 5x quicker)."""
        frame = _Frame.__new__(_Frame)
        frame.__dict__ = {**self.__dict__, **changes}
        return frame


class _Walker:
    """Emit blocks in document order; hidden subtrees go out as css_hidden blocks wherever they are."""

    def __init__(self, document, deadline, regions: dict[int, str], css_hidden: dict[int, str],
                 sized: set[int]):
        self.document = document
        self.deadline = deadline
        self.regions = regions
        self.css_hidden = css_hidden
        self.sized = sized
        self.buffer: list[str] = []
        self.counters: dict[str, int] = {}
        self.tables = 0
        self.chrome: list[tuple[str, str]] = []
        self.visible = 0

    # hidden ---------------------------------------------------------------------------------------
    def hidden_reason(self, node) -> str | None:
        attributes = node.attributes
        if "hidden" in attributes:
            return "hidden attribute"
        style = (attributes.get("style") or "").lower()
        detail = hiding(style) if style else None
        if detail is None and node.mem_id in self.css_hidden:
            detail = self.css_hidden[node.mem_id]
            if detail.startswith("display") and _DISPLAY_SHOWN.search(style):
                detail = None  # the inline style shows what the style sheet hid
        if detail and detail.startswith("font-size") and self._resized_inside(node):
            detail = None  # font-size:0 on a list to kill inline-block gaps, children sized again
        return detail

    def _resized_inside(self, node) -> bool:
        for inner in node.traverse():
            if inner.mem_id == node.mem_id:
                continue
            if inner.mem_id in self.sized or _sets_font_size(inner.attributes.get("style") or ""):
                return True
        return False

    def emit_hidden(self, node, detail: str) -> None:
        text = collect_text(node)
        location = Location(part="css_hidden", name=node.tag, paragraph=self._next("css_hidden"))
        self._add(text, location, node.tag, hidden=HiddenInfo(kind="css_hidden", detail=detail))
        for link in node.css("a[href]"):
            self._link(link, "css_hidden")

    # blocks ---------------------------------------------------------------------------------------
    def _next(self, part: str) -> int:
        self.counters[part] = self.counters.get(part, 0) + 1
        return self.counters[part] - 1

    def _add(self, text, location, style, hidden=None):
        if self.document.add(text, location, hidden=hidden, style=style) and hidden is None:
            self.visible += 1

    def _take(self) -> str:
        text = "".join(self.buffer)
        self.buffer.clear()
        return _NEWLINE.sub("\n", _SPACES.sub(" ", text)).strip()

    def flush(self, frame: _Frame) -> None:
        if frame.join:
            return  # a cell of a simple row: the row is emitted whole
        text = self._take()
        if not text:
            return
        if frame.region is None:
            self.chrome.append((text, frame.tag))
        elif frame.region == "metadata":
            self._add(text, Location(part="body", name="metadata", paragraph=self._next("body")),
                      frame.tag)
        elif frame.table is not None:
            self._add(text, Location(part="table", table=frame.table["index"], row=frame.row,
                                              cell=frame.cell, paragraph=self._next("table"),
                                              name=frame.tag), frame.tag)
        else:
            self._add(text, Location(part="body", paragraph=self._next("body"), name=frame.tag),
                      frame.tag)

    def _link(self, node, part: str) -> None:
        href = (node.attributes.get("href") or "").strip()
        if href and not href.startswith("#") and not href.lower().startswith("javascript:"):
            self.document.links.append({"url": href, "text": _squash(collect_text(node)), "part": part})

    # traversal ------------------------------------------------------------------------------------
    def walk(self, root) -> None:
        """Iterative pre-order walk (no recursion: malformed pages can nest thousands deep)."""
        frames = [_Frame(region=self.regions.get(root.mem_id), tag=root.tag)]
        stack = [(False, child) for child in reversed(list(root.iter(include_text=True)))]
        steps = 0
        while stack:
            leaving, node = stack.pop()
            steps += 1
            if steps % 1000 == 0:
                self.deadline.check()
            if leaving:
                self.leave(node, frames.pop(), frames[-1])
                continue
            if node.tag == "-text":
                text = _SPACE.sub(" ", node.text_content or "")
                self.buffer.append(text)
                continue
            frame = self.enter(node, frames[-1])
            if frame is not None:
                frames.append(frame)
                stack.append((True, node))
                stack.extend((False, child) for child in reversed(list(node.iter(include_text=True))))
        self.flush(frames[0])

    def enter(self, node, parent: _Frame) -> _Frame | None:
        tag = node.tag
        if tag in SKIP or not node.is_element_node:
            return None
        detail = self.hidden_reason(node)
        if detail:
            if tag in BLOCK:
                self.flush(parent)
            self.emit_hidden(node, detail)
            return None
        if tag == "br":
            self.buffer.append(" " if parent.join else "\n")
            return None
        region = self.regions.get(node.mem_id)
        if region:
            self.flush(parent)
            frame = _Frame(region=region, tag=tag)
        else:
            frame = parent.derive(tag=tag)
        if tag == "a" and frame.region:
            self._link(node, "metadata" if frame.region == "metadata" else "body")
        if frame.region and tag == "table":
            self.flush(parent)
            frame = frame.derive(table={"index": self.tables, "rows": 0}, row=None, cell=None, join=False)
            if frame.region != "metadata":  # its rows are part=body blocks: table numbers are the article's
                self.tables += 1
        elif frame.table is not None and tag == "tr" and not parent.join:
            self.flush(parent)
            row = frame.table["rows"]
            frame.table["rows"] += 1
            simple = all(_simple_cell(c) for c in node.iter() if c.tag in ("td", "th"))
            frame = frame.derive(row=row, cell=None, join=simple, cells=[] if simple else None,
                                 cell_count=[0])
        elif frame.table is not None and tag in ("td", "th") and frame.row is not None and not parent.join \
                and parent.tag == "tr":
            self.flush(parent)
            frame = frame.derive(cell=parent.cell_count[0])
            parent.cell_count[0] += 1
        elif parent.join and tag in ("td", "th") and parent.tag == "tr":
            self.buffer.clear()  # stray white space between cells
        elif tag in BLOCK:
            if parent.join:
                self.buffer.append(" ")
            else:
                self.flush(parent)
        return frame

    def leave(self, node, frame: _Frame, parent: _Frame) -> None:
        tag = node.tag
        if frame.join and tag in ("td", "th") and parent.tag == "tr" and parent.join:
            frame.cells.append(self._take())
        elif frame.join and tag == "tr" and not parent.join:
            text = "\t".join(frame.cells)  # empty cells kept: columns stay aligned
            if text.strip():
                location = Location(part="body", name="metadata", paragraph=self._next("body")) \
                    if frame.region == "metadata" else \
                    Location(part="table", table=frame.table["index"], row=frame.row,
                             paragraph=self._next("table"), name="tr")
                self._add(text, location, "tr")
            self.buffer.clear()
        elif tag in BLOCK or self.regions.get(node.mem_id):
            self.flush(frame)


def _simple_cell(cell) -> bool:
    """A data cell (one block per row, cells tab-joined) rather than a layout cell holding paragraphs."""
    return cell.css_first("table") is None and len(cell.css("p, div, li, h1, h2, h3, h4, h5, h6")) <= 2


def collect_text(node) -> str:
    """All text under node (hidden or not), block boundaries as newlines, scripts and styles left out."""
    pieces: list[str] = []
    stack = [node]
    while stack:
        item = stack.pop()
        if isinstance(item, str):
            pieces.append(item)
            continue
        if item.tag == "-text":
            pieces.append(_SPACE.sub(" ", item.text_content or ""))
            continue
        if item.tag in SKIP or not item.is_element_node:
            continue
        if item.tag == "br":
            pieces.append("\n")
            continue
        block = item.tag in BLOCK
        if block:
            pieces.append("\n")
            stack.append("\n")
        stack.extend(reversed(list(item.iter(include_text=True))))
    return _NEWLINE.sub("\n", _SPACES.sub(" ", "".join(pieces))).strip()


# -- entry point ---------------------------------------------------------------------------------

def parse(source, config, deadline):
    document = source.new_document()
    text, encoding = decode_html(source.data)
    document.encoding = encoding
    if "\ufffd" in text:
        document.warnings.append(f"some bytes are not valid {encoding} and were replaced")
    tree = LexborHTMLParser(text.lstrip("\ufeff"))
    has_comments = "<!--" in text  # most pages: no second walk over the tree for them
    body = tree.body
    deadline.check()

    html_meta: dict[str, str] = {}
    for meta in tree.css("meta"):
        name = meta.attributes.get("name") or meta.attributes.get("property")
        content = meta.attributes.get("content")
        if name and content is not None:
            html_meta.setdefault(name.strip(), content.strip())
    title_node = tree.css_first("title")
    html_title = _squash(title_node.text()) if title_node is not None else None
    document.metadata["html_meta"] = html_meta
    document.metadata["html_title"] = html_title or None

    if body is None:
        raise DocumentError("the page holds no text", code=errors.EMPTY)

    css_hidden, sized = css_rules(tree, deadline)
    order = {node.mem_id: i for i, node in enumerate(body.traverse())}
    metadata = find_metadata(body)
    content = find_content(body, metadata, deadline)
    deadline.check()
    meta_title = html_meta.get("ArticleTitle") or html_meta.get("articletitle")
    if not meta_title and html_title:
        meta_title = max(_TITLE_SPLIT.split(html_title), key=len)
    title = find_title(body, content, metadata, meta_title, order)

    regions: dict[int, str] = {}
    taken = []
    for node, name in ((metadata, "metadata"), (title, "title"), (content, "body")):
        if node is not None and not any(_inside(node, t) for t in taken):
            regions[node.mem_id] = name
            taken.append(node)
    for node in find_attachments(body, content, taken) if content is not None else ():
        regions[node.mem_id] = "attachment"

    document.metadata["portal"] = parse_portal(metadata) if metadata is not None else {}
    walker = _Walker(document, deadline, regions, css_hidden, sized)
    walker.walk(body)
    if not walker.visible and walker.chrome:
        # no article found: everything the page shows is better than nothing (content must not be lost)
        for text, tag in walker.chrome:
            document.add(text, Location(part="body", paragraph=walker._next("body"), name=tag), style=tag)
        document.warnings.append("no article container was recognised; the whole page was read")
    else:
        # The chrome is not the document (it stays out of the visible text the 公文 parser and the classifier
        # read), but injected spam hides in footers and link bars: rules scoped "page" still scan it.
        for number, (text, tag) in enumerate(walker.chrome):
            document.add(text, Location(part="page_chrome", paragraph=number, name=tag),
                         hidden=HiddenInfo(kind="page_chrome", detail=f"<{tag}> outside the article"))
    if not document.blocks:
        raise DocumentError("the page holds no text", code=errors.EMPTY)
    # Comments are not shown but are published with the page's source: a commented-out paragraph or
    # contact line is read by anyone who views the source, so every pack scans them as hidden text.
    for number, comment in enumerate(page_comments(tree, deadline) if has_comments else ()):
        document.add(comment, Location(part="html_comment", paragraph=number, name="comment"),
                     hidden=HiddenInfo(kind="html_comment", detail="<!-- --> comment in the page source"))
    document.pages = 1
    return document


# conditional comments (<!--[if IE]>) and server-side includes (<!--#include -->) are markup, not text
_MARKUP_COMMENT = re.compile(r"^\s*(?:\[if\b|<!\[endif|\[endif|#\w+)", re.I)


def page_comments(tree: LexborHTMLParser, deadline) -> list[str]:
    """The text of the page's comments (commented-out markup reduced to its text), in source order."""
    texts = []
    for number, node in enumerate(tree.root.traverse(include_text=False) if tree.root is not None else ()):
        if number % 1000 == 999:
            deadline.check()
        if not node.is_comment_node:
            continue
        content = node.comment_content or ""
        if not content.strip() or _MARKUP_COMMENT.match(content):
            continue
        if "<" in content:  # commented-out markup: keep what it would have shown
            inner = LexborHTMLParser(content).body
            content = collect_text(inner) if inner is not None else ""
        text = _squash(content).strip()
        if text:
            texts.append(text)
    return texts
