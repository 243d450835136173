"""``laotie feed USER``, ``laotie train`` and ``laotie evaluate DATASET``."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.table import Table

from laotie.cli._common import console, emit_json, services
from laotie.cli._tables import compact_table
from laotie.core.errors import InvalidInput

if TYPE_CHECKING:
    import polars as pl

    from laotie.sim.truth import GroundTruth
    from laotie.wiring import Services


def feed(
    user: Annotated[str, typer.Argument(help="user id (unknown users get a cold-start feed)")],
    n: Annotated[int, typer.Option("-n", help="entries on the page, 1..100")] = 20,
    kind: Annotated[list[str] | None, typer.Option("--kind", help="only these kinds")] = None,
    explain: Annotated[bool, typer.Option(help="sources, predictions and adjustments")] = False,
    log: Annotated[
        bool,
        typer.Option(
            "--log", help="log the page's impressions and run its ad auctions, as a request would"
        ),
    ] = False,
    as_json: Annotated[bool, typer.Option("--json", help="machine-readable output")] = False,
) -> None:
    """Show a user's feed page (an inspection: nothing logged unless --log).

    Example: laotie feed u42 -n 10 --explain"""
    svc = services()
    try:
        page = svc.feed.feed(user, n=n, kinds=kind, explain=explain, log=log)
    finally:
        svc.close()
    if as_json:
        emit_json(page.model_dump(exclude_none=True))
        return
    for warning in page.warnings:
        console.print(f"[yellow]warning:[/] {warning}")
    table = compact_table(
        title=f"feed for {user} (model {page.model_version or 'none'}, "
        f"{page.candidates} candidates, request {page.request_id})"
    )
    ids = [e.impression_id if e.type == "ad" else e.id for e in page.entries]
    table.add_column("#", justify="right")
    # ids keep their width; the title wraps
    table.add_column("item", no_wrap=True, min_width=max(map(len, ids), default=4))
    table.add_column("kind", no_wrap=True)
    table.add_column("title", overflow="fold")
    table.add_column("score", justify="right", no_wrap=True)
    why = compact_table(title="why each item (--explain)")
    why.add_column("#", justify="right")
    for column in ("sources", "predictions", "fused", "adjustments"):
        why.add_column(column, justify="right" if column == "fused" else "left")
    for entry, shown_id in zip(page.entries, ids, strict=True):
        if entry.type == "ad":
            table.add_row(str(entry.position), shown_id, "ad", entry.title, "")
            continue
        table.add_row(str(entry.position), shown_id, entry.kind, entry.title, f"{entry.score:.3f}")
        if explain and entry.explain is not None:
            e = entry.explain
            why.add_row(
                str(entry.position),
                ", ".join(e.sources),
                " ".join(f"{k}={v:.3f}" for k, v in e.predictions.items()),
                f"{e.fused:.3f}",
                "; ".join(e.adjustments),
            )
    console.print(table)
    if explain:
        console.print(why)


similar_app = typer.Typer(help="Items or users like a given one (trained vectors).")


@similar_app.command("item")
def similar_item(
    item: Annotated[str, typer.Argument(help="item id")],
    n: Annotated[int, typer.Option("-n", help="items, 1..100")] = 20,
    as_json: Annotated[bool, typer.Option("--json", help="machine-readable output")] = False,
) -> None:
    """Items like ITEM. Example: laotie similar item v123 -n 10"""
    svc = services()
    try:
        result = svc.feed.similar_items(item, n=n)
    finally:
        svc.close()
    if as_json:
        emit_json(result.model_dump())
        return
    table = Table(title=f"like {item} (basis {result.basis}, model {result.model_version})")
    for column in ("#", "item", "kind", "title", "score"):
        table.add_column(column)
    for rank, entry in enumerate(result.items, start=1):
        table.add_row(str(rank), entry.id, entry.kind, entry.title, f"{entry.score:.3f}")
    console.print(table)


@similar_app.command("user")
def similar_user(
    user: Annotated[str, typer.Argument(help="user id")],
    n: Annotated[int, typer.Option("-n", help="users, 1..100")] = 20,
    as_json: Annotated[bool, typer.Option("--json", help="machine-readable output")] = False,
) -> None:
    """Users whose taste is like USER's. Example: laotie similar user u42"""
    svc = services()
    try:
        result = svc.feed.similar_users(user, n=n)
    finally:
        svc.close()
    if as_json:
        emit_json(result.model_dump())
        return
    table = Table(title=f"like {user} (basis {result.basis}, model {result.model_version})")
    for column in ("#", "user", "score"):
        table.add_column(column)
    for rank, entry in enumerate(result.users, start=1):
        table.add_row(str(rank), entry.id, f"{entry.score:.3f}")
    console.print(table)


