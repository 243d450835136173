"""``laotie commerce`` in a temporary home: each role's commands, and errors as one line."""

from typer.testing import CliRunner

from laotie.cli import app
from laotie.core.catalog import ContainerCreate, CreatorCreate, ItemCreate, UserCreate
from laotie.core.settings import load_settings
from laotie.store.repos import catalog
from laotie.wiring import build_services

runner = CliRunner()


def test_roles_drive_commerce_from_the_command_line(tmp_path, monkeypatch):
    home = tmp_path / "h"
    monkeypatch.setenv("LAOTIE_HOME", str(home))
    built = build_services(load_settings(home=home))
    with built.db.session() as session:
        catalog.create_user(session, user=UserCreate(id="u1"))
        catalog.create_creator(session, creator=CreatorCreate(id="c1", name="C"))
        catalog.create_series(session, series=ContainerCreate(id="s1", creator_id="c1", title="S"))
        for position in (1, 2):
            catalog.create_item(
                session,
                item=ItemCreate(
                    id=f"e{position}",
                    kind="episode",
                    creator_id="c1",
                    parent_id="s1",
                    position=position,
                    title="E",
                ),
            )
    built.close()

    def run(*args: str) -> str:
        result = runner.invoke(app, ["--home", str(home), *args])
        assert result.exit_code == 0, result.output
        return result.output

    run("ads", "create-advertiser", "m1", "--name", "Merchant")
    run("commerce", "paywall", "s1", "--free", "1", "--episode-fen", "30", "--series-fen", "50")
    assert '"locked": true' in run("commerce", "next", "u1", "s1", "--after", "1", "--json")
    assert '"aigc_status": "declared"' in run(
        "commerce", "room-start", "r1", "--creator", "c1", "--title", "Live", "--ai-host", "--json"
    )
    run("commerce", "shop-create", "shop1", "--merchant", "m1", "--name", "Shop")
    run("commerce", "product-add", "shop1", "p1", "--sku", "A", "--title", "Tea",
        "--price-fen", "1999", "--stock", "2")  # fmt: skip
    run("commerce", "card", "p1", "--target", "room:r1")
    ordered = run("commerce", "order", "o1", "--user", "u1", "--product", "p1", "--source",
                  "room:r1", "--json")  # fmt: skip
    assert '"status": "created"' in ordered and '"amount_fen": 1999' in ordered
    assert '"stock": 1' in run("commerce", "products", "shop1", "--json")
    assert "ledger ok" in run("commerce", "reconcile")
    summary = run("commerce", "summary")
    assert "live_gifting" in summary and "paid_content" in summary
    assert "¥0.00" in run("commerce", "earnings", "c1")

    refused = runner.invoke(
        app,
        [
            "--home",
            str(home),
            "commerce",
            "gift",
            "r1",
            "--user",
            "u1",
            "--fen",
            "100",
            "--key",
            "g1",
        ],
    )
    assert refused.exit_code == 2 and "wallet holds 0 fen, 100 needed" in refused.output
