"""Domain errors with a stable code and a hint, in the manner of spaCy's E### messages.

A `DocumentError` never escapes the pipeline: `review.pipeline.review_file` turns it into the
report's `error` field so that one bad file never stops a batch.
"""


class ReviewError(Exception):
    """Base class: `code` is stable (tests and approvers key on it), `hint` says how to fix it."""

    code = "E000"

    def __init__(self, message: str, *, code: str | None = None, hint: str | None = None):
        super().__init__(message)
        if code:
            self.code = code
        self.hint = hint

    def __str__(self) -> str:  # the plain-words form written into reports
        text = super().__str__()
        return f"{text} ({self.hint})" if self.hint else text


class DocumentError(ReviewError):
    """The document cannot be read: empty, corrupt, encrypted, too large, unsupported..."""

    code = "D000"


class RulePackError(ReviewError):
    """A rule pack is malformed; the message names the file and rule id."""

    code = "R000"


# Document error codes, one per kind of bad input. Kept here so that the CLI, the
# service and the tests speak of the same thing.
EMPTY = "D001"
TOO_LARGE = "D002"
UNSUPPORTED = "D003"
CORRUPT = "D004"
ENCRYPTED = "D005"
ZIP_BOMB = "D006"
XML_ENTITIES = "D007"
TIMEOUT = "D008"
CONVERTER_MISSING = "D009"
CONVERSION_FAILED = "D010"
NOT_FOUND = "D011"
WORKER_LOST = "D012"  # batch scans: the worker process died on this file (crash, memory)
INTERNAL = "D099"
