"""The activation quantizer says whether it is calibrated (what a printed student shows)."""
import torch

from synq_nb.quantization import ActQuant


def test_act_quant_repr_shows_calibration():
    q = ActQuant(3)
    assert q.extra_repr() == "bits=3, calibrated=False"
    q.calibrating = True
    q(torch.rand(4, 2, 3, 3))
    assert q.extra_repr() == "bits=3, calibrated=True"
    assert "ActQuant(bits=3, calibrated=True)" in repr(torch.nn.Sequential(q))
