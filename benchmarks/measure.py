"""Measuring cut clips: how many frames a clip stores, and how close two frames are.

Shared by ``clip_extraction.py`` (which checks every smart clip it cuts) and the tests of
``ClipEncoder`` (``basketball_assets_tests/test_resources/test_video.py``), which import it
as ``benchmarks.measure``.
"""

from __future__ import annotations

from pathlib import Path

import av
import numpy as np


def packet_count(path: Path) -> int:
    """The number of video packets (frames) a clip stores, empty ones left out."""
    with av.open(str(path)) as container:
        return sum(1 for packet in container.demux(video=0) if packet.size)


def psnr(a: np.ndarray, b: np.ndarray) -> float:
    """Peak signal-to-noise ratio of two 8-bit grey images, in dB (99 when identical)."""
    mse = float(((a - b) ** 2).mean())
    return 99.0 if mse == 0 else 10 * np.log10(255.0**2 / mse)
