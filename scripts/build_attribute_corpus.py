#!/usr/bin/env python3
"""Build the training corpus of the disclosure-attribute classifier.

corpus.jsonl = the written documents (models/attribute/corpus/written/part-*.jsonl, labelled
on_request / withheld / proactive by the articles of the 政府信息公开条例) + a deterministic sample of
real, proactively published documents read from the shared data folder (policy documents, government
work reports, administrative regulations and rules, local regulations), each truncated to its first
``--max-chars`` characters.

The real texts are not committed: they are read from ``--shared`` (default: the folder ``shared`` beside
the repository) and the corpus is written under ``--out`` (default ``build/attribute/``).

    python scripts/build_attribute_corpus.py [--shared ../shared] [--out build/attribute] [--seed 2019]

The script also (re)writes ``models/attribute/corpus/written.jsonl`` as the concatenation of the parts
(deterministic; ``--check`` only validates the parts and verifies that it is up to date, without reading ``--shared``) and prints counts per class, per 文种,
per source, the lengths, and how often the 附注 (（此件公开发布）…) agrees with the label.
"""
from __future__ import annotations

import argparse
import collections
import gzip
import hashlib
import json
import random
import re
import statistics
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
CORPUS_DIR = REPO / "models" / "attribute" / "corpus"
PARTS_DIR = CORPUS_DIR / "written"
WRITTEN = CORPUS_DIR / "written.jsonl"

LABELS = ("proactive", "on_request", "withheld")
FIELDS = ("id", "text", "attribute", "doc_type", "basis", "agency", "region", "source")

# Regions reserved for the evaluation set: never in training data, written or real.
EXCLUDED_PROVINCES = ("广西", "江西", "安徽", "湖北", "河北")

# How many real documents to draw from each source (sum = 400). Order matters for determinism.
QUOTAS = {
    "policy": 160,      # policy_docs_central_shandong/policy_documents.jsonl (意见、通知、规划、办法…)
    "gwr_central": 30,  # gov_work_reports/central_government_work_reports.jsonl (1992+ reports, NPC resolutions)
    "gwr_province": 26, # gov_work_reports/provincial_2026_government_work_reports.jsonl (26 regions)
    "law_central": 110, # laws_regulations/laws_central.jsonl.gz (行政法规, 部门规章 only)
    "law_local": 74,    # laws_regulations/laws_local_dlc.jsonl.gz (地方性法规)
}

# 附注 / 公开方式 declarations, mapped to the attribute they claim.
NOTE_PATTERNS = [
    (re.compile(r"[（(]此件(?:公开发布|主动公开)"), "proactive"),
    (re.compile(r"[（(]此件依申请公开"), "on_request"),
    (re.compile(r"[（(]此件不(?:予)?公开"), "withheld"),
    (re.compile(r"公开(?:方式|属性)[：:]\s*主动公开"), "proactive"),
    (re.compile(r"公开(?:方式|属性)[：:]\s*依申请公开"), "on_request"),
    (re.compile(r"公开(?:方式|属性)[：:]\s*不(?:予)?公开"), "withheld"),
]


def note_attribute(text: str) -> str | None:
    """The attribute that the document's own 附注 declares, or None when it has none."""
    found = None
    for rx, label in NOTE_PATTERNS:
        m = None
        for m in rx.finditer(text):
            pass
        if m and (found is None or m.start() > found[0]):
            found = (m.start(), label)
    return found[1] if found else None


def sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


# ---------------------------------------------------------------------------------------------- written

