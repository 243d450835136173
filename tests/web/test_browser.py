"""The console in a real browser: every role walks its pages in Chinese and English, a studio
job runs to completion and its video plays, a campaign is created, a trust item is decided
with one key, refused pages stay refused; no console errors; axe finds nothing serious."""

from __future__ import annotations

from typing import Any

import pytest

from laotie.wiring import Services

from .browser import Tab, open_tab
from .conftest import ACCOUNTS, PASSWORD, LiveServer
from .test_console_roles import PAGES

#: pages each role may open (the role tests prove these match the API)
ALLOWED = {
    "admin": [*PAGES, "/ads/campaigns/sim-camp000", "/catalog/items/spam1"],
    "creator": ["/catalog", "/studio"],
    "advertiser": ["/catalog", "/ads", "/studio"],  # ad videos are studio jobs
    "member": ["/feed", "/catalog", "/teams"],
    "manager": ["/feed", "/catalog", "/teams"],
}


def _path(username: str, path: str) -> str:
    """The page to open for ``path``: the feed preview of a simulated user, or a person's own."""
    if path != "/feed":
        return path
    scope = ACCOUNTS[username][1] or ""
    user = scope.removeprefix("person:") if scope.startswith("person:") else "sim-u000003"
    return f"/feed?user={user}"


def _check_page(tab: Tab, name: str) -> None:
    assert not tab.errors, f"{name}: console errors {tab.errors}"
    violations = tab.axe_violations()
    assert not violations, f"{name}: axe {violations}"


def test_smoke_admin_overview_renders_charts(browser: Any, live_server: LiveServer) -> None:
    tab = open_tab(browser, live_server.url)
    tab.sign_in("admin", PASSWORD)
    tab.goto("/")
    assert tab.page.locator(".tile").count() == 7
    tab.page.wait_for_selector(".chart svg")
    assert tab.page.locator(".chart svg").count() == 6
    tab.shot("smoke-overview-zh")
    _check_page(tab, "overview")


@pytest.mark.slow
@pytest.mark.parametrize("lang", ["zh", "en"])
@pytest.mark.parametrize("username", sorted(ACCOUNTS))
def test_every_role_walks_its_pages(
    browser: Any, live_server: LiveServer, username: str, lang: str
) -> None:
    tab = open_tab(browser, live_server.url, lang=lang)
    tab.sign_in(username, PASSWORD)
    tab.goto(f"/catalog?lang={lang}")
    for path in ALLOWED[username]:
        response = tab.goto(_path(username, path))
        assert response.status == 200, (username, path, response.status)
        tab.page.wait_for_load_state("networkidle")
        tab.shot(f"{username}-{lang}-{path.strip('/') or 'overview'}")
        _check_page(tab, f"{username} {path}")
        if path == "/feed":
            assert tab.page.locator("#similar-title").count() == 1, username
    for path in set(PAGES) - set(ALLOWED[username]) - {"/"}:
        response = tab.goto(path)
        assert response.status == 403, (username, path)
        tab.errors.clear()  # the browser logs the 403 itself
    tab.shot(f"{username}-{lang}-refused")


@pytest.mark.slow
def test_narrow_screen_menu(browser: Any, live_server: LiveServer) -> None:
    tab = open_tab(browser, live_server.url, width=390)
    tab.sign_in("admin", PASSWORD)
    tab.goto("/")
    assert not tab.page.locator("#nav").is_visible()
    tab.page.click(".menu")
    assert tab.page.locator("#nav").is_visible()
    tab.shot("admin-zh-mobile-menu")
    _check_page(tab, "mobile overview")


