"""Headless Chromium for the ``browser`` tests: Debian's chromium and chromium-driver through Selenium,
with explicit paths so that Selenium Manager never looks for (or downloads) a browser or driver.

Without them the tests skip, saying what to install; with ``CNNCALC_REQUIRE_BROWSER=1`` (as ``.ci/run``
sets) a missing browser fails them instead.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

CHROMIUM = "/usr/bin/chromium"
CHROMEDRIVER = "/usr/bin/chromedriver"
FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--hide-scrollbars",
    "--force-device-scale-factor=1",
)


def _unavailable(reason: str) -> None:
    if os.environ.get("CNNCALC_REQUIRE_BROWSER") == "1":
        pytest.fail(f"{reason} (CNNCALC_REQUIRE_BROWSER=1 makes this a failure)")
    pytest.skip(reason)


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    """A headless Chromium driven by Selenium, its window 1366×900 (a laptop screen)."""
    try:
        from selenium import webdriver
        from selenium.webdriver.chrome.service import Service
    except ImportError:
        _unavailable("Selenium is not installed: pip install 'cnncalc[browser]'")
    chromium = shutil.which("chromium") or CHROMIUM
    if not Path(chromium).is_file() or not Path(CHROMEDRIVER).is_file():
        _unavailable("no headless Chromium: apt-get install chromium chromium-driver")
    options = webdriver.ChromeOptions()
    options.binary_location = chromium
    for flag in FLAGS:
        options.add_argument(flag)
    profile = tempfile.mkdtemp(prefix="cnncalc-chromium-")
    options.add_argument(f"--user-data-dir={profile}")
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(options=options, service=Service(executable_path=CHROMEDRIVER))
    try:
        driver.set_window_size(1366, 900)
        yield driver
    finally:
        driver.quit()
        shutil.rmtree(profile, ignore_errors=True)
