"""SAELens export: layout, keys, shapes, round trips, refusals, and SAELens itself when installed."""

from __future__ import annotations

import io
import json
import zipfile
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import torch
from safetensors.torch import load_file, save_file

from sae_core.config import TrainConfig
from sae_core.errors import RunError
from sae_core.model import SparseAutoencoder
from sae_core.runs import save_run
from sae_core.runs.saelens import (
    SAELENS_CFG_FILE,
    SAELENS_WEIGHTS_FILE,
    export_saelens,
    export_saelens_run,
    load_saelens,
    saelens_zip_bytes,
)
from tests.helpers.models import random_model

torch.set_num_threads(1)
RELU_CASES = [
    ("none", False),
    ("l1", False),
    ("l2", False),
    ("topk", False),
    ("l1", True),
    ("jumprelu", False),
    ("jumprelu", True),
    ("batchtopk", False),
    ("matryoshka", False),
    ("gated", False),
]
SOURCE_METHOD = {"standard": "l1", "topk": "topk", "jumprelu": "jumprelu"}


def sample_x(n: int = 30, d_in: int = 6) -> torch.Tensor:
    return torch.randn(n, d_in, generator=torch.Generator().manual_seed(3)) * 2


def saelens_encode_oracle(cfg: dict, weights: dict[str, np.ndarray], x: np.ndarray) -> np.ndarray:
    """SAELens 6 encode written independently in numpy: pre = (x − b_dec·apply) W_enc + b_enc, then
    ReLU (standard), top-k of the pre-activations followed by ReLU (topk),
    pre·1[pre > threshold] (jumprelu), or 1[gate > 0]·ReLU(magnitude) (gated, no b_enc)."""
    x_in = x - weights["b_dec"] * float(cfg["apply_b_dec_to_input"])
    if cfg["architecture"] == "gated":
        gate = x_in @ weights["W_enc"] + weights["b_gate"]
        magnitude = x_in @ (weights["W_enc"] * np.exp(weights["r_mag"])) + weights["b_mag"]
        return (gate > 0) * np.maximum(magnitude, 0.0)
    pre = x_in @ weights["W_enc"] + weights["b_enc"]
    if cfg["architecture"] == "topk":
        keep = np.argsort(-pre, axis=1, kind="stable")[:, : cfg["k"]]
        mask = np.zeros_like(pre, dtype=bool)
        np.put_along_axis(mask, keep, True, axis=1)
        pre = np.where(mask, pre, 0.0)
    if cfg["architecture"] == "jumprelu":
        return pre * (pre > weights["threshold"])
    return np.maximum(pre, 0.0)


def test_export_writes_cfg_and_weights_with_saelens_keys_shapes_and_dtypes(tmp_path: Path) -> None:
    model = random_model("l1")
    out = export_saelens(model, tmp_path / "sae", dataset_path="digits", hook_name="pixels")
    assert sorted(p.name for p in out.iterdir()) == [SAELENS_CFG_FILE, SAELENS_WEIGHTS_FILE]
    cfg = json.loads((out / SAELENS_CFG_FILE).read_text())
    assert cfg["architecture"] == "standard"
    assert (cfg["d_in"], cfg["d_sae"]) == (6, 5)
    assert cfg["dtype"] == "float32" and cfg["device"] == "cpu"
    assert cfg["apply_b_dec_to_input"] is True
    assert cfg["normalize_activations"] == "none"
    assert cfg["metadata"]["sae_lens_version"].startswith("6.")
    assert cfg["metadata"]["hook_name"] == "pixels"
    assert cfg["metadata"]["dataset_path"] == "digits"
    assert "k" not in cfg
    weights = load_file(out / SAELENS_WEIGHTS_FILE)
    shapes = {name: tuple(t.shape) for name, t in weights.items()}
    assert shapes == {"W_enc": (6, 5), "W_dec": (5, 6), "b_enc": (5,), "b_dec": (6,)}
    assert all(t.dtype == torch.float32 for t in weights.values())
    for name, tensor in model.weights().items():
        assert torch.equal(weights[name], tensor)


def test_topk_export_records_k_and_no_decoder_norm_rescaling(tmp_path: Path) -> None:
    out = export_saelens(random_model("topk"), tmp_path)
    cfg = json.loads((out / SAELENS_CFG_FILE).read_text())
    assert cfg["architecture"] == "topk" and cfg["k"] == 2
    assert cfg["rescale_acts_by_decoder_norm"] is False


@pytest.mark.parametrize(("method", "tied"), RELU_CASES)
def test_exported_weights_encode_like_the_saelens_formula(
    tmp_path: Path, method: str, tied: bool
) -> None:
    model = random_model(method, tied=tied)
    out = export_saelens(model, tmp_path)
    cfg = json.loads((out / SAELENS_CFG_FILE).read_text())
    weights = {k: v.double().numpy() for k, v in load_file(out / SAELENS_WEIGHTS_FILE).items()}
    x = sample_x()
    expected = saelens_encode_oracle(cfg, weights, x.double().numpy())
    with torch.no_grad():
        ours = model.encode(x).double().numpy()
    np.testing.assert_allclose(ours, expected, atol=1e-5)
    assert ((ours > 0) == (expected > 0)).all()


