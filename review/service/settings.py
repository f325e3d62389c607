"""Service settings (pydantic-settings): environment variables prefixed REVIEW_, e.g. REVIEW_DATA_DIR.

The scan configuration (rule packs, limits) is a separate object, `review.config.ScanConfig`; the admin
edits the agency's part of it in the database, not here.
"""

from __future__ import annotations

import os
import secrets
from functools import cached_property
from pathlib import Path

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

PLACEHOLDER_SECRETS = {"", "changeme", "change-me", "secret", "please-change", "xxx"}


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="REVIEW_", extra="ignore")

    data_dir: Path = Field(Path("./var"), description="uploaded files, the SQLite database and the secret key")
    database_url: str | None = Field(None, description="SQLAlchemy URL; default: SQLite (WAL) in the data dir")
    secret_key: str | None = Field(None, description="signs sessions and tokens; generated into the data dir if unset")
    max_upload_bytes: int = Field(50 * 1024 * 1024, description="larger uploads are refused with 413")
    worker_processes: int = Field(1, description="review processes; 0 reviews in a thread of the app (tests)")
    token_minutes: int = Field(8 * 60, description="lifetime of API tokens and UI sessions")
    login_attempts: int = Field(5, description="failed logins per name and address before a pause")
    login_window_seconds: int = Field(300)
    rereview_days: int = Field(365, description="a non-proactive decision is reviewed again after this many days")
    frequent_request_count: int = Field(3, description="on_request documents asked for this often are flagged "
                                                       "for conversion to proactive (条例第四十四条)")
    index_scheme: str = Field("{unit_code}/{year}-{seq:05d}",
                              description="索引号 of the catalog; fields: unit_code, unit, year, seq")
    cookie_secure: bool = Field(False, description="set the Secure flag on the session cookie (behind HTTPS)")

    @field_validator("secret_key")
    @classmethod
    def refuse_placeholder(cls, value: str | None) -> str | None:
        if value is not None and (value.strip().lower() in PLACEHOLDER_SECRETS or len(value) < 16):
            raise ValueError("REVIEW_SECRET_KEY is a placeholder or shorter than 16 characters")
        return value

    @cached_property
    def blob_dir(self) -> Path:
        return self.data_dir / "files"

    @cached_property
    def sqlalchemy_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite:///{(self.data_dir / 'review.db').resolve()}"

    @cached_property
    def signing_key(self) -> str:
        """The given key, or one generated once and kept (mode 600) in the data dir."""
        if self.secret_key:
            return self.secret_key
        path = self.data_dir / "secret_key"
        if not path.exists():
            self.data_dir.mkdir(parents=True, exist_ok=True)
            try:  # exclusive create: two processes starting together keep one key
                with open(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600), "w") as handle:
                    handle.write(secrets.token_urlsafe(48))
            except FileExistsError:
                pass
        return path.read_text().strip()

    def prepare(self) -> "Settings":
        self.data_dir.mkdir(parents=True, exist_ok=True)
        self.blob_dir.mkdir(parents=True, exist_ok=True)
        return self
