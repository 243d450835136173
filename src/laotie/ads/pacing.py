"""Budget pacing: probabilistic throttling driven by a controller on spend rate.

Every control step the controller sees each campaign's spend so far today and the traffic
since the last step. It estimates what a campaign would spend per request at full speed
(observed spend rate / serving probability, smoothed), and sets the serving probability so
the remaining budget spreads over the traffic still expected today. The hard stop (never
serve when the remaining budget cannot pay for one more charge) lives in the server.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime
from zoneinfo import ZoneInfo

import numpy as np

from laotie.core.clock import day_label


class TrafficProfile:
    """Requests per local hour of day, learned across days, to forecast the rest of today."""

    def __init__(self, *, timezone: str = "UTC", smoothing: float = 0.5) -> None:
        self.timezone = timezone
        self.smoothing = smoothing
        self._zone = ZoneInfo(timezone)
        self._hourly = np.full(24, 1.0 / 24)
        self._learned_days = 0
        self._counts: dict[str, np.ndarray] = defaultdict(lambda: np.zeros(24))
        self._day_totals: dict[str, float] = {}

    def _local(self, now_ms: int) -> tuple[str, int, float]:
        local = datetime.fromtimestamp(now_ms / 1000, tz=self._zone)
        minute_fraction = (local.minute * 60 + local.second) / 3600
        return day_label(now_ms, self.timezone), local.hour, minute_fraction

    def observe(self, now_ms: int, requests: int = 1) -> None:
        """Count ``requests`` at ``now_ms``; closing a day folds its shape into the profile."""
        day, hour, _ = self._local(now_ms)
        if day not in self._counts:
            for old_day in list(self._counts):
                self._close(old_day)
        self._counts[day][hour] += requests

    def _close(self, day: str) -> None:
        counts = self._counts.pop(day)
        total = counts.sum()
        if total <= 0:
            return
        self._day_totals[day] = float(total)
        shape = counts / total
        weight = 1.0 if self._learned_days == 0 else self.smoothing
        self._hourly = (1 - weight) * self._hourly + weight * shape
        self._hourly /= self._hourly.sum()
        self._learned_days += 1

    def remaining_share(self, now_ms: int) -> float:
        """Share of a day's traffic expected after ``now_ms`` (0..1) by the learned shape."""
        _, hour, fraction = self._local(now_ms)
        rest_of_hour = self._hourly[hour] * (1.0 - fraction)
        return float(min(1.0, rest_of_hour + self._hourly[hour + 1 :].sum()))

    def expected_remaining(self, now_ms: int) -> float:
        """Requests still expected today: today's pace extrapolated (yesterday's early on)."""
        day, _, _ = self._local(now_ms)
        seen = float(self._counts[day].sum()) if day in self._counts else 0.0
        remaining = self.remaining_share(now_ms)
        elapsed = 1.0 - remaining
        previous = list(self._day_totals.values())[-1] if self._day_totals else None
        if previous is not None and elapsed < 0.1:
            return previous * remaining
        return seen / max(elapsed, 1e-3) * remaining


class PacingController:
    """Serving probabilities per campaign, re-set every control step (see module docstring).

    The full-speed spend rate is a ratio of exponentially decayed sums (spend over requests
    weighted by the probability in force), which stays steady when spend is lumpy (a few
    clicks an hour); ``memory_steps`` is its time constant in control steps.
    """

    def __init__(
        self,
        *,
        min_probability: float = 1e-3,
        memory_steps: float = 60.0,
        max_step_up: float = 2.0,
    ) -> None:
        self.min_probability = min_probability
        self.memory_steps = memory_steps
        self.max_step_up = max_step_up
        self.probability_ = np.ones(0)
        self.full_rate_ = np.zeros(0)
        self._spend = np.zeros(0)
        self._exposure = np.zeros(0)
        self._last_spent = np.zeros(0)

    def reset(self, size: int, *, spent_fen: np.ndarray | None = None) -> None:
        """Start tracking ``size`` campaigns (a new day or a new campaign set)."""
        self.probability_ = np.ones(size)
        self.full_rate_ = np.full(size, np.nan)
        self._spend = np.zeros(size)
        self._exposure = np.zeros(size)
        self._last_spent = (
            np.zeros(size) if spent_fen is None else np.asarray(spent_fen, dtype=float).copy()
        )

    def step(
        self,
        *,
        spent_fen: np.ndarray,
        budget_fen: np.ndarray,
        interval_requests: float,
        remaining_requests: float,
    ) -> np.ndarray:
        """New serving probabilities from cumulative spend today and traffic since the last step.

        ``spent_fen``/``budget_fen`` are per campaign (fen); ``interval_requests`` is how many
        ad requests arrived since the last step; ``remaining_requests`` is the forecast for
        the rest of the day.
        """
        spent = np.asarray(spent_fen, dtype=float)
        if spent.size != self.probability_.size:
            self.reset(spent.size, spent_fen=spent)
            return self.probability_
        decay = 1.0 - 1.0 / self.memory_steps
        delta = np.maximum(spent - self._last_spent, 0.0)
        self._spend = decay * self._spend + delta
        self._exposure = decay * self._exposure + self.probability_ * interval_requests
        self._last_spent = spent.copy()
        with np.errstate(divide="ignore", invalid="ignore"):
            self.full_rate_ = np.where(self._exposure > 0, self._spend / self._exposure, np.nan)
        remaining_budget = np.maximum(np.asarray(budget_fen, dtype=float) - spent, 0.0)
        desired = remaining_budget / max(remaining_requests, 1.0)
        rate = np.nan_to_num(self.full_rate_, nan=0.0)
        with np.errstate(divide="ignore", invalid="ignore"):
            wanted = np.where(rate > 0, desired / rate, 1.0)
        capped = np.minimum(
            wanted, np.maximum(self.probability_, self.min_probability) * self.max_step_up
        )
        probability = np.clip(capped, self.min_probability, 1.0)
        self.probability_ = np.where(remaining_budget > 0, probability, 0.0)
        return self.probability_
