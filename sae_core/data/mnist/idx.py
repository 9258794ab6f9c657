"""IDX files (the MNIST format) and MNIST-format folders: read, check, write.

An IDX file is a ``>HBB`` magic (two zero bytes, a dtype code, the number of dimensions), one
big-endian uint32 per dimension, then the values, big-endian, row-major. Files may be gzipped.
"""

from __future__ import annotations

import errno
import math
import os
import re
import tempfile
import zlib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from sae_core.errors import DataError

IDX_DTYPES: dict[int, np.dtype] = {
    0x08: np.dtype("u1"),
    0x09: np.dtype("i1"),
    0x0B: np.dtype(">i2"),
    0x0C: np.dtype(">i4"),
    0x0D: np.dtype(">f4"),
    0x0E: np.dtype(">f8"),
}
MAX_IDX_BYTES = 2 * 1024**3  # a decompressed IDX beyond this is a mistake or a zip bomb

ROLES = ("train_images", "train_labels", "test_images", "test_labels")
"""The four files of an MNIST-format folder, in the order of the standard download."""

STANDARD_NAMES: dict[str, str] = {
    "train_images": "train-images-idx3-ubyte",
    "train_labels": "train-labels-idx1-ubyte",
    "test_images": "t10k-images-idx3-ubyte",
    "test_labels": "t10k-labels-idx1-ubyte",
}
_IMAGE_FILE = re.compile(r"(images)([-.])(idx3-ubyte)(\.gz)?$")
_SHOWN_PATH_CHARS = 60  # a 300-character path in an error message hides the advice after it


@dataclass(frozen=True, kw_only=True)
class ImageSet:
    """Images with their labels. images: [n, h, w] (or [n, d]); labels: [n] int64."""

    images: np.ndarray
    labels: np.ndarray


def read_idx(source: str | os.PathLike[str] | bytes, *, name: str | None = None) -> np.ndarray:
    """Read one IDX file (plain or gzipped) from a path or from its bytes -> the stored array."""
    if isinstance(source, bytes):
        data, name = source, name or "the IDX data"
    else:
        path = Path(source)
        name = name or str(path)
        try:
            data = path.read_bytes()
        except OSError as exc:
            raise DataError(f"cannot read {name}: {exc.strerror or exc}") from None
    if data[:2] == b"\x1f\x8b":
        data = gunzip(data, name)
    elif name.endswith(".gz"):
        raise DataError(f"{name} is named .gz but is not gzip data: rename it without .gz")
    return _parse_idx(data, name)


def gunzip(data: bytes, name: str, limit: int = MAX_IDX_BYTES) -> bytes:
    """Decompress gzip ``data`` (all members), refusing more than ``limit`` bytes of output."""
    out: list[bytes] = []
    rest, size = data, 0
    try:
        while rest[:2] == b"\x1f\x8b":
            inflater = zlib.decompressobj(16 + zlib.MAX_WBITS)
            out.append(inflater.decompress(rest, limit + 1 - size))
            size += len(out[-1])
            if size > limit:
                raise DataError(f"{name} decompresses to more than {limit} bytes: not an IDX file")
            if not inflater.eof:
                raise DataError(f"{name} is a truncated gzip file: download or copy it again")
            rest = inflater.unused_data
    except zlib.error as exc:
        raise DataError(
            f"{name} is a corrupt gzip file ({exc}): download or copy it again"
        ) from None
    return b"".join(out)


def _parse_idx(data: bytes, name: str) -> np.ndarray:
    if len(data) < 4 or data[:2] != b"\x00\x00":
        raise DataError(f"{name} is not an IDX file (bad magic number): expected MNIST-format data")
    code, ndim = data[2], data[3]
    if code not in IDX_DTYPES:
        raise DataError(f"{name} has unknown IDX type code 0x{code:02x}: the file is corrupt")
    if not 1 <= ndim <= 4:
        raise DataError(f"{name} claims {ndim} dimensions: an IDX file has 1 to 4; it is corrupt")
    header = 4 + 4 * ndim
    if len(data) < header:
        raise DataError(f"{name} is truncated inside its header: copy or download it again")
    dims = tuple(int(d) for d in np.frombuffer(data, dtype=">u4", count=ndim, offset=4))
    dtype = IDX_DTYPES[code]
    expected = math.prod(dims) * dtype.itemsize
    body = len(data) - header
    if body < expected:
        raise DataError(
            f"{name} is truncated: its header promises {dims} values ({expected} bytes) but only "
            f"{body} bytes follow; copy or download it again"
        )
    if body > expected:
        raise DataError(
            f"{name} has {body - expected} bytes beyond its {dims} values: it is corrupt"
        )
    array = np.frombuffer(data, dtype=dtype, offset=header).reshape(dims)
    return array.astype(dtype.newbyteorder("="))


def write_idx(path: str | os.PathLike[str], array: np.ndarray) -> Path:
    """Write ``array`` (1 to 4 dims, a dtype IDX supports) as IDX; gzipped if ``path`` ends .gz.

    Written to a temporary file beside ``path`` and renamed, so a crash never leaves half a file.
    """
    array = np.asarray(array)
    codes = {dtype.newbyteorder("="): code for code, dtype in IDX_DTYPES.items()}
    code = codes.get(array.dtype.newbyteorder("="))
    if code is None or not 1 <= array.ndim <= 4:
        raise DataError(
            f"cannot write a {array.ndim}-D {array.dtype} array as IDX: use 1 to 4 dimensions "
            "of uint8, int8, int16, int32, float32 or float64"
        )
    header = bytes([0, 0, code, array.ndim]) + np.asarray(array.shape, dtype=">u4").tobytes()
    data = header + np.ascontiguousarray(array, dtype=IDX_DTYPES[code]).tobytes()
    path = Path(path)
    if path.name.endswith(".gz"):
        import gzip

        data = gzip.compress(data, mtime=0)
    write_atomically(path, data)
    return path


