"""Server tables: accounts and devices, classes, social, notifications, points, personal sync (SQLite, PostgreSQL)."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime

from sqlalchemy import (
    BigInteger,
    Boolean,
    Date,
    DateTime,
    ForeignKey,
    ForeignKeyConstraint,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


def utcnow() -> datetime:
    """Naive UTC, the same on SQLite (no time zones) and PostgreSQL."""
    return datetime.now(UTC).replace(tzinfo=None)


def new_id() -> str:
    """A random UUID as text (portable primary keys)."""
    return str(uuid.uuid4())


class Base(DeclarativeBase):
    """Declarative base of the server schema."""


ID = String(36)


class User(Base):
    """An account: student, teacher or admin."""

    __tablename__ = "users"
    id: Mapped[str] = mapped_column(ID, primary_key=True, default=new_id)
    email: Mapped[str] = mapped_column(String(320), unique=True)
    display_name: Mapped[str] = mapped_column(String(120))
    password_hash: Mapped[str] = mapped_column(String(255))
    role: Mapped[str] = mapped_column(String(16), default="student")
    leaderboard_opt_in: Mapped[bool] = mapped_column(Boolean, default=False)
    is_active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)


class DeviceSession(Base):
    """A signed-in device; its refresh tokens form one rotation family."""

    __tablename__ = "device_sessions"
    id: Mapped[str] = mapped_column(ID, primary_key=True, default=new_id)
    user_id: Mapped[str] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    device_name: Mapped[str] = mapped_column(String(120), default="")
    user_agent: Mapped[str] = mapped_column(String(255), default="")
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    last_used_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)
    revoked_reason: Mapped[str] = mapped_column(String(40), default="")


class RefreshToken(Base):
    """One opaque refresh token, stored only as its SHA-256."""

    __tablename__ = "refresh_tokens"
    id: Mapped[str] = mapped_column(ID, primary_key=True, default=new_id)
    session_id: Mapped[str] = mapped_column(ForeignKey("device_sessions.id", ondelete="CASCADE"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(DateTime)
    used_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)


class PasswordReset(Base):
    """A single-use reset token (hashed), bound to the password hash it was issued for."""

    __tablename__ = "password_resets"
    id: Mapped[str] = mapped_column(ID, primary_key=True, default=new_id)
    user_id: Mapped[str] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    password_fingerprint: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(DateTime)
    used_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)


class AuthAttempt(Base):
    """A login or other guarded attempt, for throttling without process state."""

    __tablename__ = "auth_attempts"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    key: Mapped[str] = mapped_column(String(400))
    succeeded: Mapped[bool] = mapped_column(Boolean, default=False)
    at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    __table_args__ = (Index("ix_auth_attempts_key_at", "key", "at"),)


class IdempotentRequest(Base):
    """The stored answer to a write sent with an Idempotency-Key, replayed on a retry."""

    __tablename__ = "idempotent_requests"
    user_id: Mapped[str] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    key: Mapped[str] = mapped_column(String(100), primary_key=True)
    method: Mapped[str] = mapped_column(String(10))
    path: Mapped[str] = mapped_column(String(400))
    status: Mapped[int] = mapped_column(Integer)
    body: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)


class SchoolClass(Base):
    """A class run by a teacher; students join with its code."""

    __tablename__ = "classes"
    id: Mapped[str] = mapped_column(ID, primary_key=True, default=new_id)
    name: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    subject: Mapped[str] = mapped_column(String(120), default="")
    teacher_id: Mapped[str] = mapped_column(ForeignKey("users.id"), index=True)
    join_code: Mapped[str] = mapped_column(String(16), unique=True)
    archived: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)


class ClassMember(Base):
    """A person in a class: the teacher or a student."""

    __tablename__ = "class_members"
    class_id: Mapped[str] = mapped_column(ForeignKey("classes.id", ondelete="CASCADE"), primary_key=True)
    user_id: Mapped[str] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), primary_key=True, index=True)
    role: Mapped[str] = mapped_column(String(16), default="student")
    joined_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)


class Assignment(Base):
    """Work set in a class, with a due date and points."""

    __tablename__ = "assignments"
    id: Mapped[str] = mapped_column(ID, primary_key=True, default=new_id)
    class_id: Mapped[str] = mapped_column(ForeignKey("classes.id", ondelete="CASCADE"), index=True)
    title: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    due_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)
    points_possible: Mapped[int] = mapped_column(Integer, default=100)
    created_by: Mapped[str] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)


class Attachment(Base):
    """A file attached to an assignment, a submission or a group share."""

    __tablename__ = "attachments"
    id: Mapped[str] = mapped_column(ID, primary_key=True, default=new_id)
    owner_kind: Mapped[str] = mapped_column(String(16))  # assignment | submission | share
    owner_id: Mapped[str] = mapped_column(ID, index=True)
    file_name: Mapped[str] = mapped_column(String(255))
    content_type: Mapped[str] = mapped_column(String(120), default="application/octet-stream")
    size: Mapped[int] = mapped_column(Integer)
    data: Mapped[bytes] = mapped_column(LargeBinary)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)


class Submission(Base):
    """One version of a student's work on an assignment, with its grade."""

    __tablename__ = "submissions"
    id: Mapped[str] = mapped_column(ID, primary_key=True, default=new_id)
    assignment_id: Mapped[str] = mapped_column(ForeignKey("assignments.id", ondelete="CASCADE"), index=True)
    student_id: Mapped[str] = mapped_column(ForeignKey("users.id"), index=True)
    version: Mapped[int] = mapped_column(Integer)
    kind: Mapped[str] = mapped_column(String(16))  # text | file | note | deck
    text: Mapped[str] = mapped_column(Text, default="")
    late: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    points: Mapped[float | None] = mapped_column(nullable=True)
    feedback: Mapped[str] = mapped_column(Text, default="")
    graded_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)
    graded_by: Mapped[str | None] = mapped_column(ForeignKey("users.id"), nullable=True)
    __table_args__ = (UniqueConstraint("assignment_id", "student_id", "version"),)


