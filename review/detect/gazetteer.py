"""Administrative-division gazetteer and address finder.

`find_addresses(text)` finds addresses and says how specific each one is:

    荆州市沙市区塔桥路68号2栋3单元502室   →  level "room"
    谷城县石花镇黄畈村三组28号            →  level "building"  (village group + house number)
    青秀区民族大道100号                   →  level "building"  (road + number)
    荆州市沙市区                          →  level "county"

How it works, cheapest first:

1. One Aho-Corasick pass (ahocorasick-rs, leftmost-longest) over every province, prefecture, county and township
   name of GB/T 2260 (all names since 1980) and the 2023 statistical township list, with and without their
   suffixes (湖北省/湖北, 荆州市/荆州, 谷城县/谷城; townships only with 镇/乡/街道, bare they are ordinary words).
2. Adjacent hits going down the hierarchy form an administrative chain (湖北省 荆州市 沙市区). A chain made only of
   short forms, or of a bare 2-character district such as 城区/郊区, must be at least two names long or be followed
   by a street-level detail: on its own "和平" or "城区" is a word, not a place.
3. After the chain one regex reads the street-level detail: 乡镇/街道 not in the list, 村/社区 + 组, 路/街/巷 + 段,
   号, 小区/花园, 栋/幢/号楼, 单元, 层, 室.
4. Addresses with no administrative prefix (王安屯村东街15号) are found from their numbered part (15号, 三组,
   2栋, 3单元, 502室) by walking back to where the place name starts; they need a named part (村, 路, 小区) and a
   numbered part, so 〔2024〕5号 and 第三组 are not addresses.

Whether an address is someone's home (住址、家住、户籍地) or an office (办公地址、受理地点、服务中心（…）) is the
caller's decision; `looks_like_office` gives a cheap opinion from the surrounding words.
"""

from __future__ import annotations

import bisect
import re
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources

import ahocorasick_rs

__all__ = ["AddressMatch", "Gazetteer", "LEVELS", "find_addresses", "gazetteer", "looks_like_office"]

LEVELS = ("province", "city", "county", "township", "road", "building", "room")
_DEPTH = {level: i for i, level in enumerate(LEVELS)}


@dataclass(frozen=True)
class AddressMatch:
    start: int
    end: int
    text: str
    level: str  # the most specific part reached, one of LEVELS
    admin_end: int  # where the administrative part (province … township) ends; == start when there is none
    parts: tuple[tuple[str, str], ...]  # (kind, text): ("city", "荆州市"), ("road", "塔桥路"), ("number", "68号")…


# --------------------------------------------------------------------------------------------------------------
# Names

# The 55 minority nationalities as they appear in autonomous-area names (延边朝鲜族自治州 → 延边).
_NATIONALITIES = (
    "蒙古 回 藏 维吾尔 苗 彝 壮 布依 朝鲜 满 侗 瑶 白 土家 哈尼 哈萨克 傣 黎 傈僳 佤 畲 高山 拉祜 水 东乡 纳西 景颇 "
    "柯尔克孜 土 达斡尔 仫佬 羌 布朗 撒拉 毛南 仡佬 锡伯 阿昌 普米 塔吉克 怒 乌孜别克 俄罗斯 鄂温克 德昂 保安 裕固 京 "
    "塔塔尔 独龙 鄂伦春 赫哲 门巴 珞巴 基诺 各"
).split()
_ETHNIC = "(?:" + "|".join(sorted(_NATIONALITIES, key=len, reverse=True)) + ")族"
_SHORT_FORM = {
    "province": re.compile(rf"^(.{{2,}}?)(?:省|市|特别行政区|(?:{_ETHNIC})*自治区)$"),
    "city": re.compile(rf"^(.{{2,}}?)(?:市|地区|盟|(?:{_ETHNIC})+自治州)$"),
    "county": re.compile(rf"^(.{{2,}}?)(?:县|区|市|旗|特区|林区|(?:{_ETHNIC})+自治[县旗])$"),
}
_AUTONOMOUS = re.compile(rf"(?:{_ETHNIC})+自治([州县旗])$")
_PLACEHOLDERS = {"市辖区", "县", "省直辖县级行政区划", "自治区直辖县级行政区划", "省直辖县级行政单位"}
# Short forms that are generic words in government prose (城区人口, 开发区建设, 高新技术): never a place name,
# even next to another one. Short forms that are also ordinary words (和平, 长安, 中山) stay, but like every short
# form they count only next to another place name or before a street-level detail.
_COMMON_WORDS = {"城区", "郊区", "矿区", "新区", "开发", "城关", "中心", "工业", "高新", "经济", "城中", "城东", "城西",
                 "城南", "城北", "市中", "东区", "西区", "南区", "北区", "中区", "新城", "老城", "林区", "特区"}


