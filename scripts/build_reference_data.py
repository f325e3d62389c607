"""Build the reference data the detectors ship with (review/data/) from the public sources in ../shared.

The product never reads ../shared at run time: this script distils what it needs into small, plain TSV
files that are committed with the package. Re-run it when a source changes:

    .venv/bin/python scripts/build_reference_data.py [--shared ../shared]

Outputs (all UTF-8, tab-separated, one header line starting with '#'):

- region_codes.tsv   every GB/T 2260 code ever used 1980–2019, plus the 2023 statistical codes:
                     code, current name, former names ('|'), first year, last year. 身份证 prefixes and 统一社会信用代码
                     region parts are checked against it; abolished codes stay valid because IDs keep them.
- townships.tsv      2023 township-level divisions (镇/乡/街道/苏木/地区): 9-digit code, name. The address gazetteer.
- surnames.tsv       1,074 surnames with relative frequency (wainshine, Apache-2.0). Name masking keeps a compound surname.
- area_codes.tsv     mainland landline area codes with the place they serve, enumerated from Google libphonenumber's
                     metadata (Apache-2.0, the `phonenumbers` package, needed only by this script) plus a short
                     hand-written list of codes retired since 2007 that still appear in older documents.
"""

from __future__ import annotations

import argparse
import csv
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "review" / "data"

# Area codes merged into a neighbour's code since 2007 (so libphonenumber no longer lists them). Older documents
# and letterheads still carry them. Hand-written; each merger was announced by the provincial telecom authority.
RETIRED_AREA_CODES = {
    "0732": "湖南省湘潭市 (merged into 0731 in 2007)",
    "0733": "湖南省株洲市 (merged into 0731 in 2007)",
    "0910": "陕西省咸阳市 (merged into 029 in 2008)",
    "0565": "安徽省巢湖市 (merged into 0551 after 2011)",
    "0852": "贵州省遵义市 (merged into 0851 in 2015)",
    "0853": "贵州省安顺市 (merged into 0851 in 2015)",
    "0378": "河南省开封市 (merged into 0371 in 2016)",
    "0634": "山东省莱芜市 (merged into 0531 in 2019)",
}

TOWNSHIP_SUFFIX = re.compile(r"(街道|镇|乡|苏木|地区)$")


def read_csv(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def build_region_codes(shared: Path) -> list[tuple[str, str, str, int, int]]:
    """Union of the GB/T 2260 history (1980–2019) and the 2023 statistical codes, one row per 6-digit code."""
    history = read_csv(shared / "gb2260_admin_codes_history" / "gb2260_all_codes_1980_2019.csv")
    modood = shared / "admin_divisions_modood_2023"
    current: dict[str, str] = {}
    for row in read_csv(modood / "provinces.csv"):
        current[row["code"] + "0000"] = row["name"]
    for row in read_csv(modood / "cities.csv"):
        current[row["code"] + "00"] = row["name"]
    for row in read_csv(modood / "areas.csv"):
        current[row["code"]] = row["name"]

    rows: dict[str, tuple[str, str, str, int, int]] = {}
    for row in history:
        names = row["names"].split("|")  # chronological: the last one is the latest
        code = row["code"]
        first, last = int(row["first_revision"][:4]), int(row["last_revision"][:4])
        name = names[-1]
        if code in current:
            name, last = current[code], 2023
        former = [n for n in names if n != name]
        rows[code] = (code, name, "|".join(former), first, last)
    for code, name in current.items():
        if code not in rows:
            rows[code] = (code, name, "", 2023, 2023)
    return [rows[code] for code in sorted(rows)]


def build_townships(shared: Path) -> list[tuple[str, str]]:
    """Township-level units that people write in addresses; development zones, farms and prisons are left out."""
    out = []
    for row in read_csv(shared / "admin_divisions_modood_2023" / "streets.csv"):
        name = row["name"].removesuffix("办事处")  # '…街道办事处' is the office, '…街道' the place
        if TOWNSHIP_SUFFIX.search(name) and len(name) >= 3:
            out.append((row["code"], name))
    return out


def build_surnames(shared: Path) -> list[tuple[str, str]]:
    rows = read_csv(shared / "chinese_names" / "surnames_wainshine_1074.csv")
    return [(row["surname"].strip(), row["tf"]) for row in rows if row["surname"].strip()]


def build_area_codes() -> list[tuple[str, str]]:
    """Enumerate the area codes libphonenumber's CN fixed-line pattern accepts, named by its Chinese geocoder."""
    import phonenumbers
    from phonenumbers import PhoneMetadata, geocoder

    fixed = re.compile(PhoneMetadata.metadata_for_region("CN").fixed_line.national_number_pattern)
    candidates = ["10"] + [f"2{i}" for i in range(10)] + [str(i) for i in range(300, 1000)]
    codes: dict[str, str] = {}
    for code in candidates:
        for subscriber in ("62345678", "6234567"):  # an 8- or a 7-digit local number
            if fixed.fullmatch(code + subscriber):
                place = geocoder.description_for_number(phonenumbers.parse("+86" + code + subscriber), "zh")
                codes["0" + code] = place if place and place != "中国" else ""
                break
    for code, place in RETIRED_AREA_CODES.items():
        codes.setdefault(code, place)
    return sorted(codes.items())


def write_tsv(path: Path, header: list[str], rows) -> None:
    with path.open("w", encoding="utf-8", newline="\n") as handle:
        handle.write("#" + "\t".join(header) + "\n")
        for row in rows:
            handle.write("\t".join(str(v) for v in row) + "\n")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--shared", type=Path, default=ROOT.parent / "shared" / "data",
                        help="the shared data folder (default: ../shared/data)")
    args = parser.parse_args()
    shared = args.shared
    OUT.mkdir(parents=True, exist_ok=True)

    regions = build_region_codes(shared)
    write_tsv(OUT / "region_codes.tsv", ["code", "name", "former_names", "first_year", "last_year"], regions)
    townships = build_townships(shared)
    write_tsv(OUT / "townships.tsv", ["code", "name"], townships)
    surnames = build_surnames(shared)
    write_tsv(OUT / "surnames.tsv", ["surname", "tf"], surnames)
    area_codes = build_area_codes()
    write_tsv(OUT / "area_codes.tsv", ["code", "place"], area_codes)

    for name, rows in (("region_codes.tsv", regions), ("townships.tsv", townships), ("surnames.tsv", surnames),
                       ("area_codes.tsv", area_codes)):
        size = (OUT / name).stat().st_size
        print(f"{name:18} {len(rows):6} rows {size / 1024:8.1f} KiB")


if __name__ == "__main__":
    main()
