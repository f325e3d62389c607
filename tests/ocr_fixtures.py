"""Generated scans for the OCR tests and bench/ocr.py: Chinese 公文 text drawn with a CJK font (Debian's
fonts-wqy-zenhei or fonts-noto-cjk), turned slightly and speckled like a scan, with planted values
whose place on the page is known: 18-digit ID numbers that pass GB 11643, mobile numbers in allocated
blocks and a 秘密★ marking at the head. All text is invented here.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw, ImageFilter, ImageFont

from review.detect.validators import id_check_digit

FONT_CANDIDATES = ("/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc",
                   "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
                   "/usr/share/fonts/opentype/noto/NotoSerifCJK-Regular.ttc")
A4_INCHES = (8.27, 11.69)
FONT_POINTS = 16  # 三号, the 公文 body size (GB/T 9704)
LEAD = 1.75  # line pitch in font sizes
MARGIN_INCHES = (1.1, 1.0)  # left/right, top/bottom

MOBILE_BLOCKS = ("138", "139", "135", "186", "150", "177", "199", "166", "147", "189")
UNITS = ("各县（市、区）农业农村局", "各乡镇人民政府", "局机关各科室", "各有关单位", "各街道办事处")
TOPICS = ("做好春季农田水利建设", "开展安全生产隐患排查", "加强农村供水工程管理", "做好防汛抗旱准备",
          "规范项目资金使用", "推进高标准农田建设", "开展耕地保护专项检查", "做好信访事项复查")
BODY = (
    "为进一步规范项目管理，提高资金使用效益，现将有关事项通知如下。",
    "各单位要高度重视，明确责任分工，认真组织开展自查自纠工作。",
    "对检查中发现的问题，要建立台账，限期整改，确保整改到位。",
    "项目实施单位应当严格执行招标投标制度，不得化整为零规避招标。",
    "请于本月底前将工作开展情况形成书面材料，报送至局办公室。",
    "县财政局负责资金拨付和监督检查，县审计局负责项目审计。",
    "各乡镇要加强组织领导，层层压实责任，确保各项措施落到实处。",
    "工程竣工后，由项目主管部门组织验收，验收合格后方可交付使用。",
    "对工作不力、推诿扯皮造成严重后果的，依规依纪严肃追责问责。",
    "本通知自印发之日起施行，执行中遇到的问题请及时向我局反映。",
    "经复核，该户家庭人均收入低于当地最低生活保障标准。",
    "会议听取了各部门关于上半年重点工作推进情况的汇报。",
)
ID_LINES = ("申请人身份证号{}", "经核实，公民身份号码{}", "身份证号码：{}")
MOBILE_LINES = ("联系电话：{}，请保持畅通。", "当事人手机号{}，已告知。", "联系人电话{}")


@dataclass
class Planted:
    kind: str  # id_card | mobile | marking
    value: str
    bbox: tuple[float, float, float, float]  # pixels on the final image


@dataclass
class ScanPage:
    image: Image.Image
    lines: list[str]  # the text as drawn, one entry per line
    dpi: int
    planted: list[Planted] = field(default_factory=list)

    @property
    def text(self) -> str:
        return "\n".join(self.lines)


def font_path() -> str | None:
    return next((path for path in FONT_CANDIDATES if Path(path).is_file()), None)


def id_number(rng: random.Random) -> str:
    """An invented ID on region 110101 (东城区) with a real birth date and a valid check digit."""
    first17 = (f"110101{rng.randint(1950, 2004)}{rng.randint(1, 12):02d}{rng.randint(1, 28):02d}"
               f"{rng.randint(0, 999):03d}")
    return first17 + id_check_digit(first17)


def mobile_number(rng: random.Random) -> str:
    return rng.choice(MOBILE_BLOCKS) + f"{rng.randint(0, 99999999):08d}"


def page_lines(rng: random.Random, body_lines: int, ids: int = 2, mobiles: int = 2) -> list[tuple[str, str | None, str | None]]:
    """(line, planted kind, planted value) for a 公文 page: marking, title, recipients, body."""
    term = rng.choice(("1年", "5年", "10年", "6个月"))
    out: list[tuple[str, str | None, str | None]] = [(f"秘密★{term}", "marking", f"秘密★{term}"),
                                                    (f"关于{rng.choice(TOPICS)}的通知", None, None),
                                                    (rng.choice(UNITS) + "：", None, None)]
    planted = [("id_card", id_number(rng)) for _ in range(ids)] + [("mobile", mobile_number(rng))
                                                                   for _ in range(mobiles)]
    slots = sorted(rng.sample(range(body_lines), k=min(len(planted), body_lines)))
    plants = dict(zip(slots, planted))
    for index in range(body_lines):
        if index in plants:
            kind, value = plants[index]
            template = rng.choice(ID_LINES if kind == "id_card" else MOBILE_LINES)
            out.append((template.format(value), kind, value))
        else:
            out.append((rng.choice(BODY), None, None))
    return out


def render_page(lines: list[tuple[str, str | None, str | None]], *, dpi: int = 300, rotation: float = 0.0,
                noise: float = 0.0, seed: int = 0, full_height: bool = True) -> ScanPage:
    """Draw the lines like a printed page scanned at `dpi`, turned by `rotation` degrees
    (counter-clockwise) and, with noise > 0, blurred and speckled (noise = share of pixels flipped)."""
    path = font_path()
    if path is None:
        raise RuntimeError("no CJK font: install fonts-wqy-zenhei or fonts-noto-cjk")
    size = round(FONT_POINTS * dpi / 72)
    font = ImageFont.truetype(path, size)
    left, top = round(MARGIN_INCHES[0] * dpi), round(MARGIN_INCHES[1] * dpi)
    pitch = round(size * LEAD)
    width = round(A4_INCHES[0] * dpi)
    height = round(A4_INCHES[1] * dpi) if full_height else top * 2 + pitch * len(lines)
    image = Image.new("L", (width, height), 255)
    draw = ImageDraw.Draw(image)
    page = ScanPage(image=image, lines=[line for line, _, _ in lines], dpi=dpi)
    for number, (line, kind, value) in enumerate(lines):
        y = top + number * pitch
        x = left + (round(size * 2) if kind is None and number > 2 else 0)  # body paragraphs indent two characters
        draw.text((x, y), line, font=font, fill=0)
        if kind is not None:
            at = line.index(value)
            x0 = x + draw.textlength(line[:at], font=font)
            box = draw.textbbox((x0, y), value, font=font)
            page.planted.append(Planted(kind, value, box))
    if rotation:
        page.image = image.rotate(rotation, resample=Image.Resampling.BICUBIC, fillcolor=255)
        for planted in page.planted:
            planted.bbox = _turned(planted.bbox, rotation, image.size)
    if noise:
        page.image = _speckle(page.image.filter(ImageFilter.GaussianBlur(0.8)), noise, seed)
    return page


def make_page(seed: int, *, dpi: int = 300, rotation: float = 0.0, noise: float = 0.0, body_lines: int = 16,
              full_height: bool = True) -> ScanPage:
    rng = random.Random(seed)
    return render_page(page_lines(rng, body_lines), dpi=dpi, rotation=rotation, noise=noise, seed=seed,
                       full_height=full_height)


def _turned(box, degrees: float, size) -> tuple[float, float, float, float]:
    """The bounding box of `box` after PIL's rotate(degrees) about the image centre."""
    cx, cy = size[0] / 2, size[1] / 2
    cos, sin = math.cos(math.radians(degrees)), math.sin(math.radians(degrees))
    xs, ys = [], []
    for x, y in ((box[0], box[1]), (box[2], box[1]), (box[0], box[3]), (box[2], box[3])):
        dx, dy = x - cx, y - cy
        xs.append(cx + dx * cos + dy * sin)
        ys.append(cy - dx * sin + dy * cos)
    return (min(xs), min(ys), max(xs), max(ys))


