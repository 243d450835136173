"""``laotie sim``: run the simulator against the real services, and A/B two configurations."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.table import Table

from laotie.cli._common import console, emit_json, settings
from laotie.cli._tables import fitted_tables
from laotie.core.clock import ManualClock
from laotie.core.errors import InvalidInput
from laotie.sim.ab import (
    MAX_REPLICATES,
    USER_KPIS,
    AaMode,
    Delta,
    aa_check,
    default_services,
    run_ab,
)
from laotie.sim.config import SimConfig, load_config
from laotie.sim.report import write_report
from laotie.sim.runner import DaySummary, Simulation, start_ms_of

app = typer.Typer(help="Simulate users on the real services; A/B test configurations.")

DAY_COLUMNS = (
    ("label", "day"),
    ("dau", "DAU"),
    ("impressions", "impr."),
    ("play_rate", "play"),
    ("long_view_rate", "long view"),
    ("like_rate", "like/play"),
    ("watch_minutes_per_dau", "min/DAU"),
    ("ad_impressions", "ads"),
    ("oracle_ndcg", "oracle NDCG"),
    ("mean_trust", "trust"),
)


def _fmt(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:.3f}"
    if isinstance(value, int):
        return f"{value:,}"
    return str(value)


def day_tables(rows: list[dict[str, Any]], *, title: str, width: int) -> list[Table]:
    """Per-day simulator summaries, one row a day, split by columns to fit ``width``."""
    (_, key), *columns = DAY_COLUMNS
    return fitted_tables(
        width=width,
        title=title,
        key=key,
        headers=[header for _, header in columns],
        rows=[[row["label"][5:], *(_fmt(row[k]) for k, _ in columns)] for row in rows],
    )


def _progress(summary: DaySummary) -> None:
    row = summary.as_row()
    console.print(
        f"day {summary.label}: DAU {summary.dau:,}, {summary.impressions:,} impressions, "
        f"{row['watch_minutes_per_dau']:.1f} min/DAU, oracle NDCG {summary.oracle_ndcg:.3f}"
    )


def _arm_progress(arm: str, summary: DaySummary) -> None:
    console.print(f"arm {arm}: ", end="")
    _progress(summary)


def config_of(
    path: Path | None,
    *,
    days: int | None,
    users: int | None,
    seed: int | None,
    policy: str | None,
    catalog: str | None,
) -> SimConfig:
    """The config from an optional TOML file with command-line overrides."""
    config = load_config(path, days=days, users=users, seed=seed, policy=policy)
    if catalog is not None:
        data = config.model_dump()
        data["world"]["catalog"] = catalog
        config = SimConfig.model_validate(data)
    return config


@app.command("run")
def run(
    days: Annotated[int | None, typer.Option(help="simulated days (default 5)")] = None,
    users: Annotated[int | None, typer.Option(help="simulated users (default 600)")] = None,
    seed: Annotated[int | None, typer.Option(help="seed of every random draw")] = None,
    policy: Annotated[
        str | None, typer.Option(help="feed (the real feed), popular, random or oracle")
    ] = None,
    config: Annotated[Path | None, typer.Option(help="TOML file with sim config sections")] = None,
    catalog: Annotated[
        str | None, typer.Option(help="'generated' or 'kuairec:DIR' (KuaiRec captions)")
    ] = None,
    out: Annotated[
        Path | None, typer.Option(help="run directory (default HOME/sim/run-SEED; emptied)")
    ] = None,
    json_out: Annotated[bool, typer.Option("--json", help="print JSON")] = False,
) -> None:
    """Simulate users day by day on the real services. Example: laotie sim run --days 3"""
    cfg = config_of(config, days=days, users=users, seed=seed, policy=policy, catalog=catalog)
    directory = out or settings().home / "sim" / f"run-{cfg.run.seed}"
    if directory.exists():
        shutil.rmtree(directory)
    directory.mkdir(parents=True)
    services = default_services(directory, ManualClock(start_ms_of(cfg)))
    try:
        result = Simulation(cfg, services, progress=None if json_out else _progress).run()
        html, report = write_report(result, services, directory)
    finally:
        services.close()
    rows = [d.as_row() for d in result.days]
    if json_out:
        emit_json({"days": rows, "report": str(html), "kpis": report.table.to_dicts()})
        return
    title = f"sim run ({cfg.run.policy}, seed {cfg.run.seed})"
    for part in day_tables(rows, title=title, width=console.width):
        console.print(part)
    console.print(f"report: {html}")


@app.command("ab")
def ab(
    config_a: Annotated[Path, typer.Argument(help="TOML config of arm A")],
    config_b: Annotated[Path, typer.Argument(help="TOML config of arm B")],
    days: Annotated[int | None, typer.Option(help="override run.days in both arms")] = None,
    users: Annotated[int | None, typer.Option(help="override run.users in both arms")] = None,
    seed: Annotated[int | None, typer.Option(help="override run.seed in both arms")] = None,
    resamples: Annotated[int, typer.Option(help="bootstrap resamples", min=100)] = 1000,
    replicates: Annotated[
        int,
        typer.Option(
            help="independent A/B pairs (seeds seed, seed+1, ...); the CI is across them. "
            "1: one pair, CI over users only (misses how a learning feed's arms drift apart)",
            min=1,
            max=MAX_REPLICATES,
        ),
    ] = 5,
    out: Annotated[Path | None, typer.Option(help="directory of both arms' homes")] = None,
    engine: Annotated[
        str,
        typer.Option(help="local: replicates in turn; spark: in parallel on LAOTIE_SPARK_MASTER"),
    ] = "local",
    json_out: Annotated[bool, typer.Option("--json", help="print JSON")] = False,
) -> None:
    """Run two configs on the same population, once per replicate seed; KPI deltas, 95% CIs.

    Example: laotie sim ab examples/sim/popular.toml examples/sim/full.toml --days 4
    """
    a = load_config(config_a, days=days, users=users, seed=seed)
    b = load_config(config_b, days=days, users=users, seed=seed)
    from laotie.engine import check_engine

    check_engine(engine)
    config = settings()
    root = out or config.home / "sim" / "ab"
    if engine == "spark":
        from laotie.engine import settings_session, spark_map

        with (
            console.status(f"{replicates} replicate(s) on {config.spark_master}..."),
            settings_session(config, app_name="laotie-sim-ab") as session,
        ):
            result = run_ab(
                a,
                b,
                root,
                resamples=resamples,
                replicates=replicates,
                map_replicates=spark_map(session),
            )
    else:
        result = run_ab(
            a,
            b,
            root,
            resamples=resamples,
            replicates=replicates,
            progress=None if json_out else _arm_progress,
        )
    if json_out:
        emit_json(
            [
                {
                    **d.__dict__,
                    "significant": d.significant,
                    "relative": d.relative,
                    "per_seed": {
                        str(seed): rows[k].delta
                        for seed, rows in zip(result.seeds, result.per_replicate, strict=True)
                    },
                }
                for k, d in enumerate(result.deltas)
            ]
        )
        return
    tables = ab_tables(result.deltas, a=a.run.policy, b=b.run.policy, width=console.width)
    if replicates > 1:
        first = result.deltas[0].kpi
        spread = ", ".join(
            f"{seed}: {rows[0].delta:+.3g}"
            for seed, rows in zip(result.seeds, result.per_replicate, strict=True)
        )
        tables[-1].caption = f"{first}, B - A per seed: {spread}"
    for table in tables:
        console.print(table)


def ab_tables(deltas: list[Delta], *, a: str, b: str, width: int) -> list[Table]:
    """The A/B table, split by columns to fit ``width``; over replicates it says so and how
    many of them B was ahead in."""
    replicates = deltas[0].replicates if deltas else 1
    over = (
        "95% bootstrap CI over users (one replicate: the arms' drift is not in it)"
        if replicates == 1
        else f"means of {replicates} replicates, 95% t-interval across them"
    )
    headers = ["A", "B", "B - A", "95% CI", "rel.", "sig."]
    if replicates > 1:
        headers.append("B ahead")
    rows = []
    for d in deltas:
        row = [
            d.kpi,
            f"{d.a:.3g}",
            f"{d.b:.3g}",
            f"{d.delta:+.3g}",
            f"[{d.low:+.3g}, {d.high:+.3g}]",
            f"{d.relative:+.1%}",
            "yes" if d.significant else "no",
        ]
        if replicates > 1:
            row.append(f"{d.b_ahead}/{replicates}")
        rows.append(row)
    title = f"A/B: B ({b}) vs A ({a}), {over}"
    return fitted_tables(width=width, title=title, key="KPI", headers=headers, rows=rows)


def _aa_mode(mode: str) -> AaMode:
    if mode not in ("split", "streams", "crn"):
        raise InvalidInput(f"--mode must be split, streams or crn, got {mode!r}", field="mode")
    return mode  # type: ignore[return-value]


@app.command("aa")
def aa(
    seeds: Annotated[int, typer.Option(help="number of seeds (0..N-1)", min=1)] = 20,
    config: Annotated[Path | None, typer.Option(help="TOML file with sim config sections")] = None,
    days: Annotated[int | None, typer.Option(help="simulated days")] = 3,
    users: Annotated[int | None, typer.Option(help="simulated users")] = 150,
    policy: Annotated[str | None, typer.Option(help="feed, popular, random or oracle")] = None,
    mode: Annotated[
        str, typer.Option(help="split (user-split, one run), streams or crn (two runs)")
    ] = "split",
    resamples: Annotated[int, typer.Option(help="bootstrap resamples", min=100)] = 1000,
    out: Annotated[Path | None, typer.Option(help="scratch directory of the arms")] = None,
    json_out: Annotated[bool, typer.Option("--json", help="print JSON")] = False,
) -> None:
    """A/A check: identical configs on independent streams; how often each KPI "differs".

    Example: laotie sim aa --seeds 20 --policy popular
    """
    cfg = load_config(config, days=days, users=users, policy=policy)
    root = out or settings().home / "sim" / "aa"
    check = aa_check(
        cfg,
        root,
        seeds=list(range(seeds)),
        mode=_aa_mode(mode),
        resamples=resamples,
        progress=None
        if json_out
        else (
            lambda seed, deltas: console.print(
                f"seed {seed}: significant: "
                + (", ".join(d.kpi for d in deltas if d.significant) or "none")
            )
        ),
    )
    rows = {k: check.share_not_significant(k) for k in USER_KPIS}
    if json_out:
        emit_json({"seeds": seeds, "significant": check.significant, "not_significant": rows})
        return
    table = Table(title=f"A/A over {seeds} seeds ({cfg.run.policy}, {mode}): share NOT significant")
    table.add_column("KPI")
    table.add_column("significant in", justify="right")
    table.add_column("not significant", justify="right")
    for kpi, share in rows.items():
        table.add_row(kpi, f"{check.significant[kpi]} / {seeds}", f"{share:.0%}")
    console.print(table)
