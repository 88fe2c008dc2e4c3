"""ClipEncoder's cut modes on real generated videos: accuracy, decodability, first frame.

Correctness only (never timings): ``benchmarks/clip_extraction.py`` measures speed.
"""

from __future__ import annotations

from pathlib import Path

import av
import numpy as np
import pytest

from basketball_assets.core.ffmpeg_errors import MachineFailure
from basketball_assets.demo import DemoVideo, render_half
from basketball_assets.resources.video import ClipCutFailed, ClipEncoder, ffmpeg_executable, probe_video
from basketball_assets_tests.machine_faults import full_disk_ffmpeg, killed_ffmpeg, on_full_disk
from benchmarks.measure import packet_count, psnr

FPS = 25
SECONDS = 7.0


def render_source(path: Path, *, pix_fmt: str = "yuv420p", profile: str = "high", start_offset: float = 0.0) -> Path:
    """A 160x90@25 test pattern with a burned-in clock, B-frames, keyframe every 2 s, and a tone.

    ``start_offset`` makes the file's timestamps start there (as in files cut from streams).
    """
    import subprocess

    subprocess.run(
        [
            ffmpeg_executable(), "-nostdin", "-v", "error", "-y",
            "-f", "lavfi", "-i", f"testsrc2=size=160x90:rate={FPS}",
            "-f", "lavfi", "-i", "sine=frequency=440:sample_rate=22050",
            "-vf", "drawtext=text='%{pts\\:hms} %{n}':x=4:y=4:fontsize=14:fontcolor=white:box=1:boxcolor=black",
            "-t", str(SECONDS), "-c:v", "libx264", "-preset", "veryfast", "-profile:v", profile, "-pix_fmt", pix_fmt,
            "-g", str(2 * FPS), "-keyint_min", str(2 * FPS), "-sc_threshold", "0",
            "-c:a", "aac", "-b:a", "64k", "-output_ts_offset", str(start_offset), str(path),
        ],
        check=True,
    )  # fmt: skip
    return path


