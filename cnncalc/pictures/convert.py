"""SVG to PNG or PDF through CairoSVG (the ``png`` extra): a pure-Python SVG renderer on the Cairo
library, so no browser or separate program is needed."""

from __future__ import annotations

from typing import Literal, TypeAlias

from cnncalc.errors import CnncalcError

Raster: TypeAlias = Literal[".png", ".pdf"]

PNG_SCALE = 2.0
"""PNGs are drawn at twice the SVG's size, sharp on high-density screens and in documents."""

MISSING = (
    "{what} output needs CairoSVG and the Cairo library: pip install 'cnncalc[png]' "
    "(Debian and Ubuntu: apt-get install libcairo2; macOS: brew install cairo); .svg always works"
)


def convert(svg: str, suffix: Raster) -> bytes:
    """The SVG document ``svg`` as PNG or PDF bytes; a clear error if CairoSVG cannot be loaded."""
    try:
        import cairosvg  # type: ignore[import-untyped]
    except (ImportError, OSError):  # OSError: CairoSVG is installed but the Cairo library is not
        raise CnncalcError(MISSING.format(what=suffix[1:].upper())) from None
    data: bytes
    if suffix == ".png":
        data = cairosvg.svg2png(bytestring=svg.encode(), scale=PNG_SCALE)
    else:
        data = cairosvg.svg2pdf(bytestring=svg.encode())
    return data
