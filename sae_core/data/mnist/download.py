"""Download MNIST or Fashion-MNIST into a cache folder, verifying every file's checksum.

Nothing here runs unless asked: loading never touches the network by itself. Files are streamed
to a temporary file beside the target and renamed only after their md5 matches.
"""

from __future__ import annotations

import hashlib
import http.client
import os
import tempfile
import urllib.error
import urllib.request
from collections.abc import Mapping, Sequence
from pathlib import Path

from sae_core.data.mnist.idx import ROLES, STANDARD_NAMES
from sae_core.errors import ConfigError, DataError

KINDS: tuple[str, ...] = ("mnist", "fashion-mnist")

MIRRORS: dict[str, tuple[str, ...]] = {
    "mnist": (
        "https://ossci-datasets.s3.amazonaws.com/mnist/",
        "https://storage.googleapis.com/cvdf-datasets/mnist/",
    ),
    "fashion-mnist": ("http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/",),
}

# md5 of the .gz files as published, in ROLES order.
_MD5 = {
    "mnist": (
        "f68b3c2dcbeaaa9fbdd348bbdeb94873",
        "d53e105ee54ea40749a09fcbcd1e9432",
        "9fb629c4189551a2d022fa330f9573f3",
        "ec29112dd5afa0611ce80d1b7f02629c",
    ),
    "fashion-mnist": (
        "8d4fb7e6c68d591d4c3dfef9ec88bf0d",
        "25c81989df183df01b3e8d0aad5dffbe",
        "bef4ecab320f06d8554ea6380940ec79",
        "bb300cfdad3c16e7a12a480ee83fd310",
    ),
}
CHECKSUMS: dict[str, dict[str, str]] = {
    kind: {f"{STANDARD_NAMES[role]}.gz": md5 for role, md5 in zip(ROLES, sums, strict=True)}
    for kind, sums in _MD5.items()
}
"""kind -> {file name -> md5 of the .gz file}."""

MAX_DOWNLOAD_BYTES = 200 * 1024**2  # the largest real file is 26 MB; more means a wrong URL
_CHUNK = 1024**2


def default_cache_dir() -> Path:
    """``$SAE_EXPLORER_CACHE``, else ``~/.cache/sae-explorer``."""
    configured = os.environ.get("SAE_EXPLORER_CACHE")
    return Path(configured).expanduser() if configured else Path.home() / ".cache" / "sae-explorer"


def download_mnist(
    kind: str = "mnist",
    cache_dir: str | os.PathLike[str] | None = None,
    base_url: str | None = None,
    timeout: float = 10,
    *,
    checksums: Mapping[str, str] | None = None,
) -> Path:
    """Fetch the four IDX ``.gz`` files of ``kind`` into ``cache_dir/kind``; return that folder.

    Files already present with the right md5 are kept. ``base_url`` replaces the built-in
    mirrors; ``checksums`` (file name -> md5) replaces the built-in table, e.g. for a test server.
    Raises DataError when offline, when every mirror fails, or when a checksum does not match.
    """
    if kind not in KINDS:
        raise ConfigError(f"kind={kind!r} is invalid: choose {' or '.join(KINDS)}")
    table = dict(checksums if checksums is not None else CHECKSUMS[kind])
    mirrors: Sequence[str] = (base_url,) if base_url else MIRRORS[kind]
    folder = Path(cache_dir).expanduser() if cache_dir else default_cache_dir()
    folder = folder / kind
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise DataError(
            f"cannot create the cache folder {folder} ({exc}): choose another cache_dir"
        ) from None
    for file_name, md5 in table.items():
        target = folder / file_name
        if target.is_file() and _md5_of_file(target) == md5:
            continue
        _fetch_from_mirrors(file_name, md5, mirrors, target, timeout)
    return folder


def _fetch_from_mirrors(
    file_name: str, md5: str, mirrors: Sequence[str], target: Path, timeout: float
) -> None:
    failures = []
    for mirror in mirrors:
        url = mirror.rstrip("/") + "/" + file_name
        try:
            _fetch(url, md5, target, timeout)
            return
        except DataError as exc:
            failures.append(str(exc))
    raise DataError(
        f"could not download {file_name} ({'; '.join(failures)}): check the internet connection, "
        "or download the files yourself and load them with mnist:FOLDER"
    )


def _fetch(url: str, md5: str, target: Path, timeout: float) -> None:
    """Stream ``url`` into ``target`` if its md5 is ``md5``; DataError (one clause) otherwise."""
    handle, temp = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".part")
    digest = hashlib.md5(usedforsecurity=False)
    size = 0
    try:
        with os.fdopen(handle, "wb") as out, urllib.request.urlopen(url, timeout=timeout) as reply:
            while chunk := reply.read(_CHUNK):
                size += len(chunk)
                if size > MAX_DOWNLOAD_BYTES:
                    raise DataError(f"{url} sent more than {MAX_DOWNLOAD_BYTES} bytes")
                digest.update(chunk)
                out.write(chunk)
        if digest.hexdigest() != md5:
            raise DataError(
                f"checksum mismatch for {url}: md5 {digest.hexdigest()}, expected {md5}"
            )
        os.replace(temp, target)
    except DataError:
        raise
    except (OSError, http.client.HTTPException, ValueError) as exc:
        # URLError and HTTPError are OSErrors; ValueError covers a malformed URL.
        if isinstance(exc, urllib.error.HTTPError):
            reason: object = f"HTTP {exc.code} {exc.reason}"
        else:
            reason = getattr(exc, "reason", None) or exc
        raise DataError(f"{url}: {reason}") from None
    finally:
        Path(temp).unlink(missing_ok=True)


def _md5_of_file(path: Path) -> str:
    digest = hashlib.md5(usedforsecurity=False)
    with path.open("rb") as stream:
        while chunk := stream.read(_CHUNK):
            digest.update(chunk)
    return digest.hexdigest()