def load_parts() -> list[dict]:
    docs: list[dict] = []
    seen_ids: set[str] = set()
    seen_texts: set[str] = set()
    for part in sorted(PARTS_DIR.glob("part-*.jsonl")):
        for n, line in enumerate(part.read_text(encoding="utf-8").splitlines(), 1):
            if not line.strip():
                continue
            d = json.loads(line)
            where = f"{part.name}:{n}"
            missing = [k for k in FIELDS if not d.get(k)]
            if missing:
                sys.exit(f"{where}: missing fields {missing}")
            if d["attribute"] not in LABELS:
                sys.exit(f"{where}: bad attribute {d['attribute']!r}")
            if d["source"] != "written":
                sys.exit(f"{where}: source must be 'written'")
            if d["id"] in seen_ids:
                sys.exit(f"{where}: duplicate id {d['id']}")
            if d["text"] in seen_texts:
                sys.exit(f"{where}: duplicate text")
            if any(p in d["region"] for p in EXCLUDED_PROVINCES):
                sys.exit(f"{where}: region {d['region']} is reserved for evaluation")
            seen_ids.add(d["id"])
            seen_texts.add(d["text"])
            docs.append({k: d[k] for k in FIELDS})
    if not docs:
        sys.exit(f"no written parts under {PARTS_DIR}")
    return docs


def write_written(docs: list[dict], check: bool) -> None:
    body = "".join(json.dumps(d, ensure_ascii=False) + "\n" for d in docs)
    current = WRITTEN.read_text(encoding="utf-8") if WRITTEN.exists() else None
    if current == body:
        return
    if check:
        sys.exit(f"{WRITTEN.relative_to(REPO)} is out of date: run without --check")
    WRITTEN.write_text(body, encoding="utf-8")
    print(f"wrote {WRITTEN.relative_to(REPO)} ({len(docs)} documents)")


# ------------------------------------------------------------------------------------- placeholders
# The written texts use placeholders (示例市, 某某县, 某某科技有限公司, 王某某) that never occur in the real
# published documents: left alone, "某某" and "示例" would be the strongest class cue a bag-of-n-grams model
# could find. With --placeholders real (default) every placeholder is replaced, consistently within a document,
# by a real division name of the document's region (GB/T 2260 divisions, admin_divisions_modood_2023), an
# invented brand for organisations and an invented given name for persons.

ADMIN_PH = re.compile(r"(示例|某某)(自治区|省|市|州|县|区|旗|镇|乡|街道|村|社区)")
ENTITY_WORDS = ("有限", "公司", "集团", "科技", "置业", "物业", "酒业", "盐化", "化工", "印染", "矿业", "商贸", "贸易",
                "餐饮", "电子", "茶叶", "光伏", "新能", "半导", "汽车", "数码", "智能", "信息", "控股", "港务", "建设",
                "路桥", "市政", "建筑", "家具", "教学", "办公", "保安", "安保", "医药", "医疗", "生物", "新材", "鞋业",
                "运输", "物流", "燃气", "水务", "能源", "口腔", "健身", "理财", "投资", "农化", "石化", "氯碱", "超市",
                "便利", "烧烤", "酒店", "宾馆", "煤矿", "煤业", "化肥", "机械", "纺织", "钢铁", "房地", "水电", "盐湖",
                "小区", "花园", "家园", "新村", "片区", "新区", "港区", "园区", "高新", "老街", "古镇", "中学", "小学",
                "学校", "大学", "幼儿", "职业", "医院", "卫生", "敬老", "菜场", "农贸", "市场", "码头", "免税", "高速",
                "公路", "路", "街", "河", "湖", "湾", "溪", "山", "林场", "水库", "灌区", "泵站", "水厂", "电站", "嘎查",
                "苏木", "寺", "居委", "宿舍", "中心", "分局", "分行", "项目", "工程", "大道", "广场", "公园", "地块",
                "维权", "妈妈", "牌", "岩茶", "胶囊", "国际", "集团", "研究", "合作", "养殖", "种植", "机关", "培训")
BRANDS = ("华信", "恒达", "金源", "宏远", "瑞丰", "鑫隆", "天成", "博瑞", "永昌", "嘉和", "聚力", "晨光", "安泰", "盛元",
          "中瑞", "新锐", "远航", "润泽", "汇通", "德胜", "兴华", "鼎盛", "开元", "青禾", "海川", "星河", "康宁", "东升",
          "福源", "明阳", "同创", "祥和", "锦程", "卓越", "长盛", "丰泽", "华康", "正阳", "广利", "立新")
