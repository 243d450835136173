"""Catalog tables: users, creators, series, novels, items, follows."""

from __future__ import annotations

from typing import Any

from sqlalchemy import ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from laotie.store.tables.base import Base


class User(Base):
    """A viewer/reader/player; ``id`` is the dense internal index, ``external_id`` the API id."""

    __tablename__ = "users"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    external_id: Mapped[str] = mapped_column(String(128), unique=True)
    region: Mapped[str | None] = mapped_column(String(64))
    segment: Mapped[str | None] = mapped_column(String(64))
    attrs: Mapped[dict[str, Any]] = mapped_column(default=dict)
    created_at_ms: Mapped[int]


class Creator(Base):
    """A person or studio who publishes items."""

    __tablename__ = "creators"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    external_id: Mapped[str] = mapped_column(String(128), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    attrs: Mapped[dict[str, Any]] = mapped_column(default=dict)
    created_at_ms: Mapped[int]


class Series(Base):
    """A micro-drama series: an ordered list of episode items."""

    __tablename__ = "series"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    external_id: Mapped[str] = mapped_column(String(128), unique=True)
    creator_id: Mapped[int] = mapped_column(ForeignKey("creators.id"))
    title: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    category: Mapped[str] = mapped_column(String(200), default="")
    created_at_ms: Mapped[int]


class Novel(Base):
    """A web novel: an ordered list of chapter items."""

    __tablename__ = "novels"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    external_id: Mapped[str] = mapped_column(String(128), unique=True)
    creator_id: Mapped[int] = mapped_column(ForeignKey("creators.id"))
    title: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    category: Mapped[str] = mapped_column(String(200), default="")
    created_at_ms: Mapped[int]


class Item(Base):
    """A feed unit: video, episode (of a series), chapter (of a novel) or game."""

    __tablename__ = "items"
    __table_args__ = (
        UniqueConstraint("series_id", "position", name="uq_items_series_position"),
        UniqueConstraint("novel_id", "position", name="uq_items_novel_position"),
        Index("ix_items_created", "created_at_ms"),
        Index("ix_items_creator", "creator_id"),
    )
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    external_id: Mapped[str] = mapped_column(String(128), unique=True)
    kind: Mapped[str] = mapped_column(String(16))
    creator_id: Mapped[int] = mapped_column(ForeignKey("creators.id"))
    series_id: Mapped[int | None] = mapped_column(ForeignKey("series.id"))
    novel_id: Mapped[int | None] = mapped_column(ForeignKey("novels.id"))
    position: Mapped[int | None] = mapped_column(Integer)
    title: Mapped[str] = mapped_column(String(200))
    caption: Mapped[str] = mapped_column(Text, default="")
    category: Mapped[str] = mapped_column(String(200), default="")
    tags: Mapped[list[str]] = mapped_column(default=list)
    duration_ms: Mapped[int] = mapped_column(default=0)
    media_path: Mapped[str | None] = mapped_column(String(1000))
    status: Mapped[str] = mapped_column(String(16), default="published")
    aigc_status: Mapped[str] = mapped_column(String(16), default="none")
    aigc_label: Mapped[dict[str, Any]] = mapped_column(default=dict)
    created_at_ms: Mapped[int]


class Follow(Base):
    """A user follows a creator."""

    __tablename__ = "follows"
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), primary_key=True)
    creator_id: Mapped[int] = mapped_column(ForeignKey("creators.id"), primary_key=True)
    created_at_ms: Mapped[int]
