"""The documentation site opened the way a reader opens it: served over http, in a real
(headless) browser (the ``browser`` fixture, ``headless_chromium``).

The site is built once for the module by ``sphinx-build -b html docs docs/_build/html``, the
build ``make docs`` makes (without its warnings-as-errors, which are ``make docs``'s to check).
The build is incremental: Sphinx rebuilds only the pages whose sources changed (the docstrings
included, through autodoc's recorded dependencies) and sphinx-gallery reruns only the examples
that changed, so after a first build the fixture takes a few seconds. A lock file serialises
the builds of concurrent test processes, which share the source tree's generated pages, and
each process serves its own copy of the site, which the next build cannot change under it.

The site is served by ``http.server`` from a thread on 127.0.0.1, as a reader gets it once it
is published: the search page and the theme's scripts are checked over http, not through the
looser or stricter rules a browser applies to ``file://`` pages.
"""

import fcntl
import functools
import http.server
import os
import shutil
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from headless_chromium import images, severe, skip_or_fail

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[1]
DOCS = ROOT / "docs"
SITE = DOCS / "_build" / "html"
BUILD_TIMEOUT = 1200
#: The guide page opened: the one with the most mathematics, which MathJax must render offline.
GUIDE_PAGE = "guide/computation.html"
#: The navigation bar links to the top of every part of the site.
NAVIGATION = ("guide/index.html", "auto_examples/index.html", "api.html", "cli.html")
SEARCH_TIMEOUT = 30


@pytest.fixture(scope="module")
def site(browser, tmp_path_factory):
    """A copy of the built site (asked for after the browser, so that a machine without one
    skips before building)."""
    try:
        import sphinx  # noqa: F401
    except ImportError:
        skip_or_fail("sphinx is missing (pip install 'gmmkit[docs]')")
    SITE.mkdir(parents=True, exist_ok=True)
    env = dict(
        os.environ,
        PYTHONPATH=os.pathsep.join(filter(None, [str(ROOT / "src"), os.environ.get("PYTHONPATH")])),
    )
    with open(SITE.parent / "browser-test.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        result = subprocess.run(
            [sys.executable, "-m", "sphinx", "-q", "-b", "html", str(DOCS), str(SITE)],
            capture_output=True,
            text=True,
            timeout=BUILD_TIMEOUT,
            check=False,
            env=env,
        )
        assert result.returncode == 0, result.stderr[-5000:]
        copy = tmp_path_factory.mktemp("docs") / "html"
        shutil.copytree(SITE, copy, ignore=shutil.ignore_patterns(".doctrees"))
    return copy


class QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format, *args):
        pass


@pytest.fixture(scope="module")
def site_url(site):
    """The site served over http from a thread, for the module's tests."""
    handler = functools.partial(QuietHandler, directory=str(site))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()
    thread.join()


def visit(driver, url):
    """Open ``url``; return its console entries since the last visit."""
    driver.get(url)
    return driver.get_log("browser")


def search(driver, url, query):
    """Search the site for ``query``; the results (list items) once the search has finished,
    and the console entries."""
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    console = visit(driver, f"{url}/search.html?q={query}")
    WebDriverWait(driver, SEARCH_TIMEOUT).until(  # its summary is written when it finishes
        lambda driver: driver.find_element(By.CSS_SELECTOR, "#search-results .search-summary").text
    )
    return driver.find_elements(By.CSS_SELECTOR, "#search-results li"), console


def first_gallery_page_with_images(site):
    """The first page of the gallery's examples that shows a figure, relative to the site."""
    for page in sorted((site / "auto_examples").rglob("*.html")):
        if page.name != "index.html" and "<img" in page.read_text(encoding="utf-8"):
            return page.relative_to(site).as_posix()
    return None


def test_the_home_page_has_its_title_and_navigation(browser, site_url):
    from selenium.webdriver.common.by import By

    console = visit(browser, f"{site_url}/index.html")
    assert browser.title.startswith("gmmkit")
    assert browser.find_element(By.TAG_NAME, "h1").text.startswith("gmmkit")
    links = {
        link.get_attribute("href")
        for link in browser.find_elements(By.CSS_SELECTOR, "header a.nav-link")
    }
    for page in NAVIGATION:
        assert f"{site_url}/{page}" in links, (page, sorted(links))
    assert severe(console) == []


def test_a_guide_page_loads(browser, site_url):
    from selenium.webdriver.common.by import By

    console = visit(browser, f"{site_url}/{GUIDE_PAGE}")
    heading = browser.find_element(By.TAG_NAME, "h1").text
    assert heading and browser.title.startswith(heading.rstrip("#").strip())
    assert len(browser.find_element(By.TAG_NAME, "article").text) > 500
    assert severe(console) == []


def test_a_gallery_page_shows_every_figure(browser, site, site_url):
    page = first_gallery_page_with_images(site)
    assert page is not None, "no page of the gallery (docs/auto_examples) shows a figure"
    console = visit(browser, f"{site_url}/{page}")
    shown = images(browser)
    assert shown, page
    for image in shown:
        assert image["complete"] and image["naturalWidth"] > 0, image
    assert severe(console) == []


def test_the_search_page_finds_covariance(browser, site_url):
    results, console = search(browser, site_url, "covariance")
    assert any("covariance" in result.text.lower() for result in results)
    assert severe(console) == []


def test_the_checks_catch_a_missing_figure_and_an_empty_search(browser, site_url, tmp_path):
    """The checks above are not vacuous: a page whose image is missing fails them, and a search
    for a word the site does not hold finds nothing."""
    page = tmp_path / "broken.html"
    page.write_text(
        '<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">'
        '<link rel="icon" href="data:,"><title>broken</title></head>'
        '<body><img src="missing.png" alt="missing"></body></html>'
    )
    console = visit(browser, page.as_uri())
    assert images(browser)[0]["naturalWidth"] == 0
    assert any("missing.png" in entry["message"] for entry in severe(console))

    results, _ = search(browser, site_url, "xylophone")
    assert results == []
