"""``laotie ads``: advertisers, top-ups, campaigns, creatives, reports and model training."""

from __future__ import annotations

from typing import Annotated, Any

import typer
from rich.table import Table

from laotie.ads import (
    AdvertiserCreate,
    CampaignCreate,
    CampaignStatus,
    CampaignUpdate,
    CreativeCreate,
    Objective,
    ProgrammaticCreate,
    Schedule,
    Targeting,
    TopUp,
)
from laotie.cli._common import console, emit_json, services
from laotie.core.errors import InvalidInput
from laotie.core.kinds import ItemKind
from laotie.core.money import format_fen, yuan_to_fen

app = typer.Typer(help="Ads: advertisers, campaigns, creatives, reports (money in fen / yuan).")
JsonOpt = Annotated[bool, typer.Option("--json", help="machine-readable output")]


def _pairs(values: list[str], *, field: str) -> dict[str, str]:
    out = {}
    for value in values:
        key, sep, rest = value.partition("=")
        if not sep or not key:
            raise InvalidInput(
                f"{field} must look like key=value, got {value!r}", field=field, limit="key=value"
            )
        out[key] = rest
    return out


def _show(rows: list[Any], columns: list[str], *, as_json: bool, title: str = "") -> None:
    data = [r.model_dump(mode="json") for r in rows]
    if as_json:
        emit_json(data)
        return
    table = Table(*columns, title=title or None)
    for row in data:
        table.add_row(*(_cell(c, row.get(c)) for c in columns))
    console.print(table)


def _cell(column: str, value: Any) -> str:
    if value is None:
        return "-"
    if column.endswith("_fen") and isinstance(value, int):
        return format_fen(value)
    if isinstance(value, float):
        return f"{value:.4f}" if column in ("ctr", "cvr", "aigc_share") else f"{value:,.1f}"
    return str(value)


@app.command("create-advertiser")
def create_advertiser(
    advertiser_id: Annotated[str, typer.Argument(help="the account's external id")],
    name: Annotated[str, typer.Option(help="display name")],
    as_json: JsonOpt = False,
) -> None:
    """Create an advertiser account. Example: laotie ads create-advertiser adv1 --name 小店"""
    row = services().ads.accounts.create_advertiser(AdvertiserCreate(id=advertiser_id, name=name))
    _show([row], ["id", "name", "balance_fen"], as_json=as_json)


@app.command("advertisers")
def advertisers(as_json: JsonOpt = False) -> None:
    """List advertisers and balances. Example: laotie ads advertisers"""
    _show(
        services().ads.accounts.list_advertisers(), ["id", "name", "balance_fen"], as_json=as_json
    )


@app.command("top-up")
def top_up(
    advertiser_id: Annotated[str, typer.Argument(help="the account's id")],
    yuan: Annotated[str, typer.Option(help="amount in yuan, e.g. 100 or 12.50")],
    key: Annotated[str, typer.Option(help="idempotency key: the same key never pays twice")],
    as_json: JsonOpt = False,
) -> None:
    """Add prepaid balance. Example: laotie ads top-up adv1 --yuan 500 --key inv-001"""
    fen = yuan_to_fen(yuan, field="yuan")
    row = services().ads.accounts.top_up(advertiser_id, TopUp(amount_fen=fen, idempotency_key=key))
    _show([row], ["id", "name", "balance_fen"], as_json=as_json)


