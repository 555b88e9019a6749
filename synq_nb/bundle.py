"""The checkout files the notebooks read at run time, shipped inside the package (issue 19, item 2).

A notebook run outside this checkout (a notebook downloaded alone, the package installed from a wheel, a hosted
notebook service) has no ``results/`` and no ``notebooks/GLOSSARY.md``. ``synq_nb/data/committed.json.gz`` holds
a copy of what the notebooks read from them:

* ``results/runs/<set>/<name>.json``: the committed benchmark runs (folders starting with ``_`` are work folders
  and are left out, as :func:`synq_nb.results.load_runs` does), read by notebooks 02-07 through ``load_runs``;
* ``results/notebook_times.json``: the measured run times of notebook 00's course map (:func:`notebook_times`);
* ``notebooks/GLOSSARY.md``: the glossary the notebooks link to (:func:`glossary` writes it beside a notebook).

Each file is stored under its path in the checkout, JSON files parsed and text files as text, in one gzip'd JSON
written byte-for-byte reproducibly (sorted paths, no time stamp), so rebuilding an unchanged checkout changes
nothing. Rebuild it after changing any of those files::

    python -m synq_nb.bundle            # writes synq_nb/data/committed.json.gz from this checkout
    python -m synq_nb.bundle --check    # exit status 1 (and the differences) when the bundle is out of date

``tests/test_bundle.py`` fails, naming that command, when the bundle differs from the checkout. In a source
checkout the files themselves are read; the bundle only where they are missing. Standard library only.
"""
from __future__ import annotations

import argparse
import gzip
import io
import json
import sys
from pathlib import Path

PACKAGE = Path(__file__).resolve().parent
CHECKOUT = PACKAGE.parent  # the repository root, when the package runs from a source checkout
BUNDLE = PACKAGE / "data" / "committed.json.gz"
REBUILD = "python -m synq_nb.bundle"
RUNS = "results/runs"
TIMES = "results/notebook_times.json"
GLOSSARY = "notebooks/GLOSSARY.md"
FORMAT = 1


def checkout_files(root=CHECKOUT) -> dict:
    """{path relative to ``root``: content} of the files the bundle ships, read from a checkout at ``root``:
    every ``results/runs/<set>/*.json`` (not ``_``-folders), ``results/notebook_times.json`` and
    ``notebooks/GLOSSARY.md``, those that exist. JSON files are parsed, text files kept as text."""
    root = Path(root)
    paths = [p for p in sorted((root / RUNS).glob("*/*.json")) if not p.parent.name.startswith("_")]
    paths += [root / p for p in (TIMES, GLOSSARY) if (root / p).is_file()]
    out = {}
    for p in paths:
        rel = p.relative_to(root).as_posix()
        text = p.read_text(encoding="utf-8")
        out[rel] = json.loads(text) if p.suffix == ".json" else text
    return out


