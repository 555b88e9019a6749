"""Round-to-nearest quantization as in the paper (and its official code).

* Weights: asymmetric, per output channel, min/max range (widened to include 0, so the zero
  point is an integer code), recomputed from the full-precision latent weights at every forward,
  straight-through estimator (STE) in backward.
* Activations: the output of every ReLU/ReLU6, per tensor, asymmetric, range = EMA of batch
  min/max (beta 0.9, bias-corrected) while calibrating, then frozen; clipped STE in backward.
* Every Conv2d and Linear (first and last included) at the same bit-width; BatchNorm stays in
  full precision.

Two options go beyond the paper (issue 12, the ``cpu-plus`` preset); the defaults are the paper's:

* ``weight_range="mse"``: each output channel's min/max range is shrunk by the factor in
  :data:`MSE_RATIOS` that gives the smallest squared quantization error of that channel's weights
  (searched again at every forward; at 3 bits clipping a few outliers buys a finer grid for the rest).
* ``act_quant="lsq"``: after calibration each activation quantizer's step size becomes a trained
  parameter (LSQ, Esser et al., ICLR 2020), started from the calibrated range; its gradient is the
  LSQ one (round is straight-through, the clamp is not) times ``1 / sqrt(features x 2^bits - 1)``.
"""
from __future__ import annotations

import copy
import math

import torch
import torch.nn as nn
import torch.nn.functional as F

MIN_BITS, MAX_BITS = 2, 8


def check_bits(bits, what: str = "bit-width") -> int:
    if isinstance(bits, bool) or not isinstance(bits, int) or not MIN_BITS <= bits <= MAX_BITS:
        raise ValueError(f"{what} must be an integer from {MIN_BITS} to {MAX_BITS}, got {bits!r}")
    return bits


WEIGHT_RANGES = ("minmax", "mse")
ACT_QUANTS = ("ema", "lsq")
MSE_RATIOS = tuple(round(1 - 0.05 * i, 2) for i in range(11))  # 1.0, 0.95, ..., 0.5 of the min/max range


def _qparams(lo, hi, bits: int):
    scale = ((hi - lo) / (2**bits - 1)).clamp(min=1e-8)
    return scale, torch.round(-lo / scale)


def weight_qparams(w: torch.Tensor, bits: int, method: str = "minmax"):
    """Per-output-channel scale and integer zero point for codes in [0, 2^bits - 1].

    ``method``: "minmax" (the paper) or "mse" (the range min/max x r, r in :data:`MSE_RATIOS` chosen per
    channel for the smallest squared error; ties go to the widest range)."""
    if method not in WEIGHT_RANGES:
        raise ValueError(f"weight range method must be one of {WEIGHT_RANGES}, got {method!r}")
    flat = w.detach().flatten(1)
    lo = flat.min(1).values.clamp(max=0)
    hi = flat.max(1).values.clamp(min=0)
    if method == "mse":  # all ratios at once: R x C candidates, the first (widest) of equal errors wins
        r = torch.tensor(MSE_RATIOS, dtype=flat.dtype, device=flat.device)[:, None]
        s, z = _qparams(lo * r, hi * r, bits)
        err = ((fake_quantize(flat, s[..., None], z[..., None], bits) - flat) ** 2).sum(2)
        pick = err.argmin(0, keepdim=True)
        return s.gather(0, pick)[0], z.gather(0, pick)[0]
    return _qparams(lo, hi, bits)


def fake_quantize(x: torch.Tensor, scale, zero_point, bits: int) -> torch.Tensor:
    """Quantize-dequantize (round to nearest, clamp to the code range), no STE."""
    q = torch.clamp(torch.round(x / scale) + zero_point, 0, 2**bits - 1)
    return (q - zero_point) * scale


class _FakeQuantCPU(torch.autograd.Function):
    """``torch.fake_quantize_per_tensor_affine`` (tensor scale and zero point) for CPU tensors, bitwise the same
    values and gradient (tests/test_quantization.py), faster on the CPU: torch's CPU kernel rounds element by element,
    this is six vectorised passes, plus the mask when a gradient is needed (``benchmarks/cost.py --floor`` times the whole KD step both ways). Forward:
    round(x * (1 / scale)) + zero point, clamped to the codes, minus the zero point, times scale; backward: the
    gradient where the rounded code was inside [0, qmax] (the clipped straight-through estimator), zero elsewhere."""

    @staticmethod
    def forward(ctx, x, scale, zero_point, qmax: int):
        v = x.mul(1.0 / scale).round_().add_(zero_point)
        if ctx.needs_input_grad[0]:  # evaluation needs no mask
            ctx.save_for_backward((v >= 0) & (v <= qmax))
        return v.clamp_(0, qmax).sub_(zero_point).mul_(scale)

    @staticmethod
    def backward(ctx, grad):
        (inside,) = ctx.saved_tensors
        return grad * inside, None, None, None


