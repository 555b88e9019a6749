"""The course as a site: ``make book`` (Jupyter Book 1, offline, the committed notebooks not executed) builds
pages that load in a real browser (headless Chromium), with every image, script and style found, every internal
link and anchor resolving, no JavaScript error, and the saved widgets rendered. Screenshots of the landing page
and of one widget page go to ``outputs/book/``.

The site is built into a temporary folder (``SYNQ_BOOK_HTML=book/_build/html`` checks an existing build instead).
Without Chromium the browser checks are skipped, except in CI (``CI=true``), where they fail.
"""
from __future__ import annotations

import functools
import http.server
import json
import os
import re
import shutil
import subprocess
import sys
import threading
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote, urljoin, urlsplit

import pytest
import yaml

from synq_nb.notebooks_run import WIDGET_STATE_MIME, notebooks

REPO = Path(__file__).resolve().parents[1]
BOOK = REPO / "book"
SHOTS = REPO / "outputs" / "book"
IN_CI = os.environ.get("CI", "").strip().lower() in ("1", "true", "yes")


def _toc_files(toc: dict) -> list:
    files = [toc["root"]]
    for part in toc.get("parts", []):
        for ch in part.get("chapters", []):
            files.append(ch["file"])
            files += [s["file"] for s in ch.get("sections", [])]
    return files


def test_toc_lists_every_notebook_and_the_config_does_not_execute():
    toc = yaml.safe_load((BOOK / "_toc.yml").read_text())
    assert toc["format"] == "jb-book"
    listed = _toc_files(toc)
    missing = [f"notebooks/{p.stem}" for p in notebooks() if f"notebooks/{p.stem}" not in listed]
    assert not missing, f"book/_toc.yml lacks {missing}"
    config = yaml.safe_load((BOOK / "_config.yml").read_text())
    assert config["execute"]["execute_notebooks"] == "off"
    assert (BOOK / "notebooks").resolve() == (REPO / "notebooks").resolve(), "book/notebooks must link to ../notebooks"


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    """The built site's html folder: built here, as ``make book`` does, into a temporary folder."""
    given = os.environ.get("SYNQ_BOOK_HTML")
    if given:
        html = Path(given)
        assert (html / "intro.html").is_file(), f"SYNQ_BOOK_HTML={given}: no intro.html there"
        return html
    out = tmp_path_factory.mktemp("book")
    jb = Path(sys.executable).with_name("jupyter-book")
    cmd = [str(jb) if jb.exists() else "jupyter-book", "build", str(BOOK), "--path-output", str(out), "--warningiserror",
           "--keep-going", "--quiet"]
    r = subprocess.run(cmd, capture_output=True, text=True, timeout=900, cwd=REPO)
    assert r.returncode == 0, f"jupyter-book build failed (warnings count as errors):\n{r.stdout[-4000:]}\n{r.stderr[-4000:]}"
    html = out / "_build" / "html"
    assert (html / "intro.html").is_file()
    return html


class _Page(HTMLParser):
    def __init__(self):
        super().__init__()
        self.ids, self.links = set(), []

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if a.get("id"):
            self.ids.add(a["id"])
        if tag == "a" and a.get("name"):
            self.ids.add(a["name"])
        if tag == "a" and a.get("href"):
            self.links.append(a["href"])


def _parse(path: Path) -> _Page:
    p = _Page()
    p.feed(path.read_text(encoding="utf-8"))
    return p


def _pages(html: Path) -> list:
    return sorted(p for p in html.rglob("*.html") if "_static" not in p.parts and "_sources" not in p.parts)


def test_every_page_is_there_and_offline(site):
    pages = {p.relative_to(site).as_posix() for p in _pages(site)}
    for name in ["intro.html", "benchmarks.html", "references.html"] + [f"notebooks/{p.stem}.html" for p in notebooks()]:
        assert name in pages, f"{name} missing from the built site"
    for page in _pages(site):
        text = page.read_text(encoding="utf-8")
        # nothing a page needs comes from another host (links to papers are fine: <a href>, not loaded)
        remote = re.findall(r'<(?:script|link|img)[^>]+(?:src|href)="(https?://[^"]+)"', text)
        assert not remote, f"{page.relative_to(site)} loads {remote[:3]} from the internet"
    # the saved widget state of a committed notebook reaches its page
    for stem in _notebooks_with_widgets():
        text = (site / "notebooks" / f"{stem}.html").read_text(encoding="utf-8")
        assert f'type="{WIDGET_STATE_MIME}"' in text, f"notebooks/{stem}.html lacks the saved widget state"


def test_internal_links_and_anchors_resolve(site):
    parsed = {p.resolve(): _parse(p) for p in _pages(site)}
    broken = []
    for page, info in parsed.items():  # page: resolved path
        for href in info.links:
            parts = urlsplit(href)
            if parts.scheme or parts.netloc or href.startswith(("mailto:", "javascript:")):
                continue
            target = (page.parent / unquote(parts.path)).resolve() if parts.path else page
            if target.is_dir():
                target = target / "index.html"
            if not target.exists():
                broken.append(f"{page.relative_to(site.resolve())} -> {href}")
                continue
            if parts.fragment and target.suffix == ".html":
                ids = parsed[target].ids if target in parsed else _parse(target).ids
                if unquote(parts.fragment) not in ids:
                    broken.append(f"{page.relative_to(site.resolve())} -> {href} (no such anchor)")
    assert not broken, "broken internal links:\n" + "\n".join(broken[:30])


