"""The contact sheet of a game's clips: what it shows, and how ffmpeg lays it out.

One row per play: a label (play id, length, the start of the description), then for each
camera angle a strip of a few frames taken across the clip, first and last frame
included, with the clip's half and span in its video written on it. A wrong clip
boundary or a swapped angle shows at a glance. An angle without a clip shows why.

Everything here is decided without I/O: the rows, which frames, the ffmpeg filter
graphs (text goes through small text files, so nothing needs escaping), the pages, the
storage keys and the Markdown that puts a preview into the Dagster UI.
:mod:`basketball_assets.contact_sheet` runs ffmpeg to render it.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass

from basketball_assets.core.clips import PlannedClip
from basketball_assets.core.dataset_card import rejection_kind
from basketball_assets.core.fingerprint import stable_hash
from basketball_assets.core.layout import STATE_PREFIX
from basketball_assets.core.plays import CAMERA_ANGLES, WHOLE_PLAY, Rejection

#: Colours of the sheet (ffmpeg colour syntax).
BACKGROUND = "0x1b1f24"
LABEL_BACKGROUND = "0x262c33"
TEXT_COLOUR = "white"
NOTE_COLOUR = "0xffb454"


@dataclass(frozen=True)
class SheetLayout:
    """Sizes of the sheet, in pixels. Part of the sheet's fingerprint."""

    frames_per_clip: int = 4
    thumb_width: int = 128
    thumb_height: int = 72
    label_width: int = 220
    gap: int = 2
    font_size: int = 12
    #: Rows per stored image; a bigger game is stored as several pages.
    rows_per_page: int = 100
    #: Rows shown inline in the UI; the rest stay in storage only.
    inline_rows: int = 6
    #: Width of the inline preview, and its JPEG quality (2 best, 31 worst).
    inline_width: int = 900
    inline_quality: int = 12
    #: Largest inline image in bytes (metadata is stored with every materialization):
    #: busier pictures show fewer rows.
    inline_max_bytes: int = 80_000

    @property
    def strip_width(self) -> int:
        """One angle's frames side by side."""
        return self.frames_per_clip * self.thumb_width + (self.frames_per_clip - 1) * self.gap

    @property
    def row_height(self) -> int:
        return self.thumb_height + self.gap

    @property
    def header_height(self) -> int:
        return self.font_size * 2

    @property
    def width(self) -> int:
        return self.label_width + len(CAMERA_ANGLES) * (self.gap + self.strip_width)

    def page_height(self, rows: int) -> int:
        return self.header_height + rows * self.row_height


@dataclass(frozen=True)
class SheetCell:
    """One angle of one play: the clip to take frames from, or a note saying why none."""

    angle: str
    clip_key: str | None = None
    caption: str = ""
    note: str = ""


@dataclass(frozen=True)
class SheetRow:
    """One play's row: its label lines and one cell per camera angle."""

    play_id: str
    label: tuple[str, ...]
    cells: tuple[SheetCell, ...]

    @property
    def clip_keys(self) -> list[str]:
        return [cell.clip_key for cell in self.cells if cell.clip_key]


def sheet_key(game_id: str, page: int = 1) -> str:
    """Where page ``page`` (from 1) of a game's sheet is stored, beside its clips manifest."""
    suffix = "" if page == 1 else f"-{page}"
    return f"{STATE_PREFIX}/games/{game_id}/contact_sheet{suffix}.jpg"


def span_caption(clip: PlannedClip) -> str:
    return f"H{clip.half} {clip.video_start:.2f}-{clip.video_end:.2f} s"


def shorten(text: str, width: int) -> str:
    text = " ".join(text.split())
    return text if len(text) <= width else text[: width - 1].rstrip() + "…"