def fake_quantize_per_tensor(x: torch.Tensor, scale: torch.Tensor, zero_point: torch.Tensor, bits: int) -> torch.Tensor:
    """Per-tensor fake quantization with the clipped STE (codes 0 .. 2^bits - 1; ``scale`` float32 and
    ``zero_point`` int32, 0-d tensors): one fused kernel on a GPU, :class:`_FakeQuantCPU` on the CPU."""
    if x.device.type == "cpu" and x.dtype == torch.float32:
        return _FakeQuantCPU.apply(x, scale, zero_point, 2**bits - 1)
    return torch.fake_quantize_per_tensor_affine(x, scale, zero_point, 0, 2**bits - 1)


def _ste(x: torch.Tensor, xq: torch.Tensor) -> torch.Tensor:
    """Straight-through estimator: the value of ``xq`` exactly (x - x is exactly 0, whereas
    x + (xq - x) is off the quantization grid by rounding), the gradient of the identity."""
    return xq.detach() + (x - x.detach())


def quantize_weight(w: torch.Tensor, bits: int, method: str = "minmax") -> torch.Tensor:
    """Per-channel fake quantization of a weight tensor (range: ``method``, see :func:`weight_qparams`)
    with a straight-through gradient."""
    scale, zp = weight_qparams(w, bits, method)
    shape = (-1,) + (1,) * (w.dim() - 1)
    wq = fake_quantize(w, scale.view(shape), zp.view(shape), bits)
    return _ste(w, wq)


class QuantConv2d(nn.Conv2d):
    w_bits: int
    w_range: str = "minmax"

    @classmethod
    def from_float(cls, m: nn.Conv2d, bits: int):
        q = cls(m.in_channels, m.out_channels, m.kernel_size, m.stride, m.padding, m.dilation,
                m.groups, m.bias is not None, m.padding_mode, device=m.weight.device, dtype=m.weight.dtype)
        q.load_state_dict(m.state_dict())
        q.w_bits = bits
        return q

    def forward(self, x):
        return self._conv_forward(x, quantize_weight(self.weight, self.w_bits, self.w_range), self.bias)


class QuantLinear(nn.Linear):
    w_bits: int
    w_range: str = "minmax"

    @classmethod
    def from_float(cls, m: nn.Linear, bits: int):
        q = cls(m.in_features, m.out_features, m.bias is not None, device=m.weight.device, dtype=m.weight.dtype)
        q.load_state_dict(m.state_dict())
        q.w_bits = bits
        return q

    def forward(self, x):
        return F.linear(x, quantize_weight(self.weight, self.w_bits, self.w_range), self.bias)


class ActQuant(nn.Module):
    """Per-tensor asymmetric activation quantizer with an EMA (bias-corrected) min/max range.

    ``calibrating=True``: each forward updates the range from the batch, then quantizes with it.
    After :meth:`freeze` the range is fixed. Using it before any calibration is an error.
    """

    def __init__(self, bits: int, momentum: float = 0.9):
        super().__init__()
        self.bits, self.momentum = bits, momentum
        self.calibrating = False
        self._checked = False  # range known to be calibrated (avoids a device sync per forward)
        self.register_buffer("ema_min", torch.zeros(()))
        self.register_buffer("ema_max", torch.zeros(()))
        self.register_buffer("steps", torch.zeros((), dtype=torch.long))

    def _load_from_state_dict(self, *args, **kwargs):
        self._checked = False  # the loaded range may be uncalibrated: check again at the next forward
        super()._load_from_state_dict(*args, **kwargs)

    def extra_repr(self):
        return f"bits={self.bits}, calibrated={bool(self.steps > 0)}"

    @property
    def range(self):
        corr = 1 - self.momentum ** self.steps.float()
        return self.ema_min / corr, self.ema_max / corr

    def make_learnable(self) -> "ActQuant":
        """LSQ (``act_quant="lsq"``): the calibrated step size becomes the trained parameter ``lsq_scale``
        (the zero point stays the calibrated one). Call after calibration, before fine-tuning."""
        if self.steps == 0:
            raise RuntimeError("calibrate the activation ranges before making their step sizes learnable")
        lo, hi = self.range
        scale, zero_point = _qparams(lo.clamp(max=0), hi.clamp(min=0), self.bits)
        self.register_buffer("lsq_zero_point", zero_point.detach().clone())
        self.lsq_scale = nn.Parameter(scale.detach().clone())
        return self

    def _lsq(self, x):
        qmax = 2**self.bits - 1
        g = 1.0 / math.sqrt(x[0].numel() * qmax)  # LSQ's gradient scale: features per sample x top code
        s = self.lsq_scale.abs().clamp(min=1e-8)
        s = s * g + (s - s * g).detach()  # the value of s, the gradient times g
        v = torch.clamp(x / s + self.lsq_zero_point, 0, qmax)  # clip first (no gradient where clipped) ...
        q = v + (v.round() - v).detach()  # ... then round, straight through
        return (q - self.lsq_zero_point) * s

    def forward(self, x):
        if not self.calibrating and hasattr(self, "lsq_scale"):
            return self._lsq(x)
        if self.calibrating:
            with torch.no_grad():
                m = self.momentum
                self.ema_min.mul_(m).add_((1 - m) * x.min())
                self.ema_max.mul_(m).add_((1 - m) * x.max())
                self.steps += 1
        elif not self._checked:
            if self.steps == 0:
                raise RuntimeError("activation quantizer used before calibration: call synq_nb.calibrate_activations(model, images)")
            self._checked = True
        lo, hi = self.range
        lo, hi = lo.clamp(max=0), hi.clamp(min=0)
        scale = ((hi - lo) / (2**self.bits - 1)).clamp(min=1e-8).float()
        zp = torch.round(-lo / scale).to(torch.int32)
        # its gradient is the clipped straight-through estimator (zero outside the range)
        return fake_quantize_per_tensor(x, scale, zp, self.bits)


