"""What runs inside a scan worker (a local process or a Dask worker): item in, report line out.

Workers build the pipeline once (rules, detection engine, attribute model are cached per process by
their modules); `warm_up` does it before the first document so that the first file's time is its own.
A zip member is copied to a private temporary file under its own extension and reviewed from there.
"""

from __future__ import annotations

import logging
import os
import resource
import tempfile

from review import errors
from review.config import ScanConfig
from review.pipeline import review_file
from review.report import Report
from review.scan.walk import Item, read_item_bytes

log = logging.getLogger(__name__)


def warm_up(config: ScanConfig, memory_limit_mb: int | None = None) -> None:
    """Worker start: cap the address space (a runaway file raises MemoryError instead of starving the
    machine), then load rules, engine and attribute model once."""
    if memory_limit_mb:
        limit = memory_limit_mb * 1024 * 1024
        _, hard = resource.getrlimit(resource.RLIMIT_AS)
        if hard == resource.RLIM_INFINITY or limit < hard:
            resource.setrlimit(resource.RLIMIT_AS, (limit, hard))
    from review.attribute import AttributeModel
    from review.detect.engine import engine_for
    from review.rules import rules_for
    engine_for(rules_for(config))
    AttributeModel.load(config.attribute_model)


def review_item(item: Item, config: ScanConfig) -> str:
    """The item's Report as one JSON line (no trailing newline). Never raises for a bad document."""
    if item.error:
        return Report(path=item.path, sha256=item.sha256 or None, size=item.size or None,
                      error=item.error, error_code=item.error_code).to_json()
    if not item.is_member:
        return review_file(item.source, config, display_path=item.path).to_json()
    try:
        data = read_item_bytes(item, config.max_file_bytes)
    except Exception as exc:  # noqa: BLE001 - the archive changed or broke since it was listed
        return Report(path=item.path, error=f"the archive member cannot be read ({type(exc).__name__})",
                      error_code=errors.CORRUPT).to_json()
    handle, temporary = tempfile.mkstemp(suffix=item.suffix or ".bin", prefix="review-")
    try:
        with os.fdopen(handle, "wb") as out:
            out.write(data)
        return review_file(temporary, config, display_path=item.path).to_json()
    finally:
        os.unlink(temporary)


def review_batch(items: list[Item], config: ScanConfig, reviewer=review_item) -> list[str]:
    """A task of the local pool or of Dask: several items, so that scheduling costs less than the reviews."""
    warm_up(config)
    return [reviewer(item, config) for item in items]