@dataclass(frozen=True)
class _Name:
    level: str
    short: bool  # a short form (荆州) or a bare generic 2-character district (城区): needs company in a chain


class Gazetteer:
    """Place names by level, and one Aho-Corasick automaton over all of them."""

    def __init__(self, regions: list[tuple[str, list[str]]], townships: list[str]):
        names: dict[str, _Name] = {}

        def add(name: str, level: str, short: bool) -> None:
            if len(name) < 2 or name in _PLACEHOLDERS:
                return
            known = names.get(name)
            # A full name beats a short one; between equals the higher level wins (吉林 → 吉林省, not 吉林市).
            if known is None or (known.short and not short) or (
                    known.short == short and _DEPTH[level] < _DEPTH[known.level]):
                names[name] = _Name(level, short)

        for code, region_names in regions:
            level = "province" if code.endswith("0000") else "city" if code.endswith("00") else "county"
            for name in region_names:
                generic = level == "county" and len(name) == 2 and name.endswith("区")
                add(name, level, short=generic or name in _COMMON_WORDS)
                match = _SHORT_FORM[level].match(name)
                if match and match.group(1) not in _COMMON_WORDS:
                    add(match.group(1), level, short=True)
                    # 化隆回族自治县 is written 化隆县, 恩施土家族苗族自治州 恩施州: full forms in practice
                    autonomous = _AUTONOMOUS.search(name)
                    if autonomous:
                        add(match.group(1) + autonomous.group(1), level, short=False)
        for name in townships:
            add(name, "township", short=False)
        self.names = names
        self._patterns = list(names)
        self._automaton = ahocorasick_rs.AhoCorasick(self._patterns, matchkind=ahocorasick_rs.MatchKind.LeftmostLongest)

    def level_of(self, name: str) -> str | None:
        entry = self.names.get(name)
        return entry.level if entry else None

    def hits(self, text: str) -> list[tuple[int, int, _Name]]:
        """Every non-overlapping place name in text (leftmost-longest), as (start, end, entry)."""
        return [(start, end, self.names[self._patterns[i]])
                for i, start, end in self._automaton.find_matches_as_indexes(text)]


def _data_lines(name: str):
    text = resources.files("review").joinpath("data", name).read_text(encoding="utf-8")
    for line in text.splitlines():
        if line and not line.startswith("#"):
            yield line.split("\t")


@lru_cache(maxsize=1)
def gazetteer() -> Gazetteer:
    """The shipped gazetteer, built once per process (about 0.3 s)."""
    regions = []
    for code, name, former, _first, _last in _data_lines("region_codes.tsv"):
        regions.append((code, [name] + [n for n in former.split("|") if n]))
    townships = [name for _code, name in _data_lines("townships.tsv")]
    return Gazetteer(regions, townships)


# --------------------------------------------------------------------------------------------------------------
# Street-level detail

# Characters a place name may contain: Han characters except function words and cue words that end or start a
# clause around an address (家住…, 位于…, 住在…), and except the unit words themselves (号 栋 室…). Characters
# common in place names stay although they are also function words: 和 (颐和路, 和平), 原 (太原), 无 (无锡), 全 (全州).
_STOP = "的与及或在于是住址到从往为对由将把被等该本各每其此我你他她您所系即并且也都已又再请应需须若因故籍位有号栋幢室层"
_NAME_CHARS = sorted(set(map(chr, range(0x4E00, 0xA000))) - set(_STOP))


def _char_class(chars: list[str]) -> str:
    """A compact [..] class from sorted characters (ranges where consecutive)."""
    out, i = [], 0
    while i < len(chars):
        j = i
        while j + 1 < len(chars) and ord(chars[j + 1]) == ord(chars[j]) + 1:
            j += 1
        out.append(chars[i] if i == j else f"{chars[i]}-{chars[j]}")
        i = j + 1
    return "[" + "".join(out) + "]"


