"""False-positive filters: small pure functions named as sentences, as in detect-secrets' filters/.

Each takes (candidate, text, document) and returns None (no opinion) or (outcome, reason), where outcome
is "drop" (not a finding) or "info" (reported for completeness, not a finding). Rules list the filters
they use by name; the engine writes each verdict into the flag's explanation.
"""

from __future__ import annotations

import re
from functools import lru_cache

from review.gongwen import DOC_NUMBER

_MASK = re.compile(r"[*＊×xX]{2,}|[*＊×]")
_SERVICE_NUMBERS = {"110", "119", "120", "122", "12345", "12315", "12350", "12393", "12348", "12333", "12366",
                    "12368", "12319", "12320", "12369", "12306", "12388", "12310", "12311", "12312", "12313",
                    "12314", "12317", "12318", "12321", "12322", "12326", "12328", "12329", "12336", "12338",
                    "12339", "12355", "12356", "12358", "12361", "12365", "12367", "12377", "12378", "12379",
                    "12380", "12381", "12385", "12386", "12389", "12390", "12391", "12395", "12396", "12398"}
_OFFICE_PHONE_CUES = re.compile(r"(咨询|监督|举报|投诉|值班|办公|传真|热线|服务|受理|联系人[:：]?[^，。；\d]{0,12}(科|股|办|室|处|局|中心)|"
                                r"(科|股|办|室|处|局|中心|公司|所|站|院|馆|大队)[）)]?[，,：:]?(联系)?(电话|座机)?[:：]?$)")
_POSTS = ("书记", "副书记", "主任", "副主任", "局长", "副局长", "县长", "副县长", "区长", "副区长", "市长", "副市长", "镇长",
          "副镇长", "乡长", "副乡长", "常委", "部长", "副部长", "厅长", "副厅长", "处长", "副处长", "科长", "副科长",
          "股长", "主席", "副主席", "秘书长", "组长", "副组长", "队长", "所长", "站长", "院长", "馆长", "校长",
          "委员", "主持人", "审核人", "签发人", "负责人", "法定代表人", "承办人", "记录人", "出席", "列席")
_PRINCIPLE_CUES = re.compile(r"(不予公开|不得|严禁|禁止|按照|依照|依据|根据|规定|制度|审查|管理|办法|条例|保护|"
                             r"未发生|防止|杜绝|做好|加强|严格|确定|界定|一律|是否|培训|教育|宣传|意识)")


def is_masked(candidate, text, document):
    value = text[candidate.start:candidate.end]
    if _MASK.search(value):
        return "drop", "masked value (asterisks or × stand for digits)"
    return None


_CJK = re.compile(r"[\u4e00-\u9fff]")


def is_masked_name(candidate, text, document):
    """张×× / 欧阳×× in a list: a name masked on purpose, not a placeholder left by the drafter."""
    start, end = candidate.trigger
    before = text[max(0, start - 3):start]
    after = text[end:end + 1]
    if (end - start <= 2 and before and _CJK.match(before[-1])
            and (len(before) < 2 or not _CJK.match(before[-2]) or len(before) == 3 and not _CJK.match(before[0]))
            and not _CJK.match(after or " ")):
        return "drop", "a masked name"
    return None


def is_anonymised(candidate, text, document):
    """汪某某, 刘某: the drafter already replaced the name."""
    if "某" in text[candidate.start:candidate.end]:
        return "drop", "name already anonymised (某)"
    return None


# Frequencies in jieba's dictionary (the design card's segmenter) above which a two-character word is an
# everyday word: 公示 119, 陈述 763, 康复 1018, 公布 5476, but 王秀兰 6, and 张伟 or 李明 are not in it. Its
# part-of-speech tags help only partly: famous people are tagged as names (李娜 438, 刘翔 423, 李强 159) but
# so are some plain words (陈述, 康复, 文明, 高峰), hence the second, higher bar for words tagged as names.
COMMON_WORD_FREQUENCY = 100
COMMON_NAME_TAGGED_FREQUENCY = 700


@lru_cache(maxsize=1)
def _common_words() -> frozenset[str]:
    from importlib import resources
    words = set()
    with resources.files("jieba").joinpath("dict.txt").open(encoding="utf-8") as dictionary:
        for line in dictionary:
            word, frequency, tag = (line.split() + ["", ""])[:3]
            if len(word) != 2:
                continue
            bar = COMMON_NAME_TAGGED_FREQUENCY if tag.startswith("nr") else COMMON_WORD_FREQUENCY
            if int(frequency) >= bar:
                words.add(word)
    return frozenset(words)