def _notebooks_with_widgets() -> list:
    return [p.stem for p in notebooks()
            if ((json.loads(p.read_text()).get("metadata") or {}).get("widgets") or {}).get(WIDGET_STATE_MIME, {}).get("state")]


@pytest.fixture(scope="module")
def browser():
    exe = next((c for c in (os.environ.get("SYNQ_CHROMIUM"), shutil.which("chromium"), "/usr/bin/chromium")
                if c and Path(c).is_file()), None)
    reason = None
    if exe is None:
        reason = "no Chromium found (apt-get install chromium, or set SYNQ_CHROMIUM)"
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        reason = reason or "the playwright package is missing (pip install -e '.[test]')"
    if reason:
        if IN_CI:
            pytest.fail(f"{reason} (CI=true: the book test must run in CI)")
        pytest.skip(reason)
    with sync_playwright() as pw:
        b = pw.chromium.launch(executable_path=exe, args=["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage"])
        yield b
        b.close()


@pytest.fixture(scope="module")
def server(site):
    """The site over http on 127.0.0.1 (as a reader's browser gets it from a host)."""
    class Quiet(http.server.SimpleHTTPRequestHandler):
        def log_message(self, *args):
            pass

    handler = functools.partial(Quiet, directory=str(site))
    srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=srv.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{srv.server_address[1]}/"
    srv.shutdown()
    srv.server_close()


_IMAGES = """async () => {
  const imgs = Array.from(document.images);
  imgs.forEach(i => { i.loading = 'eager'; });
  await Promise.all(imgs.map(i => i.complete ? null : new Promise(r => { i.onload = i.onerror = r; })));
  return imgs.map(i => ({src: i.currentSrc || i.src, ok: i.complete && i.naturalWidth > 0}));
}"""


def test_every_page_loads_in_a_browser(site, server, browser):
    """Every page: HTTP 200 for everything it loads from the site, every <img> decoded (naturalWidth > 0), no
    JavaScript error; pages of notebooks with saved widget state render those widgets (no "Error displaying
    widget")."""
    SHOTS.mkdir(parents=True, exist_ok=True)
    context = browser.new_context(viewport={"width": 1300, "height": 1000})
    problems, widget_pages, shot_widget = [], 0, False
    for page_path in _pages(site):
        rel = page_path.relative_to(site).as_posix()
        page = context.new_page()
        failed, errors = [], []
        page.on("response", lambda r, f=failed: r.status >= 400 and not r.url.endswith("/favicon.ico") and f.append(f"{r.status} {r.url}"))
        page.on("requestfailed", lambda r, f=failed: r.url.startswith(server) and not r.url.endswith("/favicon.ico")
                and f.append(f"failed {r.url}"))
        page.on("pageerror", lambda e, er=errors: er.append(str(e)))
        resp = page.goto(urljoin(server, rel), wait_until="load", timeout=60_000)
        if resp is None or resp.status != 200:
            problems.append(f"{rel}: HTTP {resp.status if resp else 'no response'}")
        page.wait_for_timeout(300)
        bad_imgs = [i["src"][:120] for i in page.evaluate(_IMAGES) if not i["ok"]]
        if bad_imgs:
            problems.append(f"{rel}: images not shown {bad_imgs[:3]}")
        stem = Path(rel).stem
        if 'type="application/vnd.jupyter.widget-view+json"' in page_path.read_text(encoding="utf-8"):
            widget_pages += 1
            # the HTML manager renders each saved view into a .widget-subarea next to its script tag
            views = page.locator('script[type="application/vnd.jupyter.widget-view+json"]').count()
            try:
                page.wait_for_function("n => document.querySelectorAll('.widget-subarea > .jupyter-widgets').length >= n",
                                       arg=views, timeout=30_000)
            except Exception:
                shown = page.locator(".widget-subarea > .jupyter-widgets").count()
                problems.append(f"{rel}: {shown} of {views} saved widget views rendered")
            text = page.inner_text("body")
            if "Error displaying widget" in text or "model not found" in text:
                problems.append(f"{rel}: 'Error displaying widget' on the page")
            control = page.locator(".widget-slider, .widget-dropdown").first
            if not shot_widget and control.count():
                control.scroll_into_view_if_needed()
                page.wait_for_timeout(300)
                page.screenshot(path=str(SHOTS / f"{stem}.png"))
                shot_widget = True
        if rel == "intro.html":
            page.screenshot(path=str(SHOTS / "intro.png"), full_page=True)
        page.wait_for_timeout(200)
        problems += [f"{rel}: {f}" for f in failed] + [f"{rel}: JavaScript error: {e}" for e in errors]
        page.close()
    context.close()
    assert not problems, "\n".join(problems[:40])
    if _notebooks_with_widgets():
        assert widget_pages >= 1 and shot_widget
