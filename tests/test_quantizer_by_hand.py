"""Round-to-nearest quantization written out in the test: the per-channel weight grid (scale and zero point from the
min/max range widened to 0), the clamp to the code range, the activation quantizer's output for ranges that do
not contain 0, and what a printed quantizer says. (The existing tests compare against torch's fake-quantize given
our own scale and zero point; these pin the scale and zero point themselves.)"""
import pytest
import torch

from synq_nb.quantization import ActQuant, fake_quantize, weight_qparams


def _hand_qparams(lo, hi, bits):
    lo, hi = min(lo, 0.0), max(hi, 0.0)
    scale = max((hi - lo) / (2**bits - 1), 1e-8)
    return scale, float(round(-lo / scale))


@pytest.mark.parametrize("bits", [2, 3, 4, 8])
def test_weight_qparams_by_hand(bits):
    w = torch.tensor([[-0.30, 0.10, 0.25], [0.02, 0.04, 0.08], [-0.5, -0.2, -0.1], [1e-10, 0.0, -1e-10]])
    scale, zp = weight_qparams(w, bits)
    for c, row in enumerate(w.tolist()):
        s, z = _hand_qparams(min(row), max(row), bits)
        assert float(scale[c]) == pytest.approx(s, rel=1e-6), c
        assert float(zp[c]) == z, c
    # all-positive channel: the grid starts at 0 (code 0) and its top code is the channel's max
    assert float(zp[1]) == 0 and float(scale[1]) * (2**bits - 1) == pytest.approx(0.08, rel=1e-6)


def test_fake_quantize_clamps_to_the_code_range():
    x = torch.tensor([-10.0, -2.0, -0.4, 0.0, 0.6, 1.0, 10.0])
    # 2 bits, scale 1, zero point 2: codes 0..3, i.e. values -2..1
    out = fake_quantize(x, torch.tensor(1.0), torch.tensor(2.0), 2)
    assert out.tolist() == [-2.0, -2.0, 0.0, 0.0, 1.0, 1.0, 1.0]
    ref = torch.fake_quantize_per_tensor_affine(x, 1.0, 2, 0, 3)
    torch.testing.assert_close(out, ref)


@pytest.mark.parametrize("lo, hi", [(0.2, 0.5), (-1.0, 2.0), (-3.0, -1.0)])
def test_act_quant_output_by_hand(lo, hi):
    """After one calibration batch the range is that batch's (min, max); it is widened to include 0."""
    bits = 3
    aq = ActQuant(bits)
    aq.calibrating = True
    aq(torch.tensor([lo, (lo + hi) / 2, hi]))
    aq.calibrating = False
    x = torch.linspace(-4, 4, 81)
    s, z = _hand_qparams(lo, hi, bits)
    want = [(min(max(round(v / s) + z, 0), 2**bits - 1) - z) * s for v in x.tolist()]
    torch.testing.assert_close(aq(x), torch.tensor(want), atol=1e-6, rtol=0)


def test_act_quant_messages_and_repr():
    q = ActQuant(3)
    assert q.extra_repr() == "bits=3, calibrated=False"
    with pytest.raises(RuntimeError, match=r"^activation quantizer used before calibration: call "
                                           r"synq_nb\.calibrate_activations\(model, images\)$"):
        q(torch.rand(3))
    q.calibrating = True
    q(torch.rand(4, 2, 3, 3))
    assert q.extra_repr() == "bits=3, calibrated=True"
    assert "ActQuant(bits=3, calibrated=True)" in repr(torch.nn.Sequential(q))