@app.command("create-campaign")
def create_campaign(
    campaign_id: Annotated[str, typer.Argument(help="the campaign's external id")],
    advertiser: Annotated[str, typer.Option(help="advertiser id")],
    objective: Annotated[
        Objective, typer.Option(help="impressions (CPM) | clicks (CPC) | conversions (oCPC)")
    ],
    bid_fen: Annotated[
        int, typer.Option(help="CPM fen/1000 imps, CPC fen/click, oCPC target fen/conversion")
    ],
    budget_fen: Annotated[int, typer.Option(help="daily budget in fen")],
    name: Annotated[str, typer.Option(help="display name (default: the id)")] = "",
    category: Annotated[list[str], typer.Option(help="interest category path (repeat)")] = [],  # noqa: B006
    kind: Annotated[list[ItemKind], typer.Option(help="item kind around the ad (repeat)")] = [],  # noqa: B006
    segment: Annotated[list[str], typer.Option(help="user segment (repeat)")] = [],  # noqa: B006
    region: Annotated[list[str], typer.Option(help="user region (repeat)")] = [],  # noqa: B006
    hour: Annotated[list[int], typer.Option(help="local hour 0-23 to serve in (repeat)")] = [],  # noqa: B006
    cap: Annotated[int, typer.Option(help="impressions per user per day")] = 3,
    as_json: JsonOpt = False,
) -> None:
    """Create a campaign. Example: laotie ads create-campaign c1 --advertiser adv1
    --objective clicks --bid-fen 50 --budget-fen 20000 --category 美食"""
    row = services().ads.accounts.create_campaign(
        CampaignCreate(
            id=campaign_id,
            advertiser_id=advertiser,
            name=name or campaign_id,
            objective=objective,
            bid_fen=bid_fen,
            daily_budget_fen=budget_fen,
            targeting=Targeting(categories=category, kinds=kind, segments=segment, regions=region),
            schedule=Schedule(hours=hour),
            frequency_cap=cap,
        )
    )
    _show(
        [row],
        ["id", "advertiser_id", "objective", "bid_fen", "daily_budget_fen", "status"],
        as_json=as_json,
    )


@app.command("campaigns")
def campaigns(
    advertiser: Annotated[str | None, typer.Option(help="only this advertiser's")] = None,
    as_json: JsonOpt = False,
) -> None:
    """List campaigns. Example: laotie ads campaigns --advertiser adv1"""
    rows = services().ads.accounts.list_campaigns(advertiser_id=advertiser)
    _show(
        rows,
        ["id", "advertiser_id", "objective", "bid_fen", "daily_budget_fen", "status"],
        as_json=as_json,
    )


def _set_status(campaign_id: str, status: CampaignStatus) -> None:
    services().ads.accounts.update_campaign(campaign_id, CampaignUpdate(status=status))
    console.print(f"campaign {campaign_id} is {status.value}")


@app.command("pause")
def pause(campaign_id: Annotated[str, typer.Argument(help="campaign id")]) -> None:
    """Stop a campaign serving. Example: laotie ads pause c1"""
    _set_status(campaign_id, CampaignStatus.PAUSED)


@app.command("resume")
def resume(campaign_id: Annotated[str, typer.Argument(help="campaign id")]) -> None:
    """Let a paused campaign serve again. Example: laotie ads resume c1"""
    _set_status(campaign_id, CampaignStatus.ACTIVE)


@app.command("add-creative")
def add_creative(
    campaign_id: Annotated[str, typer.Argument(help="campaign id")],
    creative_id: Annotated[str, typer.Argument(help="the creative's external id")],
    title: Annotated[str, typer.Option(help="ad title")],
    landing: Annotated[str, typer.Option(help="landing page URL")],
    asset: Annotated[list[str], typer.Option(help="asset as name=path (repeat)")] = [],  # noqa: B006
    aigc: Annotated[bool, typer.Option(help="made (partly) by AI")] = False,
    label: Annotated[list[str], typer.Option(help="AIGC label as key=value (repeat)")] = [],  # noqa: B006
    as_json: JsonOpt = False,
) -> None:
    """Add a creative. Example: laotie ads add-creative c1 cr1 --title 新品 --landing
    https://shop.example/p --asset cover=cover.png --aigc --label Label=1"""
    rows = services().ads.accounts.add_creatives(
        campaign_id,
        [
            CreativeCreate.model_validate(
                {
                    "id": creative_id,
                    "title": title,
                    "landing_url": landing,
                    "assets": _pairs(asset, field="asset"),
                    "aigc": aigc,
                    "aigc_labels": _pairs(label, field="label"),
                }
            )
        ],
    )
    _show(rows, ["id", "campaign_id", "title", "aigc"], as_json=as_json)


