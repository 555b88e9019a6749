"""Every notebook in a real JupyterLab, in a real browser (headless Chromium driven by Playwright).

What a learner does: open the notebook in JupyterLab, "Run All", look at the figures, move a slider.
For each ``notebooks/NN_*.ipynb`` (copied to a temporary folder, so nothing is saved over the committed
files) this test runs all cells at smoke settings (``SYNQ_SMOKE=1``) and checks

* no cell shows an error output;
* every widget output renders (no "Error displaying widget"): as many rendered widget views as the
  notebook holds widget outputs;
* every widget panel of :mod:`synq_nb.widgets` (controls + an Output with the figure) redraws its figure
  after one interaction: a slider moved with the keyboard, or another dropdown entry; the ``src`` of the
  image in the panel's Output changes;
* a screenshot per notebook (the first panel after the interaction, or the first figure) is saved under
  ``outputs/browser/`` (and one per panel, ``NN_name.panelK.png``).

Needs the system Chromium (Debian: ``apt-get install chromium``; ``SYNQ_CHROMIUM`` names another binary)
and the ``playwright`` package (test extra). Without a browser the test is skipped, except in CI
(``CI=true``), where a missing browser fails. Run it alone with ``make test-browser`` or
``.venv/bin/python -m pytest tests/test_browser.py``.
"""
from __future__ import annotations

import inspect
import json
import os
import re
import secrets
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from synq_nb import widgets
from synq_nb.notebooks_run import notebooks

REPO = Path(__file__).resolve().parents[1]
SHOTS = REPO / "outputs" / "browser"
NOTEBOOKS = notebooks()
IN_CI = os.environ.get("CI", "").strip().lower() in ("1", "true", "yes")
RUN_TIMEOUT_S = 600  # one notebook, all cells, smoke settings
REDRAW_TIMEOUT_S = 60
# the builders of synq_nb.widgets that return a Panel (controls + an Output holding the figure)
PANEL_BUILDERS = sorted(n for n, f in inspect.getmembers(widgets, inspect.isfunction)
                        if f.__module__ == widgets.__name__ and f.__annotations__.get("return") in ("Panel", widgets.Panel))

_KERNEL_IDLE = """() => { const w = window.jupyterapp && window.jupyterapp.shell.currentWidget;
  const k = w && w.sessionContext && w.sessionContext.session && w.sessionContext.session.kernel;
  return !!(w && w.context && w.context.isReady && k && k.status === 'idle'); }"""

_RUN_STATE = """() => { const w = window.jupyterapp.shell.currentWidget; const k = w.sessionContext.session.kernel;
  let queued = 0, unrun = 0, errors = 0;
  for (const c of w.content.widgets) {
    if (c.model.type !== 'code') continue;
    const p = c.node.querySelector('.jp-InputPrompt');
    if (p && p.textContent.includes('*')) queued++;
    if (c.model.sharedModel.getSource().trim() && c.model.executionCount === null) unrun++;
    const o = c.model.outputs;
    for (let i = 0; i < o.length; i++) if (o.get(i).type === 'error') errors++;
  }
  return {status: k ? k.status : 'dead', queued: queued, unrun: unrun, errors: errors}; }"""

# widget outputs of the notebook: rendered views, and those that show an error instead
_WIDGET_OUTPUTS = """() => {
  const outs = Array.from(document.querySelectorAll('.jp-Notebook .jp-OutputArea-output'));
  return {
    rendered: outs.filter(n => n.querySelector(':scope > .jupyter-widgets')).length,
    errors: outs.filter(n => n.innerText.includes('Error displaying widget')).map(n => n.innerText.slice(0, 200)),
  }; }"""


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _chromium() -> str | None:
    for c in (os.environ.get("SYNQ_CHROMIUM"), shutil.which("chromium"), "/usr/bin/chromium", shutil.which("chromium-browser")):
        if c and Path(c).is_file() and os.access(c, os.X_OK):
            return c
    return None


def _skip_or_fail(reason: str):
    if IN_CI:
        pytest.fail(f"{reason} (CI=true: the browser test must run in CI)")
    pytest.skip(reason)


def _needs_data():
    data, weights = os.environ.get("SYNQ_DATA_DIR"), os.environ.get("SYNQ_WEIGHTS_DIR")
    if not (data and (Path(data) / "cifar10" / "test.npz").is_file() and weights and Path(weights).is_dir()):
        pytest.skip("set SYNQ_DATA_DIR (cifar10/test.npz) and SYNQ_WEIGHTS_DIR (teacher weights) to run the notebooks")


def _write_lab_settings(home: Path):
    """User settings for the temporary HOME: every cell in the DOM (no windowing), no autosave, no news."""
    settings = {
        "notebook-extension/tracker": {"windowingMode": "none"},
        "docmanager-extension/plugin": {"autosave": False},
        "apputils-extension/notification": {"fetchNews": "false", "checkForUpdates": False},
    }
    for name, value in settings.items():
        f = home / ".jupyter" / "lab" / "user-settings" / "@jupyterlab" / f"{name}.jupyterlab-settings"
        f.parent.mkdir(parents=True, exist_ok=True)
        f.write_text(json.dumps(value))


