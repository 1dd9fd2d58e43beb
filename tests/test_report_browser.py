"""The quick tour's report opened the way a person opens it: in a real (headless) browser.

Debian's Chromium driven by selenium (the ``browser`` fixture, ``headless_chromium``); without
it the tests are skipped, unless ``GMMKIT_REQUIRE_BROWSER=1`` (CI) makes its absence a failure.
Screenshots of the report are saved beside it and in the test's own temporary directory (and
copied into ``$GMMKIT_SCREENSHOT_DIR`` when that is set).
"""

import base64
import os
from pathlib import Path

import pytest

import headless_chromium
from headless_chromium import WINDOW, missing_browser, severe


def visit(driver, path):
    """Open ``path``; return its images (as the page sees them) and its console entries."""
    driver.get(path.as_uri())
    return headless_chromium.images(driver), driver.get_log("browser")


def save_screenshots(driver, directories):
    """The first screen and the whole page as PNG files in every directory; their paths."""
    height = driver.execute_script("return document.documentElement.scrollHeight")
    full_page = driver.execute_cdp_cmd(
        "Page.captureScreenshot",
        {
            "format": "png",
            "captureBeyondViewport": True,
            "clip": {"x": 0, "y": 0, "width": WINDOW[0], "height": height, "scale": 1},
        },
    )
    shots = {
        "report_screenshot.png": driver.get_screenshot_as_png(),
        "report_full_page.png": base64.b64decode(full_page["data"]),
    }
    paths = []
    for directory in directories:
        directory.mkdir(parents=True, exist_ok=True)
        for name, data in shots.items():
            (directory / name).write_bytes(data)
            paths.append(directory / name)
    return paths


@pytest.fixture(scope="module")
def opened_report(browser, quick_tour, tmp_path_factory):
    """The quick tour's report opened in the browser: images, console, screenshot paths."""
    result, out = quick_tour
    assert result.returncode == 0, result.stderr
    images, console = visit(browser, out / "report.html")
    directories = [out, tmp_path_factory.mktemp("browser_artifacts")]
    if os.environ.get("GMMKIT_SCREENSHOT_DIR"):
        directories.append(Path(os.environ["GMMKIT_SCREENSHOT_DIR"]))
    return {
        "images": images,
        "console": console,
        "out": out,
        "screenshots": save_screenshots(browser, directories),
    }


@pytest.mark.slow
def test_every_image_of_the_report_loads(opened_report):
    images = opened_report["images"]
    n_figures = len(list((opened_report["out"] / "figures").glob("*.png")))
    assert len(images) == n_figures >= 12
    for image in images:
        assert image["scheme"] == "data", image
        assert image["complete"] and image["naturalWidth"] > 0, image
        assert image["naturalHeight"] > 0 and image["alt"], image


@pytest.mark.slow
def test_the_console_shows_no_errors(opened_report):
    assert severe(opened_report["console"]) == []


@pytest.mark.slow
def test_a_screenshot_of_the_report_is_saved(opened_report):
    for path in opened_report["screenshots"]:
        data = path.read_bytes()
        assert data.startswith(b"\x89PNG\r\n\x1a\n") and len(data) > 10_000, path
    print("screenshots:", *map(str, opened_report["screenshots"]), sep="\n  ")


@pytest.mark.slow
def test_the_checks_catch_a_broken_image(browser, tmp_path):
    """The two checks above are not vacuous: a missing image fails both."""
    page = tmp_path / "broken.html"
    page.write_text(
        '<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">'
        '<link rel="icon" href="data:,"><title>broken</title></head>'
        '<body><img src="missing.png" alt="missing"></body></html>'
    )
    images, console = visit(browser, page)
    assert images[0]["naturalWidth"] == 0
    assert any("missing.png" in entry["message"] for entry in severe(console))


def test_absence_of_the_browser_is_explained(monkeypatch):
    monkeypatch.setattr(headless_chromium, "CHROMIUM", Path("/nonexistent/chromium"))
    assert missing_browser() == (
        "/nonexistent/chromium is missing (apt-get install chromium chromium-driver)"
    )