def is_common_word(candidate, text, document):
    """A "name" that opens with an everyday word is that word after a role word: 当事人陈述, 患者康复后,
    村民利益, 公布、公示 (陈, 康, 利, 公 are surnames). Names that are everyday words too (高峰, 文明) are lost."""
    first = re.split(r"[、，,\s]", text[candidate.start:candidate.end].strip(), maxsplit=1)[0]
    if first[:2] in _common_words():
        return "drop", f"«{first[:2]}» is an everyday word"
    return None


def is_public_service_number(candidate, text, document):
    value = re.sub(r"\D", "", text[candidate.start:candidate.end])
    if value in _SERVICE_NUMBERS:
        return "drop", f"public service number {value}"
    return None


def is_office_phone(candidate, text, document):
    """Consultation, supervision, duty and office lines are published on purpose."""
    before = text[max(0, candidate.start - 24):candidate.start]
    if _OFFICE_PHONE_CUES.search(before):
        return "info", "published office or service line"
    return None


def is_in_doc_number(candidate, text, document):
    """Digits inside a 发文字号 or a portal 索引号 are never personal data."""
    lo = max(0, candidate.start - 30)
    for match in DOC_NUMBER.finditer(text, lo, min(len(text), candidate.end + 10)):
        if match.start() <= candidate.start and candidate.end <= match.end():
            return "drop", "part of a document number"
    before = text[max(0, candidate.start - 8):candidate.start]
    if "索引号" in before or "/" in text[candidate.end:candidate.end + 1]:
        return "drop", "part of an index number"
    return None


def is_official_in_office(candidate, text, document):
    """Officials named with their post (leadership lists, meeting chairs, 签发人) act in a public role."""
    before = text[max(0, candidate.start - 12):candidate.start]
    after = text[candidate.end:candidate.end + 6]
    if before.rstrip("：: \u3000").endswith(_POSTS) or after.startswith(("同志任", "为县", "为市", "为区")):
        return "info", "official named in an official capacity"
    return None


def is_quoted_principle(candidate, text, document):
    """秘密/涉密 vocabulary inside a rule or principle sentence is not a marking or secret content."""
    sentence_start = max(text.rfind(stop, 0, candidate.start) for stop in "。；\n") + 1
    sentence_end = min((i for i in (text.find(stop, candidate.end) for stop in "。；\n") if i >= 0),
                       default=len(text))
    sentence = text[sentence_start:sentence_end]
    if _PRINCIPLE_CUES.search(sentence):
        return "drop", "principle or rule sentence"
    return None


_POLICY_VERBS = re.compile(r"(健全|完善|防范|化解|妥善处置|查处|打击|遏制|推进|坚持|稳妥|积极|依法|机制|制度|违法行为|不法行为|"
                           r"应当|必须|要有|要坚决|要约谈|置换|专项债|治理|解决|根治|严防|处理|增强|问题|防治|筛查|救治|免费|覆盖|"
                           r"规划|等疾病|等重大|慢性病|健康管理|医疗保障)")


def is_general_policy(candidate, text, document):
    """A policy statement about a kind of risk ("有效防范债务风险", "依法处置群体性事件") names no case: no
    figure, no person, only governance verbs. Real findings state facts: amounts, counts, names."""
    clause = text[candidate.start:candidate.end]
    if not re.search(r"\d", clause) and _POLICY_VERBS.search(clause):
        return "drop", "general policy statement"
    return None


def is_office_address(candidate, text, document):
    """Offices, service halls and companies publish their addresses; only homes are personal data."""
    from review.detect.gazetteer import looks_like_office
    before = text[max(0, candidate.start - 30):candidate.start]
    after = text[candidate.end:candidate.end + 12]
    if looks_like_office(before, text[candidate.start:candidate.end], after):
        return "drop", "office or business address"
    return None


_INSTITUTIONAL_MAIL = re.compile(r"@(?:[\w-]+\.)*(?:gov\.cn|gov|gouv\.[a-z.]+|gov\.[a-z]{2}|edu\.cn|ac\.cn|org\.cn|"
                                 r"edu|ac\.[a-z]{2})$")


def is_institutional_email(candidate, text, document):
    """Mailboxes of government bodies, universities and institutes are published on purpose."""
    if _INSTITUTIONAL_MAIL.search(text[candidate.start:candidate.end].lower()):
        return "info", "institutional mailbox"
    return None


FILTERS = {f.__name__: f for f in (is_anonymised, is_common_word, is_office_address, is_institutional_email, is_general_policy, is_masked, is_masked_name, is_public_service_number, is_office_phone, is_in_doc_number,
                                   is_official_in_office, is_quoted_principle)}


def get(name: str):
    try:
        return FILTERS[name]
    except KeyError:
        raise KeyError(f"unknown filter {name!r}; known: {', '.join(sorted(FILTERS))}") from None