PLACES = ("石桥", "新华", "红星", "柳树", "王庄", "东升", "前进", "胜利", "和平", "团结", "光明", "幸福", "三合", "双河",
          "长岭", "青山", "白杨", "河西", "南湾", "杨柳", "西坡", "黄土", "新民", "永兴", "太平", "民主", "富民", "龙泉")
GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰涛明超秀霞平刚桂英华建国红玉兰志文斌晓东海波宁辉鹏飞雪梅琳欣浩宇凯峰彬亮婷颖晶"


class Divisions:
    def __init__(self, folder: Path):
        import csv
        def rows(name):
            with open(folder / name, encoding="utf-8") as f:
                return list(csv.DictReader(f))
        self.provinces = {r["name"]: r["code"] for r in rows("provinces.csv")}
        self.cities = rows("cities.csv")
        self.areas = rows("areas.csv")
        self.streets = rows("streets.csv")

    def pick(self, region: str, rng: random.Random) -> dict[str, list[str]]:
        """Candidate names per level for one document: a real prefecture-level city of the region, its
        counties first, then the township-level divisions of the first county (each list shuffled)."""
        pc = self.provinces.get(region)
        if pc is None:
            return {}

        def shuffled(xs):
            xs = list(xs)
            rng.shuffle(xs)
            return xs

        cities = shuffled(c for c in self.cities if c["provinceCode"] == pc and c["name"].endswith("市"))
        city = cities[0] if cities else None
        own = shuffled(a for a in self.areas if city and a["cityCode"] == city["code"])
        rest = shuffled(a for a in self.areas if a["provinceCode"] == pc and a not in own)
        areas = own + rest
        out: dict[str, list[str]] = {"省": [region], "自治区": [region],
                                     "市": [c["name"] for c in cities] or [region],
                                     "州": shuffled(c["name"] for c in self.cities
                                                   if c["provinceCode"] == pc and c["name"].endswith("州"))}
        for suffix in ("县", "区", "旗"):
            out[suffix] = [a["name"] for a in areas if a["name"].endswith(suffix)]
        county = next((a for a in areas if a["name"].endswith(("县", "区", "旗"))), None)
        near = shuffled(t for t in self.streets if county and t["areaCode"] == county["code"])
        far = shuffled(t for t in self.streets if t["provinceCode"] == pc and (not county or t["areaCode"] != county["code"]))
        for suffix in ("镇", "乡", "街道"):
            out[suffix] = [t["name"] for t in near + far if t["name"].endswith(suffix)][:50]
        out["村"] = [p + "村" for p in shuffled(PLACES)]
        out["社区"] = [p + "社区" for p in shuffled(PLACES)]
        first_city = out["市"][0]
        out["short"] = [re.sub(r"(市|地区|盟)$", "", first_city) if first_city != region else re.sub(r"(市|省)$", "", region)]
        return {k: v for k, v in out.items() if v}


# Characters that are surnames but, before 某, in these texts end a place or word (“…区某项目”, “位于某某…”).
NOT_PERSON_BEFORE_MOU = set("区城海年院场警里受在到好跟于对由与为的是")


def load_surnames(shared: Path, top: int = 200) -> set[str]:
    import csv
    path = shared / "data" / "chinese_names" / "surnames_wainshine_1074.csv"
    if not path.exists():
        return set("王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘蒋蔡余杜叶程苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤") - NOT_PERSON_BEFORE_MOU
    with open(path, encoding="utf-8") as f:
        rows = [r for r in csv.DictReader(f) if len(r["surname"]) == 1]
    rows.sort(key=lambda r: -float(r["tf"] or 0))
    return {r["surname"] for r in rows[:top]} - NOT_PERSON_BEFORE_MOU


