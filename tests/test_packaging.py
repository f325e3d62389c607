"""Rules (and models) ship inside the wheel: an installed tool works without the checkout."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


@pytest.mark.slow
def test_wheel_carries_rule_packs_and_runs_outside_the_checkout(tmp_path):
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "--no-build-isolation",
                    "-w", str(tmp_path / "wheel"), str(ROOT)], check=True, capture_output=True, timeout=300)
    (wheel,) = (tmp_path / "wheel").glob("review-*.whl")
    target = tmp_path / "site"
    subprocess.run([sys.executable, "-m", "pip", "install", "--quiet", "--no-deps", "--target", str(target),
                    str(wheel)], check=True, capture_output=True, timeout=300)
    sample = tmp_path / "note.txt"
    sample.write_text("关于做好某项工作的通知\n各单位：请按要求落实。\n", encoding="utf-8")
    code = ("import review, review.rules, review.pipeline as p; "
            "assert review.__file__.startswith(%r), review.__file__; "
            "print(sorted(review.rules.load_rules().versions())); "
            "print(p.review_file(%r).error)") % (str(target), str(sample))
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=tmp_path,
                            env={**os.environ, "PYTHONPATH": str(target)}, timeout=120)
    assert result.returncode == 0, result.stderr
    shipped = sorted(path.stem for path in (ROOT / "rules").glob("*.yaml"))
    assert result.stdout.split("\n")[:2] == [str(shipped), "None"]
