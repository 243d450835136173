"""Users' category interests, learned from the event log, for targeting when the caller of
``fill`` does not say what a user is interested in."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

#: event types that show interest in an item's category
POSITIVE_TYPES = frozenset({"play", "watch", "like", "share", "comment", "follow"})


class InterestProfile:
    """Per user: counts of engaged categories (top ``per_user`` kept) and the last item kind."""

    def __init__(self, *, per_user: int = 5, max_users: int = 1_000_000) -> None:
        self.per_user = per_user
        self.max_users = max_users
        self._counts: dict[int, dict[str, int]] = {}
        self._kind: dict[int, str] = {}

    def observe(self, events: Iterable[Any], items: Mapping[int, tuple[str, str]]) -> None:
        """Count positive events (with internal ``user_id``/``item_id``); ``items`` maps item
        ids to (category path, kind)."""
        for event in events:
            item = event.item_id
            if item is None or event.type not in POSITIVE_TYPES or item not in items:
                continue
            category, kind = items[item]
            self._kind[event.user_id] = kind
            if not category:
                continue
            counts = self._counts.get(event.user_id)
            if counts is None:
                if len(self._counts) >= self.max_users:
                    self._counts.clear()
                    self._kind.clear()
                counts = self._counts[event.user_id] = {}
            counts[category] = counts.get(category, 0) + 1
            if len(counts) > 2 * self.per_user:
                for name in sorted(counts, key=counts.__getitem__)[: len(counts) - self.per_user]:
                    del counts[name]

    def interests(self, user_id: int) -> list[str]:
        """The user's top categories, most engaged first (empty if unknown)."""
        counts = self._counts.get(user_id)
        if not counts:
            return []
        return sorted(counts, key=lambda c: (-counts[c], c))[: self.per_user]

    def last_kind(self, user_id: int) -> str | None:
        """The kind of the last item the user engaged with."""
        return self._kind.get(user_id)

    @staticmethod
    def items_needed(events: Sequence[Any], known: Mapping[int, Any]) -> set[int]:
        """Item ids of positive events whose category is not known yet."""
        return {
            e.item_id
            for e in events
            if e.item_id is not None and e.type in POSITIVE_TYPES and e.item_id not in known
        }
