"""Renders a game's contact sheet with ffmpeg; the pure layout is :mod:`basketball_assets.core.contact_sheet`.

``game_clips`` calls :func:`contact_sheet_metadata` once its clips are cut: the sheet is
rendered (only when its clips changed), stored next to the game's bookkeeping files, and
a small preview of its first rows is put into the step's metadata. A preview, not a
product: when ffmpeg cannot render it, the step warns and goes on.
"""

from __future__ import annotations

import base64
import os
import subprocess
import time
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack
from pathlib import Path
from typing import Any

from dagster import AssetExecutionContext, MetadataValue

from basketball_assets.core.clips import PlannedClip
from basketball_assets.core.contact_sheet import (
    HEADER_TEXTS,
    SheetLayout,
    SheetRow,
    fewer_rows,
    frame_numbers,
    header_filter,
    inline_rows_shown,
    paged,
    preview_markdown,
    row_filter,
    sheet_fingerprint,
    sheet_key,
    sheet_rows,
    texts_of_row,
)
from basketball_assets.core.plays import Rejection
from basketball_assets.resources.storage import Storage
from basketball_assets.resources.video import ClipEncoder, VideoUnreadable, ffmpeg_executable, ffmpeg_reason

#: Rows rendered at once. One row's ffmpeg keeps about one core busy (two short clips
#: decoded, a small filter graph), so a sheet of 150 plays took 216 s on two cores one at a time.
ROW_WORKERS = max(1, min(4, os.cpu_count() or 1))


def contact_sheet_metadata(
    context: AssetExecutionContext,
    storage: Storage,
    video: ClipEncoder,
    game_id: str,
    clips: Sequence[PlannedClip],
    rejections: Sequence[Rejection],
    descriptions: dict[str, str],
    layout: SheetLayout = SheetLayout(),
) -> dict[str, Any]:
    """Render (when its clips changed) and store the game's contact sheet; its UI preview.

    A preview, not a product: when it cannot be rendered, the step warns and goes on.
    """
    rows = sheet_rows(clips, rejections, descriptions)
    pages = paged(rows, layout.rows_per_page)
    keys = [sheet_key(game_id, page) for page in range(1, len(pages) + 1)]
    uris = [storage.uri(key) for key in keys] if rows else []
    if not rows:
        return {"contact_sheet": MetadataValue.md(preview_markdown(None, 0, 0, []))}
    fingerprint = sheet_fingerprint(rows, {clip.key: clip.fingerprint for clip in clips}, layout)
    try:
        if all((storage.metadata(key) or {}).get("fingerprint") == fingerprint for key in keys):
            context.log.info(f"game {game_id}: contact sheet unchanged, not rendered again")
        else:
            started = time.monotonic()
            render_contact_sheet(storage, video, pages, keys, fingerprint, layout)
            seconds = time.monotonic() - started
            context.log.info(
                f"game {game_id}: contact sheet of {len(rows)} plays rendered in {seconds:.1f} s: {uris[0]}"
            )
        shown, image = inline_preview(storage, video, keys[0], inline_rows_shown(len(rows), layout), layout)
    except (ContactSheetFailed, VideoUnreadable) as error:
        problem = f"{error}; the clips are fine, only their preview is missing (re-materialize game_clips to retry)"
        context.log.warning(f"game {game_id}: no contact sheet: {problem}")
        return {"contact_sheet": MetadataValue.md(preview_markdown(None, 0, len(rows), [], problem=problem))}
    data_uri = "data:image/jpeg;base64," + base64.b64encode(image).decode("ascii")
    return {
        "contact_sheet": MetadataValue.md(preview_markdown(data_uri, shown, len(rows), uris)),
        "contact_sheet_file": MetadataValue.path(uris[0]),
    }


def inline_preview(
    storage: Storage, video: ClipEncoder, key: str, shown: int, layout: SheetLayout
) -> tuple[int, bytes]:
    """The sheet's first ``shown`` rows as a small JPEG; fewer rows when over the byte budget."""
    with storage.scratch_dir() as folder, storage.local_copy(key) as sheet:
        while True:
            height = layout.page_height(shown)
            image = sheet_preview(
                sheet, folder / "preview.jpg", height, layout.inline_width, layout.inline_quality, video.ffmpeg_binary
            )
            if len(image) <= layout.inline_max_bytes or fewer_rows(shown) == 0:
                return shown, image
            shown = fewer_rows(shown)


