"""``laotie bench report``: a 30-day KPI report over a Parquet event lake, laotie vs DuckDB SQL.

A synthetic lake (default 10,000,000 events over 30 local days, written as zstd Parquet in
the lake's layout ``day=YYYY-MM-DD/part-*.parquet`` with integer type codes) is queried twice
in the same run: by ``laotie.insights`` (Polars: the daily KPI table, kind mix and cohort
retention) and by the same report written directly in DuckDB SQL. Both read the same files
from a cold start of each query; each answer is checked against the other before timing
counts. ``--quick`` uses 300,000 events.
"""

from __future__ import annotations

import json
import os
import tempfile
import time
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import duckdb
import numpy as np
import polars as pl
from _machine import hardware
from rich.console import Console
from rich.table import Table

from laotie.core.events import EVENT_CODES
from laotie.core.watch import LONG_VIEW, passes_sql
from laotie.insights.kpis import NEW_ITEM_AGE_MS
from laotie.insights.report import build_report

console = Console()
RESULTS = Path(__file__).resolve().parent / "results" / "report.json"
TZ = "Asia/Shanghai"
FIRST_DAY = date(2026, 3, 1)
TYPE_SHARES = {
    "impression": 0.42,
    "play": 0.19,
    "watch": 0.19,
    "like": 0.025,
    "follow": 0.004,
    "comment": 0.004,
    "share": 0.003,
    "hate": 0.008,
    "ad_impression": 0.05,
    "ad_click": 0.004,
    "ad_conversion": 0.0008,
    "purchase": 0.0012,
}
ITEM_TYPES = ("impression", "play", "watch", "like", "follow", "comment", "share", "hate")


def _local_midnights(first: date, days: int) -> np.ndarray:
    zone = ZoneInfo(TZ)
    return np.array(
        [
            int(datetime.combine(first + timedelta(days=i), datetime.min.time(), zone).timestamp())
            * 1000
            for i in range(days + 1)
        ],
        dtype=np.int64,
    )


