"""The contact sheet's ffmpeg side: failures carry ffmpeg's reason, previews are cropped and scaled.

The whole sheet of a game is rendered and checked in ``test_assets/test_previews.py``.
"""

from pathlib import Path

import av
import pytest
from dagster import build_asset_context

from basketball_assets.contact_sheet import ContactSheetFailed, contact_sheet_metadata, run_ffmpeg_in, sheet_preview
from basketball_assets.resources.storage import LocalStorage
from basketball_assets.resources.video import ClipEncoder


@pytest.mark.ffmpeg
def test_a_failed_ffmpeg_names_what_it_was_rendering(tmp_path: Path):
    with pytest.raises(ContactSheetFailed, match=r"ffmpeg failed rendering contact sheet row x\.png: .*missing\.mp4"):
        run_ffmpeg_in(tmp_path, ["-i", "missing.mp4", "x.png"], "contact sheet row x.png")


@pytest.mark.ffmpeg
def test_the_preview_is_the_top_of_the_sheet_scaled_to_its_width(tmp_path: Path):
    arguments = ["-f", "lavfi", "-i", "color=c=red:s=320x400", "-frames:v", "1", "sheet.jpg"]
    run_ffmpeg_in(tmp_path, arguments, "a test sheet")

    image = sheet_preview(tmp_path / "sheet.jpg", tmp_path / "preview.jpg", height=100, width=160)

    assert image == (tmp_path / "preview.jpg").read_bytes()
    with av.open(str(tmp_path / "preview.jpg")) as container:
        frame = next(container.decode(video=0))
    assert (frame.width, frame.height) == (160, 50)


def test_a_game_without_plays_has_an_empty_sheet_and_nothing_rendered(tmp_path: Path):
    storage = LocalStorage(data_dir=str(tmp_path / "data"))

    metadata = contact_sheet_metadata(build_asset_context(), storage, ClipEncoder(), "g", [], [], {})

    assert list(metadata) == ["contact_sheet"]
    assert not list(storage.list_keys("pipeline-state/"))
