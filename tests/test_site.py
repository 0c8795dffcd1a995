"""The documentation site builds strictly and works in a real browser (headless Chromium).

The site is built with ``mkdocs build --strict`` (every example and code block runs), served
over HTTP from a temporary folder, and opened in Chromium through chromedriver: the home page,
a guide and an API page load without console errors and with every image, and the site search
finds ``GradientTape``. Screenshots of each go to ``build/screenshots/`` for a person to look at.

Needs the ``docs`` extra and Debian's ``chromium`` and ``chromium-driver``; without them the
tests skip, unless ``TAPEGRAD_REQUIRE_SITE_TEST=1`` (set by ``.ci/run``) makes that a failure.
"""

from __future__ import annotations

import functools
import http.server
import importlib.util
import os
import shutil
import subprocess
import sys
import threading
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SCREENSHOTS = ROOT / "build" / "screenshots"
PAGES = {"home": "", "guide": "guides/gradient-tape/", "api": "api/tapegrad/"}


def _missing() -> list[str]:
    missing = [m for m in ("mkdocs", "material", "mkdocstrings_handlers.python", "selenium")
               if importlib.util.find_spec(m.split(".")[0]) is None]
    missing += [b for b in ("chromium", "chromedriver") if shutil.which(b) is None]
    return missing


if _missing():
    message = (f"the site test needs {', '.join(_missing())}: pip install -e '.[docs]' and "
               f"apt-get install chromium chromium-driver")
    if os.environ.get("TAPEGRAD_REQUIRE_SITE_TEST") == "1":
        raise RuntimeError(message)
    pytest.skip(message, allow_module_level=True)

from selenium import webdriver  # noqa: E402
from selenium.webdriver.common.by import By  # noqa: E402
from selenium.webdriver.support import expected_conditions  # noqa: E402
from selenium.webdriver.support.ui import WebDriverWait  # noqa: E402


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    site_dir = tmp_path_factory.mktemp("site")
    env = dict(os.environ, NO_MKDOCS_2_WARNING="1",
               PYTHONPATH=os.pathsep.join(filter(None, [str(ROOT / "src"),
                                                        os.environ.get("PYTHONPATH")])))
    done = subprocess.run([sys.executable, "-m", "mkdocs", "build", "--strict", "--site-dir",
                           str(site_dir)], cwd=ROOT, env=env, capture_output=True, text=True,
                          timeout=600)
    assert done.returncode == 0, done.stderr[-5000:]
    return site_dir


# Each documented namespace and the API page that documents it. A namespace added to tapegrad
# (a module among tapegrad.__all__ or tapegrad.keras.__all__) needs a page here and in mkdocs.yml.
API_PAGES = {"tapegrad": "tapegrad", "tapegrad.math": "math", "tapegrad.linalg": "linalg",
             "tapegrad.nn": "nn", "tapegrad.random": "random",
             "tapegrad.random.experimental": "random",
             "tapegrad.keras.optimizers": "optimizers", "tapegrad.optimizers": "optimizers",
             "tapegrad.keras.optimizers.schedules": "schedules",
             "tapegrad.optimizers.schedules": "schedules", "tapegrad.config": "utilities",
             "tapegrad.debugging": "utilities", "tapegrad.errors": "utilities",
             "tapegrad.nest": "utilities", "tapegrad.image": "utilities", "tapegrad.test": "test",
             "tapegrad.models": "workbench", "tapegrad.plot": "workbench",
             "tapegrad.datasets": "workbench", "tapegrad.tapegraph": "workbench",
             "tapegrad.autodiff": "autodiff", "tapegrad.train": "train",
             "tapegrad.data": "data", "tapegrad.data.experimental": "data",
             "tapegrad.keras.layers": "keras-layers", "tapegrad.keras.activations": "keras-layers",
             "tapegrad.keras.initializers": "keras-layers",
             "tapegrad.keras.regularizers": "keras-layers",
             "tapegrad.keras.constraints": "keras-layers",
             "tapegrad.keras.models": "keras-models", "tapegrad.keras.callbacks": "keras-models",
             "tapegrad.keras.saving": "keras-models", "tapegrad.keras.utils": "keras-models",
             "tapegrad.keras.backend": "keras-models", "tapegrad.keras.losses": "keras-losses",
             "tapegrad.keras.metrics": "keras-losses"}