def realise_placeholders(text: str, region: str, rng: random.Random, div: Divisions, surnames: set[str]) -> str:
    names = div.pick(region, rng)
    if not names:
        return text
    memo: dict[str, str] = {}

    used: dict[str, int] = collections.Counter()

    def admin(m):
        key = m.group(0)
        if key not in memo:
            level = m.group(2)
            pool = names.get(level) or names.get("市")
            memo[key] = pool[used[level] % len(pool)]   # distinct placeholders of a level get distinct names
            used[level] += 1
        return memo[key]

    text = ADMIN_PH.sub(admin, text)
    short = names["short"][0]
    # 文号 abbreviations such as 示政办〔2024〕3号 (not the 示 of 公示/提示/批示 before a bracket)
    text = re.sub(r"(?<![公提批指表显展请告])示(?=[\u4e00-\u9fff]{0,6}[〔\[［]\s*(?:19|20)\d{2})", short[0], text)
    text = text.replace("示例", short)

    brands = list(BRANDS)
    rng.shuffle(brands)
    entity_rx = re.compile("某某((" + "|".join(sorted(set(ENTITY_WORDS), key=len, reverse=True)) + ")[\u4e00-\u9fff]{0,3})")

    def entity(m):
        key = "E" + m.group(2)
        if key not in memo:
            memo[key] = brands[sum(k.startswith("E") for k in memo) % len(brands)]
        return memo[key] + m.group(1)

    text = entity_rx.sub(entity, text)

    def person(m):
        key = "P" + m.group(0)
        if key not in memo:
            n = 2 if m.group(2) == "某某" else 1
            memo[key] = m.group(1) + "".join(rng.choice(GIVEN) for _ in range(n))
        return memo[key]

    text = re.sub("([" + "".join(sorted(surnames)) + "])(某某|某)", person, text)
    return text.replace("某某", rng.choice(BRANDS))   # anything left (rare)


# ---------------------------------------------------------------------------------------------- real

_WS_LINE = re.compile(r"^[ \t\u3000\xa0]+|[ \t\u3000\xa0]+$", re.M)
_BLANKS = re.compile(r"\n{2,}")


def clean(text: str) -> str:
    """Trim every line, drop Markdown heading marks and the LawRefBook INFO marker, collapse blank lines."""
    text = text.replace("\r\n", "\n").replace("\r", "\n").replace("<!-- INFO END -->", "")
    text = re.sub(r"^#{1,6}\s*", "", text, flags=re.M)
    text = _WS_LINE.sub("", text)
    return _BLANKS.sub("\n", text).strip()


def truncate(text: str, n: int) -> str:
    return text if len(text) <= n else text[:n]


def cut_near(text: str, n: int) -> str:
    """Cut to at most n characters, at the last sentence or line end when one lies in the second half."""
    if len(text) <= n:
        return text
    head = text[:n]
    k = max(head.rfind("。"), head.rfind("\n"))
    return head[:k + 1].rstrip() if k >= n // 2 else head


PROVINCE_FULL = {"北京": "北京市", "天津": "天津市", "上海": "上海市", "重庆": "重庆市", "内蒙古": "内蒙古自治区",
                 "西藏": "西藏自治区", "宁夏": "宁夏回族自治区", "新疆": "新疆维吾尔自治区"}


def province_full(short: str) -> str:
    return PROVINCE_FULL.get(short, short if short.endswith(("省", "市", "自治区")) else short + "省")


def policy_doc_type(title_en: str) -> str:
    t = title_en.lower()
    for key, zh in (("action plan", "行动计划"), ("implementation plan", "实施方案"), ("notice", "通知"),
                    ("opinion", "意见"), ("measures", "办法"), ("provisions", "规定"), ("regulation", "规定"),
                    ("rules", "规则"), ("guideline", "指南"), ("guidance", "指导意见"), ("plan", "规划"),
                    ("list", "清单"), ("catalog", "目录"), ("program", "方案"), ("standard", "标准"),
                    ("announcement", "公告")):
        if key in t:
            return zh
    return "政策文件"


