"""Opening SAELens SAEs made elsewhere: folders and zips, every exportable method round trips,
the export's training metadata, and the errors a user meets."""

from __future__ import annotations

import io
import json
import zipfile
from pathlib import Path

import pytest
import torch
from safetensors.torch import save as save_safetensors

from sae_core import methods
from sae_core.errors import RunError
from sae_core.runs.saelens import (
    SAELENS_CFG_FILE,
    SAELENS_WEIGHTS_FILE,
    export_saelens,
    saelens_files,
    saelens_weights,
)
from sae_core.runs.saelens_import import check_saelens_width, read_saelens, saelens_from_zip
from tests.helpers.models import random_model

torch.set_num_threads(1)
EXPORTABLE = [m.name for m in methods.all_methods() if m.saelens is not None]


def fresh_x(n: int = 40, d_in: int = 6) -> torch.Tensor:
    return torch.randn(n, d_in, generator=torch.Generator().manual_seed(11)) * 2


def zipped(files: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, content in files.items():
            archive.writestr(name, content)
    return buffer.getvalue()


def assert_same_encodings(a: torch.nn.Module, b: torch.nn.Module) -> None:
    x = fresh_x()
    with torch.no_grad():
        torch.testing.assert_close(a.encode(x), b.encode(x), atol=1e-5, rtol=0)  # type: ignore[operator]
        torch.testing.assert_close(a(x), b(x), atol=1e-5, rtol=0)


@pytest.mark.parametrize("method", EXPORTABLE)
def test_every_exportable_method_round_trips_through_a_folder_and_a_zip(
    tmp_path: Path, method: str
) -> None:
    model = random_model(method)
    folder = export_saelens(model, tmp_path / "sae")
    from_folder = read_saelens(folder)
    zip_path = tmp_path / "sae.zip"
    zip_path.write_bytes(zipped({f"sae/{n}": c for n, c in saelens_files(model).items()}))
    from_zip = read_saelens(zip_path)
    for back in (from_folder, from_zip):
        assert back.cfg == model.cfg
        assert_same_encodings(back, model)


def test_a_zip_with_the_files_at_its_top_loads() -> None:
    model = random_model("topk")
    back = saelens_from_zip(zipped(saelens_files(model)), "top.zip")
    assert_same_encodings(back, model)


def test_a_plain_saelens_sae_without_our_metadata_loads_by_its_architecture() -> None:
    model = random_model("jumprelu")
    cfg = {"architecture": "jumprelu", "d_in": 6, "d_sae": 5, "apply_b_dec_to_input": True}
    files = {
        SAELENS_CFG_FILE: json.dumps(cfg).encode(),
        SAELENS_WEIGHTS_FILE: save_safetensors(saelens_weights(model)),
        "__MACOSX/._cfg.json": b"junk",
    }
    back = saelens_from_zip(zipped(files), "plain.zip")
    assert back.cfg.method == "jumprelu"
    assert_same_encodings(back, model)


@pytest.mark.skipif(
    not any(m.saelens == "gated" for m in methods.all_methods()), reason="gated not registered"
)
def test_a_gated_saelens_sae_loads_with_its_gate_bias_as_our_b_enc() -> None:
    method = next(m for m in methods.all_methods() if m.saelens == "gated")
    model = random_model(method.name)
    weights = saelens_weights(model)
    if "b_enc" in weights:  # SAELens's name for the gate bias
        weights["b_gate"] = weights.pop("b_enc")
    cfg = {"architecture": "gated", "d_in": 6, "d_sae": 5, "apply_b_dec_to_input": True}
    files = {
        SAELENS_CFG_FILE: json.dumps(cfg).encode(),
        SAELENS_WEIGHTS_FILE: save_safetensors(weights),
    }
    back = saelens_from_zip(zipped(files), "gated.zip")
    assert back.cfg.method == method.name
    assert_same_encodings(back, model)


def test_the_export_records_training_architecture_final_l0_and_dead_count(tmp_path: Path) -> None:
    model = random_model("batchtopk")
    metrics = {"l0": 3.25, "dead_fraction": 0.4, "fve": 0.9}
    folder = export_saelens(model, tmp_path, metrics=metrics)
    metadata = json.loads((folder / SAELENS_CFG_FILE).read_text())["metadata"]
    assert metadata["training_architecture"] == "batchtopk"
    assert metadata["l0"] == 3.25 and metadata["dead_latents"] == 2  # 0.4 of d_sae 5


def test_an_export_without_metrics_says_l0_and_dead_count_are_unknown(tmp_path: Path) -> None:
    folder = export_saelens(random_model("l1"), tmp_path)
    metadata = json.loads((folder / SAELENS_CFG_FILE).read_text())["metadata"]
    assert metadata["training_architecture"] == "l1"
    assert metadata["l0"] is None and metadata["dead_latents"] is None


def test_a_malformed_zip_is_one_clear_error() -> None:
    with pytest.raises(RunError, match="not a readable zip"):
        saelens_from_zip(b"PK\x03\x04 not really a zip", "broken.zip")


def test_a_zip_without_cfg_json_names_what_is_missing() -> None:
    model = random_model("l1")
    data = zipped({SAELENS_WEIGHTS_FILE: save_safetensors(saelens_weights(model))})
    with pytest.raises(RunError, match=r"holds no cfg\.json"):
        saelens_from_zip(data, "half.zip")


def test_a_zip_of_two_saes_asks_for_one() -> None:
    files = saelens_files(random_model("l1"))
    data = zipped({f"{d}/{n}": c for d in ("a", "b") for n, c in files.items()})
    with pytest.raises(RunError, match="holds 2 SAEs"):
        saelens_from_zip(data, "two.zip")


def test_a_folder_without_cfg_json_is_refused(tmp_path: Path) -> None:
    (tmp_path / SAELENS_WEIGHTS_FILE).write_bytes(b"")
    with pytest.raises(RunError, match=r"cfg\.json is missing"):
        read_saelens(tmp_path)


def test_an_unknown_architecture_lists_the_supported_ones() -> None:
    files = saelens_files(random_model("l1"))
    cfg = json.loads(files[SAELENS_CFG_FILE])
    cfg["architecture"] = "transcoder"
    files[SAELENS_CFG_FILE] = json.dumps(cfg).encode()
    with pytest.raises(RunError, match=r"'transcoder' is not supported.*'standard'"):
        saelens_from_zip(zipped(files), "odd.zip")


def test_a_width_mismatch_names_both_widths() -> None:
    with pytest.raises(RunError, match=r"d_in = 6 .* has 7"):
        check_saelens_width(random_model("l1"), 7, "acts.npy")


@pytest.mark.parametrize("method", EXPORTABLE)
def test_a_saelens_sae_that_does_not_subtract_b_dec_encodes_alike_once_folded(
    method: str,
) -> None:
    model = random_model(method)
    files = saelens_files(model)
    cfg = json.loads(files[SAELENS_CFG_FILE])
    cfg["apply_b_dec_to_input"] = False
    weights = saelens_weights(model)
    # the same encoder written as SAELens does without b_dec: every bias after W_enc takes b_dec in
    W_enc = weights["W_enc"]
    bias = "b_gate" if "b_gate" in weights else "b_enc"  # SAELens's gated names it b_gate
    weights[bias] = weights[bias] - weights["b_dec"] @ W_enc
    if "b_mag" in weights:
        weights["b_mag"] = weights["b_mag"] - weights["b_dec"] @ (W_enc * weights["r_mag"].exp())
    files = {
        SAELENS_CFG_FILE: json.dumps(cfg).encode(),
        SAELENS_WEIGHTS_FILE: save_safetensors(weights),
    }
    assert_same_encodings(saelens_from_zip(zipped(files), "nob.zip"), model)
