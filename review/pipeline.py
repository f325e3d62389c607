"""One document in, one Report out — and never an exception.

    read (intake) → 公文 structure → flags (intake's own, then the detection engine over all rule packs)
    → attribute (legal rules, then the calibrated classifier) → consistency flags (declaration, implementing
    documents, 函复 against the suggestion) → Report

`review_file` is what the CLI, the service and batch workers call. A file that cannot be read gives a
report whose `error` says why in plain words; the traceback of an unexpected failure goes to the log
by type only, because messages may quote document text.
"""

from __future__ import annotations

import logging
import time

import review
from review import errors
from review.attribute import AttributeModel, suggest
from review.config import ScanConfig
from review.consistency import consistency_flags
from review.detect.engine import engine_for
from review.document import Document
from review.errors import DocumentError
from review.flags import sort_flags
from review.gongwen import extract_gongwen
from review.hidden import intake_flags
from review.intake import read_document
from review.report import Attribute, ExplanationStep, Flag, GongwenMetadata, Report
from review.rules import rules_for

log = logging.getLogger(__name__)


def review_file(path: str, config: ScanConfig | None = None, display_path: str | None = None) -> Report:
    config = config or ScanConfig()
    started = time.perf_counter()
    shown = display_path or path
    try:
        document = read_document(path, config)
    except DocumentError as exc:
        return _error_report(shown, exc.code, str(exc), started)
    except MemoryError:
        return _error_report(shown, errors.TOO_LARGE, "the file needs more memory than is available", started)
    except RecursionError:
        return _error_report(shown, errors.CORRUPT, "the file is nested too deeply to read", started)
    except Exception as exc:  # noqa: BLE001 - a batch must go on; the cause goes to the log
        log.error("intake failed on a document: %s", type(exc).__name__, exc_info=log.isEnabledFor(logging.DEBUG))
        return _error_report(shown, errors.INTERNAL, f"internal error while reading ({type(exc).__name__})", started)
    read_ms = (time.perf_counter() - started) * 1000
    try:
        report = review_document(document, config)
    except Exception as exc:  # noqa: BLE001
        log.error("review failed on a document: %s", type(exc).__name__, exc_info=log.isEnabledFor(logging.DEBUG))
        return _error_report(shown, errors.INTERNAL, f"internal error while reviewing ({type(exc).__name__})",
                             started)
    report.path = shown
    report.timings = {"read": round(read_ms, 2), **report.timings,
                      "total": round((time.perf_counter() - started) * 1000, 2)}
    return report


def analyse(document: Document, config: ScanConfig) -> tuple[GongwenMetadata, list[Flag], dict[str, float]]:
    """公文 structure and flags: everything but the attribute (which training needs without a model)."""
    rules = rules_for(config)
    timings = {}
    t = time.perf_counter()
    metadata = extract_gongwen(document)
    timings["structure"] = round((time.perf_counter() - t) * 1000, 2)
    t = time.perf_counter()
    flags = sort_flags(intake_flags(document, rules) + engine_for(rules).detect(document))
    _explain_secrecy_term(flags, metadata)
    timings["detect"] = round((time.perf_counter() - t) * 1000, 2)
    return metadata, flags, timings


def review_document(document: Document, config: ScanConfig) -> Report:
    metadata, flags, timings = analyse(document, config)
    t = time.perf_counter()
    attribute = suggest(document, metadata, flags, AttributeModel.load(config.attribute_model))
    flags = sort_flags(flags + consistency_flags(document, metadata, flags, attribute, rules_for(config)))
    timings["attribute"] = round((time.perf_counter() - t) * 1000, 2)
    properties = {k: str(v) for k, v in document.metadata.get("properties", {}).items()}
    return Report(
        path=document.path, sha256=document.sha256, format=document.format, size=document.size,
        pages=document.pages, encoding=document.encoding, metadata=metadata, properties=properties,
        attribute=attribute, flags=flags, warnings=list(document.warnings), timings=timings,
        tool=_tool_info(rules_for(config)),
    )


def _explain_secrecy_term(flags, metadata) -> None:
    """A marking whose 保密期限 has run out is still a marking, but the approver should know."""
    mark = metadata.classification
    if mark is None or mark.expires is None:
        return
    for flag in flags:
        if flag.type == "classification_mark":
            outcome = "期限已满：可提请定密机关进行解密审核" if mark.expired else "仍在保密期限内"
            flag.explanation.steps.append(ExplanationStep(
                stage="context", detail=f"保密期限 {mark.term}，自成文日期 {metadata.date} 起算，至 {mark.expires}",
                outcome=outcome))


def _tool_info(rules) -> dict[str, str]:
    info = {"name": "review", "version": review.__version__}
    info.update({f"rules:{name}": version for name, version in rules.versions().items()})
    return info


def _error_report(path: str, code: str, message: str, started: float) -> Report:
    return Report(path=path, error=message, error_code=code, attribute=Attribute(),
                  timings={"total": round((time.perf_counter() - started) * 1000, 2)})