@pytest.mark.parametrize(("method", "tied"), RELU_CASES)
def test_load_saelens_round_trip_encodes_identically(
    tmp_path: Path, method: str, tied: bool
) -> None:
    model = random_model(method, tied=tied)
    back = load_saelens(export_saelens(model, tmp_path))
    assert back.cfg == model.cfg
    x = sample_x()
    with torch.no_grad():
        assert torch.equal(back.encode(x), model.encode(x))
        assert torch.equal(back(x), model(x))


@pytest.mark.parametrize("method", ["jumprelu", "batchtopk"])
def test_threshold_methods_export_as_jumprelu_with_a_threshold_per_latent(
    tmp_path: Path, method: str
) -> None:
    model = random_model(method)
    out = export_saelens(model, tmp_path)
    cfg = json.loads((out / SAELENS_CFG_FILE).read_text())
    assert cfg["architecture"] == "jumprelu" and "k" not in cfg
    weights = load_file(out / SAELENS_WEIGHTS_FILE)
    assert set(weights) == {"W_enc", "W_dec", "b_enc", "b_dec", "threshold"}
    assert weights["threshold"].shape == (5,)


def test_an_untrained_batchtopk_threshold_exports_as_zero_and_encodes_alike(
    tmp_path: Path,
) -> None:
    model = random_model("batchtopk")
    model.threshold.fill_(-1.0)  # before its first batch: every ReLU output passes
    out = export_saelens(model, tmp_path)
    assert torch.equal(load_file(out / SAELENS_WEIGHTS_FILE)["threshold"], torch.zeros(5))
    x = sample_x()
    with torch.no_grad():
        torch.testing.assert_close(load_saelens(out).encode(x), model.encode(x), rtol=0, atol=1e-5)


@pytest.mark.parametrize("method", ["kl", "contractive"])
def test_sigmoid_methods_are_refused_and_nothing_is_written(tmp_path: Path, method: str) -> None:
    with pytest.raises(RunError, match="sigmoid encoder, which SAELens has no architecture"):
        export_saelens(random_model(method), tmp_path / "out")
    assert not (tmp_path / "out").exists()
    with pytest.raises(RunError, match="sigmoid"):
        saelens_zip_bytes(random_model(method))


def test_existing_export_is_kept_unless_overwrite_is_asked(tmp_path: Path) -> None:
    export_saelens(random_model(seed=1), tmp_path)
    with pytest.raises(RunError, match=r"already holds sae_weights\.safetensors, cfg\.json"):
        export_saelens(random_model(seed=2), tmp_path)
    assert torch.equal(load_saelens(tmp_path).W_dec, random_model(seed=1).W_dec)
    export_saelens(random_model(seed=2), tmp_path, overwrite=True)
    assert torch.equal(load_saelens(tmp_path).W_dec, random_model(seed=2).W_dec)
    assert sorted(p.name for p in tmp_path.iterdir()) == [SAELENS_CFG_FILE, SAELENS_WEIGHTS_FILE]


def test_export_saelens_run_uses_the_runs_data_as_dataset_path(tmp_path: Path) -> None:
    model = random_model("topk")
    save_run(
        model,
        TrainConfig(),
        metrics={},
        history=pd.DataFrame(),
        data_name="mnist",
        name="r",
        root=tmp_path / "runs",
    )
    out = export_saelens_run("r", tmp_path / "out", root=tmp_path / "runs")
    cfg = json.loads((out / SAELENS_CFG_FILE).read_text())
    assert cfg["metadata"]["dataset_path"] == "mnist"
    assert torch.equal(load_saelens(out).W_enc, model.W_enc)


def test_saelens_zip_holds_both_files(tmp_path: Path) -> None:
    model = random_model("l2")
    with zipfile.ZipFile(io.BytesIO(saelens_zip_bytes(model))) as archive:
        assert sorted(archive.namelist()) == [SAELENS_CFG_FILE, SAELENS_WEIGHTS_FILE]
        archive.extractall(tmp_path)
    assert torch.equal(load_saelens(tmp_path).b_dec, model.b_dec)


def _write_plain_saelens(folder: Path, cfg: dict, model: SparseAutoencoder) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / SAELENS_CFG_FILE).write_text(json.dumps(cfg))
    save_file(model.weights(), folder / SAELENS_WEIGHTS_FILE)