def render_contact_sheet(
    storage: Storage,
    video: ClipEncoder,
    pages: list[list[SheetRow]],
    keys: list[str],
    fingerprint: str,
    layout: SheetLayout,
) -> None:
    """Render each page with ffmpeg (a header, then a row per play) and store it whole."""
    with storage.scratch_dir() as folder:
        for name, text in HEADER_TEXTS.items():
            (folder / name).write_text(text, encoding="utf-8")
        header = render_sheet_row(folder, "header.png", [], header_filter(layout), video.ffmpeg_binary)

        def row_file(row: SheetRow, index: int) -> Path:
            return render_row(storage, video, folder, row, index, layout)

        last = 0
        with ThreadPoolExecutor(max_workers=ROW_WORKERS) as pool:
            for page, key in zip(pages, keys, strict=True):
                row_files = list(pool.map(row_file, page, range(last + 1, last + len(page) + 1)))
                last += len(page)
                target = folder / f"page-{len(page)}-{last}.jpg"
                stack_sheet_rows(folder, [header, *row_files], target, ffmpeg_binary=video.ffmpeg_binary)
                storage.put_file(key, target, metadata={"fingerprint": fingerprint})
                for used in row_files:
                    used.unlink()


def render_row(
    storage: Storage, video: ClipEncoder, folder: Path, row: SheetRow, index: int, layout: SheetLayout
) -> Path:
    """One play's row: a few frames of each of its clips, seeking in each short clip alone."""
    for name, text in texts_of_row(row, index).items():
        (folder / name).write_text(text, encoding="utf-8")
    with ExitStack() as stack:
        paths = {
            cell.angle: stack.enter_context(storage.local_copy(cell.clip_key)) for cell in row.cells if cell.clip_key
        }
        frames = {}
        for angle, path in paths.items():
            probe = video.probe(path)
            frames[angle] = frame_numbers(probe.duration, probe.frame_rate, layout.frames_per_clip)
        graph = row_filter(row, index, frames, layout)
        return render_sheet_row(folder, f"row{index:04d}.png", list(paths.values()), graph, video.ffmpeg_binary)


# --- ffmpeg: frames of clips, laid out by basketball_assets.core.contact_sheet ------------


class ContactSheetFailed(RuntimeError):
    """ffmpeg could not render (part of) a contact sheet; the message carries its reason."""


def run_ffmpeg_in(folder: Path, arguments: Sequence[str], what: str, ffmpeg_binary: str | None = None) -> None:
    """Run ffmpeg with ``folder`` as its working folder (the sheet's text files are there)."""
    command = [ffmpeg_executable(ffmpeg_binary), "-nostdin", "-v", "error", "-y", *arguments]
    result = subprocess.run(command, cwd=folder, stdin=subprocess.DEVNULL, capture_output=True)
    if result.returncode != 0:
        raise ContactSheetFailed(f"ffmpeg failed rendering {what}: {ffmpeg_reason(result.stderr)}")


def render_sheet_row(
    folder: Path, name: str, clips: Sequence[Path], filter_graph: str, ffmpeg_binary: str | None = None
) -> Path:
    """One row image ``folder/name`` (PNG) from its clips, by a row filter graph whose
    output is ``[row]``. Each clip is decoded once (the clips are short)."""
    inputs = [argument for clip in clips for argument in ("-i", str(clip))]
    target = folder / name
    arguments = [*inputs, "-filter_complex", filter_graph, "-map", "[row]", "-frames:v", "1", "-update", "1", name]
    run_ffmpeg_in(folder, arguments, f"contact sheet row {name}", ffmpeg_binary)
    return target


def stack_sheet_rows(
    folder: Path, rows: Sequence[Path], target: Path, quality: int = 4, ffmpeg_binary: str | None = None
) -> None:
    """Stack images of one width (a header, then rows) top to bottom into one JPEG
    (``quality``: 2 best, 31 worst)."""
    inputs = [argument for row in rows for argument in ("-i", row.name)]
    stack = f"vstack=inputs={len(rows)}" if len(rows) > 1 else "null"
    arguments = [*inputs, "-filter_complex", stack, "-frames:v", "1", "-update", "1", "-q:v", str(quality), str(target)]
    run_ffmpeg_in(folder, arguments, f"contact sheet {target.name}", ffmpeg_binary)


def sheet_preview(
    sheet: Path, target: Path, height: int, width: int, quality: int = 6, ffmpeg_binary: str | None = None
) -> bytes:
    """The top ``height`` pixels of a sheet, scaled to ``width``, as JPEG bytes (for inline display)."""
    scale = f"crop=iw:min(ih\\,{height}):0:0,scale={width}:-2"
    arguments = ["-i", str(sheet), "-vf", scale, "-frames:v", "1", "-update", "1", "-q:v", str(quality), str(target)]
    run_ffmpeg_in(target.parent, arguments, f"the preview of {sheet.name}", ffmpeg_binary)
    return target.read_bytes()
