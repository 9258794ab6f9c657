"""The method registry: invariants over every registered method, and a toy method that a single
``register`` call brings to the config, training, the CLI, the link format and the Train page."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import torch

from sae_core import methods
from sae_core.app.controls import link_fields
from sae_core.app.link import encode_setup, parse_setup
from sae_core.cli.parser import build_parser
from sae_core.config import SAEConfig, TrainConfig, check_compatible
from sae_core.data import load_dataset
from sae_core.data.dataset import Dataset
from sae_core.errors import ConfigError
from sae_core.methods import Method
from sae_core.model import SparseAutoencoder, init_weights
from sae_core.training.fit import train
from tests.helpers.app import TRAIN_PAGE, open_app

torch.set_num_threads(1)
D_IN, D_SAE, K = 6, 10, 3

QUARTIC = Method(
    name="quartic",
    label="quartic: ReLU + λ Σ f⁴  (a test's toy)",
    activation="relu",
    penalty=lambda f, W, rho: f.pow(4).sum(-1).mean(-1),
    penalty_latex=r"R(f) = \sum_j f_j^4",
    note="A toy method registered by tests/test_methods.py.",
    knobs=frozenset({"lam"}),
)


@pytest.fixture
def quartic() -> Iterator[Method]:
    methods.register(QUARTIC)
    yield QUARTIC
    methods.unregister(QUARTIC.name)


@pytest.fixture(scope="module")
def tiny_data() -> Dataset:
    return load_dataset("synthetic", n_features=12, d_in=D_IN, mean_active=2, n_samples=256)


def make_model(method: str) -> SparseAutoencoder:
    cfg = SAEConfig(d_in=D_IN, d_sae=D_SAE, method=method, k=K)
    weights = init_weights(cfg, torch.Generator().manual_seed(1), torch.randn(D_IN))
    weights["b_enc"] = torch.randn(D_SAE) * 0.1
    return SparseAutoencoder(cfg, weights)


def one_step(cfg: SAEConfig, data: Dataset) -> dict[str, torch.Tensor]:
    tc = TrainConfig(steps=1, batch_size=64, device="cpu")
    return train(cfg, data, tc, probe=False).model.weights()


# --- Invariants of every registered method


@pytest.mark.parametrize("name", methods.names())
def test_every_method_has_forward_equal_to_decode_of_encode(name: str) -> None:
    model = make_model(name)
    x = torch.randn(20, D_IN) * 2
    torch.testing.assert_close(model(x), model.decode(model.encode(x)))


@pytest.mark.parametrize("name", [m.name for m in methods.all_methods() if m.activation == "topk"])
def test_every_topk_method_keeps_at_most_k_latents(name: str) -> None:
    latents = make_model(name).encode(torch.randn(200, D_IN) * 3)
    assert int((latents != 0).sum(-1).max()) <= K


@pytest.mark.parametrize("name", [m.name for m in methods.all_methods() if not m.uses_lam])
def test_a_method_without_the_lam_knob_is_unaffected_by_lam_in_a_training_step(
    name: str, tiny_data: Dataset
) -> None:
    cfg = SAEConfig(d_in=D_IN, d_sae=D_SAE, method=name, k=K)
    low, high = one_step(cfg.replace(lam=0.0), tiny_data), one_step(cfg.replace(lam=5.0), tiny_data)
    for key in low:
        torch.testing.assert_close(low[key], high[key], rtol=0, atol=0)


@pytest.mark.parametrize("name", methods.names())
def test_every_method_declares_what_the_rest_of_the_program_reads(name: str) -> None:
    method = methods.get(name)
    assert method.label and method.penalty_latex and method.note
    assert method.activation in methods.ACTIVATION_LATEX
    assert method.dead_remedy in ("auxk", "resample")
    cfg = SAEConfig(d_in=D_IN, d_sae=D_SAE, method=name, k=K)
    check_compatible(cfg, TrainConfig(dead_remedy=method.dead_remedy))  # its remedy fits it
    if method.saelens is not None:  # SAELens's SAEs are ReLU encoders
        assert method.activation != "sigmoid"
    if method.fast_step:  # the hand-written step needs its NumPy penalty
        assert method.numpy_penalty is not None


@pytest.mark.parametrize("name", methods.names())
def test_every_method_saves_its_extra_parameters_with_its_weights(name: str) -> None:
    model = make_model(name)
    weights = model.weights()
    assert set(weights) == {"W_enc", "W_dec", "b_enc", "b_dec", *methods.get(name).extra_names}
    for extra in methods.get(name).extra_names:
        assert weights[extra].shape == (D_SAE,)
    reloaded = SparseAutoencoder(model.cfg, weights)
    x = torch.randn(20, D_IN)
    torch.testing.assert_close(reloaded.encode(x), model.encode(x))


@pytest.mark.parametrize("name", [m.name for m in methods.all_methods() if m.extra_params])
def test_a_method_with_its_own_parameters_trains_with_autograd(name: str) -> None:
    assert not methods.get(name).fast_step


def test_a_fast_step_method_cannot_declare_its_own_parameters() -> None:
    with pytest.raises(ValueError, match="fast_step"):
        Method(
            name="bad",
            label="bad",
            activation="relu",
            penalty=QUARTIC.penalty,
            penalty_latex="R",
            note="bad",
            fast_step=True,
            extra_params=(methods.ExtraParam(name="theta", init=lambda cfg: 0.0),),
        )


def test_with_knob_names_exactly_the_methods_that_read_the_knob() -> None:
    for knob in methods.KNOBS:
        assert set(methods.with_knob(knob)) == {
            m.name for m in methods.all_methods() if knob in m.knobs
        }


def test_an_unknown_method_is_refused_with_the_known_names() -> None:
    with pytest.raises(KeyError, match="l1"):
        methods.get("no-such-method")
    with pytest.raises(ConfigError, match="method='no-such-method' is invalid"):
        SAEConfig(d_in=4, method="no-such-method")


# --- A toy method: one register() call, seen everywhere


def test_a_registered_method_validates_and_trains(quartic: Method, tiny_data: Dataset) -> None:
    with pytest.raises(ConfigError):
        SAEConfig(d_in=D_IN, method="unregistered-" + quartic.name)
    cfg = SAEConfig(d_in=D_IN, d_sae=D_SAE, method=quartic.name, lam=1.0)
    assert cfg.activation == "relu"
    tc = TrainConfig(steps=5, batch_size=64, device="cpu")
    result = train(cfg, tiny_data, tc, probe=False)
    assert result.steps == 5 and result.metrics.mse == result.metrics.mse  # finite, not NaN
    # The penalty is the toy's: with λ > 0 one step ends elsewhere than with λ = 0.
    with_lam, without = one_step(cfg, tiny_data), one_step(cfg.replace(lam=0.0), tiny_data)
    assert not torch.equal(with_lam["W_enc"], without["W_enc"])


def _gain_encoder(pre: torch.Tensor, params: Any, cfg: Any, training: bool) -> torch.Tensor:
    return torch.relu(pre) * params["gain"].unsqueeze(-2)


def _count_steps(params: Any, latents: torch.Tensor, cfg: Any) -> None:
    params["steps"].add_(1.0)


GAIN = Method(
    name="gain",
    label="gain: ReLU × a learned gain per latent  (a test's toy)",
    activation="relu",
    penalty=QUARTIC.penalty,  # unused: context_penalty
    penalty_latex=r"R = \sum_j g_j^2",
    note="A toy method with its own parameters, encoder, loss and state.",
    knobs=frozenset({"lam"}),
    extra_params=(
        methods.ExtraParam(name="gain", init=lambda cfg: 1.0),
        methods.ExtraParam(name="steps", init=lambda cfg: 0.0, trained=False),
    ),
    encoder=_gain_encoder,
    context_penalty=lambda c: c.params["gain"].square().sum(-1),
    update_state=_count_steps,
)


def test_a_method_with_its_own_parameters_encoder_loss_and_state_is_one_entry(
    tiny_data: Dataset, tmp_path: Path
) -> None:
    from sae_core.runs import load_run, save_run

    methods.register(GAIN)
    try:
        cfg = SAEConfig(d_in=D_IN, d_sae=D_SAE, method="gain", lam=1.0)
        result = train(cfg, tiny_data, TrainConfig(steps=3, batch_size=64, device="cpu"))
        model = result.model
        assert torch.equal(model.steps, torch.full((D_SAE,), 3.0))  # only update_state moved it
        assert (
            float(model.gain.detach().max()) < 1.0
        )  # trained down by λ Σ g² (Adam: 3 steps of lr)
        x = torch.randn(5, D_IN)
        torch.testing.assert_close(model.encode(x), torch.relu(model.pre_acts(x)) * model.gain)
        folder = save_run(
            model,
            result.train_config,
            metrics=result.metrics.to_dict(),
            history=result.history,
            data_name=tiny_data.name,
            name="gain-run",
            root=tmp_path,
        )
        loaded = load_run(folder).model
        assert torch.equal(loaded.gain, model.gain) and torch.equal(loaded.steps, model.steps)
    finally:
        methods.unregister("gain")


def test_a_method_is_unknown_again_once_unregistered(quartic: Method) -> None:
    methods.unregister(quartic.name)
    with pytest.raises(ConfigError, match="method="):
        SAEConfig(d_in=D_IN, method=quartic.name)
    methods.register(quartic)  # the fixture unregisters it


def test_a_registered_method_is_a_cli_choice(quartic: Method) -> None:
    args = build_parser().parse_args(["train", "--data", "digits", "--method", quartic.name])
    assert args.method == quartic.name


def test_a_registered_method_is_in_the_link_format(quartic: Method) -> None:
    fields = link_fields()
    method_field = next(f for f in fields if f.name == "method")
    assert quartic.name in method_field.choices
    query = encode_setup({"method": quartic.name, "lam": 0.5}, fields)
    assert parse_setup(query, fields).values["method"] == quartic.name


def test_a_registered_method_is_offered_and_explained_on_the_pages(quartic: Method) -> None:
    at = open_app(TRAIN_PAGE)
    assert quartic.label in at.selectbox(key="train_method").options
    at.switch_page("app_pages/learn.py").run()
    assert not at.exception, [e.value for e in at.exception]
    assert quartic.penalty_latex in [str(e.value).strip("$\n") for e in at.latex]
