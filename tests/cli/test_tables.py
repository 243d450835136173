"""Terminal tables at 80 columns: every id, name and figure whole, nothing past column 80, and
the KPI report's default window starting at the first day with data."""

import io
import re
from datetime import timedelta

import pytest
from rich.console import Console
from typer.testing import CliRunner

from laotie.cli import app
from laotie.cli._tables import fitted_tables
from laotie.cli.sim import ab_tables
from laotie.core.catalog import CreatorCreate, ItemCreate
from laotie.core.clock import MS_PER_DAY, now_ms
from laotie.insights import KPIS, day_of_ms
from laotie.sim.ab import USER_KPIS, Delta
from laotie.store.repos import catalog
from laotie.wiring import Services

runner = CliRunner()
LONG_ID = "creator-with-a-long-name-video-000001"


def _rendered(tables: list) -> str:
    out = io.StringIO()
    console = Console(file=out, width=80)
    for table in tables:
        console.print(table)
    return out.getvalue()


def _fits(text: str) -> None:
    assert "…" not in text
    assert max(len(line) for line in text.splitlines()) <= 80


def test_a_table_too_wide_is_split_by_columns_each_part_keeping_the_key() -> None:
    headers = [f"column number {k}" for k in range(12)]
    rows = [[f"key-{r}", *(f"{r * 1000 + k:,}.{k}" for k in range(12))] for r in range(3)]
    parts = fitted_tables(width=80, title="wide", key="key", headers=headers, rows=rows)
    text = _rendered(parts)
    _fits(text)
    assert len(parts) > 1 and text.count("key-2") == len(parts)
    assert all(cell in text for row in rows for cell in row)
    assert len(fitted_tables(width=400, title="wide", key="key", headers=headers, rows=rows)) == 1


def test_sim_ab_keeps_every_kpi_name_and_figure_at_80_columns() -> None:
    deltas = [
        Delta(kpi, 1234.5678, 0.01234, -0.004567, -0.012345, 0.0034567, 5, 3) for kpi in USER_KPIS
    ]
    text = _rendered(ab_tables(deltas, a="popular", b="feed", width=80))
    _fits(text)
    for kpi in USER_KPIS:
        assert re.search(rf"^{kpi}\s+1\.23e\+03\s+0\.0123\s+-0\.00457\s+\[-0\.0123,", text, re.M)
    assert "+0.00346]" in text and "3/5" in text


@pytest.fixture
def small_home(services: Services) -> Services:
    """Two items (one with a long id) and a few events on two days, three and two days ago."""
    with services.db.session() as session:
        catalog.create_creator(session, creator=CreatorCreate(id="c1", name="创作者"))
        for item_id in (LONG_ID, "v2"):
            catalog.create_item(
                session,
                item=ItemCreate(
                    id=item_id,
                    kind="video",
                    creator_id="c1",
                    title="一个很长的标题，讲的是在家做酸菜鱼，没想到这么简单，还有更多",
                    duration_ms=20_000,
                ),
            )
    now = now_ms()
    events = [
        {
            "id": f"e{day}-{user}",
            "type": "watch",
            "user_id": f"u{user}",
            "item_id": LONG_ID,
            "ts_ms": now - day * MS_PER_DAY,
            "watch_ms": 15_000,
            "duration_ms": 20_000,
        }
        for day in (3, 2)
        for user in range(3)
    ]
    assert services.events.ingest(events).accepted == len(events)
    return services


def test_feed_keeps_item_ids_whole_at_80_columns(small_home: Services) -> None:
    result = runner.invoke(app, ["feed", "newcomer", "--explain"], terminal_width=80)
    assert result.exit_code == 0, result.output
    _fits(result.output)
    assert LONG_ID in result.output and "v2" in result.output
    assert "why each item" in result.output


def test_feed_refuses_a_user_id_the_api_refuses(small_home: Services) -> None:
    result = runner.invoke(app, ["feed", "bad user!"])
    assert result.exit_code != 0
    assert "user_id" in result.output and "Traceback" not in result.output


def test_report_kpi_starts_at_the_first_day_with_data_and_keeps_its_headers(
    small_home: Services,
) -> None:
    result = runner.invoke(app, ["report", "kpi"], terminal_width=80)
    assert result.exit_code == 0, result.output
    _fits(result.output)
    tz = small_home.settings.timezone
    first = day_of_ms(now_ms() - 3 * MS_PER_DAY, tz=tz)
    yesterday = day_of_ms(now_ms(), tz=tz) - timedelta(days=1)
    days = re.findall(r"^(\d\d-\d\d) ", result.output, re.M)
    assert days[0] == first.strftime("%m-%d") and days[-1] == yesterday.strftime("%m-%d")
    assert len(days) == (yesterday - first).days + 1
    for name in ("dau", "mau", "watch_minutes_per_dau", "plays_per_dau", "revenue_fen"):
        assert KPIS[name].short in result.output
