"""The metric glass box: every FVE / shrinkage definition against hand cases and other routes."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.metrics import r2_score

from sae_core.analysis.definitions import (
    COLUMNS,
    FVE_DEFINITIONS,
    SHRINKAGE_DEFINITIONS,
    fve_definitions,
    fve_per_dimension,
    fve_saebench_legacy,
    fve_saelens_pre_fix,
    l2_ratio_saebench,
    shrinkage_definitions,
)
from sae_core.analysis.metrics import compute_fve, evaluate
from sae_core.config import SAEConfig, TrainConfig
from sae_core.data import load_dataset
from sae_core.training.fit import train

# Three samples, two dimensions: x̄ = [2, 2]; centred norms² 8, 4, 20 (total 32);
# the only error is 2 on sample 1, dimension 1 (residual² 4); Σ‖x_i‖² = 0 + 4 + 52 = 56.
HAND_X = np.array([[0.0, 0.0], [2.0, 0.0], [4.0, 6.0]])
HAND_X_HAT = np.array([[0.0, 0.0], [2.0, 2.0], [4.0, 6.0]])
HAND_VALUES = {
    "ours": 1 - 4 / 32,  # 0.875
    "saelens_pre_fix": 1 - 4 / 56,  # 13/14
    "saebench_legacy": ((1 - 0 / 8) + (1 - 4 / 4) + (1 - 0 / 20)) / 3,  # 2/3
    "per_dimension": ((1 - 0 / 8) + (1 - 4 / 24)) / 2,  # dim 0 exact; dim 1: 1 − 4/24
}


def _random_pair(rng: np.random.Generator, n: int = 50, d: int = 6) -> tuple[np.ndarray, ...]:
    x = rng.normal(size=(n, d)) * rng.uniform(0.1, 3, size=d) + rng.normal(size=d)
    return x, x + 0.3 * rng.normal(size=(n, d))


def test_the_hand_case_gives_four_different_values_each_as_worked_out() -> None:
    table = fve_definitions(HAND_X, HAND_X_HAT)
    np.testing.assert_allclose(table["value"], list(HAND_VALUES.values()), rtol=1e-12)
    assert len(set(np.round(table["value"], 6))) == 4


def test_the_two_by_two_case_from_the_saelens_fix_thread() -> None:
    # x̄ = [1, 2]: total variance (5 + 5), residual (1 + 1); about zero: Σ‖x‖² = 4 + 16
    x = np.array([[2.0, 0.0], [0.0, 4.0]])
    x_hat = np.array([[2.0, 1.0], [0.0, 3.0]])
    assert compute_fve(x, x_hat) == pytest.approx(0.8)
    assert fve_saelens_pre_fix(x, x_hat) == pytest.approx(1 - 2 / 20)
    assert fve_saebench_legacy(x, x_hat) == pytest.approx(0.8)  # equal denominators: no gap


def test_ours_is_sklearns_variance_weighted_r2(rng: np.random.Generator) -> None:
    x, x_hat = _random_pair(rng)
    expected = r2_score(x, x_hat, multioutput="variance_weighted")
    assert fve_definitions(x, x_hat)["value"][0] == pytest.approx(expected, rel=1e-10)


def test_the_per_dimension_average_is_sklearns_uniform_r2(rng: np.random.Generator) -> None:
    x, x_hat = _random_pair(rng)
    expected = r2_score(x, x_hat, multioutput="uniform_average")
    assert fve_per_dimension(x, x_hat) == pytest.approx(expected, rel=1e-10)


@pytest.mark.parametrize("exact", [True, False])
def test_a_constant_dimension_scores_as_sklearn_scores_it(
    rng: np.random.Generator, exact: bool
) -> None:
    x, x_hat = _random_pair(rng)
    x[:, 2] = 0.5
    x_hat[:, 2] = 0.5 if exact else 0.7  # sklearn: 1 when reconstructed exactly, else 0
    expected = r2_score(x, x_hat, multioutput="uniform_average")
    assert fve_per_dimension(x, x_hat) == pytest.approx(expected, rel=1e-10)


def test_more_samples_than_one_float64_block_give_the_same_values(
    rng: np.random.Generator,
) -> None:
    x, x_hat = _random_pair(rng, n=5000, d=3)  # past the 4096-row chunk
    values = fve_definitions(x, x_hat)["value"]
    assert values[0] == pytest.approx(r2_score(x, x_hat, multioutput="variance_weighted"))
    assert values[3] == pytest.approx(r2_score(x, x_hat, multioutput="uniform_average"))


def test_legacy_and_pre_fix_match_a_loop_over_samples(rng: np.random.Generator) -> None:
    x, x_hat = _random_pair(rng)
    mean = [sum(row[d] for row in x) / len(x) for d in range(x.shape[1])]
    ratios, residual, total0 = [], 0.0, 0.0
    for row, row_hat in zip(x, x_hat, strict=True):
        err = sum((a - b) ** 2 for a, b in zip(row, row_hat, strict=True))
        ratios.append(1 - err / sum((a - m) ** 2 for a, m in zip(row, mean, strict=True)))
        residual += err
        total0 += sum(a * a for a in row)
    assert fve_saebench_legacy(x, x_hat) == pytest.approx(sum(ratios) / len(ratios), rel=1e-10)
    assert fve_saelens_pre_fix(x, x_hat) == pytest.approx(1 - residual / total0, rel=1e-10)


def test_legacy_leaves_out_a_sample_sitting_exactly_on_the_mean() -> None:
    x = np.array([[0.0, 0.0], [1.0, 1.0], [2.0, 2.0]])  # sample 1 is x̄
    x_hat = np.array([[0.0, 1.0], [1.0, 2.0], [2.0, 2.0]])
    assert fve_saebench_legacy(x, x_hat) == pytest.approx(((1 - 1 / 2) + 1) / 2)


def test_perfect_reconstruction_scores_one_everywhere(rng: np.random.Generator) -> None:
    x, _ = _random_pair(rng)
    np.testing.assert_allclose(fve_definitions(x, x)["value"], 1.0)
    np.testing.assert_allclose(shrinkage_definitions(x, x)["value"], 1.0)


def test_predicting_the_mean_explains_nothing_except_about_zero(
    rng: np.random.Generator,
) -> None:
    x, _ = _random_pair(rng)
    x = x + 10.0  # data far from the origin: the pre-fix bug's favourable case
    x_hat = np.broadcast_to(x.mean(axis=0), x.shape)
    values = fve_definitions(x, x_hat)["value"].to_numpy()
    assert values[1] > 0.9  # row 1: SAELens before its fix
    np.testing.assert_allclose(np.delete(values, 1), 0.0, atol=1e-12)


def test_shifting_data_and_reconstruction_moves_only_the_about_zero_definition(
    rng: np.random.Generator,
) -> None:
    x, x_hat = _random_pair(rng)
    before = fve_definitions(x, x_hat)["value"].to_numpy()
    after = fve_definitions(x + 5.0, x_hat + 5.0)["value"].to_numpy()
    np.testing.assert_allclose(np.delete(after, 1), np.delete(before, 1), rtol=1e-10)
    assert after[1] > before[1]


def test_shrinkage_definitions_match_direct_sums(rng: np.random.Generator) -> None:
    x, _ = _random_pair(rng)
    x_hat = 0.5 * x  # every reconstruction half size: γ = 1/2, both norm ratios 1/2
    np.testing.assert_allclose(shrinkage_definitions(x, x_hat)["value"], 0.5, rtol=1e-12)
    x_hat = x * rng.uniform(0.2, 1.5, size=(len(x), 1))
    norm_in, norm_out = np.linalg.norm(x, axis=1), np.linalg.norm(x_hat, axis=1)
    gamma = np.sum(norm_out**2) / np.sum(x * x_hat)
    expected = [gamma, norm_out.mean() / norm_in.mean(), np.mean(norm_out / norm_in)]
    np.testing.assert_allclose(shrinkage_definitions(x, x_hat)["value"], expected, rtol=1e-10)


def test_the_saebench_l2_ratio_divides_a_near_zero_sample_by_one() -> None:
    x = np.array([[3.0, 4.0], [0.0, 0.0]])
    x_hat = np.array([[0.0, 5.0], [0.0, 0.5]])
    assert l2_ratio_saebench(x, x_hat) == pytest.approx((5 / 5 + 0.5 / 1) / 2)


def test_tables_carry_each_definitions_formula_and_source(rng: np.random.Generator) -> None:
    x, x_hat = _random_pair(rng)
    for table, definitions in [
        (fve_definitions(x, x_hat), FVE_DEFINITIONS),
        (shrinkage_definitions(x, x_hat), SHRINKAGE_DEFINITIONS),
    ]:
        assert list(table.columns) == COLUMNS
        assert table["formula"].tolist() == [d.latex for d in definitions]
        assert table["source"].tolist() == [d.source for d in definitions]


def test_mismatched_shapes_are_refused() -> None:
    with pytest.raises(ValueError, match="x_hat"):
        fve_definitions(np.zeros((3, 2)), np.zeros((3, 3)))


def test_ours_is_the_fve_evaluate_reports_for_a_trained_model() -> None:
    dataset = load_dataset("digits")
    result = train(
        SAEConfig(d_in=dataset.d_in, d_sae=32), dataset, TrainConfig(epochs=2), probe=False
    )
    _, x_hat = result.model.reconstruct_numpy(dataset.x_test)
    table = fve_definitions(dataset.x_test, x_hat)
    assert table["value"][0] == pytest.approx(
        evaluate(result.model, dataset, probe=False).fve, abs=1e-12
    )
    assert table["value"][0] == pytest.approx(result.metrics.fve, abs=1e-12)