def read_jsonl(path: Path):
    opener = gzip.open if path.suffix == ".gz" else open
    with opener(path, "rt", encoding="utf-8") as f:
        for n, line in enumerate(f):
            if line.strip():
                yield n, json.loads(line)


def candidates(shared: Path) -> dict[str, list[dict]]:
    """All eligible real documents per source, in a stable order (before sampling)."""
    data = shared / "data"
    out: dict[str, list[dict]] = {k: [] for k in QUOTAS}

    p = data / "policy_docs_central_shandong" / "policy_documents.jsonl"
    for n, d in read_jsonl(p):
        text = clean(d.get("content_zh") or "")
        if len(text) < 200:
            continue
        shandong = d.get("level") != "central"
        out["policy"].append({
            "text": text, "doc_type": policy_doc_type(d.get("title_en") or ""),
            "agency": d.get("release_department_en") or "",
            "region": "山东省" if shandong else "中央",
            "basis": "第二十条第（一）（三）项：已公开发布的规范性文件、规划及政策，属主动公开。",
            "_file": p, "_record": n, "_title": d.get("title_en") or ""})

    p = data / "gov_work_reports" / "central_government_work_reports.jsonl"
    for n, d in read_jsonl(p):
        title, year = d.get("title") or "", d.get("year")
        year = int(year) if year not in (None, "") else None
        if year is not None and year < 1992:   # keep the modern register; older reports read very differently
            continue
        out["gwr_central"].append({
            "text": clean(d.get("content") or ""),
            "doc_type": "政府工作报告" if year else "决议",
            "agency": "国务院" if year else "全国人民代表大会", "region": "中央",
            "basis": "第二十条第（三）（四）项：政府工作报告及其决议向社会公布，属主动公开。",
            "_file": p, "_record": n, "_title": title})

    p = data / "gov_work_reports" / "provincial_2026_government_work_reports.jsonl"
    for n, d in read_jsonl(p):
        prov = d.get("province") or ""
        if any(x in prov for x in EXCLUDED_PROVINCES):
            continue
        raw = d.get("full_text") or ""
        i = raw.find("各位代表")
        if 0 <= i < 1500:                        # drop the newspaper page chrome before the address
            raw = "政府工作报告\n" + raw[i:]
        raw = "\n".join(l for l in raw.split("\n") if not re.search(r"记者.{0,12}摄|摄影|^来源[：:]", l))
        out["gwr_province"].append({
            "text": clean(raw), "doc_type": "政府工作报告", "agency": f"{prov}人民政府", "region": prov,
            "basis": "第二十条第（三）（四）项：政府工作报告向社会公布，属主动公开。",
            "_file": p, "_record": n, "_title": d.get("title") or ""})

    p = data / "laws_regulations" / "laws_central.jsonl.gz"
    for n, d in read_jsonl(p):
        cat = d.get("category") or ""
        if cat not in ("行政法规", "部门规章"):
            continue
        out["law_central"].append({
            "text": clean(d.get("text") or ""), "doc_type": cat,
            "agency": "国务院" if cat == "行政法规" else "国务院部门", "region": "中央",
            "basis": "第二十条第（一）项：行政法规、规章应主动公开。",
            "_file": p, "_record": n, "_title": d.get("title") or ""})

    p = data / "laws_regulations" / "laws_local_dlc.jsonl.gz"
    for n, d in read_jsonl(p):
        prov = province_full((d.get("category") or "").split("/")[-1])
        if any(x in prov for x in EXCLUDED_PROVINCES):
            continue
        out["law_local"].append({
            "text": clean(d.get("text") or ""), "doc_type": "地方性法规",
            "agency": f"{prov}人大常委会（含设区的市）", "region": prov,
            "basis": "地方性法规依法公布（第二十条第（一）（十五）项同类规范性信息），属主动公开。",
            "_file": p, "_record": n, "_title": d.get("title") or ""})
    return out


