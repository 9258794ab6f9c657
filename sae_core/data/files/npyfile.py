"""Read ``.npy`` and ``.npz`` bytes without ever unpickling, and without trusting their headers.

``np.load`` would allocate whatever shape a header claims before noticing the data is short, and
its errors differ by numpy version; reading the header ourselves turns every malformed file into
one clear :class:`DataError`.
"""

from __future__ import annotations

import io
import math
import zipfile
from dataclasses import dataclass

import numpy as np

from sae_core.errors import DataError

MAX_ARRAY_BYTES = 2 * 1024**3  # an .npz member that inflates beyond this is refused
X_KEYS = ("x", "X", "data")
Y_KEYS = ("y", "Y", "labels", "label", "targets", "target")


@dataclass(frozen=True, kw_only=True)
class NpzArrays:
    """The arrays chosen from an .npz: x (any shape), y or None, and what was left out."""

    x: np.ndarray
    y: np.ndarray | None
    ignored: tuple[str, ...] = ()
    images: np.ndarray | None = None  # the inputs behind x's rows, for display


def read_npy(data: bytes, name: str) -> np.ndarray:
    """Parse the bytes of one ``.npy`` file -> its array (never with pickled objects)."""
    stream = io.BytesIO(data)
    try:
        version = np.lib.format.read_magic(stream)
        if version == (1, 0):
            shape, fortran, dtype = np.lib.format.read_array_header_1_0(stream)
        elif version == (2, 0):
            shape, fortran, dtype = np.lib.format.read_array_header_2_0(stream)
        else:
            raise DataError(
                f"{name} is not a valid .npy file (format version {version}): save it with np.save"
            )
    except DataError:
        raise
    except Exception as exc:  # numpy's header parser raises many types on junk bytes
        raise DataError(
            f"{name} is not a valid .npy file ({_reason(exc)}): save it with np.save"
        ) from None
    if dtype.hasobject:
        raise DataError(
            f"{name} holds Python objects, which would need unpickling (refused for safety): "
            "save a numeric array"
        )
    count = math.prod(shape)
    needed, available = count * dtype.itemsize, len(data) - stream.tell()
    if available < needed:
        raise DataError(
            f"{name} is truncated: shape {shape} needs {needed} bytes but {available} follow the "
            "header; save or upload it again"
        )
    if dtype.itemsize == 0:
        raise DataError(f"{name} holds a {dtype} array with no data: save a numeric array")
    array = np.frombuffer(data, dtype=dtype, count=count, offset=stream.tell())
    return array.reshape(shape, order="F" if fortran else "C")


def read_npz(data: bytes, name: str) -> NpzArrays:
    """Parse an ``.npz`` archive; pick ``x`` (and ``y``/``labels``), or its only array."""
    arrays = _read_members(data, name)
    x_key = next((k for k in X_KEYS if k in arrays), None)
    if x_key is None:
        if not arrays:
            raise DataError(f"{name} holds no arrays: save one with np.savez(path, x=matrix)")
        if len(arrays) > 1:
            raise DataError(
                f"{name} holds arrays {', '.join(sorted(arrays))} but none named x: save the "
                "data as x (and labels as y) with np.savez(path, x=..., y=...)"
            )
        x_key = next(iter(arrays))
    y_key = next((k for k in Y_KEYS if k in arrays and k != x_key), None)
    images_key = "images" if "images" in arrays and x_key != "images" else None
    ignored = tuple(sorted(set(arrays) - {x_key, y_key, images_key}))
    return NpzArrays(
        x=arrays[x_key],
        y=arrays[y_key] if y_key else None,
        ignored=ignored,
        images=arrays[images_key] if images_key else None,
    )


def _read_members(data: bytes, name: str) -> dict[str, np.ndarray]:
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            members = [info for info in archive.infolist() if info.filename.endswith(".npy")]
            for info in members:
                if info.file_size > MAX_ARRAY_BYTES:
                    raise DataError(
                        f"{name}: array {info.filename} inflates to {info.file_size} bytes, more "
                        f"than the {MAX_ARRAY_BYTES} allowed: use a smaller array"
                    )
            raw = {info.filename[:-4]: archive.read(info) for info in members}
    except DataError:
        raise
    except Exception as exc:  # zipfile and zlib raise many types on a damaged archive
        raise DataError(
            f"{name} is not a valid .npz file ({_reason(exc)}): save it with np.savez"
        ) from None
    return {key: read_npy(blob, f"{name}[{key}]") for key, blob in raw.items()}


def _reason(exc: BaseException) -> str:
    text = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
    return text[:120]
