"""User accounts with one role each; participants are not users (see participation.models)."""

from __future__ import annotations

import enum
from datetime import datetime

from flask_login import UserMixin
from sqlalchemy import Enum, String, select
from sqlalchemy.orm import Mapped, mapped_column
from werkzeug.security import check_password_hash, generate_password_hash

from consult.database import Base, utcnow


class Role(enum.StrEnum):
    ADMIN = "admin"  # everything the other roles can, and the audit log
    SUPPORT = "support"  # the Support Unit: moderation, analysis, responses, reports
    HOST = "host"  # community hosts: their own community conversations
    STEERING = "steering"  # the Steering Committee: read, review, sign off


class User(UserMixin, Base):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    name: Mapped[str] = mapped_column(String(200), default="")
    password_hash: Mapped[str] = mapped_column(String(255))
    role: Mapped[Role] = mapped_column(
        Enum(Role, native_enum=False, length=16, values_callable=lambda e: [m.value for m in e])
    )
    active: Mapped[bool] = mapped_column(default=True)
    # Part of every session's user id (``get_id``): raising it ends every session signed in before.
    session_version: Mapped[int] = mapped_column(default=0, server_default="0")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    @property
    def is_active(self) -> bool:  # Flask-Login
        return self.active

    def get_id(self) -> str:  # Flask-Login: what the session stores
        return f"{self.id}:{self.session_version}"

    @property
    def display_name(self) -> str:
        return self.name or self.email

    def set_password(self, password: str) -> None:
        self.password_hash = generate_password_hash(password)

    def check_password(self, password: str) -> bool:
        return check_password_hash(self.password_hash, password)

    def has_role(self, *roles: Role) -> bool:
        """Admins hold every role."""
        return self.role == Role.ADMIN or self.role in roles

    @classmethod
    def by_email(cls, email: str):
        return select(cls).where(cls.email == email.strip().lower())