CONTAINERS = ["tapegrad.keras"]  # namespaces of namespaces: no page of their own


def test_api_reference_documents_every_public_name(site: Path) -> None:
    import importlib
    import re
    import types

    ids = {page: set(re.findall(r'id="([^"]+)"', (site / "api" / page / "index.html").read_text()))
           for page in set(API_PAGES.values()) | {"workbench"}}
    every_id = set().union(*ids.values())
    undocumented = []
    for name in [*API_PAGES, *CONTAINERS]:
        module = importlib.import_module(name)
        for attribute in getattr(module, "__all__", []):
            value = getattr(module, attribute)
            if isinstance(value, types.ModuleType):
                if value.__name__ not in API_PAGES and value.__name__ not in CONTAINERS:
                    undocumented.append(f"{value.__name__} (a namespace with no page)")
            elif not any(i == f"{name}.{attribute}" or i.endswith(f".{attribute}")
                         for i in every_id):
                # an alias (double for float64) is documented under the name it aliases
                if not any(getattr(module, other) is value and f"{name}.{other}" in every_id
                           for other in module.__all__ if other != attribute):
                    undocumented.append(f"{name}.{attribute}")
    assert undocumented == []


@pytest.fixture(scope="module")
def url(site: Path):
    handler = functools.partial(_QuietHandler, directory=str(site))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/"
    server.shutdown()
    server.server_close()


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture(scope="module")
def browser():
    options = webdriver.ChromeOptions()
    options.binary_location = shutil.which("chromium")
    for argument in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage",
                     "--disable-gpu", "--window-size=1280,900"):
        options.add_argument(argument)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    service = webdriver.ChromeService(executable_path=shutil.which("chromedriver"))
    driver = webdriver.Chrome(options=options, service=service)
    driver.set_page_load_timeout(60)
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    yield driver
    driver.quit()


def _errors(driver) -> list[str]:
    return [entry["message"] for entry in driver.get_log("browser")
            if entry["level"] == "SEVERE"]


@pytest.mark.parametrize("name", list(PAGES))
def test_page_loads_without_console_errors(browser, url: str, name: str) -> None:
    browser.get_log("browser")  # drop what earlier pages logged
    browser.get(url + PAGES[name])
    WebDriverWait(browser, 30).until(
        lambda d: d.execute_script("return document.readyState") == "complete")
    heading = browser.find_element(By.CSS_SELECTOR, "article h1").text
    assert heading == {"home": "tapegrad", "guide": "GradientTape", "api": "tapegrad"}[name]
    broken = browser.execute_script(
        "return Array.from(document.images).filter(i => !i.complete || i.naturalWidth === 0)"
        ".map(i => i.src)")
    assert broken == []
    if name == "guide":  # the executed examples: their output and the tape drawings
        assert len(browser.find_elements(By.CSS_SELECTOR, "article img")) >= 4
        assert "27.0 18.0" in browser.find_element(By.TAG_NAME, "article").text  # 3x², 6x
    if name == "api":
        assert browser.find_elements(By.ID, "tapegrad.GradientTape.gradient")
    browser.save_screenshot(str(SCREENSHOTS / f"{name}.png"))
    assert _errors(browser) == []


def test_search_finds_gradient_tape(browser, url: str) -> None:
    browser.get_log("browser")
    browser.get(url)
    WebDriverWait(browser, 30).until(
        lambda d: d.execute_script("return document.readyState") == "complete")
    query = WebDriverWait(browser, 10).until(expected_conditions.element_to_be_clickable(
        (By.CSS_SELECTOR, "input[data-md-component='search-query']")))  # in the header
    query.click()
    query.send_keys("GradientTape")
    WebDriverWait(browser, 30).until(lambda d: d.find_elements(
        By.CSS_SELECTOR, ".md-search-result__item"))
    results = browser.find_elements(By.CSS_SELECTOR, ".md-search-result__item a")
    links = [r.get_attribute("href") for r in results]
    assert any("guides/gradient-tape/" in link for link in links), links
    assert any("api/tapegrad/" in link for link in links), links
    browser.save_screenshot(str(SCREENSHOTS / "search.png"))
    assert _errors(browser) == []