def sample_real(shared: Path, seed: int, max_chars: int, length_pool: list[int] | None = None) -> list[dict]:
    """Draw QUOTAS documents per source. With length_pool, each text is cut (at a sentence end) to a length
    drawn from length_pool, so that real and written documents have the same length distribution."""
    pools = candidates(shared)
    hashes: dict[Path, str] = {}
    docs = []
    for source, quota in QUOTAS.items():
        pool = [c for c in pools[source] if len(c["text"]) >= 200]
        rng = random.Random(f"{seed}:{source}")
        chosen = sorted(rng.sample(range(len(pool)), min(quota, len(pool))))
        if len(chosen) < quota:
            print(f"note: {source}: only {len(pool)} eligible documents for a quota of {quota}", file=sys.stderr)
        for i in chosen:
            c = pool[i]
            f = c["_file"]
            if f not in hashes:
                hashes[f] = sha256(f)
            rid = f"real-{source}-{c['_record']:04d}"
            text = truncate(c["text"], max_chars)
            if length_pool:
                text = cut_near(text, random.Random(f"{seed}:{rid}").choice(length_pool))
            docs.append({
                "id": rid,
                "text": text,
                "attribute": "proactive", "doc_type": c["doc_type"], "basis": c["basis"],
                "agency": c["agency"], "region": c["region"], "source": "real",
                "source_file": str(f.relative_to(shared)), "source_sha256": hashes[f],
                "source_record": c["_record"], "title": c["_title"],
                "full_chars": len(c["text"]), "truncated": len(text) < len(c["text"]),
            })
    return docs


# ---------------------------------------------------------------------------------------------- report

def describe(lengths: list[int]) -> str:
    if not lengths:
        return "-"
    return (f"n={len(lengths)} min={min(lengths)} median={int(statistics.median(lengths))} "
            f"mean={int(statistics.mean(lengths))} max={max(lengths)}")


