"""Building flags: every detector goes through `make_flag`, so every flag explains itself the same way.

A flag takes its category, type, severity, legal basis and default suggestion from its rule (data under
rules/), its text and location from the Document, and its explanation from the detector.
"""

from __future__ import annotations

from review.document import Block, Document, Location
from review.report import SEVERITY_ORDER, Explanation, ExplanationStep, Flag, fingerprint
from review.rules import Rule


def make_flag(rule: Rule, document: Document | None, *, text: str, summary: str,
              start: int | None = None, end: int | None = None, location: Location | None = None,
              steps: list[ExplanationStep] | None = None, score: float | None = None,
              suggestion: str | None = None, severity: str | None = None) -> Flag:
    block = document.locate(start) if document is not None and start is not None else None
    steps = list(steps or [])
    if location is None and block is not None:
        location = block.location
        if block.ocr_words:
            location, step = _ocr_location(block, start, end if end is not None else start + len(text),
                                           document.ocr_page_quality.get(block.location.page))
            steps.insert(0, step)
    return Flag(
        id=fingerprint(rule.id, text),
        category=rule.category,
        type=rule.type,
        severity=severity or rule.severity,
        text=text,
        context=_context(block, start, end) if block is not None else None,
        start=start,
        end=end,
        location=location or Location(part="document"),
        rule=rule.id,
        explanation=Explanation(summary=summary, steps=steps, score=score),
        legal_basis=list(rule.legal_basis),
        suggestion=suggestion or rule.suggestion,
    )


def sort_flags(flags: list[Flag]) -> list[Flag]:
    """Most severe first, then in document order; identical findings (same id and place) once."""
    seen, unique = set(), []
    for flag in flags:
        key = (flag.id, flag.start, flag.location.part, flag.location.name)
        if key not in seen:
            seen.add(key)
            unique.append(flag)
    return sorted(unique, key=lambda f: (-SEVERITY_ORDER[f.severity], f.start if f.start is not None else 1 << 60))


CONTEXT_CHARS = 20
# When the approver is told to read an OCR'd value on the page image: its weakest word scored below
# OCR_LOW_CONFIDENCE, or its page was read poorly as a whole (a tenth of the page's words below
# OCR_POOR_PAGE). Chosen with bench/ocr_confidence.py (two samples of 252 degraded generated pages, 68
# misread values): the word threshold alone caught 54 of 68 (at 0.85: 61, at 0.90 all, but 0.90 warned on
# 43 % of the values read right on readable scans); with the page rule 67 of 68, and on readable scans no
# more needless warnings than the word threshold alone (18-20 %). See docs/ocr.md.
OCR_LOW_CONFIDENCE = 0.80
OCR_POOR_PAGE = 0.70


def _ocr_location(block: Block, start: int, end: int,
                  page_quality: float | None = None) -> tuple[Location, ExplanationStep]:
    """The flagged text's own region of the page (not its whole line), and how sure OCR was of it."""
    span = block.ocr_span(start, end)
    if span is None:  # the flag lies in the gaps between words: point at the line
        return block.location, ExplanationStep(stage="intake", detail="text read by OCR from the page image",
                                                outcome="read")
    bbox, confidence = span
    location = block.location.model_copy(update={"bbox": bbox, "ocr_confidence": round(confidence, 2)})
    detail = f"text read by OCR from the page image (confidence {confidence:.2f}, low below {OCR_LOW_CONFIDENCE:.2f}"
    if page_quality is not None:
        detail += f"; page quality {page_quality:.2f}, poor below {OCR_POOR_PAGE:.2f}"
    if confidence < OCR_LOW_CONFIDENCE:
        outcome = "low confidence: check the value against the page image"
    elif page_quality is not None and page_quality < OCR_POOR_PAGE:
        outcome = "low confidence: the page was read poorly; check the value against the page image"
    else:
        outcome = "read"
    return location, ExplanationStep(stage="intake", outcome=outcome, detail=detail + ")")


def _context(block, start: int, end: int | None) -> str:
    """Up to CONTEXT_CHARS characters either side, never crossing the block's edges."""
    end = end if end is not None else start
    left = max(block.start, start - CONTEXT_CHARS) - block.start
    right = min(block.end, end + CONTEXT_CHARS) - block.start
    return block.text[left:right]