def train(
    engine: Annotated[
        str,
        typer.Option(help="local: this process; spark: the ALS fit on Spark (LAOTIE_SPARK_MASTER)"),
    ] = "local",
    as_json: Annotated[bool, typer.Option("--json", help="machine-readable output")] = False,
) -> None:
    """Train a new model version from the event log and make it current. Example: laotie train"""
    from laotie.engine import check_engine

    check_engine(engine)
    svc = services()
    try:
        with console.status(f"training the feed on {engine} (ALS, co-visitation, ranker)..."):
            if engine == "spark":
                from laotie.engine import settings_session, spark_factorise

                with settings_session(svc.settings, app_name="laotie-train") as session:
                    report = svc.feed.train(factorise=spark_factorise(session))
            else:
                report = svc.feed.train()
        version = svc.feed.served.version
    finally:
        svc.close()
    summary = {
        "version": version,
        "engine": engine,
        "window": report.window,
        "counts": report.counts,
        "metrics": report.metrics,
        "timings_s": report.timings,
    }
    if as_json:
        emit_json(summary)
        return
    console.print(
        f"model [bold]{version}[/] trained in {sum(report.timings.values()):.1f} s "
        f"on {report.counts.get('events', 0):,} events"
    )
    table = Table(title="offline metrics (holdout users)")
    table.add_column("metric")
    table.add_column("value")
    for name, value in report.metrics.items():
        if isinstance(value, dict):  # the blend gate's NDCG per choice
            value = ", ".join(f"{k} {v:.4f}" for k, v in value.items())
        table.add_row(
            name, "-" if value is None else value if isinstance(value, str) else f"{value:.4f}"
        )
    console.print(table)


def evaluate(
    dataset: Annotated[
        str,
        typer.Argument(
            help="home, movielens:DIR, kuairand:DIR, kuairec:DIR or world:USERS (generated)"
        ),
    ],
    protocol: Annotated[str, typer.Option(help="temporal or stratified")] = "temporal",
    k: Annotated[int, typer.Option("-k", help="cut-off of the top-K metrics")] = 10,
    test_share: Annotated[float, typer.Option(help="share of each user's items held out")] = 0.25,
    max_users: Annotated[int, typer.Option(help="users evaluated at most (sampled)")] = 2000,
    relevance: Annotated[
        str, typer.Option(help="positive (held-out positives) or all (every held-out item)")
    ] = "positive",
    ablation: Annotated[
        bool, typer.Option("--ablation", help="also score every source and stage alone")
    ] = False,
    as_json: Annotated[bool, typer.Option("--json", help="machine-readable output")] = False,
) -> None:
    """Evaluate the pipeline against popular, plain ALS, EASE and random baselines.

    Example: laotie evaluate movielens:./ml-latest-small --protocol stratified --ablation
    """
    from laotie.feed.datasets import read_dataset
    from laotie.feed.evaluation import evaluate as run_evaluation
    from laotie.feed.store import window_data

    if not 1 <= k <= 1000:
        raise InvalidInput(f"k must be between 1 and 1000, got {k}", field="k", limit="1..1000")
    name, _, directory = dataset.partition(":")
    truth = None
    if name == "home":
        svc = services()
        try:
            data = window_data(svc.feed.store, start_ms=0, end_ms=svc.clock.now_ms() + 1)
            truth = _ground_truth(svc, data.items)
        finally:
            svc.close()
    elif name == "world":
        data = _generated_world(directory)
    else:
        from laotie.store.importers import DATASETS

        if name not in DATASETS:
            known = ", ".join(["home", *(f"{n}:DIR" for n in sorted(DATASETS))])
            raise InvalidInput(f"unknown dataset {name!r}; known: {known}", field="dataset")
        if not directory:
            raise InvalidInput(f"dataset {name!r} needs a directory: {name}:DIR", field="dataset")
        data = read_dataset(name, Path(directory).expanduser())
    with console.status(f"evaluating on {dataset} ({protocol})..."):
        result = run_evaluation(
            data,
            protocol=protocol,
            test_share=test_share,
            k=k,
            max_users=max_users,
            truth=truth,
            relevance=relevance,
            with_ablation=ablation,
        )
    result["dataset"] = dataset
    if as_json:
        emit_json(result)
        return
    table = Table(
        title=f"{dataset}: {protocol}, relevance {relevance}, "
        f"{result['users_evaluated']} users, K={k}"
    )
    table.add_column("method")
    metrics = list(next(iter(result["methods"].values())))
    for metric in metrics:
        table.add_column(metric, justify="right")
    for method, values in result["methods"].items():
        table.add_row(method, *(f"{values[m]:.4f}" for m in metrics))
    console.print(table)
    if result["objectives"]:
        objectives = Table(title="ranker objectives (test pairs)")
        for column in ("objective", "auc", "gauc", "logloss", "popular auc", "positives"):
            objectives.add_column(column, justify="right")
        for name_, v in result["objectives"].items():
            objectives.add_row(
                name_,
                *(
                    ("-" if v[m] is None else f"{v[m]:.4f}")
                    for m in ("auc", "gauc", "logloss", "popular_auc")
                ),
                str(v["positives"]),
            )
        console.print(objectives)
    if result["watch_time"]:
        w = result["watch_time"]
        console.print(
            f"watch time: XAUC {w['xauc']:.4f}, MAE {w['mae_ms'] / 1000:.1f} s "
            f"over {w['rows']} plays"
        )
    from laotie.feed.evaluation import MIN_USERS_TO_COMPARE, POPULAR_CAPPED

    for key, baseline in (("vs_popular", "popular"), ("vs_popular_capped", POPULAR_CAPPED)):
        gap = result[key]
        diff = gap[f"ndcg@{k}_diff"]
        low, high = gap["ci95"]
        if gap["significant"]:
            certainty = "significant"
        elif gap["users"] < MIN_USERS_TO_COMPARE:
            certainty = f"NOT significant: too few users, under {MIN_USERS_TO_COMPARE}"
        else:
            certainty = "NOT significant: the interval crosses zero"
        console.print(
            f"pipeline {'beats' if diff > 0 else 'does NOT beat'} {baseline} on NDCG@{k}: "
            f"{diff:+.4f}, 95% CI [{low:+.4f}, {high:+.4f}] over {gap['users']} users "
            f"({certainty})"
        )
    best = result["vs_best_baseline"]
    low, high = best["ci95"]
    console.print(
        f"pipeline - best baseline ({best['baseline']}) on NDCG@{k}: "
        f"{best[f'ndcg@{k}_diff']:+.4f}, 95% CI [{low:+.4f}, {high:+.4f}]"
    )
    if "ablation" in result:
        _print_ablation(result["ablation"], k)
    if "ground_truth" in result:
        _print_ground_truth(result["ground_truth"], k)


