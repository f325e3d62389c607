"""The scan configuration: a plain, serialisable object passed explicitly to the pipeline, so that
process pools and Dask workers can rebuild the same pipeline once per worker. No module-level state.
"""

from __future__ import annotations

import hashlib

from pydantic import BaseModel, ConfigDict, Field


class ScanConfig(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    max_file_bytes: int = Field(200 * 1024 * 1024, description="larger files are refused unread")
    timeout_seconds: float = Field(120.0, description="per-document limit for intake and review")
    max_pages: int = Field(3000, description="PDF/OFD pages beyond this are not read (a warning says so)")
    max_unzip_bytes: int = Field(512 * 1024 * 1024, description="total uncompressed size of a docx/xlsx/ofd")
    max_unzip_ratio: float = Field(200.0, description="uncompressed/compressed above this is a zip bomb")
    max_zip_members: int = Field(20000)
    pdf_tables: bool = Field(True, description="extract PDF tables with pdfplumber (slower)")
    converter: str | None = Field(None, description="path of soffice; None looks it up on PATH")
    rule_packs: tuple[str, ...] = Field((), description="extra rule pack files, after the shipped ones")
    disable_rules: tuple[str, ...] = Field((), description="rule ids switched off for this agency")
    attribute_model: str | None = Field(None, description="folder of a trained attribute model; None: the shipped one")

    def content_hash(self) -> str:
        return hashlib.sha256(self.model_dump_json().encode()).hexdigest()[:12]