@pytest.fixture(scope="module")
def browser():
    exe = _chromium()
    if exe is None:
        _skip_or_fail("no Chromium found (apt-get install chromium, or set SYNQ_CHROMIUM)")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        _skip_or_fail("the playwright package is missing (pip install -e '.[test]')")
    with sync_playwright() as pw:
        b = pw.chromium.launch(executable_path=exe, args=["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage"])
        yield b
        b.close()


@pytest.fixture(scope="module")
def lab(browser, tmp_path_factory):
    """``jupyter lab`` on 127.0.0.1 (free port, token), serving a copy of notebooks/ (results/ linked
    beside it, as in the repository); temporary HOME, IPython and matplotlib folders and cache."""
    _needs_data()
    tmp = tmp_path_factory.mktemp("lab")
    root, home = tmp / "root", tmp / "home"
    shutil.copytree(REPO / "notebooks", root / "notebooks", ignore=shutil.ignore_patterns(".ipynb_checkpoints"))
    for sibling in ("results",):
        if (REPO / sibling).exists():
            (root / sibling).symlink_to(REPO / sibling)
    home.mkdir()
    _write_lab_settings(home)
    port, token = _free_port(), secrets.token_hex(16)
    env = dict(os.environ, HOME=str(home), IPYTHONDIR=str(home / ".ipython"), MPLCONFIGDIR=str(home / ".matplotlib"),
               SYNQ_SMOKE="1", SYNQ_CACHE_DIR=str(tmp / "cache"), OMP_NUM_THREADS="1",
               JUPYTER_CONFIG_DIR=str(home / ".jupyter"), JUPYTERLAB_SETTINGS_DIR=str(home / ".jupyter" / "lab" / "user-settings"),
               JUPYTERLAB_WORKSPACES_DIR=str(home / ".jupyter" / "lab" / "workspaces"))
    env.pop("JUPYTER_PLATFORM_DIRS", None)
    log_path = tmp / "jupyterlab.log"
    log = open(log_path, "w")
    cmd = [sys.executable, "-m", "jupyterlab", "--no-browser", "--allow-root", f"--port={port}", "--ServerApp.port_retries=0",
           "--ServerApp.ip=127.0.0.1", f"--IdentityProvider.token={token}", f"--ServerApp.root_dir={root}",
           "--LabApp.expose_app_in_browser=True"]
    proc = subprocess.Popen(cmd, env=env, stdout=log, stderr=subprocess.STDOUT, cwd=root)
    base = f"http://127.0.0.1:{port}"

    def tail():
        return log_path.read_text()[-3000:]

    try:
        deadline = time.monotonic() + 120
        while True:
            if proc.poll() is not None:
                pytest.fail(f"jupyter lab exited with {proc.returncode}:\n{tail()}")
            try:
                with urllib.request.urlopen(f"{base}/api/status?token={token}", timeout=2) as r:
                    if r.status == 200:
                        break
            except OSError:
                pass
            if time.monotonic() > deadline:
                pytest.fail(f"jupyter lab did not answer within 120 s:\n{tail()}")
            time.sleep(0.5)
        yield dict(base=base, token=token, root=root, log=tail)
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        log.close()


def _panel_builder_calls(path: Path) -> int:
    """How many widget panels the notebook's code builds (calls of the Panel builders of synq_nb.widgets)."""
    nb = json.loads(path.read_text())
    code = "\n".join("".join(c["source"]) for c in nb["cells"] if c["cell_type"] == "code")
    code = "\n".join(line.split("#", 1)[0] for line in code.splitlines())
    return sum(len(re.findall(rf"\b{name}\(", code)) for name in PANEL_BUILDERS)


def _interact(page, panel) -> str:
    """One interaction with the panel's first control; returns what was done."""
    handle = panel.locator(".widget-slider .noUi-handle").first
    select = panel.locator(".widget-dropdown select").first
    if handle.count():
        readout = panel.locator(".widget-slider .widget-readout").first
        before = readout.inner_text() if readout.count() else None
        handle.focus()
        handle.press("ArrowRight")
        if readout.count():
            page.wait_for_timeout(300)
            if readout.inner_text() == before:  # at the maximum: move the other way
                handle.press("ArrowLeft")
        after = readout.inner_text() if readout.count() else "?"
        return f"slider {before} -> {after}"
    if select.count():
        options = select.locator("option")
        current = select.evaluate("s => s.selectedIndex")
        n = options.count()
        assert n >= 2, "a dropdown with a single entry cannot be changed"
        target = (current + 1) % n
        select.select_option(index=target)
        return f"dropdown entry {current} -> {target}"
    raise AssertionError("widget panel with neither a slider nor a dropdown")


