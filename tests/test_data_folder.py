"""data/: the default download home, its README listing every file the package can fetch, and the check command."""
from __future__ import annotations

import re
import shutil
import subprocess

import pytest

from conftest import REPO, teacher_weights_path
from synq_nb.cli import main
from synq_nb.data import check_downloads, downloads
from synq_nb.models import CHECKOUT_DATA, data_home


def test_readme_lists_exactly_what_the_package_can_fetch():
    text = (REPO / "data" / "README.md").read_text()
    rows = re.findall(r"^\| `([^`]+)` \| [^|]+ \| (\S+) \| (sha256|sha1) `([0-9a-f]+)` \|$", text, re.M)
    want = [(d["file"], d["url"], "sha256" if "sha256" in d else "sha1", d.get("sha256") or d["sha1"]) for d in downloads()]
    assert rows == want
    assert {d["file"].split("/")[-1].split("-")[0] for d in downloads() if "pytorchcv" in d["what"]} == \
        {"resnet20_cifar10", "resnet20_cifar100", "resnet18", "resnet50", "mobilenetv2_w1"}
    assert all(len(d.get("sha256", "")) == 64 or len(d.get("sha1", "")) == 40 for d in downloads())


def test_data_folder_contents_are_ignored_except_the_readme():
    if shutil.which("git") is None or not (REPO / ".git").exists():
        pytest.skip("not a git checkout")

    def ignored(path):
        return subprocess.run(["git", "check-ignore", "-q", path], cwd=REPO).returncode == 0

    assert ignored("data/weights/resnet18-0896-77a56f15.pth") and ignored("data/cifar-10-python.tar.gz")
    assert not ignored("data/README.md")


def test_download_home(monkeypatch, tmp_path):
    monkeypatch.delenv("SYNQ_DOWNLOAD_DIR", raising=False)
    assert data_home() == CHECKOUT_DATA == REPO / "data"  # in this checkout
    monkeypatch.setenv("SYNQ_DOWNLOAD_DIR", str(tmp_path))
    assert data_home() == tmp_path


def test_weights_download_lands_in_the_download_home_and_is_verified(monkeypatch, tmp_path):
    import torch

    from synq_nb import WeightsNotFoundError, load_teacher

    src = teacher_weights_path()
    if src is None:
        pytest.skip("the akamaster ResNet-20 file is needed (SYNQ_WEIGHTS_DIR)")
    monkeypatch.delenv("SYNQ_WEIGHTS_DIR")
    monkeypatch.setenv("SYNQ_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.setenv("SYNQ_DOWNLOAD_DIR", str(tmp_path / "home"))
    fetched = []

    def fake_download(url, dst, *a, **k):  # the network, replaced by the published file
        fetched.append(url)
        shutil.copyfile(src, dst)

    monkeypatch.setattr(torch.hub, "download_url_to_file", fake_download)
    load_teacher("resnet20_cifar10_akamaster", device="cpu")
    assert fetched == [downloads()[2]["url"]]
    assert (tmp_path / "home" / "weights" / "akamaster_resnet20-12fca82f.th").is_file()
    load_teacher("resnet20_cifar10_akamaster", device="cpu")  # found there the second time: no new download
    assert len(fetched) == 1
    (tmp_path / "home" / "weights" / "akamaster_resnet20-12fca82f.th").unlink()
    monkeypatch.setattr(torch.hub, "download_url_to_file", lambda url, dst, *a, **k: open(dst, "wb").write(b"x"))
    with pytest.raises(WeightsNotFoundError, match="sha256"):
        load_teacher("resnet20_cifar10_akamaster", device="cpu")


def test_check_command(monkeypatch, tmp_path, capsys):
    home, wdir = tmp_path / "home", tmp_path / "w"
    (home / "weights").mkdir(parents=True)
    wdir.mkdir()
    monkeypatch.setenv("SYNQ_DOWNLOAD_DIR", str(home))
    monkeypatch.setenv("SYNQ_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.setenv("SYNQ_WEIGHTS_DIR", str(wdir))
    assert {r["status"] for r in check_downloads()} == {"missing"}
    assert main(["data", "--check"]) == 0
    assert "0 ok, 9 missing, 0 with a wrong hash" in capsys.readouterr().out
    src = teacher_weights_path()
    if src is not None:  # the real file, under the URL's own name in SYNQ_WEIGHTS_DIR: ok
        shutil.copyfile(src, wdir / "resnet20-12fca82f.th")
    (home / "cifar-10-python.tar.gz").write_bytes(b"truncated")  # a broken download in the home
    rows = {r["file"]: r for r in check_downloads()}
    assert rows["cifar-10-python.tar.gz"]["status"] == "BAD"
    if src is not None:
        assert rows["weights/akamaster_resnet20-12fca82f.th"]["status"] == "ok"
        assert rows["weights/akamaster_resnet20-12fca82f.th"]["path"] == str(wdir / "resnet20-12fca82f.th")
    assert main(["data", "--check"]) == 1
    out = capsys.readouterr().out
    assert "BAD      cifar-10-python.tar.gz" in out and "1 with a wrong hash: delete them and download again" in out
    assert main(["data"]) == 0 and "resnet50-0633-b00d1c8e.pth" in capsys.readouterr().out