def _speckle(image: Image.Image, share: float, seed: int) -> Image.Image:
    """Salt and pepper on a slightly grey paper, as a cheap scanner leaves it."""
    rng = np.random.default_rng(seed)
    pixels = np.asarray(image, dtype=np.int16).copy()
    pixels = np.clip(pixels - 18 + rng.normal(0, 8, pixels.shape), 0, 255)
    flips = rng.random(pixels.shape)
    pixels[flips < share / 2] = 0
    pixels[(flips >= share / 2) & (flips < share)] = 255
    return Image.fromarray(pixels.astype(np.uint8), mode="L")


# -- files ------------------------------------------------------------------------------------------

def save_image_pdf(pages: list[ScanPage], path) -> Path:
    """An image-only PDF, as a scanner writes it: one picture per page, no text layer."""
    images = [page.image.convert("RGB") for page in pages]
    images[0].save(path, "PDF", resolution=pages[0].dpi, save_all=True, append_images=images[1:])
    return Path(path)


def save_tiff(pages: list[ScanPage], path) -> Path:
    """A multi-page TIFF, as archives keep scans."""
    images = [page.image for page in pages]
    images[0].save(path, "TIFF", dpi=(pages[0].dpi, pages[0].dpi), compression="tiff_lzw", save_all=True,
                   append_images=images[1:])
    return Path(path)


def save_image(page: ScanPage, path) -> Path:
    """png or jpg by the file name."""
    page.image.save(path, dpi=(page.dpi, page.dpi), **({"quality": 90} if str(path).endswith(".jpg") else {}))
    return Path(path)