_N = _char_class(_NAME_CHARS)
# Housing-estate and building-complex names: 阳光小区, 观澜苑, 丽晶城, 嘉里中心 (only with a number after them).
_ESTATE = "小区|花园|家园|公寓|大厦|大楼|新村|新城|名城|华府|苑|广场|大院|宿舍|山庄|中心|城"
_NUM = r"(?:\d{1,5}|[一二三四五六七八九十百零〇两]{1,4})"
_DETAIL = re.compile(
    rf"(?P<township>{_N}{{1,6}}?(?:街道|镇|乡|苏木))?"
    rf"(?P<village>{_N}{{1,6}}?(?:村委会|居委会|村|社区|嘎查|屯))?(?P<group>{_NUM}(?:组|队|社))?"
    rf"(?P<road>(?:{_N}{{1,8}}?(?:大道|大街|路|街|巷|胡同|弄)(?:[东西南北中]段|{_NUM}段)?){{1,2}})?"  # 文三路阳光巷
    rf"(?P<area>{_N}{{1,8}}?(?:{_ESTATE}|新区|开发区|园区|工业园))?"  # 观澜苑123号, 群力新区2543号
    rf"(?P<number>\d{{1,5}}(?:-\d{{1,4}})?(?:号院|号))?"  # Arabic: 一号, 华龙一号 are names of things
    rf"(?P<estate>(?:{_N}|[A-Za-z]){{1,10}}?(?:{_ESTATE}))?"
    rf"(?P<building>{_NUM}(?:栋|幢|号楼)|[A-Z]座)?"  # 127座 is a count (新增公园127座), A座 a tower
    rf"(?P<unit>{_NUM}单元)?"
    rf"(?P<floor>{_NUM}(?:层|楼)(?!{_N}))?"
    rf"(?P<room>\d{{1,3}}-\d{{1,3}}-\d{{2,4}}室?|\d{{1,5}}(?:室|号房|房)|(?<=单元)\d{{3,4}}(?![\d号]))?"
)
_DETAIL_LEVEL = {"township": "township", "village": "road", "road": "road", "area": "road", "estate": "road",
                 "group": "building", "number": "building", "building": "building", "unit": "building",
                 "floor": "building", "room": "room"}
_NAMED = ("township", "village", "road", "area", "estate")
_PROSE_ROADS = ("道路", "公路", "铁路", "线路", "之路")  # an address says 沪青平公路1234号, prose 和平发展道路
_NUMBERED = ("group", "number", "building", "unit", "floor", "room")
# Named parts that are ordinary words: 城乡建设, 乡镇卫生院, 道路, 思路 are not places.
_NOT_PLACES = {"城乡", "乡镇", "城镇", "村镇", "农村", "乡村", "新农村", "道路", "公路", "铁路", "马路", "思路", "出路",
               "线路", "网路", "街道", "社区", "村社区", "一带一路", "丝绸之路", "新路", "老路", "水路", "陆路"}
# The numbered part an address without administrative prefix is found from.
_ANCHOR = re.compile(rf"\d{{1,5}}号|{_NUM}(?:组|队|栋|幢|单元|室)")
_NAMED_SUFFIX = re.compile(rf"村|社区|居委会|嘎查|屯|路|街|巷|胡同|弄|镇|乡|苏木|新区|开发区|园区|工业园|{_ESTATE}")
_HAN = re.compile(r"[\u4e00-\u9fff]")
_NAME_CHAR = re.compile(_N)
_WALK_BACK = 30  # longest named part we walk back over (村 + 路 + 小区 names)


def _detail(text: str, pos: int, *, need_name: bool,
            name_alone: bool = False) -> tuple[int, list[tuple[str, str]]] | None:
    """The street-level detail starting at pos, as (end, parts); None when there is none worth keeping.

    Kept when it has a numbered part (号, 组, 栋, 单元, 室). A named part alone (塔桥路, 拉扎村) is kept only when
    name_alone (the caller has seen a county or township name right before) and it ends the phrase: government
    prose is full of 道路, 示范村, 产业园 and 国家公园 followed by more words or a count.
    """
    match = _DETAIL.match(text, pos)
    if match is None or match.end() == pos:
        return None
    parts = [(kind, match.group(kind)) for kind in _DETAIL_LEVEL if match.group(kind)]
    parts.sort(key=lambda part: match.start(part[0]))
    if any(kind in _NAMED and value in _NOT_PLACES for kind, value in parts):
        return None
    named = any(kind in _NAMED for kind, _ in parts)
    numbered = any(kind in _NUMBERED for kind, _ in parts)
    if need_name and not named:
        return None
    if not numbered:
        last_kind, last_text = parts[-1]
        ends_phrase = not _HAN.match(text, match.end())
        if not (name_alone and last_kind in ("township", "village", "road") and ends_phrase
                and not last_text.endswith(_PROSE_ROADS)):
            return None
    return match.end(), parts


