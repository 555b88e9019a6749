"""The GPU fast path, checked on the CPU: no host-device synchronisation per fine-tuning iteration,
and the optional bfloat16 autocast (``cfg.extra["bf16"]``, ``--bf16``)."""
from __future__ import annotations

import copy

import pytest
import torch

from synq_nb import finetune, get_config, synthesize


class _CountReads:
    """Counts the tensor reads that force a device -> host copy (item, tolist, bool, float, int)."""

    NAMES = ("item", "tolist", "__bool__", "__float__", "__int__")

    def __enter__(self):
        self.n, self.saved = 0, {k: getattr(torch.Tensor, k) for k in self.NAMES}
        for k, f in self.saved.items():
            setattr(torch.Tensor, k, self._wrap(f))
        return self

    def _wrap(self, f):
        def g(t, *a, **kw):
            self.n += 1
            return f(t, *a, **kw)
        return g

    def __exit__(self, *exc):
        for k, f in self.saved.items():
            setattr(torch.Tensor, k, f)


@pytest.mark.parametrize("ideas", [dict(), dict(use_filter=False, use_cam=False, use_soft_labels=False)])
def test_finetune_reads_the_device_once_per_epoch_not_per_iteration(calibrated_w4a4, teacher, tiny_synthetic, ideas):
    x, y = tiny_synthetic.images, tiny_synthetic.labels
    reads = []
    for iters in (2, 6):
        cfg = get_config("smoke", epochs=2, iters_per_epoch=iters, batch_size=8, eval_every=0, **ideas)
        with _CountReads() as c:
            finetune(copy.deepcopy(calibrated_w4a4), teacher, x, y, cfg, progress=False)
        reads.append(c.n)
    assert reads[0] == reads[1], reads  # three times the iterations, not one read more


def test_bf16_autocast_runs_close_to_float32(calibrated_w4a4, teacher, tiny_synthetic, tmp_path):
    x, y = tiny_synthetic.images, tiny_synthetic.labels
    cfg = get_config("smoke", epochs=1, iters_per_epoch=3, batch_size=16, eval_every=0)
    h32 = finetune(copy.deepcopy(calibrated_w4a4), teacher, x, y, cfg, progress=False)
    h16 = finetune(copy.deepcopy(calibrated_w4a4), teacher, x, y, cfg.replace(extra=dict(bf16=True)), progress=False)
    assert h16["iter_loss"] != h32["iter_loss"]  # the autocast is really on
    assert all(torch.isfinite(torch.tensor(h16["iter_loss"])))
    # first step (same weights, same batch): only the teacher runs in bfloat16 (8-bit mantissa), so the loss
    # moves a little (measured on this CPU: 1.418 -> 1.429 here, 2.26 -> 2.37 on another batch of 32, mostly
    # through samples crossing the tau threshold); later steps drift apart (2.07 -> 1.45 at the third step)
    assert h16["iter_loss"][0] == pytest.approx(h32["iter_loss"][0], rel=0.1)
    # synthesis: its own cache entry, finite images, the same first-iteration loss within bf16 accuracy
    kw = dict(num_images=4, iters=2, batch_size=4, progress=False, cache=tmp_path)
    a, b = synthesize(teacher, **kw), synthesize(teacher, bf16=True, **kw)
    assert b.settings["bf16"] is True and "bf16" not in a.settings and len(list(tmp_path.glob("*.pt"))) == 2
    assert torch.isfinite(b.images).all() and not torch.equal(a.images, b.images)
    assert b.history["loss"][0] == pytest.approx(a.history["loss"][0], rel=0.1)


def test_cli_bf16_flag_goes_to_extra():
    from synq_nb.cli import build_parser, config_from_args

    assert config_from_args(build_parser().parse_args(["run", "--out", "o", "--bf16"])).extra == {"bf16": True}
    assert config_from_args(build_parser().parse_args(["run", "--out", "o"])).extra == {}  # float32 configs unchanged


def test_channels_last_option_converts_the_models_and_keeps_the_numbers(teacher, tmp_path, monkeypatch):
    """``--channels-last`` (``extra.channels_last``): teacher and student convolutions in channels_last memory
    format, the same FP and RTN accuracy as the default format (convolution order may differ in the last bits)."""
    import copy as _copy

    from synq_nb.cli import build_parser, config_from_args
    from synq_nb.pipeline import run_experiment
    from synq_nb.quantization import QuantConv2d

    monkeypatch.setenv("SYNQ_CACHE_DIR", str(tmp_path))
    assert config_from_args(build_parser().parse_args(["run", "--out", "o", "--channels-last"])).extra == {
        "channels_last": True}
    cfg = get_config("smoke", epochs=1, iters_per_epoch=2, eval_limit=300, eval_every=0)
    a = run_experiment(cfg, teacher=_copy.deepcopy(teacher), progress=False)
    b = run_experiment(cfg.replace(extra=dict(channels_last=True)), teacher=_copy.deepcopy(teacher), progress=False)
    convs = [m for m in b["student"].modules() if isinstance(m, QuantConv2d)]
    assert convs and all(m.weight.is_contiguous(memory_format=torch.channels_last) for m in convs)
    assert not any(m.weight.is_contiguous(memory_format=torch.channels_last) and m.weight.shape[-1] > 1
                   for m in a["student"].modules() if isinstance(m, QuantConv2d))
    assert b["fp_top1"] == pytest.approx(a["fp_top1"], abs=0.34)  # at most one of 300 images flips
    assert b["rtn_top1"] == pytest.approx(a["rtn_top1"], abs=1.0)
