"""core.model: the mirrored dense autoencoder and its spec."""

from __future__ import annotations

import pytest
import torch
from torch import nn

from core.model import ACTIVATIONS, MAX_LAYERS, MAX_UNITS, Autoencoder, AutoencoderSpec
from core.train import build_model

LAYER_LISTS = [
    ((8,), [140, 8, 140]),
    ((32, 8), [140, 32, 8, 32, 140]),
    ((32, 16, 8), [140, 32, 16, 8, 16, 32, 140]),
    ((64, 64, 2), [140, 64, 64, 2, 64, 64, 140]),
    ((5, 100, 3, 7), [140, 5, 100, 3, 7, 3, 100, 5, 140]),
    ((512,), [140, 512, 140]),
    (tuple(range(10, 0, -1)), [140, *range(10, 0, -1), *range(2, 11), 140]),
]


def _linears(module: nn.Module) -> list[nn.Linear]:
    return [m for m in module.modules() if isinstance(m, nn.Linear)]


@pytest.mark.parametrize("units, widths", LAYER_LISTS)
def test_widths_are_the_encoder_then_its_mirror(units, widths):
    spec = AutoencoderSpec(units)
    assert spec.widths == widths
    assert spec.bottleneck == units[-1]
    model = Autoencoder(spec)
    shapes = [(m.in_features, m.out_features) for m in _linears(model)]
    assert shapes == list(zip(widths[:-1], widths[1:]))
    assert len(_linears(model.encoder)) == len(units) == len(_linears(model.decoder))


@pytest.mark.parametrize("units, widths", LAYER_LISTS)
def test_param_count_equals_the_built_module(units, widths):
    spec = AutoencoderSpec(units)
    assert spec.param_count == sum(p.numel() for p in Autoencoder(spec).parameters())


def test_param_count_of_the_default_by_hand():
    # 140*32+32 + 32*8+8 + 8*32+32 + 32*140+140
    assert AutoencoderSpec().param_count == 4512 + 264 + 288 + 4620 == 9684


@pytest.mark.parametrize("units, widths", LAYER_LISTS)
def test_encode_decode_forward_shapes(units, widths):
    model = Autoencoder(AutoencoderSpec(units))
    x = torch.randn(7, 140)
    z = model.encode(x)
    assert z.shape == (7, units[-1])
    assert model.decode(z).shape == (7, 140)
    torch.testing.assert_close(model(x), model.decode(model.encode(x)))


def test_input_size_is_honoured():
    model = Autoencoder(AutoencoderSpec((4, 2), input_size=10))
    assert model(torch.randn(3, 10)).shape == (3, 10)


def test_lists_are_stored_as_tuples_and_dict_round_trip():
    spec = AutoencoderSpec([16, 4], activation="tanh", output_activation="sigmoid")
    assert spec.encoder_units == (16, 4)
    hash(spec)
    d = spec.to_dict()
    assert d == {"encoder_units": [16, 4], "input_size": 140, "activation": "tanh", "output_activation": "sigmoid"}
    assert AutoencoderSpec.from_dict(d) == spec


@pytest.mark.parametrize("kwargs, message", [
    ({"encoder_units": ()}, r"the encoder needs 1 to 10 layers, got 0"),
    ({"encoder_units": (8,) * 11}, r"the encoder needs 1 to 10 layers, got 11"),
    ({"encoder_units": (32, 0)}, r"layer 2 must have 1 to 512 units \(a whole number\), got 0"),
    ({"encoder_units": (513,)}, r"layer 1 must have 1 to 512 units .*got 513"),
    ({"encoder_units": (32, -4)}, r"layer 2 must have 1 to 512 units .*got -4"),
    ({"encoder_units": (32, 8.0)}, r"layer 2 must have 1 to 512 units \(a whole number\), got 8\.0"),
    ({"encoder_units": ("32",)}, r"layer 1 .*got '32'"),
    ({"encoder_units": (True,)}, r"layer 1 .*got True"),
    ({"activation": "swish"}, r"activation must be one of relu, elu, tanh, sigmoid, leaky_relu, gelu, got 'swish'"),
    ({"output_activation": "softmax"}, r"output activation must be one of linear, relu, .*got 'softmax'"),
    ({"input_size": 1}, r"input size must be a whole number >= 2, got 1"),
])
def test_spec_validation_messages(kwargs, message):
    with pytest.raises(ValueError, match=message):
        AutoencoderSpec(**kwargs)


def test_limits():
    assert (MAX_LAYERS, MAX_UNITS) == (10, 512)
    AutoencoderSpec((MAX_UNITS,) * MAX_LAYERS)  # the extremes are allowed
    AutoencoderSpec((1,))


@pytest.mark.parametrize("activation", list(ACTIVATIONS))
@pytest.mark.parametrize("output_activation", ["linear", "sigmoid"])
def test_oracle_hand_built_sequential_gives_identical_outputs(activation, output_activation):
    spec = AutoencoderSpec((16, 8, 4), activation=activation, output_activation=output_activation)
    model = build_model(spec, seed=3).eval()
    act = ACTIVATIONS[activation]
    out = nn.Identity if output_activation == "linear" else ACTIVATIONS[output_activation]
    oracle = nn.Sequential(
        nn.Linear(140, 16), act(), nn.Linear(16, 8), act(), nn.Linear(8, 4), act(),   # encoder
        nn.Linear(4, 8), act(), nn.Linear(8, 16), act(), nn.Linear(16, 140), out(),  # decoder
    )
    with torch.no_grad():
        for mine, theirs in zip(_linears(oracle), _linears(model), strict=True):
            mine.weight.copy_(theirs.weight)
            mine.bias.copy_(theirs.bias)
    x = torch.randn(9, 140, generator=torch.Generator().manual_seed(0))
    with torch.no_grad():
        torch.testing.assert_close(model(x), oracle(x), rtol=0, atol=0)
        torch.testing.assert_close(model.encode(x), oracle[:6](x), rtol=0, atol=0)


def test_oracle_by_hand_with_numbers():
    """1 -> 1 -> 1 relu net with chosen weights: y = relu(2x - 1) * 3 + 0.5."""
    model = Autoencoder(AutoencoderSpec((1,), input_size=2))
    enc, dec = _linears(model)
    with torch.no_grad():
        enc.weight.copy_(torch.tensor([[2.0, 0.0]]))
        enc.bias.fill_(-1.0)
        dec.weight.copy_(torch.tensor([[3.0], [-1.0]]))
        dec.bias.copy_(torch.tensor([0.5, 0.0]))
        y = model(torch.tensor([[1.0, 9.0], [0.25, 9.0]]))
    torch.testing.assert_close(y, torch.tensor([[3.5, -1.0], [0.5, 0.0]]))


def test_build_model_is_seeded():
    a, b, c = build_model(AutoencoderSpec(), 0), build_model(AutoencoderSpec(), 0), build_model(AutoencoderSpec(), 1)
    for pa, pb, pc in zip(a.parameters(), b.parameters(), c.parameters()):
        assert torch.equal(pa, pb)
        assert not torch.equal(pa, pc)
    # torch's default Linear init range: |w| <= 1/sqrt(fan_in)
    first = _linears(a)[0]
    assert first.weight.abs().max() <= 1 / 140 ** 0.5 + 1e-7