def _level(parts) -> str:
    deepest = 0
    for kind, _ in parts:
        deepest = max(deepest, _DEPTH[_DETAIL_LEVEL.get(kind, kind)])
    return LEVELS[deepest]


def find_addresses(text: str, *, min_level: str = "province", gaz: Gazetteer | None = None) -> list[AddressMatch]:
    """Addresses in text, in order, each with the most specific level it reaches (see the module docstring).

    min_level="road" keeps only addresses that go below the township (what can point to a household).
    """
    gaz = gaz or gazetteer()
    found: list[AddressMatch] = []
    hits = gaz.hits(text)
    i = 0
    while i < len(hits):
        # 1. the administrative chain: adjacent hits (one space allowed, PDFs put them in), each one level deeper
        #    than the last, so a chain has at most 4 names (省 市 县 乡)
        chain = [hits[i]]
        j = i + 1
        while j < len(hits):
            start, _end, entry = hits[j]
            prev_end, prev = chain[-1][1], chain[-1][2]
            gap = text[prev_end:start]
            if gap not in ("", " ") or _DEPTH[entry.level] <= _DEPTH[prev.level]:
                break
            chain.append(hits[j])
            j += 1
        i = j
        match = _chain_address(text, chain)
        if match is not None:
            found.append(match)
            while i < len(hits) and hits[i][0] < match.end:  # names inside the detail (南关村: 南关区) are not new
                i += 1

    # 2. addresses without an administrative prefix, found from their numbered part
    starts = [m.start for m in found]  # chain matches are in text order and do not overlap
    bare_end = 0
    for anchor in _ANCHOR.finditer(text):
        at = anchor.start()
        k = bisect.bisect_right(starts, at) - 1
        if at < bare_end or (k >= 0 and at < found[k].end):
            continue  # the numbered part of an address already found
        before = found[k] if k >= 0 else None
        floor = max(bare_end, before.end if before else 0)
        match = _bare_address(text, at, floor)
        if match is None:
            continue
        if before is not None and match.start == before.end:
            # 西湖区 + 文三路阳光巷10406号: the detail belongs to the place names right before it
            parts = before.parts + match.parts
            match = AddressMatch(before.start, match.end, text[before.start:match.end], _level(parts),
                                 before.admin_end, parts)
            found[k] = match
        else:
            found.append(match)
        bare_end = match.end

    found.sort(key=lambda m: m.start)
    floor = _DEPTH[min_level]
    return [m for m in found if _DEPTH[m.level] >= floor]


def _chain_address(text: str, chain) -> AddressMatch | None:
    """The best address a chain of place names starts: a trailing short form may belong to a road name
    (南昌市中山路5号: 中山 is a road, not 中山市), so also try the chain without its trailing short forms."""
    best = None
    for k in range(len(chain), 0, -1):
        if k < len(chain) and not chain[k][2].short:
            break
        head = chain[:k]
        end = head[-1][1]
        at = end + 1 if text[end:end + 1] == " " else end  # 沙市区 塔桥路: PDFs space out words
        # a bare road or village name counts after a full county or township name (沙市区塔桥路), not after a
        # province or city alone (北京市人民路 is more often prose than an address)
        name_alone = any(not e.short and e.level in ("county", "township") for _s, _e, e in head)
        # after one short form alone the detail must have a name: 雅江1号 is a satellite, not 雅江县 No. 1
        lone_short = k == 1 and head[0][2].short
        detail = _detail(text, at, need_name=lone_short, name_alone=name_alone)
        if detail is None and k == 1 and head[0][2].short:
            continue  # a lone short form (荆州, 城区) with nothing after it is a word, not an address
        parts = [(entry.level, text[s:e]) for s, e, entry in head]
        admin_end = end
        if detail is not None:
            end, detail_parts = detail
            parts += detail_parts
            # a township the list does not know (renamed since 2023) still belongs to the administrative part
            if detail_parts[0][0] == "township":
                admin_end += len(detail_parts[0][1])
        candidate = AddressMatch(head[0][0], end, text[head[0][0]:end], _level(parts), admin_end, tuple(parts))
        if best is None or candidate.end > best.end:
            best = candidate
    return best


