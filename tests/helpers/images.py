"""Static images in tests: is the engine here (skip without it, fail in CI), and read the files."""

from __future__ import annotations

import struct
import xml.etree.ElementTree as ET
from pathlib import Path

from sae_core.figures.export import missing_engine
from tests.helpers.env import require

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


def require_image_engine() -> None:
    """Skip without kaleido and Chrome/Chromium; in CI (``CI=true``) fail instead."""
    require(missing_engine(), "CI must export static figures (kaleido + Debian's chromium)")


def png_size(path: Path) -> tuple[int, int]:
    """(width, height) in pixels of a real PNG file (AssertionError if it is not one)."""
    data = path.read_bytes()
    assert data[:8] == PNG_MAGIC and len(data) > 100, f"{path} is not a PNG"
    assert data[12:16] == b"IHDR", f"{path} has no IHDR chunk first"
    width, height = struct.unpack(">II", data[16:24])
    return int(width), int(height)


def svg_root(path: Path) -> ET.Element:
    """The parsed root of an SVG file (AssertionError unless it is XML with an <svg> root)."""
    root = ET.parse(path).getroot()
    assert root.tag.endswith("svg"), f"{path} has root <{root.tag}>, not <svg>"
    return root


def svg_text(path: Path) -> str:
    """All the text an SVG draws (titles, axis labels), joined by spaces."""
    return " ".join(t.strip() for t in svg_root(path).itertext() if t.strip())
