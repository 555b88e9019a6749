"""Sphinx extension of the book: no asset from the internet.

MathJax 3 comes from the ``django-static-mathjax`` package (PyPI; MathJax 3.2.2 itself, Apache-2.0, whatever its
name says it needs no Django) instead of a CDN: the combined ``tex-mml-chtml.js`` with its fonts and the TeX
extensions it may load on demand are copied into ``_static/mathjax/`` of the built site. The saved widgets render
with the vendored ipywidgets HTML manager in ``_static/ipywidgets/`` (see its README).
"""
from __future__ import annotations

import shutil
from pathlib import Path

from sphinx.errors import ExtensionError

# what tex-mml-chtml.js loads from its own folder: the CHTML fonts, the TeX extensions (autoload), the menu and a11y
_PARTS = ("tex-mml-chtml.js", "output/chtml", "input/tex/extensions", "ui", "a11y", "sre")


def mathjax_es5() -> Path:
    try:
        import mathjax  # django-static-mathjax
    except ImportError:
        raise ExtensionError("the book needs MathJax offline: pip install django-static-mathjax "
                             "(part of the test extra: pip install -e '.[test]')") from None
    root = Path(mathjax.__file__).resolve().parent / "static" / "mathjax" / "es5"
    if not (root / "tex-mml-chtml.js").is_file():
        raise ExtensionError(f"no tex-mml-chtml.js under {root}: reinstall django-static-mathjax")
    return root


def _config_inited(app, config):
    mathjax_es5()
    config.mathjax_path = "mathjax/tex-mml-chtml.js"  # relative: _static/mathjax/...


def _copy(app, exception):
    if exception is not None or app.builder.format != "html":
        return
    src, dest = mathjax_es5(), Path(app.outdir) / "_static" / "mathjax"
    for part in _PARTS:
        s, d = src / part, dest / part
        if s.is_dir():
            shutil.copytree(s, d, dirs_exist_ok=True)
        else:
            d.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(s, d)


def _dedupe_scripts(app, pagename, templatename, context, doctree):
    """sphinx-thebe registers its inline configuration twice under Jupyter Book 1 (a page error: 'THEBE_JS_URL'
    has already been declared): keep the first of identical script entries."""
    files = context.get("script_files")
    if not files:
        return
    seen, kept = set(), []
    for js in files:
        key = (str(getattr(js, "filename", js) or ""), tuple(sorted((k, str(v)) for k, v in getattr(js, "attributes", {}).items())))
        if key not in seen:
            seen.add(key)
            kept.append(js)
    files[:] = kept  # in place: handlers after this one add the page's own scripts to the same list


def setup(app):
    app.connect("config-inited", _config_inited)
    app.connect("html-page-context", _dedupe_scripts, priority=1)  # first: a handler that returns stops the chain
    app.connect("build-finished", _copy)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
