"""The one error the service's routes raise: an HTTP status, a stable code and the message in Chinese
and English (drafters read the first, integrators the second)."""

from __future__ import annotations


class Problem(Exception):
    def __init__(self, status: int, code: str, message_zh: str, message_en: str):
        super().__init__(message_en)
        self.status, self.code, self.message_zh, self.message_en = status, code, message_zh, message_en

    @property
    def detail(self) -> dict:
        return {"code": self.code, "message": f"{self.message_zh} / {self.message_en}",
                "message_zh": self.message_zh, "message_en": self.message_en}


def not_found() -> Problem:
    return Problem(404, "not_found", "未找到该记录，或您无权查看", "not found, or not yours to see")


def forbidden() -> Problem:
    return Problem(403, "forbidden", "您的角色无权执行此操作", "your role may not do this")