def _wrap(module: nn.Module, w_bits: int, a_bits: int):
    for name, child in list(module.named_children()):
        if isinstance(child, nn.Conv2d) and not isinstance(child, QuantConv2d):
            setattr(module, name, QuantConv2d.from_float(child, w_bits))
        elif isinstance(child, nn.Linear) and not isinstance(child, QuantLinear):
            setattr(module, name, QuantLinear.from_float(child, w_bits))
        elif isinstance(child, (nn.ReLU, nn.ReLU6)):
            setattr(module, name, nn.Sequential(child, ActQuant(a_bits).to(_device_of(module))))
        else:
            _wrap(child, w_bits, a_bits)


def _device_of(module):
    for t in list(module.parameters()) + list(module.buffers()):
        return t.device
    return torch.device("cpu")


def quantize_model(model: nn.Module, w_bits: int, a_bits: int, weight_range: str = "minmax") -> nn.Module:
    """A quantized copy of ``model`` (the original is untouched), in eval mode, trainable.

    Activation ranges must then be calibrated with :func:`calibrate_activations`. ``weight_range``:
    "minmax" (the paper) or "mse" (see :func:`weight_qparams`).
    """
    check_bits(w_bits, "w_bits")
    check_bits(a_bits, "a_bits")
    if weight_range not in WEIGHT_RANGES:
        raise ValueError(f"weight_range must be one of {WEIGHT_RANGES}, got {weight_range!r}")
    relus = [m for _, m in model.named_modules(remove_duplicate=False) if isinstance(m, (nn.ReLU, nn.ReLU6))]
    if len(relus) != len({id(m) for m in relus}):
        raise ValueError("a ReLU module is shared between layers; give each use its own module")
    q = copy.deepcopy(model)
    _wrap(q, w_bits, a_bits)
    for m in q.modules():
        if isinstance(m, (QuantConv2d, QuantLinear)):
            m.w_range = weight_range
    q.synq_bits = (w_bits, a_bits)
    q.eval().requires_grad_(True)  # BN affine parameters stay trainable, in full precision
    return q


def act_quantizers(model: nn.Module):
    return [m for m in model.modules() if isinstance(m, ActQuant)]


def make_act_steps_learnable(model: nn.Module) -> nn.Module:
    """``act_quant="lsq"``: every calibrated activation quantizer of ``model`` gets a trained step size."""
    for q in act_quantizers(model):
        q.make_learnable()
    return model


@torch.no_grad()
def calibrate_activations(model: nn.Module, images: torch.Tensor, batch_size: int = 256) -> nn.Module:
    """Run ``images`` through ``model`` with every activation quantizer updating its EMA range,
    then freeze the ranges. BN keeps its running statistics (eval mode)."""
    qs = act_quantizers(model)
    if not qs:
        raise ValueError("model has no activation quantizers: quantize it with synq_nb.quantize_model first")
    if images.dim() != 4:
        raise ValueError(f"calibration images must be N x C x H x W, got shape {tuple(images.shape)}")
    was_training = model.training
    model.eval()
    device = _device_of(model)
    for q in qs:
        q.ema_min.zero_(), q.ema_max.zero_(), q.steps.zero_()
        q.calibrating, q._checked = True, False
    try:
        for i in range(0, len(images), batch_size):
            model(images[i:i + batch_size].to(device))
    finally:
        for q in qs:
            q.calibrating = False
    model.train(was_training)
    return model


def model_size_bits(model: nn.Module) -> int:
    """Storage in bits: quantized weights at their bit-width plus a 32-bit scale and zero point per
    output channel; everything else (BN, biases, full-precision weights) at 32 bits."""
    total = 0
    for m in model.modules():
        own = dict(m.named_parameters(recurse=False))
        if isinstance(m, (QuantConv2d, QuantLinear)):
            w = own.pop("weight")
            total += w.numel() * m.w_bits + 2 * 32 * w.shape[0]
        total += sum(p.numel() * 32 for p in own.values())
    return total