@pytest.fixture(scope="module")
def sources(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """Real H.264 sources: High with B-frames, the demo's (no B-frames), one starting at 1.5 s, 4:4:4,
    and the first one with a display matrix turning it upright (a phone video: shown 90x160)."""
    import subprocess

    folder = tmp_path_factory.mktemp("sources")
    demo = folder / "demo.mp4"
    render_half(demo, "demo", SECONDS, DemoVideo(width=160, height=90, fps=FPS, half_seconds=SECONDS), 440)
    high = render_source(folder / "high.mp4")
    subprocess.run(
        [ffmpeg_executable(), "-nostdin", "-v", "error", "-y", "-display_rotation:v:0", "90", "-i", str(high),
         "-map", "0", "-c", "copy", str(folder / "rotated.mp4")],
        check=True,
    )  # fmt: skip
    return {
        "high_bframes": high,
        "rotated": folder / "rotated.mp4",
        "demo": demo,
        "start_offset": render_source(folder / "offset.mp4", start_offset=1.5),
        "yuv444": render_source(folder / "yuv444.mp4", pix_fmt="yuv444p", profile="high444"),
    }


def grey_frames(path: Path) -> list[np.ndarray]:
    """Every frame of a clip, decoded strictly: a decoder error raises instead of concealing."""
    with av.open(str(path)) as container:
        stream = container.streams.video[0]
        stream.codec_context.options = {"err_detect": "explode"}
        return [frame.to_ndarray(format="gray").astype(np.float64) for frame in container.decode(stream)]


def track_seconds(path: Path) -> tuple[float, float]:
    """The durations of a clip's video and audio tracks, as their mp4 headers give them."""
    with av.open(str(path)) as container:
        video, audio = container.streams.video[0], container.streams.audio[0]
        return float(video.duration * video.time_base), float(audio.duration * audio.time_base)


def cut_both(source: Path, start: float, end: float, folder: Path) -> tuple[Path, Path, object]:
    smart, reference = folder / "smart.mp4", folder / "reference.mp4"
    cut = ClipEncoder(mode="smart").cut_clip(source, start, end, smart, with_audio=True)
    ClipEncoder(mode="reencode").cut_clip(source, start, end, reference, with_audio=True)
    return smart, reference, cut


# --- smart cut on real video ----------------------------------------------------------


@pytest.mark.ffmpeg
@pytest.mark.parametrize("kind", ["high_bframes", "demo", "start_offset"])
@pytest.mark.parametrize(
    ("start", "end"),
    [(0.52, 5.3), (2.0, 6.0), (1.3, SECONDS), (0.0, 4.77), (1.92, 6.0)],
    ids=["head-and-tail", "starts-on-keyframe", "runs-to-the-end", "from-the-first-frame", "two-frame-head"],
)
def test_smart_clip_decodes_whole_and_starts_on_the_play_frame(sources, tmp_path, kind, start, end):
    smart, reference, cut = cut_both(sources[kind], start, end, tmp_path)

    assert cut.method == "smart" and cut.copied_frames >= 2 * FPS
    frames = grey_frames(smart)
    assert len(frames) == packet_count(smart)  # every frame decoded, none concealed or dropped
    expected = grey_frames(reference)
    # The first frame is the source frame at the play's start: it matches the re-encoded
    # reference's first frame, and clearly better than the frame next to it.
    assert psnr(frames[0], expected[0]) > 30
    assert psnr(frames[0], expected[0]) > psnr(frames[0], expected[1]) + 3
    probe = probe_video(smart)
    assert abs(probe.duration - (end - start)) <= 1 / FPS + 1e-3
    # The video track itself lasts the play (a head shorter than the B-frame delay once
    # squeezed its samples to a tick each: 2 frames short), and the audio with it.
    video_s, audio_s = track_seconds(smart)
    assert abs(video_s - (end - start)) <= 1 / FPS + 1e-3
    assert abs(audio_s - video_s) <= 1 / FPS
    assert abs(len(frames) - len(expected)) <= 1
    assert probe.has_audio and probe.video_codec == "h264"


@pytest.mark.ffmpeg
def test_smart_clip_keeps_the_source_frames_bit_exact_in_the_copied_gops(sources, tmp_path):
    smart, _, cut = cut_both(sources["high_bframes"], 0.52, 5.3, tmp_path)

    with av.open(str(sources["high_bframes"])) as container:
        source_samples = {bytes(p) for p in container.demux(video=0) if p.size}
    with av.open(str(smart)) as container:
        copied = [bytes(p) for p in container.demux(video=0) if p.size and bytes(p) in source_samples]
    assert len(copied) == cut.copied_frames == 2 * FPS  # the GOP from 2 s to 4 s, untouched


@pytest.mark.ffmpeg
def test_smart_clip_with_the_fastest_preset_mixes_baseline_frames_into_a_high_stream(sources, tmp_path):
    target, reference = tmp_path / "smart.mp4", tmp_path / "reference.mp4"

    cut = ClipEncoder(mode="smart", preset="ultrafast").cut_clip(
        sources["high_bframes"], 0.52, 5.3, target, with_audio=True
    )
    ClipEncoder(mode="reencode").cut_clip(sources["high_bframes"], 0.52, 5.3, reference, with_audio=True)

    assert cut.method == "smart"  # ultrafast codes Constrained Baseline, which High decoders decode
    frames = grey_frames(target)
    assert len(frames) == packet_count(target)
    assert psnr(frames[0], grey_frames(reference)[0]) > 30


@pytest.mark.ffmpeg
def test_smart_mode_re_encodes_a_source_taller_than_max_height(sources, tmp_path):
    target = tmp_path / "clip.mp4"

    cut = ClipEncoder(mode="smart", max_height=60).cut_clip(sources["high_bframes"], 0.5, 5.0, target, with_audio=True)

    assert cut.method == "reencode" and "max_height" in cut.fallback_reason
    assert probe_video(target).height == 60


@pytest.mark.ffmpeg
def test_smart_mode_re_encodes_a_rotated_source_shown_taller_than_max_height(sources, tmp_path):
    target = tmp_path / "clip.mp4"

    # Coded 160x90 but shown 90x160: copying its GOPs would keep it 160 high.
    cut = ClipEncoder(mode="smart", max_height=120).cut_clip(sources["rotated"], 0.5, 5.0, target, with_audio=True)

    assert cut.method == "reencode" and "displayed height 160" in cut.fallback_reason
    with av.open(str(target)) as container:
        frame = next(container.decode(video=0))
        shown = (frame.height, frame.width) if frame.rotation % 180 == 90 else (frame.width, frame.height)
    assert shown == (68, 120)  # turned upright by the re-encode, then scaled to max_height


@pytest.mark.ffmpeg
def test_smart_mode_re_encodes_a_source_in_another_pixel_format(sources, tmp_path):
    target = tmp_path / "clip.mp4"

    cut = ClipEncoder(mode="smart").cut_clip(sources["yuv444"], 0.5, 5.0, target, with_audio=True)

    assert cut.method == "reencode" and "yuv444p" in cut.fallback_reason
    assert len(grey_frames(target)) == packet_count(target)
    assert abs(probe_video(target).duration - 4.5) <= 1 / FPS + 1e-3


@pytest.mark.ffmpeg
def test_smart_mode_re_encodes_a_clip_with_no_whole_gop_inside(sources, tmp_path):
    target = tmp_path / "clip.mp4"

    cut = ClipEncoder(mode="smart").cut_clip(sources["high_bframes"], 2.3, 3.5, target, with_audio=False)

    assert cut.method == "reencode" and "no whole GOP" in cut.fallback_reason
    assert abs(probe_video(target).duration - 1.2) <= 1 / FPS + 1e-3


@pytest.mark.ffmpeg
def test_reencode_mode_cuts_within_one_frame(sources, tmp_path):
    target = tmp_path / "clip.mp4"

    cut = ClipEncoder(mode="reencode").cut_clip(sources["high_bframes"], 1.3, 4.1, target, with_audio=True)

    assert cut.method == "reencode" and not cut.fallback_reason
    assert abs(probe_video(target).duration - 2.8) <= 1 / FPS + 1e-3


@pytest.mark.ffmpeg
def test_smart_clips_pass_the_game_clips_step_and_land_in_storage(sources, tmp_path):
    from basketball_assets.assets.clips import cut_clip
    from basketball_assets.core.clips import HalfVideo, PlannedClip
    from basketball_assets.resources.storage import LocalStorage, SourceVideo

    storage = LocalStorage(data_dir=str(tmp_path / "data"))
    key = "Games/g/BroadcastHalf1.mp4"
    clip = PlannedClip("p1", "broadcast", "games/g/clips/p1_broadcast.mp4", 1, key, 0.52, 5.3, "fingerprint")

    # The step's own path: cut, probe, duration check, store.
    cut_clip(
        storage,
        ClipEncoder(mode="smart"),
        clip,
        SourceVideo(key, sources["high_bframes"], "id"),
        HalfVideo(key, SECONDS, "id"),
    )

    with storage.local_copy(clip.key) as path:
        assert abs(probe_video(path).duration - clip.duration) <= 1 / FPS + 1e-3
    assert storage.metadata(clip.key)["fingerprint"] == "fingerprint"


# --- the settings in the clip fingerprint ---------------------------------------------


def test_smart_mode_is_part_of_the_encoding_settings():
    assert ClipEncoder(mode="smart").encoding()["mode"] == "smart"


def test_smart_mode_is_the_default():
    assert ClipEncoder().mode == "smart" and ClipEncoder().encoding()["mode"] == "smart"


def test_reencode_mode_leaves_the_encoding_settings_as_before():
    # Clips re-encoded before the mode existed keep their fingerprints: no needless re-cuts.
    assert "mode" not in ClipEncoder(mode="reencode").encoding()


def test_clip_mode_and_preset_come_from_the_environment():
    from basketball_assets.resources import build_resources
    from basketball_assets.settings import Settings

    def resources_from_environment(environ):
        return build_resources(Settings.from_environ(environ))

    video = resources_from_environment({"BASKETBALL_CLIP_MODE": "reencode", "BASKETBALL_CLIP_PRESET": "faster"})[
        "video"
    ]

    assert (video.mode, video.preset) == ("reencode", "faster")
    assert (resources_from_environment({})["video"].mode, resources_from_environment({})["video"].preset) == (
        "smart",
        "veryfast",
    )


# --- the machine failing versus the source ---------------------------------------------


@pytest.mark.ffmpeg
@pytest.mark.parametrize("mode", ["reencode", "smart"])
def test_a_full_disk_is_the_machine_not_the_source(sources, tmp_path, mode):
    target = on_full_disk(tmp_path / "clip.mp4")  # every write fails with ENOSPC (see machine_faults)

    with pytest.raises(MachineFailure) as failure:
        ClipEncoder(mode=mode).cut_clip(sources["high_bframes"], 0.52, 5.3, target, with_audio=True)

    assert str(failure.value).startswith("the machine: no space left on device while cutting 0.520-5.300 s of ")
    assert "free space and re-run" in str(failure.value)


@pytest.mark.ffmpeg
def test_a_full_disk_under_the_smart_cuts_audio_is_the_machine(sources, tmp_path):
    encoder = ClipEncoder(mode="smart", ffmpeg_binary=full_disk_ffmpeg(tmp_path))  # PyAV writes the video

    with pytest.raises(MachineFailure, match=r"^the machine: no space left on device while encoding the audio of "):
        encoder.cut_clip(sources["high_bframes"], 0.52, 5.3, tmp_path / "clip.mp4", with_audio=True)


@pytest.mark.ffmpeg
def test_an_ffmpeg_killed_by_a_signal_is_the_machine(sources, tmp_path):
    encoder = ClipEncoder(mode="reencode", ffmpeg_binary=killed_ffmpeg(tmp_path))

    with pytest.raises(MachineFailure, match=r"^the machine: ffmpeg was killed by SIGXFSZ while cutting "):
        encoder.cut_clip(sources["high_bframes"], 0.52, 5.3, tmp_path / "clip.mp4", with_audio=True)


@pytest.mark.ffmpeg
@pytest.mark.parametrize("mode", ["reencode", "smart"])
def test_a_source_that_is_not_a_video_is_the_source(tmp_path, mode):
    garbage = tmp_path / "garbage.mp4"
    garbage.write_bytes(b"\x00\x00\x00\x18ftypmp42" + bytes(range(256)) * 64)

    with pytest.raises(ClipCutFailed) as failure:
        ClipEncoder(mode=mode).cut_clip(garbage, 0.5, 2.0, tmp_path / "clip.mp4", with_audio=False)

    assert str(failure.value).startswith(f"the source: ffmpeg failed while cutting 0.500-2.000 s of {garbage}: ")
    assert "Invalid data found when processing input" in str(failure.value)