@pytest.mark.parametrize("apply_b_dec", [True, False])
@pytest.mark.parametrize("architecture", ["standard", "topk", "jumprelu"])
def test_load_saelens_reads_a_plain_saelens_sae(
    tmp_path: Path, architecture: str, apply_b_dec: bool
) -> None:
    source = random_model(SOURCE_METHOD[architecture])
    cfg = {"architecture": architecture, "d_in": 6, "d_sae": 5, "dtype": "float32",
           "apply_b_dec_to_input": apply_b_dec, "normalize_activations": "none", "k": 2,
           "metadata": {"sae_lens_version": "6.5.0"}}  # fmt: skip
    _write_plain_saelens(tmp_path, cfg, source)
    loaded = load_saelens(tmp_path)
    assert loaded.cfg.method == SOURCE_METHOD[architecture]
    weights = {k: v.double().numpy() for k, v in source.weights().items()}
    x = sample_x()
    expected = saelens_encode_oracle(cfg, weights, x.double().numpy())
    with torch.no_grad():
        np.testing.assert_allclose(loaded.encode(x).double().numpy(), expected, atol=1e-5)


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        ({"architecture": "transcoder"}, "architecture 'transcoder' is not supported"),
        ({"normalize_activations": "layer_norm"}, "normalize_activations='layer_norm'"),
        ({"d_sae": 9}, r"shape \[6, 5\] but the config says \[6, 9\]"),
    ],
)
def test_load_saelens_refuses_what_it_cannot_represent(
    tmp_path: Path, edit: dict, message: str
) -> None:
    cfg = {"architecture": "standard", "d_in": 6, "d_sae": 5, **edit}
    _write_plain_saelens(tmp_path, cfg, random_model("l1"))
    with pytest.raises(RunError, match=message):
        load_saelens(tmp_path)


def test_load_saelens_reports_missing_and_corrupt_files(tmp_path: Path) -> None:
    with pytest.raises(RunError, match=r"cfg\.json is missing"):
        load_saelens(tmp_path)
    out = export_saelens(random_model(), tmp_path / "sae")
    (out / SAELENS_WEIGHTS_FILE).write_bytes(b"\x00" * 40)
    with pytest.raises(RunError, match="not a readable safetensors"):
        load_saelens(out)


@pytest.mark.parametrize(("method", "tied"), RELU_CASES)
def test_sae_lens_loads_the_export_and_encodes_identically(
    tmp_path: Path, method: str, tied: bool
) -> None:
    sae_lens = pytest.importorskip("sae_lens")  # optional extra: `pip install .[saelens]`
    model = random_model(method, tied=tied)
    out = export_saelens(model, tmp_path)
    theirs = sae_lens.SAE.load_from_disk(str(out), device="cpu")
    x = sample_x()
    with torch.no_grad():
        np.testing.assert_allclose(
            theirs.encode(x).numpy(), model.encode(x).numpy(), rtol=1e-6, atol=1e-6
        )
        np.testing.assert_allclose(
            theirs.decode(model.encode(x)).numpy(), model(x).numpy(), rtol=1e-6, atol=1e-6
        )


def test_the_export_records_how_inputs_were_scaled(tmp_path: Path, monkeypatch) -> None:
    from sae_core.cli.commands import main
    from sae_core.data import load_dataset

    monkeypatch.setenv("SAE_EXPLORER_RUNS", str(tmp_path / "runs"))
    run_dir = tmp_path / "runs" / "std"
    args = ["--data", "digits", "--preprocess", "standardise", "--epochs", "1"]
    assert main(["train", *args, "--out", str(run_dir)]) == 0
    assert main(["export", str(run_dir), "--out", str(tmp_path / "out")]) == 0
    cfg = json.loads((tmp_path / "out" / "cfg.json").read_text())
    record = cfg["metadata"]["sae_explorer"]["preprocessing"]
    data = load_dataset("digits", preprocess="standardise")
    assert record["steps"] == ["standardise"]
    raw = data.preprocessing.to_raw(data.x_test)
    rebuilt = (raw - np.asarray(record["offset"])) / np.asarray(record["scale"])
    np.testing.assert_allclose(rebuilt, data.x_test, atol=1e-4)  # SAELens users can scale inputs
    assert load_saelens(tmp_path / "out").cfg.d_in == 64  # and our reader still reads it


def test_sae_lens_loads_the_matching_pursuit_export_and_reconstructs_as_ours(
    tmp_path: Path,
) -> None:
    sae_lens = pytest.importorskip("sae_lens")  # optional extra: `pip install .[saelens]`
    from sae_core.analysis.pursuit import decode_codes, encode_with
    from sae_core.runs.saelens_mp import export_saelens_mp

    model = random_model("topk")
    theirs = sae_lens.SAE.load_from_disk(str(export_saelens_mp(model, tmp_path, 3)), device="cpu")
    assert type(theirs).__name__ == "MatchingPursuitSAE"
    x = sample_x()
    with torch.no_grad():
        recon = theirs.decode(theirs.encode(x)).numpy()
    ours = decode_codes(model, encode_with(model, x.numpy(), "mp", 3))
    np.testing.assert_allclose(recon, ours, atol=1e-5)