@app.command("programmatic")
def programmatic(
    campaign_id: Annotated[str, typer.Argument(help="campaign id")],
    prefix: Annotated[str, typer.Option(help="id prefix of the generated creatives")],
    title: Annotated[list[str], typer.Option(help="a title (repeat)")],
    cover: Annotated[list[str], typer.Option(help="a cover image (repeat)")],
    template: Annotated[list[str], typer.Option(help="a template (repeat)")],
    landing: Annotated[str, typer.Option(help="landing page URL")],
    aigc: Annotated[bool, typer.Option(help="made (partly) by AI")] = False,
    as_json: JsonOpt = False,
) -> None:
    """Generate every title x cover x template creative. Example: laotie ads programmatic c1
    --prefix p --title 新品 --title 特价 --cover a.png --template t1 --landing https://e.com"""
    rows = services().ads.accounts.add_programmatic(
        campaign_id,
        ProgrammaticCreate.model_validate(
            {
                "id_prefix": prefix,
                "titles": title,
                "covers": cover,
                "templates": template,
                "landing_url": landing,
                "aigc": aigc,
            }
        ),
    )
    _show(rows, ["id", "title", "assets"], as_json=as_json)


@app.command("report")
def report(
    by: Annotated[list[str], typer.Option(help="day | campaign | creative (repeat)")] = [  # noqa: B006
        "day",
        "campaign",
    ],
    start: Annotated[str | None, typer.Option(help="first local day, YYYY-MM-DD")] = None,
    end: Annotated[str | None, typer.Option(help="last local day, YYYY-MM-DD")] = None,
    advertiser: Annotated[str | None, typer.Option(help="only this advertiser")] = None,
    as_json: JsonOpt = False,
) -> None:
    """Spend, impressions, clicks, conversions, CTR, CVR, CPA, eCPM and AIGC share of spend.
    Example: laotie ads report --by day --by creative --start 2026-11-01"""
    ads = services().ads
    rows = ads.reports.report(group_by=by, start_day=start, end_day=end, advertiser_id=advertiser)
    shares = ads.reports.aigc_share(start_day=start, end_day=end, advertiser_id=advertiser)
    if as_json:
        emit_json(
            {
                "rows": [r.model_dump(mode="json") for r in rows],
                "aigc_share": [s.model_dump(mode="json") for s in shares],
            }
        )
        return
    groups = [g for g in ("day", "campaign", "creative") if g in ",".join(by)]
    columns = [{"campaign": "campaign_id", "creative": "creative_id"}.get(g, g) for g in groups]
    _show(
        rows,
        [
            *columns,
            "impressions",
            "clicks",
            "conversions",
            "spend_fen",
            "ctr",
            "cvr",
            "cpa_fen",
            "ecpm_fen",
        ],
        as_json=False,
        title="ads report",
    )
    _show(
        shares,
        ["day", "spend_fen", "aigc_spend_fen", "aigc_share"],
        as_json=False,
        title="AIGC marketing material: share of daily spend",
    )


@app.command("kpis")
def kpis(
    start: Annotated[str | None, typer.Option(help="first local day, YYYY-MM-DD")] = None,
    end: Annotated[str | None, typer.Option(help="last local day, YYYY-MM-DD")] = None,
) -> None:
    """Headline ad KPIs as JSON. Example: laotie ads kpis --start 2026-11-01"""
    emit_json(services().ads.reports.kpis(start_day=start, end_day=end))


@app.command("reconcile")
def reconcile() -> None:
    """Check reports against the ledger to the fen; exit 1 if they differ.
    Example: laotie ads reconcile"""
    result = services().ads.reports.reconcile()
    emit_json(result)
    if not result["ok"]:
        raise typer.Exit(1)


@app.command("train")
def train() -> None:
    """Fit pCTR/pCVR on recorded ad events; prints ECE, log loss and AUC on a holdout.
    Example: laotie ads train"""
    emit_json(services().ads.models.train())


@app.command("allocation")
def allocation(campaign_id: Annotated[str, typer.Argument(help="campaign id")]) -> None:
    """Thompson-sampling state of a campaign's creative variants and the estimated regret.
    Example: laotie ads allocation c1"""
    emit_json(services().ads.reports.creative_allocation(campaign_id))


@app.command("settle")
def settle(
    since_hours: Annotated[float, typer.Option(help="look back this many hours", min=0)] = 48.0,
) -> None:
    """Charge ad events in the log that were not charged yet (safe to repeat).
    Example: laotie ads settle --since-hours 24"""
    svc = services()
    since_ms = svc.clock.now_ms() - int(since_hours * 3_600_000)
    summary = svc.ads.charging.settle(since_ms=since_ms)
    emit_json(
        {
            "recorded": summary.recorded,
            "duplicate": summary.duplicate,
            "unmatched": summary.unmatched,
            "charged_fen": summary.charged_fen,
            "free": summary.free,
        }
    )