def encode(files: dict) -> bytes:
    """The bundle's bytes for ``files`` ({path: content}): gzip'd compact JSON, sorted paths, no time stamp."""
    doc = {"format": FORMAT, "files": {k: files[k] for k in sorted(files)}}
    raw = json.dumps(doc, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
    buf = io.BytesIO()
    with gzip.GzipFile(filename="", mode="wb", fileobj=buf, compresslevel=9, mtime=0) as f:
        f.write(raw)
    return buf.getvalue()


def write(root=CHECKOUT, out=None) -> Path:
    """Write the bundle of the checkout at ``root`` to ``out``; returns ``out``. Stops when ``root`` has no
    ``results/runs`` (run it in a source checkout)."""
    if not (Path(root) / RUNS).is_dir():
        raise FileNotFoundError(f"no {RUNS} under {root}: build the bundle in a source checkout")
    out = Path(out or BUNDLE)
    out.parent.mkdir(parents=True, exist_ok=True)
    data = encode(checkout_files(root))
    if not out.is_file() or out.read_bytes() != data:
        out.write_bytes(data)
    return out


def read(path=None) -> dict:
    """{path in the checkout: content} of the bundle at ``path`` (default :data:`BUNDLE`; ``{}`` when the package
    has none); a fresh copy on every call, so callers may change it."""
    path = Path(path or BUNDLE)
    if not path.is_file():
        return {}
    doc = json.loads(gzip.decompress(path.read_bytes()).decode("utf-8"))
    if doc.get("format") != FORMAT:
        raise ValueError(f"{path}: bundle format {doc.get('format')!r}, this synq_nb reads {FORMAT}; "
                         f"rebuild it with `{REBUILD}`")
    return doc["files"]


def differences(root=CHECKOUT, path=None) -> list:
    """How the bundle at ``path`` differs from the checkout at ``root``: a list of lines, empty when they agree."""
    have, want = read(path), checkout_files(root)
    lines = [f"missing from the bundle: {k}" for k in sorted(set(want) - set(have))]
    lines += [f"in the bundle, not in the checkout: {k}" for k in sorted(set(have) - set(want))]
    same = lambda a, b: json.dumps(a, sort_keys=True) == json.dumps(b, sort_keys=True)  # NaN equals NaN here
    lines += [f"differs: {k}" for k in sorted(set(have) & set(want)) if not same(have[k], want[k])]
    return lines


def run_files() -> dict:
    """{"<set folder>/<name>.json": run JSON} of the runs in the bundle."""
    prefix = RUNS + "/"
    return {k[len(prefix):]: v for k, v in read().items() if k.startswith(prefix)}


def source_line(n_runs: int) -> str:
    """The sentence a notebook prints when it reads the runs from the bundle."""
    from . import __version__

    return (f"committed runs: the copy shipped with synq_nb {__version__} ({n_runs} runs; "
            f"this is not a source checkout, so there is no {RUNS}/)")


def notebook_times():
    """The content of ``results/notebook_times.json`` (notebook 00's course map): the checkout's file when it
    exists, else the bundle's copy, else None."""
    p = CHECKOUT / TIMES
    if p.is_file():
        return json.loads(p.read_text(encoding="utf-8"))
    return read().get(TIMES)


def glossary(folder=".") -> Path | None:
    """Make the notebooks' ``[glossary](GLOSSARY.md)`` links work where a notebook runs alone: write the shipped
    ``GLOSSARY.md`` into ``folder`` (the notebook's own folder; Jupyter starts the kernel there) when it is not
    there already, and say so. Returns the file's path (None when there is neither a file nor a shipped copy).
    In a source checkout it writes nothing: the notebooks sit beside ``notebooks/GLOSSARY.md`` there."""
    if (CHECKOUT / GLOSSARY).is_file():
        return CHECKOUT / GLOSSARY
    target = Path(folder) / "GLOSSARY.md"
    if target.is_file():
        return target
    text = read().get(GLOSSARY)
    if text is None:
        print("note: no GLOSSARY.md here and none shipped with synq_nb: the glossary links will not open")
        return None
    target.write_text(text, encoding="utf-8")
    print(f"wrote {target} (the glossary the notebooks link to, shipped with synq_nb)")
    return target


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(prog="python -m synq_nb.bundle", description=__doc__.split("\n\n")[0])
    ap.add_argument("--check", action="store_true", help="only compare the bundle with the checkout (exit 1 if it differs)")
    args = ap.parse_args(argv)
    if args.check:
        diff = differences()
        for line in diff:
            print(line)
        print(f"{BUNDLE.relative_to(CHECKOUT)}: {'out of date, rebuild it with `' + REBUILD + '`' if diff else 'up to date'}")
        return 1 if diff else 0
    out = write()
    files = read()
    n_runs = sum(k.startswith(RUNS + "/") for k in files)
    print(f"wrote {out.relative_to(CHECKOUT)}: {out.stat().st_size / 1024:.0f} KiB, {len(files)} files "
          f"({n_runs} runs, {', '.join(k for k in files if not k.startswith(RUNS + '/'))})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
