"""The scikit-learn estimator: trains on arrays and DataFrames, preprocesses forward and back,
steps with partial_fit, and passes scikit-learn's own estimator checks."""

from __future__ import annotations

import pickle

import numpy as np
import pandas as pd
import pytest
import torch
from sklearn.base import clone
from sklearn.pipeline import make_pipeline
from sklearn.utils.estimator_checks import parametrize_with_checks

from sae_core import SparseAutoencoder
from sae_core.model import SparseAutoencoder as SAEModule

# Checks of scikit-learn's that do not apply, each with the reason. None fails today; the one
# scikit-learn skips by itself is ``check_array_api_input`` (it runs only with SCIPY_ARRAY_API=1,
# and the estimator computes in torch rather than claiming array-API support).
EXPECTED_FAILED_CHECKS: dict[str, str] = {}


def small(**params: object) -> SparseAutoencoder:
    return SparseAutoencoder(**{"d_sae": 16, "k": 4, "epochs": 2, **params})  # type: ignore[arg-type]


@parametrize_with_checks(
    [small(), small(method="topk"), small(method="jumprelu", preprocess="scale01")],
    expected_failed_checks=lambda estimator: EXPECTED_FAILED_CHECKS,
)
def test_scikit_learn_estimator_checks(estimator, check) -> None:  # type: ignore[no-untyped-def]
    check(estimator)


@pytest.fixture(scope="module")
def raw_digits() -> np.ndarray:
    """Digits in their own units: integers 0..16 as float64 [1797, 64]."""
    from sklearn.datasets import load_digits

    return load_digits().data


def test_it_trains_on_a_numpy_array_and_learns(raw_digits: np.ndarray) -> None:
    sae = SparseAutoencoder(method="topk", k=8, d_sae=64, epochs=5).fit(raw_digits)
    codes = sae.transform(raw_digits)
    assert codes.shape == (1797, 64)
    assert (np.count_nonzero(codes, axis=1) <= 8).all()
    assert sae.n_features_in_ == 64 and not hasattr(sae, "feature_names_in_")
    assert sae.score(raw_digits) > 0.6
    assert sae.n_steps_ == len(sae.history_) == 5 * 15  # 15 batches of 128 per epoch


def test_a_dataframe_trains_the_same_model_and_keeps_its_column_names(
    raw_digits: np.ndarray,
) -> None:
    frame = pd.DataFrame(raw_digits, columns=[f"px{i}" for i in range(64)])
    from_frame = small().fit(frame)
    from_array = small().fit(raw_digits)
    assert list(from_frame.feature_names_in_) == list(frame.columns)
    np.testing.assert_allclose(from_frame.transform(frame), from_array.transform(raw_digits))
    with pytest.raises(ValueError, match="feature names"):
        from_frame.transform(frame.rename(columns={"px0": "other"}))


@pytest.mark.parametrize(
    ("dtype", "out"),
    [
        (np.float64, np.float64),
        (np.float32, np.float32),
        (np.float16, np.float64),
        (np.int64, np.float64),
        (np.uint8, np.float64),
    ],
)
def test_any_numeric_dtype_is_accepted(raw_digits: np.ndarray, dtype: type, out: type) -> None:
    x = raw_digits[:200].astype(dtype)
    sae = small().fit(x)
    codes = sae.transform(x)
    assert codes.dtype == out
    assert sae.inverse_transform(codes).dtype == out
    np.testing.assert_allclose(codes, sae.transform(raw_digits[:200]), rtol=1e-4, atol=1e-5)


def test_inverse_transform_undoes_its_own_preprocessing(raw_digits: np.ndarray) -> None:
    # standardising makes the model blind to the units: an affine change of X changes nothing
    # but the units inverse_transform answers in (constant pixels keep scale 1, so leave them out)
    x = raw_digits[:300][:, raw_digits[:300].std(0) > 0]
    shifted = 5.0 * x + 1000.0
    sae, sae_shifted = small().fit(x), small().fit(shifted)
    codes = sae.transform(x)
    np.testing.assert_allclose(codes, sae_shifted.transform(shifted), rtol=1e-4, atol=1e-4)
    np.testing.assert_allclose(
        sae_shifted.inverse_transform(codes), 5.0 * sae.inverse_transform(codes) + 1000.0, rtol=1e-5
    )
    # by hand: decode in model units, then x = x_model * std + mean
    by_hand = sae.model_.decode(torch.from_numpy(codes)).detach().numpy() * x.std(0) + x.mean(0)
    np.testing.assert_allclose(sae.inverse_transform(codes), by_hand, rtol=1e-5, atol=1e-4)