@pytest.mark.slow
def test_studio_job_runs_to_completion_and_its_video_plays(
    browser: Any, live_server: LiveServer
) -> None:
    tab = open_tab(browser, live_server.url)
    tab.sign_in("creator", PASSWORD)
    tab.goto("/studio")
    tab.page.fill("#n-title", "老街的早晨")
    tab.page.fill("#n-text", "清晨，老街醒来。\n\n豆浆的香气飘满了巷子。")
    tab.page.click("form[action='/studio/narrate'] button[type=submit]")
    tab.page.wait_for_url("**/studio/jobs/*")
    tab.shot("creator-zh-job-running")
    tab.page.wait_for_selector("video", timeout=240_000)  # the page reloads when done
    assert tab.page.locator("[data-job-status]").inner_text() == "succeeded"
    played = tab.page.evaluate(
        """async () => {
            const v = document.querySelector('video');
            v.muted = true;
            await v.play();
            await new Promise((r) => setTimeout(r, 800));
            return {time: v.currentTime, duration: v.duration, error: v.error && v.error.code};
        }"""
    )
    assert played["error"] is None and played["time"] > 0 and played["duration"] > 1, played
    tab.shot("creator-zh-job-done")
    _check_page(tab, "job page")


@pytest.mark.slow
def test_advertiser_creates_a_campaign(browser: Any, live_server: LiveServer) -> None:
    tab = open_tab(browser, live_server.url)
    tab.sign_in("advertiser", PASSWORD)
    tab.goto("/ads")
    tab.page.fill("#c-name", "秋季新品")
    tab.page.select_option("#c-obj", "clicks")
    tab.page.fill("#c-bid", "0.80")
    tab.page.fill("#c-budget", "300")
    tab.page.click("form[action='/ads/campaigns'] button[type=submit]")
    tab.page.wait_for_url("**/ads/campaigns/*")
    assert tab.page.locator("h1").inner_text() == "秋季新品"
    campaign_id = tab.page.url.rsplit("/", 1)[1]
    campaign = live_server.services.ads.accounts.get_campaign(campaign_id, scope=None)
    assert campaign.bid_fen == 80 and campaign.daily_budget_fen == 30_000
    assert campaign.advertiser_id == "sim-adv0"
    tab.shot("advertiser-zh-campaign-created")
    _check_page(tab, "campaign page")


@pytest.mark.slow
def test_reviewer_decides_with_one_key(browser: Any, live_server: LiveServer) -> None:
    services: Services = live_server.services
    tab = open_tab(browser, live_server.url, lang="en")
    tab.sign_in("admin", PASSWORD)
    tab.goto("/trust?lang=en")
    entry = tab.page.locator("li[data-item='spam1']")
    assert entry.locator("mark").count() >= 3  # the stuffed phrase and the site residue
    tab.shot("admin-en-trust-queue")
    _check_page(tab, "trust queue")
    tab.page.keyboard.press("b")
    tab.page.wait_for_selector("[role=status]")
    assert services.trust.review.record("spam1")["decision"] == "block"
    assert tab.page.locator("li[data-item='spam1']").count() == 0
    tab.shot("admin-en-trust-decided")
    assert not tab.errors


@pytest.mark.slow
def test_admin_watches_an_experiment_run(browser: Any, live_server: LiveServer) -> None:
    tab = open_tab(browser, live_server.url, lang="en")
    tab.sign_in("admin", PASSWORD)
    tab.goto("/experiments?lang=en")
    for name, value in (("users", "30"), ("days", "2"), ("replicates", "2"), ("videos", "120")):
        tab.page.fill(f"input[name={name}]", value)
    tab.page.select_option("select[name=policy_a]", "random")
    tab.page.select_option("select[name=policy_b]", "popular")
    tab.page.click("form[action='/experiments'] button[type=submit]")
    tab.page.wait_for_url("**/experiments/job_*")
    tab.shot("admin-en-experiment-running")
    tab.page.wait_for_selector("#experiment-status .badge.succeeded", timeout=240_000)
    assert tab.page.locator("#experiment-status tbody tr").count() >= 5
    tab.shot("admin-en-experiment-done")
    _check_page(tab, "experiment")
