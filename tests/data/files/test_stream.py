"""A .npy opened as a memory map: rows read as np.load reads them, every bad file refused."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from sae_core.data.files.stream import NpyMap
from sae_core.errors import DataError


def test_rows_match_np_load_for_runs_and_scattered_rows(tmp_path: Path) -> None:
    x = np.random.default_rng(0).standard_normal((300, 7)).astype(np.float32)
    np.save(tmp_path / "x.npy", x)
    npy = NpyMap(tmp_path / "x.npy")
    assert (npy.n_rows, npy.d, npy.dtype, npy.image_shape) == (300, 7, np.float32, None)
    assert npy.nbytes == x.nbytes
    np.testing.assert_array_equal(npy.rows(np.arange(40, 90)), x[40:90])
    scattered = np.array([0, 3, 4, 150, 299])
    np.testing.assert_array_equal(npy.rows(scattered), x[scattered])
    assert npy.rows(np.array([], dtype=np.int64)).shape == (0, 7)
    npy.prefetch(0, 300)  # advice only: the rows still read the same
    npy.release(0, 300)
    np.testing.assert_array_equal(npy.rows(np.arange(300)), x)


def test_scattered_rows_are_read_in_pieces_of_bounded_span(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("sae_core.data.files.stream.SPAN_BYTES", 10 * 7 * 4)  # 10 rows a piece
    x = np.random.default_rng(1).standard_normal((300, 7)).astype(np.float32)
    np.save(tmp_path / "x.npy", x)
    npy = NpyMap(tmp_path / "x.npy")
    released: list[tuple[int, int]] = []
    monkeypatch.setattr(npy, "release", lambda a, b: released.append((a, b)))
    index = np.array([0, 1, 2, 9, 10, 11, 12, 40, 41, 299])
    np.testing.assert_array_equal(npy.rows(index), x[index])
    assert released == [(0, 10), (10, 13), (40, 42), (299, 300)]
    np.testing.assert_array_equal(npy.rows(np.arange(300)), x)


def test_a_3d_image_stack_streams_as_flat_rows_and_float64_keeps_its_dtype(tmp_path: Path) -> None:
    stack = np.arange(5 * 4 * 3, dtype=np.float64).reshape(5, 4, 3)
    np.save(tmp_path / "s.npy", stack)
    npy = NpyMap(tmp_path / "s.npy")
    assert (npy.n_rows, npy.d, npy.image_shape, npy.dtype) == (5, 12, (4, 3), np.float64)
    np.testing.assert_array_equal(npy.rows(np.array([1, 4])), stack.reshape(5, 12)[[1, 4]])


@pytest.mark.parametrize(
    ("array", "message"),
    [
        (np.arange(10.0), "shape (10,): need a 2-D"),
        (np.array([["a", "b"], ["c", "d"]]), "holds <U1 values: save a numeric"),
        (np.ones((1, 3)), "1 row(s): need at least 2 samples"),
    ],
)
def test_bad_arrays_are_refused(tmp_path: Path, array: np.ndarray, message: str) -> None:
    np.save(tmp_path / "bad.npy", array)
    with pytest.raises(DataError, match=message.replace("(", r"\(").replace(")", r"\)")):
        NpyMap(tmp_path / "bad.npy")


def test_pickled_truncated_fortran_and_junk_files_are_refused(tmp_path: Path) -> None:
    np.save(tmp_path / "obj.npy", np.array([[1, None]], dtype=object), allow_pickle=True)
    with pytest.raises(DataError, match="Python objects"):
        NpyMap(tmp_path / "obj.npy")
    np.save(tmp_path / "full.npy", np.ones((100, 4), np.float32))
    data = (tmp_path / "full.npy").read_bytes()
    (tmp_path / "cut.npy").write_bytes(data[:-16])
    with pytest.raises(DataError, match=r"cut\.npy is truncated"):
        NpyMap(tmp_path / "cut.npy")
    np.save(tmp_path / "f.npy", np.asfortranarray(np.ones((6, 3))))
    with pytest.raises(DataError, match=r"Fortran order.*np\.ascontiguousarray"):
        NpyMap(tmp_path / "f.npy")
    (tmp_path / "junk.npy").write_bytes(b"not an array at all")
    with pytest.raises(DataError, match=r"junk\.npy is not a valid \.npy file"):
        NpyMap(tmp_path / "junk.npy")
    with pytest.raises(DataError, match="cannot read"):
        NpyMap(tmp_path / "missing.npy")


def _rss_file_kb() -> int:
    with open("/proc/self/status", encoding="ascii") as status:
        return next(int(line.split()[1]) for line in status if line.startswith("RssFile:"))


@pytest.mark.skipif(not Path("/proc/self/status").exists(), reason="reads Linux's /proc")
def test_read_pages_leave_the_resident_set(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("sae_core.data.files.stream.SPAN_BYTES", 2**20)
    x = np.random.default_rng(2).random((16_384, 512), dtype=np.float32)  # 32 MB
    np.save(tmp_path / "x.npy", x)
    del x
    npy = NpyMap(tmp_path / "x.npy")
    before = _rss_file_kb()
    everything = npy.rows(np.arange(16_384))
    scattered = npy.rows(np.arange(0, 16_384, 7))  # fault-around would map most of the file
    grown_mb = (_rss_file_kb() - before) / 1024
    assert everything.shape == (16_384, 512) and len(scattered) == 2341
    assert grown_mb < 4, f"{grown_mb:.1f} MB of the 32 MB file stayed mapped"
    kept = np.array(npy._rows[:8192])  # the same read without releasing: the pages stay mapped
    assert (_rss_file_kb() - before) / 1024 > 12 and kept.shape == (8192, 512)
