"""Paid micro-drama: a series' episodes after its paywall are locked until the user unlocks
one episode or the whole series, with coins or (one episode) by watching a rewarded ad.

Unlocks are idempotent per (user, episode or series): a repeated or concurrent request
finds the first unlock and moves no money again.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from laotie.commerce import postings
from laotie.commerce._base import Area
from laotie.commerce.schemas import EpisodeOffer, PaywallSet, UnlockCreate, UnlockPublic
from laotie.core.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from laotie.core.kinds import ItemKind
from laotie.store.repos import catalog
from laotie.store.repos import commerce as repo
from laotie.store.tables import ComPaywall, ComUnlock, Item, Series


def _check_creator(scope: str | None, session: Session, creator_id: int) -> None:
    if scope is None:
        return
    owner = catalog.get_creator(session, external_id=scope)
    if owner.id != creator_id:
        raise PermissionDenied(
            f"this key is scoped to creator {scope!r} and may not act on another creator's content",
            field="scope",
        )


class PaidContent(Area):
    """Paywalls, locks and unlocks of micro-drama episodes."""

    def __init__(self, *args: Any, creator_bp: int, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.creator_bp = creator_bp

    def set_paywall(
        self, series_id: str, paywall: PaywallSet, *, scope: str | None = None
    ) -> PaywallSet:
        """Put (or move) a series' paywall; ``scope`` is a creator key's creator id."""
        with self.db.session() as session:
            series = repo.by_external_id(session, Series, external_id=series_id, field="series_id")
            _check_creator(scope, session, series.creator_id)
            row = repo.paywall(session, series_id=series.id)
            if row is None:
                row = repo.add(session, ComPaywall(series_id=series.id, **paywall.model_dump()))
            else:
                for name, value in paywall.model_dump().items():
                    setattr(row, name, value)
        return paywall

    def _offer(self, session: Session, user_id: int, item: Item) -> EpisodeOffer:
        if item.series_id is None or item.position is None:
            raise InvalidInput(f"item {item.external_id!r} is not an episode", field="item_id")
        wall = repo.paywall(session, series_id=item.series_id)
        locked = False
        if wall is not None and item.position > wall.free_episodes:
            scopes = repo.user_scopes(session, user_id=user_id, series_ids=[item.series_id])
            locked = not ({f"item:{item.id}", f"series:{item.series_id}"} & scopes)
        return EpisodeOffer(
            item_id=item.external_id,
            position=item.position,
            locked=locked,
            price_fen=wall.episode_price_fen if locked and wall else 0,
            series_price_fen=wall.series_price_fen if locked and wall else 0,
        )

    def offer(self, user_id: str, item_id: str) -> EpisodeOffer:
        """Whether an episode is locked for a user, and its price if so."""
        with self.db.session() as session:
            user = catalog.get_user(session, external_id=user_id)
            item = catalog.get_item(session, external_id=item_id)
            return self._offer(session, user.id, item)

    def locked_prices(self, user_id: str, item_ids: Sequence[str]) -> dict[str, int]:
        """Of ``item_ids``, the episodes locked for a user (unknown users: every episode past
        a paywall), with each one's price in fen."""
        with self.db.session() as session:
            found = catalog.user_ids(session, external_ids=[user_id]).get(user_id)
            items = repo.episodes(session, external_ids=list(item_ids))
            series = sorted({int(i.series_id or 0) for i in items})
            walls = repo.paywalls(session, series_ids=series)
            scopes = repo.user_scopes(session, user_id=found, series_ids=series) if found else set()
        prices = {}
        for item in items:
            wall = walls.get(int(item.series_id or 0))
            if wall is None or (item.position or 0) <= wall.free_episodes:
                continue
            if {f"item:{item.id}", f"series:{item.series_id}"} & scopes:
                continue
            prices[item.external_id] = wall.episode_price_fen
        return prices

    def next_episode(
        self, user_id: str, series_id: str, *, after_position: int = 0
    ) -> EpisodeOffer | None:
        """The episode after ``after_position`` for a user, locked or not, with its price."""
        with self.db.session() as session:
            user = catalog.get_user(session, external_id=user_id)
            series = repo.by_external_id(session, Series, external_id=series_id, field="series_id")
            for item in repo.series_episodes(session, series_id=series.id):
                if (item.position or 0) > after_position:
                    return self._offer(session, user.id, item)
        return None

    def unlock(self, request: UnlockCreate) -> UnlockPublic:
        """Unlock an episode or a series once; a repeat returns the first unlock."""
        try:
            with self.db.session() as session:
                result, event = self._unlock(session, request)
        except IntegrityError:
            # a concurrent request for the same unlock won: nothing of ours was written
            with self.db.session() as session:
                result, event = self._unlock(session, request)
            if result.created:
                raise Conflict("unlock raced with another request", field="idempotency") from None
        if event:
            self.emit([event])
        return result

    def _unlock(
        self, session: Session, request: UnlockCreate
    ) -> tuple[UnlockPublic, dict[str, Any] | None]:
        if (request.item_id is None) == (request.series_id is None):
            raise InvalidInput("name exactly one of item_id and series_id", field="item_id")
        user = catalog.get_user(session, external_id=request.user_id)
        item: Item | None = None
        if request.item_id is not None:
            item = catalog.get_item(session, external_id=request.item_id)
            if item.kind != ItemKind.EPISODE or item.series_id is None:
                raise InvalidInput(f"item {item.external_id!r} is not an episode", field="item_id")
            series = repo.series_row(session, series_id=item.series_id)
        else:
            series = repo.by_external_id(
                session, Series, external_id=str(request.series_id), field="series_id"
            )
        wall = repo.paywall(session, series_id=series.id)
        if wall is None:
            raise NotFound(f"series {series.external_id!r} has no paywall", field="series_id")
        whole = repo.unlock(session, user_id=user.id, scope=f"series:{series.id}")
        scope = f"item:{item.id}" if item is not None else f"series:{series.id}"
        found = whole or repo.unlock(session, user_id=user.id, scope=scope)
        if found is not None:
            return _public(found, created=False), None
        if item is not None and (item.position or 0) <= wall.free_episodes:
            raise InvalidInput(
                f"episode {item.external_id!r} is free (the first {wall.free_episodes} are)",
                field="item_id",
                limit=wall.free_episodes,
            )
        ts_ms, day = self.stamp()
        row = ComUnlock(
            user_id=user.id,
            series_id=series.id,
            item_id=item.id if item is not None else None,
            scope=scope,
            method=request.method,
            price_fen=0,
            creator_id=series.creator_id,
            ts_ms=ts_ms,
        )
        if request.method == "ad":
            if item is None:
                raise InvalidInput("a rewarded ad unlocks one episode", field="series_id")
            self._check_ad(session, request.ad_impression_id, user.id)
            row.ad_impression_id = request.ad_impression_id
        else:
            row.price_fen = wall.episode_price_fen if item is not None else wall.series_price_fen
            journal = postings.spend_coins(
                session,
                user_id=user.id,
                amount_fen=row.price_fen,
                creator_id=series.creator_id,
                creator_bp=self.creator_bp,
                revenue_account=repo.REVENUE_PAID_CONTENT,
                kind="unlock",
                txn_key=f"unlock:{user.id}:{scope}",
                ts_ms=ts_ms,
                day=day,
            )
            row.journal_id = journal.id
        repo.add(session, row)
        event = None
        if row.price_fen:
            event = {
                "id": f"unlock-{user.id}-{scope.replace(':', '-')}",
                "type": "purchase",
                "user_id": user.external_id,
                "item_id": item.external_id if item is not None else None,
                "ts_ms": ts_ms,
                "amount_fen": row.price_fen,
                "ref": f"unlock:{scope}",
            }
        return _public(row, created=True), event

    @staticmethod
    def _check_ad(session: Session, impression_id: str | None, user_id: int) -> None:
        if not impression_id:
            raise InvalidInput("an ad unlock needs ad_impression_id", field="ad_impression_id")
        if repo.ad_impression_user(session, impression_id=impression_id) != user_id:
            raise InvalidInput(
                f"ad impression {impression_id!r} was not recorded for this user",
                field="ad_impression_id",
            )
        if repo.unlock_by_impression(session, impression_id=impression_id) is not None:
            raise Conflict(
                f"ad impression {impression_id!r} already unlocked an episode",
                field="ad_impression_id",
            )


def _public(row: ComUnlock, *, created: bool) -> UnlockPublic:
    return UnlockPublic(
        scope=row.scope, method=row.method, price_fen=row.price_fen, created=created
    )