def report(corpus: list[dict]) -> dict:
    by_class = collections.Counter(d["attribute"] for d in corpus)
    by_source_class = collections.Counter((d["source"], d["attribute"]) for d in corpus)
    by_type: dict[str, collections.Counter] = collections.defaultdict(collections.Counter)
    for d in corpus:
        by_type[d["doc_type"]][d["attribute"]] += 1
    written = [d for d in corpus if d["source"] == "written"]
    notes = collections.Counter()
    for d in written:
        na = d.get("note_attribute")
        notes["absent" if na is None else ("agrees" if na == d["attribute"] else "contradicts")] += 1
    regions = collections.Counter(d["region"] for d in written)
    real_sources = collections.Counter(d["id"].split("-")[1] for d in corpus if d["source"] == "real")

    print(f"\ncorpus: {len(corpus)} documents, {sum(len(d['text']) for d in corpus)} characters")
    print("per class:", ", ".join(f"{k} {by_class[k]}" for k in LABELS))
    print("per source and class:", ", ".join(f"{s}/{a} {n}" for (s, a), n in sorted(by_source_class.items())))
    print("real documents per source:", dict(real_sources))
    print("lengths (characters):")
    for s in ("written", "real"):
        for a in LABELS:
            ls = [len(d["text"]) for d in corpus if d["source"] == s and d["attribute"] == a]
            if ls:
                print(f"  {s:8s} {a:10s} {describe(ls)}")
    print(f"written 附注: absent {notes['absent']}, agrees {notes['agrees']}, contradicts {notes['contradicts']}")
    print(f"written regions ({len(regions)}):", ", ".join(f"{r} {n}" for r, n in regions.most_common()))
    print(f"\n文种 ({len(by_type)}):  total  proactive on_request withheld")
    for t, c in sorted(by_type.items(), key=lambda kv: (-sum(kv[1].values()), kv[0])):
        print(f"  {t:12s} {sum(c.values()):5d} {c['proactive']:9d} {c['on_request']:10d} {c['withheld']:8d}")
    return {
        "documents": len(corpus), "characters": sum(len(d["text"]) for d in corpus),
        "per_class": dict(by_class),
        "per_source_class": {f"{s}/{a}": n for (s, a), n in sorted(by_source_class.items())},
        "real_per_source": dict(real_sources),
        "per_doc_type": {t: dict(c) for t, c in sorted(by_type.items())},
        "written_notes": dict(notes), "written_regions": dict(regions),
    }


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--shared", type=Path, default=REPO.parent / "shared",
                    help="the shared folder holding data/ (default: ../shared beside the repository)")
    ap.add_argument("--out", type=Path, default=REPO / "build" / "attribute", help="output directory")
    ap.add_argument("--seed", type=int, default=2019, help="sampling seed (default 2019)")
    ap.add_argument("--max-chars", type=int, default=3000, help="truncate real documents to this many characters")
    ap.add_argument("--real-lengths", choices=("fixed", "written"), default="fixed",
                    help="fixed: real documents keep their first --max-chars characters (default); written: each is "
                         "cut at a sentence end to a length drawn from the written documents' lengths (a mitigation "
                         "against the classifier learning 'long = proactive')")
    ap.add_argument("--placeholders", choices=("real", "keep"), default="real",
                    help="real (default): replace 示例市/某某县/某某公司/王某某 placeholders in the written texts by "
                         "real division names of their region and invented organisation and person names; keep: "
                         "leave them (they then mark every written document as written)")
    ap.add_argument("--keep-whitespace", action="store_true",
                    help="keep the written texts' layout whitespace (default: trim every line and collapse "
                         "blank lines in written and real texts alike, so layout is not a class cue)")
    ap.add_argument("--written-only", action="store_true", help="skip the real documents (no --shared needed)")
    ap.add_argument("--check", action="store_true",
                    help="only validate the parts and check that written.jsonl is their concatenation; build nothing")
    args = ap.parse_args(argv)

    written = load_parts()
    write_written(written, args.check)
    if args.check:
        print(f"ok: {WRITTEN.relative_to(REPO)} matches the {len(written)} documents of the parts")
        return 0
    written_sha = sha256(WRITTEN)

    corpus = []
    div = surnames = None
    if args.placeholders == "real":
        folder = args.shared / "data" / "admin_divisions_modood_2023"
        if not folder.is_dir():
            print(f"error: {folder} not found (needed by --placeholders real)", file=sys.stderr)
            return 2
        div, surnames = Divisions(folder), load_surnames(args.shared)
    for d in written:
        text = d["text"] if args.keep_whitespace else clean(d["text"])
        if div is not None:
            text = realise_placeholders(text, d["region"], random.Random(f"{args.seed}:{d['id']}"), div, surnames)
        corpus.append({**d, "text": text, "note_attribute": note_attribute(d["text"]),
                       "source_file": str(WRITTEN.relative_to(REPO)), "source_sha256": written_sha})
    if not args.written_only:
        if not (args.shared / "data").is_dir():
            print(f"error: {args.shared}/data not found (give --shared, or --written-only)", file=sys.stderr)
            return 2
        pool = [len(d["text"]) for d in corpus] if args.real_lengths == "written" else None
        for d in sample_real(args.shared, args.seed, args.max_chars, pool):
            d["note_attribute"] = note_attribute(d["text"])
            corpus.append(d)

    args.out.mkdir(parents=True, exist_ok=True)
    out = args.out / "corpus.jsonl"
    with open(out, "w", encoding="utf-8") as f:
        for d in corpus:
            f.write(json.dumps(d, ensure_ascii=False) + "\n")
    stats = report(corpus)
    stats.update({"seed": args.seed, "max_chars": args.max_chars, "real_lengths": args.real_lengths,
                  "placeholders": args.placeholders, "whitespace_normalised": not args.keep_whitespace,
                  "written_sha256": written_sha})
    (args.out / "corpus_stats.json").write_text(json.dumps(stats, ensure_ascii=False, indent=1), encoding="utf-8")
    print(f"\nwrote {out} and {args.out / 'corpus_stats.json'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
