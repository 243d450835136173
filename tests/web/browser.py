"""Debian's Chromium driven by Playwright (never Playwright's own browser download).

Screenshots go to ``build/console-screenshots`` (or ``$LAOTIE_CONSOLE_ARTEFACTS``) and are
kept after the run; every page must log no console error; axe-core (vendored from npm next to
this file) checks accessibility.
"""

from __future__ import annotations

import os
import re
import shutil
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

CHROMIUM = os.environ.get("LAOTIE_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
]
ARTEFACTS = Path(
    os.environ.get(
        "LAOTIE_CONSOLE_ARTEFACTS",
        Path(__file__).resolve().parents[2] / "build" / "console-screenshots",
    )
)
AXE = Path(__file__).parent / "vendor" / "axe-core" / "axe.min.js"
#: axe impacts that fail a page
BLOCKING_IMPACTS = {"serious", "critical"}


def chromium_or_skip() -> str:
    """The Chromium binary, or skip the test cleanly when it (or Playwright) is absent."""
    pytest.importorskip("playwright.sync_api")
    if not (Path(CHROMIUM).is_file() or shutil.which(CHROMIUM)):
        pytest.skip(f"no Chromium at {CHROMIUM} (apt-get install chromium)")
    return CHROMIUM


@dataclass
class Tab:
    """A page with its console errors recorded."""

    page: Any
    base_url: str
    errors: list[str] = field(default_factory=list)

    def goto(self, path: str) -> Any:
        """Open a path of the console and wait until the network is idle."""
        return self.page.goto(self.base_url + path, wait_until="networkidle")

    def shot(self, name: str) -> Path:
        """Keep a full-page screenshot as a test artefact."""
        ARTEFACTS.mkdir(parents=True, exist_ok=True)
        path = ARTEFACTS / f"{re.sub(r'[^A-Za-z0-9_.-]+', '_', name)}.png"
        self.page.screenshot(path=str(path), full_page=True)
        return path

    def axe_violations(self) -> list[dict[str, Any]]:
        """axe-core's serious and critical violations on the current page."""
        self.page.add_script_tag(path=str(AXE))
        result = self.page.evaluate("async () => await axe.run(document)")
        return [
            {"id": v["id"], "impact": v["impact"], "nodes": [n["target"] for n in v["nodes"]][:5]}
            for v in result["violations"]
            if v["impact"] in BLOCKING_IMPACTS
        ]

    def sign_in(self, username: str, password: str) -> None:
        """Sign in through the form, as a person would."""
        self.goto("/login")
        self.page.fill("#username", username)
        self.page.fill("#password", password)
        self.page.click("form:has(#username) button[type=submit]")
        self.page.wait_for_load_state("networkidle")


def open_tab(browser: Any, base_url: str, *, lang: str = "zh", width: int = 1280) -> Tab:
    """A fresh browser context (no cookies) whose console errors are recorded."""
    context = browser.new_context(
        viewport={"width": width, "height": 900}, locale="zh-CN" if lang == "zh" else "en-US"
    )
    page = context.new_page()
    tab = Tab(page, base_url)
    page.on("console", lambda m: tab.errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: tab.errors.append(str(e)))
    return tab
