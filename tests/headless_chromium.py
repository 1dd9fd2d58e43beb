"""Debian's Chromium (``/usr/bin/chromium``) driven by selenium through Debian's chromedriver,
for the tests that open a page the way a person does; no browser or driver is downloaded.

The ``browser`` fixture (``conftest.py``) starts one per test module. Without Chromium, its
driver or selenium, it skips, unless ``GMMKIT_REQUIRE_BROWSER=1`` (CI) makes their absence a
failure.
"""

import os
from pathlib import Path

import pytest

CHROMIUM = Path("/usr/bin/chromium")
CHROMEDRIVER = Path("/usr/bin/chromedriver")
WINDOW = (1280, 1600)
CHROMIUM_FLAGS = (
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
    f"--window-size={WINDOW[0]},{WINDOW[1]}",
)
IMAGES_SCRIPT = """
return Array.from(document.images, image => ({
    src: image.currentSrc, scheme: image.currentSrc.split(":")[0], complete: image.complete,
    naturalWidth: image.naturalWidth, naturalHeight: image.naturalHeight, alt: image.alt}));
"""


def missing_browser():
    """Why the browser cannot run here, or None when it can."""
    for path in (CHROMIUM, CHROMEDRIVER):
        if not path.is_file():
            return f"{path} is missing (apt-get install chromium chromium-driver)"
    try:
        import selenium  # noqa: F401
    except ImportError:
        return "the selenium package is missing (pip install selenium)"
    return None


def skip_or_fail(reason):
    """Skip the test for ``reason``; fail it instead under ``GMMKIT_REQUIRE_BROWSER=1``."""
    if os.environ.get("GMMKIT_REQUIRE_BROWSER") == "1":
        pytest.fail(f"GMMKIT_REQUIRE_BROWSER=1 but {reason}")
    pytest.skip(reason)


def start_chromium(profile_dir):
    """A headless Chromium with a fresh profile in ``profile_dir``, logging the page's console."""
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = str(CHROMIUM)
    for flag in CHROMIUM_FLAGS:
        options.add_argument(flag)
    options.add_argument(f"--user-data-dir={profile_dir}")
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    return webdriver.Chrome(options=options, service=Service(str(CHROMEDRIVER)))


def images(driver):
    """The images of the open page, as the page sees them."""
    return driver.execute_script(IMAGES_SCRIPT)


def severe(console):
    """The console entries that are errors."""
    return [entry for entry in console if entry["level"] == "SEVERE"]