class Connection(Base):
    """A connection request between two people and its answer."""

    __tablename__ = "connections"
    id: Mapped[str] = mapped_column(ID, primary_key=True, default=new_id)
    requester_id: Mapped[str] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    addressee_id: Mapped[str] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    status: Mapped[str] = mapped_column(String(16), default="pending")  # pending | accepted | declined
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    responded_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)
    __table_args__ = (UniqueConstraint("requester_id", "addressee_id"),)


class StudyGroup(Base):
    """A study group with an owner and an invite code."""

    __tablename__ = "study_groups"
    id: Mapped[str] = mapped_column(ID, primary_key=True, default=new_id)
    name: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    owner_id: Mapped[str] = mapped_column(ForeignKey("users.id"), index=True)
    invite_code: Mapped[str] = mapped_column(String(16), unique=True)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)


class GroupMember(Base):
    """A person in a study group: owner or member."""

    __tablename__ = "group_members"
    group_id: Mapped[str] = mapped_column(ForeignKey("study_groups.id", ondelete="CASCADE"), primary_key=True)
    user_id: Mapped[str] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), primary_key=True, index=True)
    role: Mapped[str] = mapped_column(String(16), default="member")
    joined_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)


class Message(Base):
    """A message in a group; the integer id orders and pages them."""

    __tablename__ = "messages"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    group_id: Mapped[str] = mapped_column(ForeignKey("study_groups.id", ondelete="CASCADE"))
    author_id: Mapped[str] = mapped_column(ForeignKey("users.id"))
    body: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    __table_args__ = (Index("ix_messages_group_id_id", "group_id", "id"),)