def sheet_rows(
    clips: Iterable[PlannedClip],
    rejections: Iterable[Rejection],
    descriptions: Mapping[str, str] | None = None,
    label_chars: int = 30,
) -> list[SheetRow]:
    """One row per play that has a clip or a rejection, in order of the game.

    Plays are ordered by half, then by where their first clip starts in its video;
    plays with no clip at all (rejected as a whole) come last, by play id.
    """
    descriptions = descriptions or {}
    by_play: dict[str, dict[str, PlannedClip]] = {}
    for clip in clips:
        by_play.setdefault(clip.play_id, {})[clip.angle] = clip
    notes: dict[str, dict[str, str]] = {}
    for rejection in rejections:
        angles = CAMERA_ANGLES if rejection.angle == WHOLE_PLAY else (rejection.angle,)
        for angle in angles:
            notes.setdefault(rejection.play_id, {})[angle] = f"rejected: {rejection_kind(rejection.reason)}"

    def order(play_id: str) -> tuple:
        found = list(by_play.get(play_id, {}).values())
        if not found:
            return (1, 0, 0.0, play_id)
        return (0, min(c.half for c in found), min(c.video_start for c in found), play_id)

    rows = []
    for play_id in sorted(set(by_play) | set(notes), key=order):
        found = by_play.get(play_id, {})
        cells = tuple(
            SheetCell(angle, found[angle].key, span_caption(found[angle]))
            if angle in found
            else SheetCell(angle, note=notes.get(play_id, {}).get(angle, "no clip for this angle"))
            for angle in CAMERA_ANGLES
        )
        seconds = max((clip.duration for clip in found.values()), default=None)
        label = [f"play {play_id[:8]}", f"{seconds:.2f} s" if seconds is not None else "no clip"]
        description = descriptions.get(play_id, "")
        if description:
            label.append(shorten(description, label_chars))
        rows.append(SheetRow(play_id, tuple(label), cells))
    return rows