def synthetic_world(
    *, n_events: int, days: int = 30, seed: int = 7
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """(events, items): a growing population with decaying activity, Zipf item popularity,
    AIGC share rising over time and a diurnal profile. ``type`` holds the lake's int codes."""
    rng = np.random.default_rng(seed)
    midnights = _local_midnights(FIRST_DAY, days)
    n_users = max(500, n_events // 150)
    n_items = max(300, n_events // 400)
    n_creators = max(20, n_items // 25)

    kinds = rng.choice(["video", "episode", "chapter", "game"], n_items, p=[0.6, 0.25, 0.1, 0.05])
    created = rng.integers(midnights[0] - 20 * 86_400_000, midnights[-1], n_items)
    age = (created - created.min()) / (midnights[-1] - created.min())
    aigc = np.where(rng.random(n_items) < 0.08 + 0.3 * age, "declared", "none")
    aigc = np.where((aigc == "declared") & (rng.random(n_items) < 0.3), "confirmed", aigc)
    base_ms = {"video": 25_000, "episode": 110_000, "chapter": 300_000, "game": 600_000}
    duration = np.array([base_ms[k] for k in kinds]) * rng.lognormal(0, 0.5, n_items)
    items = pl.DataFrame(
        {
            "id": np.arange(1, n_items + 1),
            "kind": kinds,
            "creator_id": (rng.zipf(1.6, n_items) % n_creators) + 1,
            "created_at_ms": created,
            "aigc_status": aigc,
            "duration_ms": duration.astype(np.int64),
        }
    )

    join_day = np.floor(rng.random(n_users) ** 1.6 * days).astype(np.int64)
    activity = rng.beta(3, 2, n_users)
    day_grid = np.arange(days)
    since = day_grid[None, :] - join_day[:, None]
    p_active = np.where(since >= 0, activity[:, None] * 0.985 ** np.maximum(since, 0), 0.0)
    p_active[np.arange(n_users), join_day] = 1.0
    users, active_days = np.nonzero(rng.random((n_users, days)) < p_active)
    weight = rng.lognormal(0, 0.8, n_users)[users]
    pair = rng.choice(len(users), n_events, p=weight / weight.sum())

    names = list(TYPE_SHARES)
    shares = np.array(list(TYPE_SHARES.values()))
    type_names = rng.choice(len(names), n_events, p=shares / shares.sum())
    codes = np.array([EVENT_CODES[n] for n in names], dtype=np.int16)[type_names]
    on_item = np.isin(codes, [EVENT_CODES[t] for t in ITEM_TYPES])
    popularity = 1.0 / np.arange(1, n_items + 1) ** 0.9
    item = rng.choice(n_items, n_events, p=popularity / popularity.sum()) + 1
    hour_weights = np.array(
        [2, 1, 1, 1, 1, 1, 2, 4, 5, 5, 5, 6, 8, 7, 5, 5, 5, 6, 8, 10, 12, 12, 9, 5.0]
    )
    hour = rng.choice(24, n_events, p=hour_weights / hour_weights.sum())
    day = active_days[pair]
    ts = midnights[day] + hour * 3_600_000 + rng.integers(0, 3_600_000, n_events)
    is_watch = codes == EVENT_CODES["watch"]
    item_duration = items["duration_ms"].to_numpy()[item - 1]
    watch = (item_duration * rng.beta(1.1, 1.6, n_events) * 1.15).astype(np.int64)
    is_purchase = codes == EVENT_CODES["purchase"]
    amount = rng.choice([600, 1_800, 3_000, 9_900], n_events)
    events = pl.DataFrame(
        {
            "event_id": np.arange(1, n_events + 1, dtype=np.int64),
            "type": codes,
            "user_id": users[pair].astype(np.int64) + 1,
            "item_id": np.where(on_item, item, 0),
            "ts_ms": ts,
            "watch_ms": np.where(is_watch, watch, 0),
            "duration_ms": np.where(is_watch, item_duration, 0),
            "amount_fen": np.where(is_purchase, amount, 0),
            "device_id": (users[pair] * 2 + rng.integers(0, 2, n_events)).astype(np.int64),
            "_watch": is_watch,
            "_purchase": is_purchase,
        }
    ).with_columns(
        pl.format("c{}", "event_id").alias("client_event_id"),
        pl.when(pl.col("item_id") > 0).then(pl.col("item_id")).alias("item_id"),
        pl.when("_watch").then(pl.col("watch_ms")).alias("watch_ms"),
        pl.when("_watch").then(pl.col("duration_ms")).alias("duration_ms"),
        pl.when("_purchase").then(pl.col("amount_fen")).alias("amount_fen"),
        pl.lit(None, dtype=pl.Float64).alias("value"),
        pl.lit(None, dtype=pl.String).alias("ref"),
        pl.format("r{}", pl.col("event_id") // 8).alias("request_id"),
        pl.format("d{}", "device_id").alias("device_id"),
    )
    order = [
        "event_id",
        "client_event_id",
        "type",
        "user_id",
        "item_id",
        "ts_ms",
        "watch_ms",
        "duration_ms",
        "value",
        "amount_fen",
        "ref",
        "request_id",
        "device_id",
    ]
    return events.select(order).sort("ts_ms"), items


def write_lake(events: pl.DataFrame, root: Path) -> int:
    """Write ``events`` as one zstd Parquet part per UTC day; returns the number of parts."""
    dated = events.with_columns(
        pl.from_epoch("ts_ms", time_unit="ms").dt.date().cast(pl.String).alias("_day")
    )
    parts = 0
    for (day,), frame in dated.group_by("_day", maintain_order=True):
        folder = root / f"day={day}"
        folder.mkdir(parents=True, exist_ok=True)
        frame.drop("_day").write_parquet(folder / "part-0.parquet", compression="zstd")
        parts += 1
    return parts


def scan_lake(root: Path) -> pl.LazyFrame:
    """The lake's Parquet parts as a lazy frame (``type`` as stored: its integer code)."""
    return pl.scan_parquet(root / "day=*" / "*.parquet")


def laotie_report(root: Path, items: pl.DataFrame) -> dict[str, pl.DataFrame]:
    """The report through laotie.insights."""
    report = build_report(scan_lake(root), items, tz=TZ, by="day")
    return {"table": report.table, "mix": report.mix, "cohorts": report.cohorts}


def duckdb_report(root: Path, items: pl.DataFrame, *, threads: int) -> dict[str, pl.DataFrame]:
    """The same report written directly in DuckDB SQL."""
    con = duckdb.connect(config={"threads": threads})
    con.register("items_src", items.to_arrow())
    code = EVENT_CODES
    glob = str(root / "day=*" / "*.parquet")
    con.execute(
        f"""
        CREATE TEMP TABLE ev AS
        SELECT e.type, e.user_id, e.item_id, e.ts_ms, e.watch_ms, e.duration_ms, e.amount_fen,
               CAST(timezone('{TZ}', to_timestamp(e.ts_ms / 1000.0)) AS DATE) AS day,
               i.kind, i.creator_id, i.created_at_ms,
               i.aigc_status IN ('declared', 'suspected', 'confirmed') AS is_aigc
        FROM read_parquet('{glob}') e LEFT JOIN items_src i ON i.id = e.item_id
        """
    )
    con.execute(
        f"CREATE TEMP TABLE ud AS SELECT DISTINCT user_id, day FROM ev "
        f"WHERE type <> {code['trust_decision']}"
    )
    table = con.sql(
        f"""
        WITH cal AS (SELECT day FROM (SELECT DISTINCT day FROM ud)),
        counts AS (
          SELECT day,
            count(*) FILTER (WHERE type = {code["impression"]}) AS impressions,
            count(*) FILTER (WHERE type = {code["play"]}) AS plays,
            coalesce(sum(watch_ms) FILTER (WHERE type = {code["watch"]}), 0) AS watch_ms,
            count(*) FILTER (WHERE type = {code["watch"]} AND {passes_sql(LONG_VIEW)})
                AS long_views,
            count(*) FILTER (WHERE type = {code["like"]}) AS likes,
            count(*) FILTER (WHERE type = {code["follow"]}) AS follows,
            count(*) FILTER (WHERE type = {code["hate"]}) AS hates,
            count(*) FILTER (WHERE type = {code["impression"]} AND is_aigc) AS aigc_impressions,
            coalesce(sum(watch_ms) FILTER (WHERE type = {code["watch"]} AND is_aigc), 0)
                AS aigc_watch_ms,
            count(*) FILTER (WHERE type = {code["impression"]}
                AND ts_ms - created_at_ms < {NEW_ITEM_AGE_MS}) AS new_item_impressions,
            count(*) FILTER (WHERE type = {code["ad_impression"]}) AS ad_impressions,
            count(*) FILTER (WHERE type = {code["ad_click"]}) AS ad_clicks,
            count(*) FILTER (WHERE type = {code["ad_conversion"]}) AS ad_conversions,
            coalesce(sum(amount_fen) FILTER (WHERE type = {code["purchase"]}), 0) AS gmv_fen,
            count(DISTINCT user_id) FILTER (WHERE type = {code["purchase"]}) AS paying_users
          FROM ev GROUP BY day),
        dau AS (SELECT day, count(*) AS dau FROM ud GROUP BY day),
        wau AS (SELECT c.day, count(DISTINCT u.user_id) AS wau FROM cal c JOIN ud u
                ON u.day BETWEEN c.day - 6 AND c.day GROUP BY c.day),
        mau AS (SELECT c.day, count(DISTINCT u.user_id) AS mau FROM cal c JOIN ud u
                ON u.day BETWEEN c.day - 29 AND c.day GROUP BY c.day),
        ret AS (SELECT a.day,
                  count(*) AS base,
                  count(b1.user_id) AS d1_retained,
                  count(b7.user_id) AS d7_retained
                FROM ud a
                LEFT JOIN ud b1 ON b1.user_id = a.user_id AND b1.day = a.day + 1
                LEFT JOIN ud b7 ON b7.user_id = a.user_id AND b7.day = a.day + 7
                GROUP BY a.day),
        last AS (SELECT max(day) AS last_day FROM ud),
        exposure AS (SELECT day, creator_id, count(*) AS x FROM ev
                     WHERE type = {code["impression"]} AND creator_id IS NOT NULL
                     GROUP BY day, creator_id),
        firsts AS (SELECT creator_id, min(created_at_ms) AS first_ms FROM items_src
                   GROUP BY creator_id),
        eligible AS (SELECT c.day, count(f.creator_id) AS n FROM cal c JOIN firsts f ON
                     f.first_ms < epoch_ms(timezone('{TZ}', CAST(c.day + 1 AS TIMESTAMP)))
                     GROUP BY c.day),
        ranked AS (SELECT day, x, row_number() OVER (PARTITION BY day ORDER BY x) AS r,
                   count(*) OVER (PARTITION BY day) AS k FROM exposure),
        gini AS (SELECT r.day, 2.0 * sum((greatest(e.n, r.k) - r.k + r.r) * r.x)
                   / (max(greatest(e.n, r.k)) * sum(r.x))
                   - (max(greatest(e.n, r.k)) + 1.0) / max(greatest(e.n, r.k))
                   AS creator_exposure_gini
                 FROM ranked r JOIN eligible e USING (day) GROUP BY r.day)
        SELECT cal.day AS period, dau.dau, wau.wau, mau.mau, counts.*,
          CASE WHEN cal.day + 1 <= last.last_day THEN ret.base END AS d1_base,
          CASE WHEN cal.day + 1 <= last.last_day THEN ret.d1_retained END AS d1_retained,
          CASE WHEN cal.day + 7 <= last.last_day THEN ret.base END AS d7_base,
          CASE WHEN cal.day + 7 <= last.last_day THEN ret.d7_retained END AS d7_retained,
          gini.creator_exposure_gini
        FROM cal CROSS JOIN last
        LEFT JOIN dau USING (day) LEFT JOIN wau USING (day) LEFT JOIN mau USING (day)
        LEFT JOIN counts USING (day) LEFT JOIN ret USING (day) LEFT JOIN gini USING (day)
        ORDER BY period
        """
    ).pl()
    mix = con.sql(
        f"""
        WITH m AS (SELECT day AS period, coalesce(kind, 'unknown') AS kind,
            count(*) FILTER (WHERE type = {code["impression"]}) AS impressions,
            count(*) FILTER (WHERE type = {code["play"]}) AS plays,
            coalesce(sum(watch_ms) FILTER (WHERE type = {code["watch"]}), 0) AS watch_ms
          FROM ev WHERE type IN ({code["impression"]}, {code["play"]}, {code["watch"]})
          GROUP BY ALL)
        SELECT *, impressions / sum(impressions) OVER (PARTITION BY period) AS impression_share,
               watch_ms / sum(watch_ms) OVER (PARTITION BY period) AS watch_share
        FROM m ORDER BY period, kind
        """
    ).pl()
    offsets = range(8)
    counted = ", ".join(f"count(*) FILTER (WHERE off = {k}) AS u{k}" for k in offsets)
    shares = ", ".join(
        f"CASE WHEN s.cohort + {k} <= last.last_day THEN coalesce(c.u{k}, 0) / s.size END AS d{k}"
        for k in offsets
    )
    cohorts = con.sql(
        f"""
        WITH f AS (SELECT user_id, min(day) AS cohort FROM ud GROUP BY user_id),
        j AS (SELECT f.cohort, u.day - f.cohort AS off FROM ud u JOIN f USING (user_id)),
        s AS (SELECT cohort, count(*) AS size FROM f GROUP BY cohort),
        c AS (SELECT cohort, {counted} FROM j GROUP BY cohort),
        last AS (SELECT max(day) AS last_day FROM ud)
        SELECT s.cohort, s.size, {shares}
        FROM s CROSS JOIN last LEFT JOIN c USING (cohort) ORDER BY s.cohort
        """
    ).pl()
    con.close()
    return {"table": table, "mix": mix, "cohorts": cohorts}


def _check_same(ours: dict[str, pl.DataFrame], theirs: dict[str, pl.DataFrame]) -> None:
    """Raise if the two reports disagree on any shared KPI column."""
    a, b = ours["table"], theirs["table"]
    for column in (
        "dau",
        "wau",
        "mau",
        "impressions",
        "long_views",
        "watch_ms",
        "aigc_watch_ms",
        "new_item_impressions",
        "gmv_fen",
        "paying_users",
        "d1_retained",
        "d7_base",
    ):
        left = a[column].cast(pl.Float64).fill_null(-1).to_list()
        right = b[column].cast(pl.Float64).fill_null(-1).to_list()
        if left != right:
            raise AssertionError(f"laotie and DuckDB disagree on {column}: {left[:3]} {right[:3]}")
    gini_a = a["creator_exposure_gini"].to_numpy()
    gini_b = b["creator_exposure_gini"].fill_null(0.0).to_numpy()
    if not np.allclose(gini_a, gini_b, atol=1e-9):
        raise AssertionError("laotie and DuckDB disagree on creator_exposure_gini")
    if ours["mix"]["watch_ms"].sum() != theirs["mix"]["watch_ms"].sum():
        raise AssertionError("laotie and DuckDB disagree on the kind mix")
    left = ours["cohorts"].select("size", "d1").fill_null(-1).rows()
    right = theirs["cohorts"].select("size", "d1").fill_null(-1).rows()
    if [(s, round(d, 12)) for s, d in left] != [(s, round(d, 12)) for s, d in right]:
        raise AssertionError("laotie and DuckDB disagree on cohort retention")


def _timed(fn: Any, repeats: int) -> tuple[float, Any]:
    best, result = float("inf"), None
    for _ in range(repeats):
        start = time.perf_counter()
        result = fn()
        best = min(best, time.perf_counter() - start)
    return best, result


def run(quick: bool = False) -> dict[str, Any]:
    """Generate the lake, time both reports (best of N), check they agree, write JSON."""
    n_events = 300_000 if quick else 10_000_000
    repeats = 3 if quick else 2
    threads = os.cpu_count() or 1
    with tempfile.TemporaryDirectory(prefix="laotie-bench-report-") as tmp:
        root = Path(tmp) / "lake" / "events"
        start = time.perf_counter()
        events, items = synthetic_world(n_events=n_events)
        parts = write_lake(events, root)
        del events
        generate_s = time.perf_counter() - start
        pl_s, ours = _timed(lambda: laotie_report(root, items), repeats)
        duck_s, theirs = _timed(lambda: duckdb_report(root, items, threads=threads), repeats)
        _check_same(ours, theirs)
    result = {
        "benchmark": "report",
        "date": date.today().isoformat(),
        "hardware": hardware(),
        "load_average_1m_at_end": round(os.getloadavg()[0], 2),
        "events": n_events,
        "days": 30,
        "lake_parts": parts,
        "generate_s": round(generate_s, 2),
        "laotie_s": round(pl_s, 3),
        "duckdb_sql_s": round(duck_s, 3),
        "ratio_laotie_over_duckdb": round(pl_s / duck_s, 3),
        "polars": pl.__version__,
        "duckdb": duckdb.__version__,
        "quick": quick,
    }
    table = Table(title=f"30-day KPI report over {n_events:,} events (best of {repeats})")
    for column in ("engine", "seconds", "ratio vs DuckDB SQL"):
        table.add_column(column)
    table.add_row("laotie insights (Polars)", f"{pl_s:.3f}", f"{pl_s / duck_s:.2f}")
    table.add_row("DuckDB SQL (peer)", f"{duck_s:.3f}", "1.00")
    console.print(table)
    console.print(
        f"answers agree; hardware: {result['hardware']}; "
        f"load average {result['load_average_1m_at_end']}"
    )
    target = RESULTS.with_name("report_quick.json") if quick else RESULTS
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    return result