class Share(Base):
    """A note or deck shared to a group (its file is an attachment)."""

    __tablename__ = "shares"
    id: Mapped[str] = mapped_column(ID, primary_key=True, default=new_id)
    group_id: Mapped[str] = mapped_column(ForeignKey("study_groups.id", ondelete="CASCADE"), index=True)
    author_id: Mapped[str] = mapped_column(ForeignKey("users.id"))
    kind: Mapped[str] = mapped_column(String(16))  # note | deck
    title: Mapped[str] = mapped_column(String(200))
    text: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)


class Notification(Base):
    """An event for one user (new assignment, due soon, graded, message, request) with read state."""

    __tablename__ = "notifications"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    user_id: Mapped[str] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(32))
    title: Mapped[str] = mapped_column(String(300))
    body: Mapped[str] = mapped_column(Text, default="")
    data: Mapped[str] = mapped_column(Text, default="{}")  # JSON: ids the desktop can open
    dedupe_key: Mapped[str | None] = mapped_column(String(120), nullable=True)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    read_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)
    __table_args__ = (Index("ix_notifications_user_id_id", "user_id", "id"),
                      UniqueConstraint("user_id", "dedupe_key"))


class WeeklyPoints(Base):
    """A student's points for one ISO week, as reported by their desktop."""

    __tablename__ = "weekly_points"
    user_id: Mapped[str] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    week_start: Mapped[date] = mapped_column(Date, primary_key=True)
    points: Mapped[int] = mapped_column(Integer, default=0)
    updated_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)


class SyncAccount(Base):
    """A user's personal-sync state: the row every sync write locks first, the message sequence, the bytes held (for
    the quota) and the wrapped sync key (the server cannot unwrap it)."""

    __tablename__ = "sync_accounts"
    user_id: Mapped[str] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    last_seq: Mapped[int] = mapped_column(BigInteger, default=0)  # never goes back, not even after DELETE /data
    messages: Mapped[int] = mapped_column(BigInteger, default=0)
    message_bytes: Mapped[int] = mapped_column(BigInteger, default=0)
    blob_bytes: Mapped[int] = mapped_column(BigInteger, default=0)
    key_version: Mapped[int] = mapped_column(Integer, default=0)  # 0 = no key
    key_wrapped: Mapped[str | None] = mapped_column(Text, nullable=True)  # JSON
    key_check: Mapped[str | None] = mapped_column(String(128), nullable=True)
    updated_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)


class SyncMessage(Base):
    """One encrypted change message of a user, numbered in commit order (the pull cursor)."""

    __tablename__ = "sync_messages"
    user_id: Mapped[str] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    seq: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    msg_id: Mapped[str] = mapped_column(String(64))
    hlc: Mapped[str] = mapped_column(String(64))
    device: Mapped[str] = mapped_column(String(64))
    payload: Mapped[bytes] = mapped_column(LargeBinary)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    __table_args__ = (UniqueConstraint("user_id", "msg_id"),)


class SyncBlob(Base):
    """An encrypted media file of a user, uploaded in chunks (the chunk bytes live in the blob store)."""

    __tablename__ = "sync_blobs"
    user_id: Mapped[str] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    blob_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    complete: Mapped[bool] = mapped_column(Boolean, default=False)
    chunk_count: Mapped[int | None] = mapped_column(Integer, nullable=True)  # given at complete
    size: Mapped[int | None] = mapped_column(BigInteger, nullable=True)  # as declared at complete
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    completed_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)


class SyncBlobChunk(Base):
    """One stored chunk of a blob and its size in bytes."""

    __tablename__ = "sync_blob_chunks"
    user_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    blob_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    idx: Mapped[int] = mapped_column(Integer, primary_key=True)
    size: Mapped[int] = mapped_column(Integer)
    __table_args__ = (ForeignKeyConstraint(["user_id", "blob_id"], ["sync_blobs.user_id", "sync_blobs.blob_id"],
                                           ondelete="CASCADE"),)