def test_score_is_the_fraction_of_variance_explained_in_model_units(
    raw_digits: np.ndarray,
) -> None:
    sae = small(preprocess="scale01").fit(raw_digits)
    x = raw_digits / 16  # digits' scale01 uses the global min 0 and max 16
    x_hat = sae.model_(torch.from_numpy(x)).detach().numpy()
    fve = 1 - ((x - x_hat) ** 2).sum() / ((x - x.mean(0)) ** 2).sum()
    assert sae.score(raw_digits) == pytest.approx(fve, rel=1e-6)


def test_components_are_the_decoder_atoms(raw_digits: np.ndarray) -> None:
    sae = small().fit(raw_digits)
    assert sae.components_.shape == (16, 64)
    np.testing.assert_array_equal(sae.components_, sae.model_.W_dec.detach().numpy())
    assert isinstance(sae.model_, SAEModule)


def test_a_1d_sample_is_refused_with_the_reshape_to_use(raw_digits: np.ndarray) -> None:
    sae = small().fit(raw_digits)
    with pytest.raises(ValueError, match=r"reshape\(1, -1\)"):
        sae.transform(raw_digits[0])
    assert sae.transform(raw_digits[0].reshape(1, -1)).shape == (1, 16)


def test_partial_fit_takes_the_asked_number_of_steps_and_continues(raw_digits: np.ndarray) -> None:
    stepped = small()
    for _ in range(5):
        stepped.partial_fit(raw_digits, n_steps=1)
    at_once = small().partial_fit(raw_digits, n_steps=5)
    assert stepped.n_steps_ == at_once.n_steps_ == 5
    assert stepped.history_["step"].tolist() == [1, 2, 3, 4, 5]
    np.testing.assert_allclose(stepped.components_, at_once.components_, rtol=1e-5, atol=1e-6)


def test_partial_fit_after_fit_continues_from_the_fitted_model(raw_digits: np.ndarray) -> None:
    sae = small(epochs=1).fit(raw_digits)
    fitted = sae.components_
    sae.partial_fit(raw_digits[:256], n_steps=3)
    assert sae.n_steps_ == 15 + 3
    assert sae.history_["step"].tolist()[-3:] == [16, 17, 18]
    assert np.abs(sae.components_ - fitted).max() < 0.1  # moved a little, from there


def test_partial_fit_refuses_a_step_count_that_is_not_positive(raw_digits: np.ndarray) -> None:
    with pytest.raises(ValueError, match="n_steps"):
        small().partial_fit(raw_digits, n_steps=0)


def test_params_round_trip_and_bad_ones_fail_at_fit_naming_the_field(
    raw_digits: np.ndarray,
) -> None:
    sae = small().set_params(method="topk", k=3)
    assert clone(sae).get_params()["k"] == 3
    with pytest.raises(ValueError, match="k=99"):
        small(method="topk", k=99).fit(raw_digits)
    with pytest.raises(ValueError, match="preprocess"):
        small(preprocess="whiten").fit(raw_digits)


def test_a_pickled_estimator_transforms_alike_and_keeps_stepping(raw_digits: np.ndarray) -> None:
    sae = small(method="jumprelu").partial_fit(raw_digits, n_steps=2)
    copy = pickle.loads(pickle.dumps(sae))
    np.testing.assert_array_equal(copy.transform(raw_digits), sae.transform(raw_digits))
    copy.partial_fit(raw_digits, n_steps=2)
    assert copy.n_steps_ == 4 and copy.history_["step"].tolist() == [1, 2, 3, 4]


def test_it_works_inside_a_pipeline(raw_digits: np.ndarray) -> None:
    from sklearn.datasets import load_digits
    from sklearn.linear_model import LogisticRegression

    y = load_digits().target
    pipe = make_pipeline(small(d_sae=32, epochs=3), LogisticRegression(max_iter=200))
    assert pipe.fit(raw_digits, y).score(raw_digits, y) > 0.5