@pytest.mark.slow
@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_notebook_runs_in_jupyterlab(path, lab, browser):
    SHOTS.mkdir(parents=True, exist_ok=True)
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    page = context.new_page()
    page_errors = []
    page.on("pageerror", lambda e: page_errors.append(str(e)))
    t0 = time.monotonic()
    try:
        page.goto(f"{lab['base']}/lab/tree/notebooks/{path.name}?token={lab['token']}&reset", timeout=120_000)
        page.wait_for_function(_KERNEL_IDLE, timeout=180_000, polling=500)
        # not awaited (the command's promise settles when the last cell has run): the loop below keeps the time limit
        page.evaluate("() => { window.jupyterapp.commands.execute('notebook:run-all-cells'); return true; }")
        # finished: kernel idle, no cell waiting ([*]) and every cell run (or one failed), on two polls in a row
        deadline, calm = time.monotonic() + RUN_TIMEOUT_S, 0
        while calm < 2:
            if time.monotonic() > deadline:
                page.screenshot(path=str(SHOTS / f"{path.stem}.timeout.png"))
                pytest.fail(f"{path.name}: still running after {RUN_TIMEOUT_S} s\n{lab['log']()}")
            page.wait_for_timeout(1000)
            state = page.evaluate(_RUN_STATE)
            assert state["status"] not in ("dead", "unknown"), f"{path.name}: kernel {state['status']}\n{lab['log']()}"
            done = state["status"] == "idle" and state["queued"] == 0 and (state["unrun"] == 0 or state["errors"] > 0)
            calm = calm + 1 if done else 0
        run_s = time.monotonic() - t0
        nb = page.evaluate("() => window.jupyterapp.shell.currentWidget.context.model.toJSON()")
        code = [c for c in nb["cells"] if c["cell_type"] == "code"]

        # 1. no error output, every cell ran
        errors = [f"cell {i}: {o.get('ename')}: {o.get('evalue')}" for i, c in enumerate(code)
                  for o in c.get("outputs", []) if o.get("output_type") == "error"]
        assert not errors, f"{path.name}: error output in JupyterLab:\n" + "\n".join(errors)
        not_run = [i for i, c in enumerate(code) if c.get("source") and c.get("execution_count") is None]
        assert not not_run, f"{path.name}: code cells not executed: {not_run}"

        # 2. every widget output renders
        widget_outputs = sum("application/vnd.jupyter.widget-view+json" in o.get("data", {})
                             for c in code for o in c.get("outputs", []))
        page.wait_for_timeout(500)
        rendered = page.evaluate(_WIDGET_OUTPUTS)
        assert not rendered["errors"], f"{path.name}: {rendered['errors']}"
        assert rendered["rendered"] == widget_outputs, \
            f"{path.name}: {widget_outputs} widget outputs in the notebook, {rendered['rendered']} rendered"

        # 3. every panel (controls + Output with a figure) redraws after one interaction
        panels = page.locator(".jp-Notebook .widget-vbox:has(> .widget-output)")
        n_panels = panels.count()
        expected = _panel_builder_calls(path)
        assert n_panels >= expected, f"{path.name}: the code builds {expected} widget panel(s), {n_panels} rendered"
        done = []
        for k in range(n_panels):
            panel = panels.nth(k)
            panel.scroll_into_view_if_needed()
            output = panel.locator(":scope > .widget-output").first
            img = output.locator("img").first
            img.wait_for(state="attached", timeout=30_000)
            before = img.get_attribute("src")
            assert before, f"{path.name}: panel {k} shows no figure"
            action = _interact(page, panel)
            try:
                page.wait_for_function("([out, old]) => { const i = out.querySelector('img'); return !!i && i.src !== old; }",
                                       arg=[output.element_handle(), before], timeout=REDRAW_TIMEOUT_S * 1000, polling=250)
            except Exception as e:  # playwright TimeoutError
                page.screenshot(path=str(SHOTS / f"{path.stem}.panel{k}.noredraw.png"))
                pytest.fail(f"{path.name}: panel {k}: the figure did not change within {REDRAW_TIMEOUT_S} s after "
                            f"{action} ({type(e).__name__})")
            page.wait_for_timeout(300)
            panel.screenshot(path=str(SHOTS / f"{path.stem}.panel{k}.png"))
            done.append(action)

        # 4. a screenshot: the first panel (after its interaction), else the first figure
        target = panels.first if n_panels else page.locator(".jp-Notebook .jp-OutputArea-output img").first
        if target.count():
            target.scroll_into_view_if_needed()
        page.screenshot(path=str(SHOTS / f"{path.stem}.png"))
        errs = "; ".join(page_errors[:3])
        print(f"{path.name}: ran in {run_s:.0f} s; {len(code)} code cells, {widget_outputs} widget outputs, "
              f"{n_panels} panel(s) redrawn ({', '.join(done) or '-'}); page errors: {errs or 'none'}")
    finally:
        try:  # free the kernel's memory before the next notebook
            page.evaluate("() => window.jupyterapp.shell.currentWidget.sessionContext.shutdown()")
        except Exception:
            pass
        context.close()
