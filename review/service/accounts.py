"""Users, units and the agency's rule switches: shared by `review user add`, the admin API, the admin page
and the demo."""

from __future__ import annotations

import hashlib
import secrets

from sqlalchemy import select
from sqlalchemy.orm import Session

from review.service.auth import hash_password
from review.service.problems import Problem
from review.service.store import ROLES, Setting, Unit, User


def unit_code(name: str) -> str:
    """A stable placeholder code for the 索引号 until the admin sets the unit's real one."""
    return "U" + hashlib.sha256(name.encode()).hexdigest()[:8].upper()


def ensure_unit(session: Session, name: str, code: str | None = None) -> Unit:
    unit = session.scalars(select(Unit).where(Unit.name == name)).one_or_none()
    if unit is None:
        unit = Unit(name=name, code=code or unit_code(name))
        session.add(unit)
        session.flush()
    elif code:
        unit.code = code
    return unit


def create_user(session: Session, name: str, role: str, unit_names: list[str], password: str | None = None
                ) -> tuple[User, str]:
    """Add a user (units created as needed); returns the user and the password (generated when None)."""
    name = name.strip()
    if role not in ROLES:
        raise Problem(422, "bad_role", f"角色应为 {'、'.join(ROLES)}", f"role must be one of {', '.join(ROLES)}")
    if not name:
        raise Problem(422, "bad_name", "用户名不能为空", "the user name is empty")
    if role != "admin" and not unit_names:
        raise Problem(422, "no_unit", "起草人和审核人必须属于某个单位", "drafters and approvers need a unit")
    if session.scalars(select(User).where(User.name == name)).first():
        raise Problem(409, "user_exists", f"用户 {name} 已存在", f"user {name} exists already")
    password = password or secrets.token_urlsafe(12)
    if len(password) < 8:
        raise Problem(422, "weak_password", "密码至少 8 个字符", "the password needs at least 8 characters")
    user = User(name=name, role=role, password_hash=hash_password(password),
                units=[ensure_unit(session, unit) for unit in dict.fromkeys(unit_names)])
    session.add(user)
    session.commit()
    return user, password


def disabled_rules(session: Session) -> list[str]:
    stored = session.get(Setting, "scan_config")
    return list((stored.value if stored else {}).get("disable_rules", []))


def switchable_rules() -> dict:
    """Every shipped rule by id: what an agency may switch off."""
    from review.config import ScanConfig
    from review.rules import rules_for

    return rules_for(ScanConfig()).rules


def save_disabled_rules(session: Session, rule_ids: list[str]) -> list[str]:
    """Switch rules off for this agency (unknown rule ids are refused); returns the stored list.
    The app's routes then tell their review worker (`ReviewWorker.config_changed`) so the next review uses
    it; any other writer's change reaches the reviews within `worker.CONFIG_MAX_AGE` seconds."""
    from review.config import ScanConfig

    unknown = sorted(set(rule_ids) - set(switchable_rules()))
    if unknown:
        raise Problem(422, "unknown_rule", f"没有这些规则：{', '.join(unknown[:5])}",
                      f"no such rules: {', '.join(unknown[:5])}")
    value = ScanConfig(disable_rules=tuple(rule_ids)).model_dump(mode="json", include={"disable_rules"})
    stored = session.get(Setting, "scan_config")
    if stored:
        stored.value = value
    else:
        session.add(Setting(key="scan_config", value=value))
    session.commit()
    return list(value["disable_rules"])
