"""Edges of the core modules that the mutation run (results/MUTATION.md) found unpinned: exact error messages, the
bit-width bounds, the Grad-CAM layer fallback and weight clamp, the floor reaching grad_cam, shared ReLUs,
parameter-free containers, and quantized layers built from convs/linears of every kind."""
import pytest
import torch
import torch.nn as nn

from synq_nb import grad_cam, quantize_model
from synq_nb.cam import cam_from_features, default_cam_layer, forward_with_features
from synq_nb.quantization import ActQuant, QuantConv2d, QuantLinear, check_bits, quantize_weight
from synq_nb.synthesis import BNStatsLoss


def test_bit_width_messages_and_bounds():
    assert check_bits(2) == 2 and check_bits(8) == 8
    with pytest.raises(ValueError, match=r"^bit-width must be an integer from 2 to 8, got 9$"):
        check_bits(9)
    net = nn.Sequential(nn.Conv2d(3, 4, 3), nn.ReLU())
    with pytest.raises(ValueError, match=r"^w_bits must be an integer from 2 to 8, got 1$"):
        quantize_model(net, 1, 4)
    with pytest.raises(ValueError, match=r"^a_bits must be an integer from 2 to 8, got 9$"):
        quantize_model(net, 4, 9)
    assert quantize_model(net, 8, 3).synq_bits == (8, 3)


def test_shared_relu_is_refused():
    relu = nn.ReLU()
    net = nn.Sequential(nn.Conv2d(3, 4, 3), relu, nn.Conv2d(4, 4, 3), relu)
    with pytest.raises(ValueError, match=r"^a ReLU module is shared between layers; give each use its own module$"):
        quantize_model(net, 4, 4)


def test_relu_in_a_parameter_free_container():
    net = nn.Sequential(nn.Conv2d(3, 4, 3), nn.Sequential(nn.ReLU()), nn.Flatten(), nn.Linear(4 * 4 * 4, 2))
    q = quantize_model(net, 4, 4)
    assert isinstance(q[1][0][1], ActQuant) and q[1][0][1].ema_min.device.type == "cpu"


@pytest.mark.parametrize("padding_mode", ["zeros", "reflect", "circular"])
def test_quant_conv_keeps_padding_mode_and_bias(padding_mode):
    torch.manual_seed(0)
    for bias in (True, False):
        conv = nn.Conv2d(3, 5, 3, padding=1, bias=bias, padding_mode=padding_mode)
        q = QuantConv2d.from_float(conv, 4)
        ref = nn.Conv2d(3, 5, 3, padding=1, bias=bias, padding_mode=padding_mode)
        with torch.no_grad():
            ref.weight.copy_(quantize_weight(conv.weight, 4))
            if bias:
                ref.bias.copy_(conv.bias)
        x = torch.randn(2, 3, 6, 6)
        torch.testing.assert_close(q(x), ref(x))
        assert (q.bias is None) == (not bias) and q.padding_mode == padding_mode


def test_quant_linear_without_bias():
    lin = nn.Linear(6, 3, bias=False)
    q = QuantLinear.from_float(lin, 5)
    assert q.bias is None and q.weight.dtype == lin.weight.dtype
    x = torch.randn(4, 6)
    torch.testing.assert_close(q(x), x @ quantize_weight(lin.weight, 5).t())


def test_bn_stats_loss_needs_batchnorm_message():
    with pytest.raises(ValueError, match=r"^the teacher has no BatchNorm2d layers: BN-statistics synthesis needs them$"):
        BNStatsLoss(nn.Sequential(nn.Conv2d(3, 3, 1)))


class _Net(nn.Module):
    def __init__(self, last_1x1=True):
        super().__init__()
        self.conv1 = nn.Conv2d(3, 4, 3, padding=1)
        self.conv2 = nn.Conv2d(4, 4, 3, padding=1)
        self.unused = nn.Conv2d(4, 4, 3)
        self.head = nn.Conv2d(4, 3, 1) if last_1x1 else nn.Conv2d(4, 3, 3, padding=1)

    def forward(self, x):
        return self.head(torch.relu(self.conv2(torch.relu(self.conv1(x))))).mean(dim=(2, 3))


def test_cam_layer_fallback_messages_and_clamp():
    # the fallback skips a 1x1 classifier conv; the unused conv is registered before the head
    assert default_cam_layer(_Net()) == "unused"
    assert default_cam_layer(_Net(last_1x1=False)) == "head"
    with pytest.raises(ValueError, match=r"^cannot guess a Grad-CAM layer for this model: pass layer=$"):
        default_cam_layer(nn.Sequential(nn.Flatten(), nn.Linear(4, 2)))
    with pytest.raises(ValueError, match=r"^layer 'unused' was not used in the forward pass$"):
        forward_with_features(_Net(), torch.randn(1, 3, 5, 5), "unused")
    # clamp_weights: negative channel weights w_k are set to 0 (official code's variant)
    feats = torch.tensor([[[[1.0, 2.0]], [[3.0, 1.0]]]], requires_grad=True)  # 1 x 2 x 1 x 2
    logits = torch.stack([feats[:, 0].mean((1, 2)) - feats[:, 1].mean((1, 2))], 1)  # w = (0.5, -0.5)
    target = torch.tensor([0])
    plain = cam_from_features(logits, feats, target)
    clamped = cam_from_features(logits, feats, target, clamp_weights=True)
    torch.testing.assert_close(plain, torch.tensor([[[0.0, 0.5]]]))
    torch.testing.assert_close(clamped, torch.tensor([[[0.5, 1.0]]]))


def test_grad_cam_passes_the_floor_and_int_targets():
    torch.manual_seed(3)
    net = _Net(last_1x1=False).eval()
    x = torch.randn(3, 3, 6, 6) * 0.01  # small activations: a tiny map range, below the floor
    low = grad_cam(net, x, target=0, layer="conv2", normalize=True, floor=0.0)
    high = grad_cam(net, x, target=0, layer="conv2", normalize=True, floor=10.0)
    assert float(low.amax()) == pytest.approx(1.0, abs=1e-5) and float(high.amax()) < 0.1
    torch.testing.assert_close(grad_cam(net, x, target=1, layer="conv2"),
                               grad_cam(net, x, target=torch.tensor([1, 1, 1]), layer="conv2"))


def test_quantized_layers_keep_the_float_dtype():
    conv = nn.Conv2d(2, 3, 3, dtype=torch.float64)
    lin = nn.Linear(4, 2, dtype=torch.float64)
    qc, ql = QuantConv2d.from_float(conv, 4), QuantLinear.from_float(lin, 4)
    assert qc.weight.dtype == ql.weight.dtype == torch.float64
    assert qc(torch.randn(1, 2, 5, 5, dtype=torch.float64)).dtype == torch.float64