def _bare_address(text: str, anchor: int, floor: int = 0) -> AddressMatch | None:
    """An address with no administrative prefix, ending in the numbered part that starts at anchor
    (and starting at floor or later: not inside an address already found)."""
    left = anchor
    while left > floor and anchor - left < _WALK_BACK and _NAME_CHAR.match(text, left - 1):
        left -= 1
    if not _NAMED_SUFFIX.search(text, left, anchor):
        return None  # no 村, 路, 小区… before the number: 第三组, 〔2024〕5号 (and no regex work on them)
    for start in range(left, anchor):
        detail = _detail(text, start, need_name=True)
        if detail is not None and detail[0] > anchor:
            end, parts = detail
            return AddressMatch(start, end, text[start:end], _level(parts), start, tuple(parts))
    return None


# --------------------------------------------------------------------------------------------------------------
# Office or home?

# 住址、家住、户籍地 before an address make it a person's. 住所 and 送达地址 are weaker: an enterprise's registered
# address is its 住所 too, so they give way to a company named just before.
_HOME_CUES = re.compile(r"(住址|家住|现住|现居|居住|居住地|户籍|户籍地|户口|家庭地址|家庭住址|住处|暂住|住)(?:于|在|为)?[：:\s]*$")
_PARTY_CUES = re.compile(r"(住所|送达地址)[：:\s]*$")
_OFFICE_CUES = re.compile(r"(办公地址|办公地点|办公场所|单位地址|受理地点|受理地址|办理地点|服务地点|咨询地点|报名地点|"
                          r"挂牌地点|服务大厅|政务大厅|服务窗口|办事窗口|会议地点|投递地址|邮寄地址|寄送地址|"
                          r"收件地址|联系方式如下)[：:\s]*$")
_ORGAN = (r"(?:局|委员会|委|办公室|办|厅|中心|政府|法院|检察院|派出所|管理所|服务所|站|大厅|窗口|馆|处|股|科|"
          r"公司|银行|支行|营业部|学校|医院|卫生院|街道办事处|居委会|村委会)")
_ORGAN_THEN_OPEN = re.compile(rf"{_ORGAN}\s*[（(]\s*$")  # 区住房保障服务中心（洪山区珞狮南路519号）
_ORGAN_NEARBY = re.compile(_ORGAN)
_BUSINESS_NEARBY = re.compile(r"有限公司|有限责任公司|股份公司|合作社|[0-9A-HJ-NP-RTUWXY]{2}\d{6}[0-9A-HJ-NP-RTUWXY]{10}")
_ADDRESS_WORD = re.compile(r"(联系地址|通讯地址|通信地址|地址|地点)[：:\s]*$")
_OFFICE_AFTER = re.compile(r"^\s*[）)]?\s*(?:的)?(?:办理|办公|咨询|受理|服务大厅|政务服务|大厅|办事)")
# 双清路83号国家自然科学基金委员会, 西长安街13号 工业和信息化部: the organ named right after its address
_ORGAN_AFTER = re.compile(r"^\s*[\u4e00-\u9fff]{0,14}?(?:委员会|政府|办公厅|办公室|中心|法院|检察院|"
                          r"[局厅部所委](?=[^\u4e00-\u9fff]|$|[科处室办司]))")  # not 部分, 所有, 局面
_OFFICE_IN_ADDRESS = re.compile(rf"{_ORGAN}$|服务中心|大厅|政务|办公楼|机关")


def looks_like_office(text_before: str, address: str, text_after: str = "") -> bool:
    """True when the words around an address say it is an office or business premises, not somebody's home.

    A home cue right before the address (住址：, 家住, 户籍地, 现住) always wins. Otherwise any of these makes it an
    office: an office cue (办公地址, 受理地点, 服务大厅); an organ with the address in brackets after it
    (…服务中心（地址）); an organ word in the address itself; a company or a credit code just before it (an
    enterprise's 住所); an address word (联系地址：) with an organ named shortly before; 办理/办公 right after it.
    Only the last 40 characters before the address and the first 20 after it are read.
    """
    before = text_before[-40:]
    near = before[-12:]
    if _HOME_CUES.search(near):
        return False
    if _OFFICE_CUES.search(near) or _ORGAN_THEN_OPEN.search(before) or _OFFICE_IN_ADDRESS.search(address):
        return True
    if _BUSINESS_NEARBY.search(before):
        return True
    if _PARTY_CUES.search(near):  # the address of a party to the matter: a person unless a company was named
        return False
    word = _ADDRESS_WORD.search(near)
    line = before[: len(before) - len(word.group(0))].rsplit("\n", 1)[-1] if word else ""
    if word and _ORGAN_NEARBY.search(line):  # an organ on the same line: 联系电话（县人社局…）；联系地址：
        return True
    return bool(_OFFICE_AFTER.match(text_after[:20]) or _ORGAN_AFTER.match(text_after[:20]))
