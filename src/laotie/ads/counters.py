"""The ads' counters in the shared ``LiveState``: today's spend per campaign, ads served per
(user, campaign) for the frequency caps, and the placements served, so that a process charges
the events of an ad another process served.

Both are reserved atomically against their limit (a Lua script on Redis), so any number of
serving processes together can neither bill a campaign past its budget ceiling nor show a
user a campaign past its cap. Keys carry the local day, so a new day starts from zero.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Mapping, Sequence

from laotie.core.clock import MS_PER_DAY
from laotie.core.live import LiveState
from laotie.store.live import MemoryLiveState

#: counters outlive their day by one more, for late events billed to the served day
TTL_MS = 2 * MS_PER_DAY


class AdCounters:
    """Spend and frequency counters of one platform, shared by every process using ``live``."""

    def __init__(self, live: LiveState) -> None:
        self.live = live

    @property
    def shared(self) -> bool:
        """Whether other processes read these counters (a live state server, not this
        process's memory)."""
        return not isinstance(self.live, MemoryLiveState)

    @staticmethod
    def _placement_key(impression_id: str) -> str:
        return f"ads:placement:{impression_id}"

    def share_placements(
        self, placements: Sequence[tuple[str, Mapping[str, float]]], *, ttl_ms: int
    ) -> None:
        """Let every process read the numbers of placements this one served (impression id,
        fields) for ``ttl_ms``; impression ids are new, so adding them sets them."""
        if self.shared and placements:
            self.live.add(
                [(self._placement_key(impression), fields) for impression, fields in placements],
                ttl_ms=ttl_ms,
            )

    def shared_placement(self, impression_id: str) -> dict[str, float]:
        """The numbers a process shared for ``impression_id`` (empty when none did)."""
        if not self.shared:
            return {}
        return self.live.read([self._placement_key(impression_id)])[0]

    @staticmethod
    def _spend_key(day: str) -> str:
        return f"ads:spend:{day}"

    @staticmethod
    def _served_key(day: str, user_id: int) -> str:
        return f"ads:served:{day}:{user_id}"

    def reserve_spend(
        self,
        *,
        campaign_pk: int,
        day: str,
        amount_fen: int,
        ceiling_fen: int,
        spent: Callable[[], int],
    ) -> bool:
        """Reserve ``amount_fen`` of the campaign's ``day`` budget unless today's spend would
        pass ``ceiling_fen``; ``spent()`` reads the ledger when no process has counted yet."""
        total = self.live.reserve(
            self._spend_key(day),
            str(campaign_pk),
            amount_fen,
            ceiling=ceiling_fen,
            seed=spent,
            ttl_ms=TTL_MS,
        )
        return total is not None

    def release_spend(self, *, campaign_pk: int, day: str, amount_fen: int) -> None:
        """Give back a reservation whose charge was rolled back."""
        self.live.release(self._spend_key(day), str(campaign_pk), amount_fen)

    def spent(self, day: str) -> dict[int, int]:
        """Fen reserved per campaign on ``day`` by every process (campaigns counted so far)."""
        (row,) = self.live.read([self._spend_key(day)])
        return {int(pk): int(fen) for pk, fen in row.items()}

    def served(self, day: str, user_id: int) -> dict[int, int]:
        """Ads served to ``user_id`` on ``day`` per campaign, by every process."""
        (row,) = self.live.read([self._served_key(day, user_id)])
        return {int(pk): int(n) for pk, n in row.items()}

    def serve(self, *, day: str, user_id: int, campaign_pk: int, cap: int, floor: int) -> bool:
        """Count one more ad of the campaign for the user unless that passes ``cap``; the
        count starts at ``floor`` (impressions the ledger already recorded today)."""
        total = self.live.reserve(
            self._served_key(day, user_id),
            str(campaign_pk),
            1,
            ceiling=cap,
            seed=lambda: floor,
            ttl_ms=TTL_MS,
        )
        return total is not None


class FrequencyCaps:
    """Ads served per (user, campaign) today: the shared counts of every serving process,
    never below the floor the ledger recorded when serving loaded (the counts start there)."""

    def __init__(self, counters: AdCounters) -> None:
        self.counters = counters
        self._floor: dict[int, dict[int, int]] = defaultdict(dict)

    def load(self, frequency: Mapping[tuple[int, int], int]) -> None:
        """Take the ledger's impressions today per (user, campaign) as the floor."""
        self._floor = defaultdict(dict)
        for (user, campaign_pk), n in frequency.items():
            self._floor[user][campaign_pk] = n

    def reset(self) -> None:
        """A new day: nothing served yet."""
        self._floor = defaultdict(dict)

    def served(self, day: str | None, user_id: int) -> dict[int, int]:
        """Ads served to the user on ``day`` per campaign (the floor alone before any day)."""
        served = dict(self._floor.get(user_id, {}))
        if day is not None:
            for pk, n in self.counters.served(day, user_id).items():
                served[pk] = max(n, served.get(pk, 0))
        return served

    def serve(self, *, day: str, user_id: int, campaign_pk: int, cap: int) -> bool:
        """Count one ad of the campaign for the user, atomically against its ``cap``."""
        return self.counters.serve(
            day=day,
            user_id=user_id,
            campaign_pk=campaign_pk,
            cap=cap,
            floor=self._floor.get(user_id, {}).get(campaign_pk, 0),
        )
