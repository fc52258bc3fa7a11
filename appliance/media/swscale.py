"""Colour conversion straight into memory the caller owns (a window surface).

Why this exists: PyAV's ``VideoReformatter`` always allocates a new output
frame, so showing a picture costs a conversion *and* a copy of the result
into the window surface. At 720p that copy is a 3.7 MB memcpy of data that
has just left the cache, measured at ~0.35 ms per frame on the build
machine -- as much as the conversion itself, and the difference between
the display benchmark (a') meeting its target or not. libswscale itself
can write into any buffer; PyAV just does not expose that. So this module
calls the ``sws_scale`` of the very libswscale PyAV is linked against
(its wheel's ``av.libs`` copy, else the system one) through ctypes.

Colour handling matches PyAV's reformatter: the source's colourspace and
range tags pick the YUV->RGB matrix (BT.601 limited when untagged), output
is full-range RGB, bilinear scaling, one thread (predictable cost under
load; media notes section 4).

If the library cannot be found, :func:`load_swscale` raises
:class:`~appliance.errors.NotSupported`; callers fall back to PyAV's
reformatter plus one copy.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import glob
import os
import threading
from dataclasses import dataclass

import av

from appliance.errors import NotSupported

SWS_BILINEAR = 2
SWS_CS_DEFAULT = 5  # BT.601
# AVColorSpace values libswscale has coefficients for (same numbers as SWS_CS_*)
_KNOWN_COLORSPACES = frozenset({1, 4, 5, 6, 7, 9})
AVCOL_RANGE_JPEG = 2
_BYTES_PER_PIXEL = {"bgra": 4, "rgba": 4, "argb": 4, "abgr": 4, "rgb24": 3, "bgr24": 3}


@dataclass(frozen=True, slots=True)
class _Libraries:
    swscale: ctypes.CDLL
    avutil: ctypes.CDLL


_libraries: _Libraries | None = None
_load_lock = threading.Lock()


def _library_path(stem: str) -> str | None:
    bundled = os.path.join(os.path.dirname(os.path.dirname(av.__file__)), "av.libs")
    found = sorted(glob.glob(os.path.join(bundled, f"lib{stem}-*.so*")))
    if found:
        return found[0]
    return ctypes.util.find_library(stem)


def load_swscale() -> _Libraries:
    """Bind the few libswscale/libavutil functions used here (once per process)."""
    global _libraries
    with _load_lock:
        if _libraries is not None:
            return _libraries
        paths = {stem: _library_path(stem) for stem in ("swscale", "avutil")}
        missing = [stem for stem, path in paths.items() if path is None]
        if missing:
            raise NotSupported(f"direct conversion needs lib{', lib'.join(missing)} (not found next to PyAV)")
        try:
            swscale = ctypes.CDLL(paths["swscale"])
            avutil = ctypes.CDLL(paths["avutil"])
        except OSError as exc:
            raise NotSupported(f"direct conversion: cannot load FFmpeg libraries: {exc}") from exc
        pointer, integer = ctypes.c_void_p, ctypes.c_int
        swscale.sws_getCachedContext.restype = pointer
        swscale.sws_getCachedContext.argtypes = [pointer, *[integer] * 7, pointer, pointer, pointer]
        swscale.sws_scale.restype = integer
        swscale.sws_scale.argtypes = [
            pointer,
            ctypes.POINTER(pointer),
            ctypes.POINTER(integer),
            integer,
            integer,
            ctypes.POINTER(pointer),
            ctypes.POINTER(integer),
        ]
        swscale.sws_getCoefficients.restype = ctypes.POINTER(integer)
        swscale.sws_getCoefficients.argtypes = [integer]
        swscale.sws_setColorspaceDetails.restype = integer
        swscale.sws_setColorspaceDetails.argtypes = [
            pointer,
            ctypes.POINTER(integer),
            integer,
            ctypes.POINTER(integer),
            integer,
            integer,
            integer,
            integer,
        ]
        swscale.sws_freeContext.restype = None
        swscale.sws_freeContext.argtypes = [pointer]
        avutil.av_get_pix_fmt.restype = integer
        avutil.av_get_pix_fmt.argtypes = [ctypes.c_char_p]
        _libraries = _Libraries(swscale, avutil)
        return _libraries


class DirectScaler:
    """One stream's cached SwsContext writing into caller memory; not thread-safe (one owner)."""

    def __init__(self, pixel_format: str) -> None:
        if pixel_format not in _BYTES_PER_PIXEL:
            raise NotSupported(f"direct conversion into {pixel_format} is not supported")
        self._libs = load_swscale()
        self.pixel_format = pixel_format
        self.bytes_per_pixel = _BYTES_PER_PIXEL[pixel_format]
        self._dst_format = self._pix_fmt(pixel_format)
        self._formats: dict[str, int] = {}
        self._context: int | None = None
        self._colour: tuple[int, int, int] | None = None  # (context, colourspace, range) applied

    def _pix_fmt(self, name: str) -> int:
        value = int(self._libs.avutil.av_get_pix_fmt(name.encode()))
        if value < 0:
            raise NotSupported(f"FFmpeg does not know pixel format {name}")
        return value

    def scale_into(self, frame: av.VideoFrame, address: int, pitch: int, width: int, height: int) -> None:
        """Convert (and scale) ``frame`` into ``height`` rows of ``pitch`` bytes at ``address``."""
        if address == 0 or width <= 0 or height <= 0 or pitch < width * self.bytes_per_pixel:
            raise ValueError(f"destination {width}x{height} with pitch {pitch} cannot hold the picture")
        source_format = frame.format.name
        src_format = self._formats.get(source_format)
        if src_format is None:
            src_format = self._formats[source_format] = self._pix_fmt(source_format)
        swscale = self._libs.swscale
        context = swscale.sws_getCachedContext(
            self._context,
            frame.width,
            frame.height,
            src_format,
            width,
            height,
            self._dst_format,
            SWS_BILINEAR,
            None,
            None,
            None,
        )
        if not context:
            raise ValueError(f"libswscale cannot convert {source_format} {frame.width}x{frame.height}")
        self._context = context
        self._apply_colour(context, frame)
        planes = frame.planes
        sources = (ctypes.c_void_p * 4)(*[plane.buffer_ptr for plane in planes], *[None] * (4 - len(planes)))
        strides = (ctypes.c_int * 4)(*[plane.line_size for plane in planes], *[0] * (4 - len(planes)))
        target = (ctypes.c_void_p * 4)(address, None, None, None)
        target_strides = (ctypes.c_int * 4)(pitch, 0, 0, 0)
        rows = swscale.sws_scale(context, sources, strides, 0, frame.height, target, target_strides)
        if rows < 0:
            raise ValueError(f"libswscale failed ({rows}) on {source_format} {frame.width}x{frame.height}")

    def _apply_colour(self, context: int, frame: av.VideoFrame) -> None:
        colourspace = int(frame.colorspace)
        matrix = colourspace if colourspace in _KNOWN_COLORSPACES else SWS_CS_DEFAULT
        full_range = 1 if int(frame.color_range) == AVCOL_RANGE_JPEG else 0
        wanted = (context, matrix, full_range)
        if wanted == self._colour:
            return
        swscale = self._libs.swscale
        coefficients = swscale.sws_getCoefficients(matrix)
        # inverse table (source matrix), source range, table (ignored for RGB output), full-range RGB,
        # brightness 0, contrast and saturation 1.0 in 16.16 fixed point
        swscale.sws_setColorspaceDetails(
            context, coefficients, full_range, coefficients, 1, 0, 1 << 16, 1 << 16
        )
        self._colour = wanted

    def close(self) -> None:
        if self._context is not None:
            self._libs.swscale.sws_freeContext(self._context)
            self._context = None
            self._colour = None

    def __del__(self) -> None:
        self.close()
