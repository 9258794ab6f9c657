"""Open an SAE trained elsewhere in the SAELens layout (a folder, or a zip of one) and check it
against activations, so the CLI's ``eval --saelens`` and the Compare page's loader share one path.

A zip holds ``cfg.json`` and ``sae_weights.safetensors`` at its top or inside one folder (the
way a folder zips). The architecture picks the method from the registry
(:func:`sae_core.runs.saelens.load_saelens`), so every registered SAELens architecture loads.
"""

from __future__ import annotations

import io
import zipfile
from pathlib import Path, PurePosixPath

from sae_core.errors import RunError
from sae_core.model import SparseAutoencoder
from sae_core.runs.saelens import (
    SAELENS_CFG_FILE,
    SAELENS_WEIGHTS_FILE,
    load_saelens,
    saelens_from_bytes,
)

MAX_ZIP_MEMBER_BYTES = 4 * 2**30  # refuse before inflating: a zip bomb must not fill memory


def read_saelens(path: str | Path) -> SparseAutoencoder:
    """A SAELens SAE from a folder or a ``.zip`` file; RunError says what is wrong."""
    source = Path(path).expanduser()
    if source.is_dir():
        return load_saelens(source)
    if not source.exists():
        raise RunError(
            f"{source} does not exist: give a SAELens folder (cfg.json + "
            f"{SAELENS_WEIGHTS_FILE}) or a zip of one"
        )
    try:
        data = source.read_bytes()
    except OSError as exc:
        raise RunError(f"cannot read {source} ({exc.strerror or exc})") from None
    return saelens_from_zip(data, source.name)


def saelens_from_zip(data: bytes, name: str) -> SparseAutoencoder:
    """A SAELens SAE from a zip's bytes (``name`` labels it in messages)."""
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except (zipfile.BadZipFile, ValueError):
        raise RunError(
            f"{name} is not a readable zip file: zip the SAELens folder (cfg.json + "
            f"{SAELENS_WEIGHTS_FILE}) again"
        ) from None
    with archive:
        folder = _sae_folder(archive, name)
        where = Path(name) / folder if folder else Path(name)
        return saelens_from_bytes(
            _member(archive, folder / SAELENS_CFG_FILE, name),
            lambda: _member(archive, folder / SAELENS_WEIGHTS_FILE, name),
            where,
        )


def _sae_folder(archive: zipfile.ZipFile, name: str) -> PurePosixPath:
    """The one folder of ``archive`` (its top, or one level down) holding both SAELens files."""
    members = {
        PurePosixPath(info.filename)
        for info in archive.infolist()
        if not info.is_dir() and not info.filename.startswith("__MACOSX/")
    }
    folders = sorted(
        p.parent
        for p in members
        if p.name == SAELENS_CFG_FILE
        and len(p.parts) <= 2
        and p.parent / SAELENS_WEIGHTS_FILE in members
    )
    if not folders:
        raise RunError(
            f"{name} holds no {SAELENS_CFG_FILE} with {SAELENS_WEIGHTS_FILE} beside it (at its top "
            "or in one folder): it is not a SAELens SAE"
        )
    if len(folders) > 1:
        shown = ", ".join(str(f) if str(f) != "." else "(top)" for f in folders)
        raise RunError(f"{name} holds {len(folders)} SAEs ({shown}): zip just one")
    return folders[0]


def _member(archive: zipfile.ZipFile, path: PurePosixPath, name: str) -> bytes:
    info = archive.getinfo(str(path))
    if info.file_size > MAX_ZIP_MEMBER_BYTES:
        raise RunError(f"{name}: {path} is {info.file_size:,} bytes unpacked, too large to load")
    try:
        return archive.read(info)
    except (zipfile.BadZipFile, OSError, EOFError, NotImplementedError) as exc:
        raise RunError(f"{name}: {path} cannot be unpacked ({exc}): the zip is corrupt") from None


def check_saelens_width(model: SparseAutoencoder, d_in: int, data_name: str) -> None:
    """RunError unless the activations' width ``d_in`` is the SAE's input width."""
    if model.cfg.d_in != d_in:
        raise RunError(
            f"the SAE reads d_in = {model.cfg.d_in} values per sample but {data_name} has "
            f"{d_in}: give activations from the layer it was trained on"
        )
