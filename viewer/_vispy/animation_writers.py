"""Animated GIF, WebP and MP4 written frame by frame: each (h, w, 3) uint8 frame goes to the encoder as it is
made and is dropped then, so a time-lapse's memory does not grow with its frames (issue 38: every frame kept,
96 months at 320×200 exhausted 4 GB and 9 frames at 4K ended in "quantization error").

Pillow's own multi-frame writers cannot do this: its GIF writer keeps every quantized frame until the end (to
merge identical ones), its WebP writer lists ``append_images`` first. Here a GIF is written as its header and
then one image block per frame (Pillow's ``getheader``/``getdata``, each frame with its own palette, quantized
by the fast octree, which needs little memory at any size); a WebP goes through Pillow's WebP writer from a
multi-frame image whose frames are made when the writer seeks to them; an MP4 through an ffmpeg pipe."""

from __future__ import annotations

import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import BinaryIO

import numpy as np
from PIL import GifImagePlugin, Image


class WriteError(ValueError):
    """An encoder that failed; the message says which and why."""


def write_gif(frames: Iterator[np.ndarray], n: int, out: Path, fps: float) -> int:
    """An endlessly looping GIF of ``frames`` at ``fps``; returns the frames written."""
    ms = round(1000 / fps)
    done = 0
    with open(out, "wb") as f:
        for rgb in frames:
            im = Image.fromarray(np.ascontiguousarray(rgb), "RGB")
            p = im.quantize(256, method=Image.Quantize.FASTOCTREE, dither=Image.Dither.NONE)
            del im
            if done == 0:
                header, _ = GifImagePlugin.getheader(p, info={"loop": 0, "duration": ms})
                _write(f, header)
                _write(f, GifImagePlugin.getdata(p, (0, 0), duration=ms))
            else:
                _write(f, GifImagePlugin.getdata(p, (0, 0), duration=ms, include_color_table=True))
            done += 1
        f.write(b";")  # the GIF trailer
    return done


def _write(f: BinaryIO, parts: list[bytes]) -> None:
    for part in parts:
        f.write(part)


def write_webp(frames: Iterator[np.ndarray], n: int, out: Path, fps: float) -> int:
    """An endlessly looping animated WebP (quality 80) of the ``n`` frames; returns the frames written."""
    seq = FramesOnDemand(frames, n)
    seq.save(out, "WEBP", save_all=True, loop=0, duration=round(1000 / fps), quality=80)
    return seq.made


class FramesOnDemand(Image.Image):
    """A multi-frame RGB image whose frame k is taken from an iterator when a writer seeks to it: only the
    frame being encoded is held. Seeking back is a no-op (writers seek back to the first frame when done)."""

    def __init__(self, frames: Iterator[np.ndarray], n: int):
        super().__init__()
        self._frames, self._n, self.made, self._at = frames, n, 0, -1
        self.seek(0)
        self._size, self._mode = self.im.size, "RGB"

    @property
    def n_frames(self) -> int:
        return self._n

    @property
    def is_animated(self) -> bool:
        return self._n > 1

    def tell(self) -> int:
        return self._at

    def seek(self, frame: int) -> None:
        while self._at < frame:
            self.im = Image.fromarray(np.ascontiguousarray(next(self._frames)), "RGB").im
            self._at += 1
            self.made += 1


def write_mp4(exe: str, frames: Iterator[np.ndarray], n: int, out: Path, fps: float) -> int:
    """An H.264 MP4 through the ffmpeg executable ``exe`` (frames cropped to even sides); returns the frames
    written. WriteError with ffmpeg's own words when it fails."""
    p: subprocess.Popen | None = None
    done = 0
    try:
        for rgb in frames:
            if p is None:
                h, w = rgb.shape[:2]
                p = _ffmpeg(exe, w - w % 2, h - h % 2, fps, out)
            assert p.stdin is not None
            h2, w2 = rgb.shape[0] - rgb.shape[0] % 2, rgb.shape[1] - rgb.shape[1] % 2
            try:
                p.stdin.write(np.ascontiguousarray(rgb[:h2, :w2]).tobytes())
            except BrokenPipeError:
                break  # ffmpeg stopped: its message follows
            done += 1
    except BaseException:
        if p is not None:
            p.kill()
            p.wait()
        raise
    if p is None:
        raise WriteError("no frame to encode")
    _, err = p.communicate()
    if p.returncode:
        raise WriteError(f"ffmpeg could not encode the MP4: {err.decode(errors='replace')[-300:]}")
    return done


def _ffmpeg(exe: str, w: int, h: int, fps: float, out: Path) -> subprocess.Popen:
    cmd = [exe, "-y", "-loglevel", "error", "-f", "rawvideo", "-pix_fmt", "rgb24", "-s", f"{w}x{h}",
           "-r", f"{fps:g}", "-i", "-", "-pix_fmt", "yuv420p", "-c:v", "libx264", "-f", "mp4", str(out)]  # fmt: skip
    return subprocess.Popen(cmd, stdin=subprocess.PIPE, stderr=subprocess.PIPE)


__all__ = ["WriteError", "write_gif", "write_mp4", "write_webp"]