def _generated_world(users: str) -> Any:
    """``world:USERS``: the simulator's world logged (``sim.logged``) with USERS users, 1.25
    items and 50 events per user, seed 0 (``world:4000`` is the docs' 4,000-user world)."""
    from laotie.sim.logged import logged_world

    if not users.isdigit() or not 10 <= int(users) <= 100_000:
        raise InvalidInput(
            f"world:USERS needs a user count of 10..100000, got {users!r}",
            field="dataset",
            limit="10..100000",
        )
    n = int(users)
    return logged_world(items=n * 5 // 4, users=n, events=n * 50, seed=0)


def _print_ablation(result: dict[str, Any], k: int) -> None:
    table = Table(title=f"ablation: each stage alone, {result['users']} users")
    metrics = (f"recall@{k}", f"precision@{k}", f"ndcg@{k}")
    table.add_column("stage")
    for metric in metrics:
        table.add_column(metric, justify="right")
    for stage, values in result["stages"].items():
        table.add_row(stage, *(f"{values[m]:.4f}" for m in metrics))
    console.print(table)
    merged = result["candidates"]
    console.print(
        "merged candidates (ordered by retrieval consensus), recall of the relevant items: "
        + ", ".join(
            f"{name} {value:.4f}" for name, value in merged.items() if name != "mean_candidates"
        )
        + f"; {merged['mean_candidates']:.0f} candidates per user"
    )
    gap = result["page_vs_best_source"]
    low, high = gap["ci95"]
    console.print(
        f"page - best single source ({gap['source']}) on NDCG@{k}: "
        f"{gap[f'ndcg@{k}_diff']:+.4f}, 95% CI [{low:+.4f}, {high:+.4f}]"
    )


def _ground_truth(svc: Services, items: pl.DataFrame) -> GroundTruth | None:
    """The simulator's ground truth when a simulation filled this home, else None."""
    from laotie.sim.config import recorded_config
    from laotie.sim.truth import GroundTruth
    from laotie.store.repos.catalog_frames import users_frame

    config = recorded_config(svc.settings.home)
    if config is None:
        return None
    with svc.db.session() as session:
        users = users_frame(session)
    return GroundTruth(config, users=users, items=items)


def _print_ground_truth(truth: dict[str, Any], k: int) -> None:
    table = Table(title=f"ground truth (simulated home): NDCG@{k} of true utilities")
    table.add_column("method")
    table.add_column(f"true NDCG@{k}", justify="right")
    for method, value in truth[f"true_ndcg@{k}"].items():
        table.add_row(method, f"{value:.4f}")
    console.print(table)
    from laotie.feed.evaluation import POPULAR_CAPPED, UNCAPPED

    for label, key, baseline in (
        ("pipeline", "vs_popular", "popular"),
        (UNCAPPED, "uncapped_vs_popular", "popular"),
        ("pipeline", "vs_popular_capped", POPULAR_CAPPED),
    ):
        gap = truth[key]
        low, high = gap["ci95"]
        verdict = "beats" if low > 0 else ("is behind" if high < 0 else "ties with")
        console.print(
            f"against the truth {label} {verdict} {baseline}: "
            f"{gap[f'true_ndcg@{k}_diff']:+.4f}, 95% CI [{low:+.4f}, {high:+.4f}] "
            f"over {gap['users']} users"
        )
    console.print(
        "The logged metrics reward predicting what the simulated feed chose to show: the "
        f"oracle (each user's truly best unseen items) scores low there. {UNCAPPED} "
        "serves the same models with a page's creator, kind and AIGC caps and creator gap "
        f"lifted; {POPULAR_CAPPED} holds popular to the pipeline's page policy."
    )