def write_atomically(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` via a temporary file in the same folder and a rename."""
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".part")
    try:
        with os.fdopen(handle, "wb") as out:
            out.write(data)
        os.replace(temp, path)
    except BaseException:
        Path(temp).unlink(missing_ok=True)
        raise


def is_folder(path: str | os.PathLike[str]) -> bool:
    """``Path.is_dir()``, but a path the system cannot look at is a :class:`DataError`.

    ``is_dir`` answers False only for missing paths; a name too long for the file system, a
    folder without permission or a similar problem raises OSError, which users must not see raw.
    """
    return _probe(Path(path), Path.is_dir)


def is_plain_file(path: str | os.PathLike[str]) -> bool:
    """``Path.is_file()`` with OSError turned into :class:`DataError` (see :func:`is_folder`)."""
    return _probe(Path(path), Path.is_file)


def path_exists(path: str | os.PathLike[str]) -> bool:
    """``Path.exists()`` with OSError turned into :class:`DataError` (see :func:`is_folder`)."""
    return _probe(Path(path), Path.exists)


def _probe(path: Path, test: Callable[[Path], bool]) -> bool:
    try:
        return test(path)
    except OSError as exc:
        raise DataError(path_error_message(path, exc)) from None


def path_error_message(path: str | os.PathLike[str], exc: OSError) -> str:
    """One line naming what is wrong with ``path`` and what to do; long paths are shortened."""
    text = str(path)
    shown = text if len(text) <= _SHOWN_PATH_CHARS else f"{text[:_SHOWN_PATH_CHARS]}…"
    if exc.errno == errno.ENAMETOOLONG:
        return (
            f"the path {shown!r} ({len(text)} characters) is too long for this system: "
            "check the folder name and give a shorter path"
        )
    if exc.errno == errno.EACCES:
        return f"no permission to read {shown!r}: choose a folder you can read, or fix its access"
    reason = exc.strerror or type(exc).__name__
    return f"cannot use the path {shown!r} ({reason}): check that it names a readable folder"


def find_idx_files(folder: str | os.PathLike[str]) -> dict[str, Path]:
    """The MNIST-format files present in ``folder``: role (see ``ROLES``) -> path.

    Accepts the standard names, their dotted variants (``train-images.idx3-ubyte``) and ``.gz``
    forms; an uncompressed file wins over its ``.gz`` twin because it reads faster.
    """
    folder = Path(folder)
    found: dict[str, Path] = {}
    for role, standard in STANDARD_NAMES.items():
        dotted = standard.replace("-idx", ".idx")
        for base in (standard, dotted):
            for candidate in (folder / base, folder / f"{base}.gz"):
                if role not in found and is_plain_file(candidate):
                    found[role] = candidate
    return found


def is_idx_images_file(path: str | os.PathLike[str]) -> bool:
    """True for names like ``t10k-images-idx3-ubyte`` or ``train-images.idx3-ubyte.gz``."""
    return _IMAGE_FILE.search(Path(path).name) is not None


def labels_beside(images_path: str | os.PathLike[str]) -> Path:
    """The labels file that belongs to an images file, looked up in the same folder."""
    images_path = Path(images_path)
    base = _IMAGE_FILE.sub(r"labels\g<2>idx1-ubyte", images_path.name)
    for candidate in (images_path.with_name(base), images_path.with_name(f"{base}.gz")):
        if is_plain_file(candidate):
            return candidate
    raise DataError(f"no labels beside {images_path}: put {base} (or {base}.gz) in the same folder")


def read_image_set(images_path: Path, labels_path: Path) -> ImageSet:
    """Read an images file and its labels file, checking that they belong together."""
    images = read_idx(images_path)
    labels = read_idx(labels_path)
    if images.ndim not in (2, 3):
        raise DataError(f"{images_path} holds a {images.ndim}-D array: expected [n, height, width]")
    if labels.ndim != 1 or not np.issubdtype(labels.dtype, np.integer):
        raise DataError(f"{labels_path} is not a label file: expected a 1-D array of integers")
    if len(labels) != len(images):
        raise DataError(
            f"{labels_path.name} has {len(labels)} labels but {images_path.name} has "
            f"{len(images)} images: the two files do not belong together"
        )
    return ImageSet(images=images, labels=labels.astype(np.int64))


def read_mnist_folder(folder: str | os.PathLike[str]) -> tuple[ImageSet | None, ImageSet | None]:
    """(train, test) image sets of an MNIST-format folder; either may be None, not both."""
    folder = Path(folder)
    if not is_folder(folder):
        raise DataError(f"{folder} is not a folder: name the folder that holds the MNIST IDX files")
    found = find_idx_files(folder)
    sets: list[ImageSet | None] = []
    for split in ("train", "test"):
        images, labels = found.get(f"{split}_images"), found.get(f"{split}_labels")
        if images is not None and labels is not None:
            sets.append(read_image_set(images, labels))
        elif images is None and labels is None:
            sets.append(None)
        else:
            present = images or labels
            want = STANDARD_NAMES[f"{split}_{'labels' if labels is None else 'images'}"]
            name = present.name if present else ""
            raise DataError(f"{folder} has {name} but no {want}[.gz]: add the missing file")
    if sets[0] is None and sets[1] is None:
        names = ", ".join(f"{n}[.gz]" for n in STANDARD_NAMES.values())
        raise DataError(f"no MNIST-format IDX files in {folder}: expected {names}")
    return sets[0], sets[1]