def frame_numbers(duration: float, frame_rate: float, count: int) -> list[int]:
    """Which frames (numbered from 0) to show of a clip: ``count`` of them, evenly
    spread from the first frame to the last, each once (fewer for a very short clip)."""
    frames = max(1, round(duration * frame_rate))
    if count <= 1 or frames == 1:
        return [frames // 2] if count == 1 else [0]
    wanted = [round(i * (frames - 1) / (count - 1)) for i in range(count)]
    return sorted(set(wanted))


def paged(rows: Sequence[SheetRow], per_page: int) -> list[list[SheetRow]]:
    """The rows cut into pages of at most ``per_page`` (at least one page, maybe empty)."""
    if not rows:
        return [[]]
    return [list(rows[start : start + per_page]) for start in range(0, len(rows), per_page)]


def sheet_fingerprint(rows: Sequence[SheetRow], clip_fingerprints: Mapping[str, str], layout: SheetLayout) -> str:
    """Changes when any row, any clip's bytes (its fingerprint) or the layout changes."""
    return stable_hash(
        {
            "layout": asdict(layout),
            "rows": [asdict(row) for row in rows],
            "clips": {key: clip_fingerprints.get(key, "") for row in rows for key in row.clip_keys},
        }
    )


# --- ffmpeg filter graphs ---------------------------------------------------------------


def text_file_name(row_index: int, part: str) -> str:
    """The text file (relative to ffmpeg's working folder) holding one piece of a row's text."""
    return f"row{row_index:04d}-{part}.txt"


def texts_of_row(row: SheetRow, row_index: int) -> dict[str, str]:
    """The text files a row's filter graph reads: name to content."""
    texts = {text_file_name(row_index, "label"): "\n".join(row.label)}
    for cell in row.cells:
        texts[text_file_name(row_index, cell.angle)] = cell.caption or cell.note
    return texts


def _text(file_name: str, layout: SheetLayout, colour: str = TEXT_COLOUR, caption: bool = False) -> str:
    # A caption sits at the bottom left of the frames, in a box, clear of a scoreboard on top.
    where = "x=4:y=h-th-5:box=1:boxcolor=black@0.6:boxborderw=2" if caption else "x=5:y=4"
    return (
        f"drawtext=textfile={file_name}:expansion=none:fontsize={layout.font_size}:"
        f"fontcolor={colour}:line_spacing=3:{where}"
    )


def _blank(width: int, height: int, colour: str) -> str:
    return f"color=c={colour}:s={width}x{height}:r=1:d=1"


def row_filter(row: SheetRow, row_index: int, frames: Mapping[str, Sequence[int]], layout: SheetLayout) -> str:
    """The ``-filter_complex`` that renders one row into the output ``[row]``.

    Input ``i`` of the ffmpeg command is the ``i``-th of ``row.clip_keys``;
    ``frames[angle]`` are the frame numbers to show from that angle's clip.
    """
    parts = [
        f"{_blank(layout.label_width, layout.thumb_height, LABEL_BACKGROUND)},"
        f"{_text(text_file_name(row_index, 'label'), layout)}[label]"
    ]
    labels = ["[label]"]
    inputs = 0
    for cell in row.cells:
        name = f"[{cell.angle}]"
        caption = text_file_name(row_index, cell.angle)
        if cell.clip_key:
            picked = frames[cell.angle]
            select = "+".join(f"eq(n,{n})" for n in picked)
            parts.append(
                f"[{inputs}:v]select='{select}',"
                f"scale={layout.thumb_width}:{layout.thumb_height}:force_original_aspect_ratio=decrease,"
                f"pad={layout.thumb_width}:{layout.thumb_height}:(ow-iw)/2:(oh-ih)/2:color=black,setsar=1,"
                f"tile={len(picked)}x1:padding={layout.gap}:color={BACKGROUND},"
                f"pad={layout.strip_width}:{layout.thumb_height}:0:0:color={BACKGROUND},"
                f"{_text(caption, layout, caption=True)}{name}"
            )
            inputs += 1
        else:
            parts.append(
                f"{_blank(layout.strip_width, layout.thumb_height, BACKGROUND)},"
                f"{_text(caption, layout, colour=NOTE_COLOUR)}{name}"
            )
        labels.append(name)
    stacked = "".join(labels)
    parts.append(
        f"{stacked}xstack=inputs={len(labels)}:layout={_row_layout(len(labels), layout)}:fill={BACKGROUND},"
        f"pad={layout.width}:{layout.row_height}:0:0:color={BACKGROUND}[row]"
    )
    return ";".join(parts)


def _row_layout(count: int, layout: SheetLayout) -> str:
    """xstack positions: the label at 0, each strip after a gap."""
    positions = ["0_0"]
    x = layout.label_width
    for _ in range(count - 1):
        positions.append(f"{x + layout.gap}_0")
        x += layout.gap + layout.strip_width
    return "|".join(positions)


HEADER_TEXTS = {"header-label.txt": "play, clip length, description"} | {
    f"header-{angle}.txt": f"{angle}: frames from first to last, half and span in its video" for angle in CAMERA_ANGLES
}


def header_filter(layout: SheetLayout) -> str:
    """The column titles above the rows, rendered from :data:`HEADER_TEXTS` into ``[row]``."""
    height = layout.header_height
    titles = []
    for index, name in enumerate(HEADER_TEXTS):
        x = 5 if index == 0 else layout.label_width + layout.gap + (index - 1) * (layout.gap + layout.strip_width) + 5
        titles.append(
            f"drawtext=textfile={name}:expansion=none:fontsize={layout.font_size}:fontcolor={TEXT_COLOUR}:x={x}:y=({height}-th)/2"
        )
    return f"{_blank(layout.width, height, BACKGROUND)},{','.join(titles)}[row]"


# --- the preview in the Dagster UI ------------------------------------------------------


def inline_rows_shown(total_rows: int, layout: SheetLayout) -> int:
    return min(total_rows, layout.inline_rows)


def fewer_rows(shown: int) -> int:
    """Rows to try next when the inline preview came out over its byte budget (0: give up)."""
    return shown // 2


def preview_markdown(
    image_data_uri: str | None, shown: int, total: int, page_uris: Sequence[str], problem: str = ""
) -> str:
    """Markdown for the UI: the first rows inline (a ``data:`` image, since the UI does
    not load ``file://`` or private bucket images), and where the whole sheet is."""
    lines = []
    if problem:
        lines.append(f"**No contact sheet:** {problem}")
    elif image_data_uri:
        lines.append(f"![contact sheet: first {shown} of {total} plays]({image_data_uri})")
        lines.append("")
        more = f"first {shown} of {total} plays shown" if shown < total else f"all {total} plays shown"
        lines.append(
            f"Contact sheet, {more}; one row per play, each angle's frames run from the clip's first frame to its last."
        )
    else:
        lines.append("No plays, so no contact sheet.")
    if page_uris:
        lines.append("")
        # Plain text: the UI drops links that are not http(s), such as file:// and gs://.
        lines.append("Whole sheet: " + ", ".join(f"`{uri}`" for uri in page_uris))
    return "\n".join(lines)
