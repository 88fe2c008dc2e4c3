"""``game_clips``: one mp4 per play per angle, cut from the game's half videos with ffmpeg."""

import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from dagster import (
    AssetCheckResult,
    AssetCheckSeverity,
    AssetCheckSpec,
    AssetExecutionContext,
    DataVersion,
    MaterializeResult,
    MetadataValue,
    asset,
)

from basketball_assets.automation import game_step_condition
from basketball_assets.contact_sheet import contact_sheet_metadata
from basketball_assets.core.clips import (
    HalfVideo,
    HalfVideoOrError,
    PlannedClip,
    clips_of_no_play,
    halves_needed,
    plan_angle,
    plays_for_angle,
    within_one_frame,
)
from basketball_assets.core.ffmpeg_errors import MachineFailure, os_error_failure
from basketball_assets.core.fingerprint import stable_hash
from basketball_assets.core.layout import clips_prefix, video_key
from basketball_assets.core.plays import CAMERA_ANGLES, Play, Rejection
from basketball_assets.core.report import markdown_table, rejections_table
from basketball_assets.core.validation import PlaysReview
from basketball_assets.operations import Stopwatch, check_room, game_stats
from basketball_assets.partitions import games_partitions
from basketball_assets.policies import GAMES_GROUP, TRANSIENT_RETRY
from basketball_assets.resources.storage import SourceVideo, Storage, VideoNotFound
from basketball_assets.resources.video import ClipCut, ClipCutFailed, ClipEncoder, VideoUnreadable
from basketball_assets.state.clips import ClipsManifest, write_game_clips
from basketball_assets.state.plays import read_game_plays

#: Seconds between progress lines in the run log while clips are being cut.
PROGRESS_EVERY_S = 10.0


@dataclass(frozen=True)
class FetchedHalf:
    """One half's video, fetched and probed: the local file to cut from, and what planning knows of it."""

    source: SourceVideo
    video: HalfVideo


#: A fetched half, or the reason it could not be read (missing, corrupt).
FetchedHalfOrError = FetchedHalf | str


@dataclass
class GamePlan:
    """The clips a game should have, the plays that cannot have them, and the halves to cut from by key."""

    clips: list[PlannedClip] = field(default_factory=list)
    rejections: list[Rejection] = field(default_factory=list)
    halves: dict[str, FetchedHalf] = field(default_factory=dict)


@dataclass
class ClipsOutcome:
    """What happened to a game's clips in one materialization."""

    clips: list[PlannedClip] = field(default_factory=list)
    rejections: list[Rejection] = field(default_factory=list)
    #: The clips cut in this run by key, with how each was cut (smart or re-encoded, and why).
    cut: dict[str, ClipCut] = field(default_factory=dict)
    skipped: list[str] = field(default_factory=list)

    def to_manifest(self, game_id: str, encoding: dict[str, Any], clip_bytes: dict[str, int]) -> ClipsManifest:
        """The game's clips manifest: what later steps read of this outcome."""
        return ClipsManifest(game_id, encoding, list(self.clips), list(self.rejections), clip_bytes)

    def cut_methods(self) -> Counter[str]:
        """Clips cut in this run per method: ``smart`` or ``reencode``."""
        return Counter(cut.method for cut in self.cut.values())

    def fallback_reasons(self) -> Counter[str]:
        """Why smart cut re-encoded instead, with the clips each reason held for."""
        return Counter(cut.fallback_reason for cut in self.cut.values() if cut.fallback_reason)


@asset(
    partitions_def=games_partitions,
    deps=["game_plays"],
    group_name=GAMES_GROUP,
    kinds={"ffmpeg"},
    code_version="1",
    pool="ffmpeg",
    retry_policy=TRANSIENT_RETRY,
    automation_condition=game_step_condition(),
    check_specs=[
        AssetCheckSpec(
            "no_rejected_plays",
            asset="game_clips",
            description="Every play of the game got its clips; fails with a table of rejected plays and reasons.",
        )
    ],
)
def game_clips(context: AssetExecutionContext, storage: Storage, video: ClipEncoder) -> MaterializeResult:
    """The game's clips: one H.264 mp4 per play per angle, at
    `games/{game_id}/clips/{play_id}_{angle}.mp4` in the training bucket.

    Each clip is cut frame-accurately from the half video that holds the play (input
    seeking plus re-encode). A clip whose stored fingerprint (play, span, source video,
    encoding settings) matches is not cut again, so an edited play re-cuts only its own
    clips. Plays that cannot be cut (span outside the video, a missing or corrupt video)
    are rejected with a reason, reported by the `no_rejected_plays` check; the other
    plays go on. A failure of the machine (no space left, out of memory, a killed ffmpeg)
    rejects no play: the step fails with `the machine: ...` and is retried. The list of
    clips is kept at `pipeline-state/games/{game_id}/clips.json`.

    Before cutting, a game whose clips would not fit on the scratch disk (keeping storage's
    `min_free_gb` free) is refused with the figures. Numeric metadata, plotted across runs:
    seconds of clip cut, bytes read and written, wall and CPU seconds, clip-seconds per
    CPU-second, rejected clips by reason, free bytes on the scratch disk.

    The `contact_sheet` metadata shows the game's first plays as a contact sheet: one row
    per play, frames from each angle's clip (first to last), its half and span, or why it
    has none. The whole sheet is `pipeline-state/games/{game_id}/contact_sheet.jpg`.
    """
    game_id = context.partition_key
    review = read_game_plays(storage, game_id)
    encoding = video.encoding()

    stopwatch = Stopwatch.start()
    plan = plan_game(context, storage, video, game_id, review, encoding)
    outcome = cut_missing_clips(context, storage, video, plan)
    # Row-level rejections were logged by game_plays; these are the ones found here.
    log_rejections(context, game_id, outcome.rejections[len(review.rejections) :])
    leftovers = report_clips_of_no_play(context, storage, game_id, outcome)

    # Sizes ride along so the dataset card needs no per-clip size look-ups.
    sizes = {clip.key: storage.size(clip.key) for clip in outcome.clips}
    cut = [clip for clip in outcome.clips if clip.key in outcome.cut]
    stats = game_stats(storage, cut, outcome.skipped, outcome.rejections, sources_of(plan), stopwatch, sizes)
    manifest = outcome.to_manifest(game_id, encoding, sizes)
    write_game_clips(storage, manifest)

    descriptions = {play.id: play.description for play in review.plays}
    sheet = contact_sheet_metadata(context, storage, video, game_id, outcome.clips, outcome.rejections, descriptions)
    log_summary(context, game_id, outcome)
    return MaterializeResult(
        metadata=clips_metadata(storage, game_id, outcome, sizes) | stats.metadata() | leftovers | sheet,
        data_version=DataVersion(stable_hash(manifest.to_dict())),
        check_results=[rejected_plays_check(outcome.rejections)],
    )


# --- planning: fetch the halves the plays need, decide each clip -----------------------


def plan_game(
    context: AssetExecutionContext,
    storage: Storage,
    video: ClipEncoder,
    game_id: str,
    review: PlaysReview,
    encoding: dict[str, Any],
) -> GamePlan:
    """Each angle's clips and rejections (after the rows already rejected), from the halves it needs."""
    plan = GamePlan(rejections=list(review.rejections))
    for angle in CAMERA_ANGLES:
        plays = plays_for_angle(review.plays, angle)
        if not plays:
            continue
        halves = read_halves(context, storage, video, game_id, angle, plays)
        plan.halves.update({half.video.key: half for half in halves.values() if isinstance(half, FetchedHalf)})
        clips, rejections = plan_angle(game_id, angle, plays, facts_of(halves), encoding)
        plan.clips += clips
        plan.rejections += rejections
    return plan


def read_halves(
    context: AssetExecutionContext,
    storage: Storage,
    video: ClipEncoder,
    game_id: str,
    angle: str,
    plays: list[Play],
) -> dict[int, FetchedHalfOrError]:
    """Fetch and probe the halves of one angle that the plays need, and only those."""

    def read(half: int) -> FetchedHalfOrError:
        return fetch_half(context, storage, video, game_id, angle, half)

    halves = {half: read(half) for half in sorted(halves_needed(plays, None))}
    half1 = halves.get(1)
    # Plays without ``half`` need half 2 only when half 1's duration puts them there.
    if 2 not in halves and 2 in halves_needed(plays, half1.video.duration if isinstance(half1, FetchedHalf) else None):
        halves[2] = read(2)
    return halves


def fetch_half(
    context: AssetExecutionContext, storage: Storage, video: ClipEncoder, game_id: str, angle: str, half: int
) -> FetchedHalfOrError:
    """One half's video, fetched and probed; the reason (logged) when it cannot be read."""
    key = video_key(game_id, angle, half)
    try:
        source = storage.fetch_video(key)
        probe = video.probe(source.path)
    except (VideoNotFound, VideoUnreadable) as error:
        reason = f"{angle} half {half} video {storage.video_uri(key)} cannot be read: {error}"
        context.log.error(f"game {game_id}: {reason}; the plays that need it are rejected")
        return reason
    context.log.info(f"game {game_id}: {key} is {probe.duration:.2f} s, {probe.width}x{probe.height}")
    facts = HalfVideo(key=key, duration=probe.duration, identity=source.identity, has_audio=probe.has_audio)
    return FetchedHalf(source, facts)


def sources_of(plan: GamePlan) -> dict[str, tuple[Path, float]]:
    """Each fetched half's local file and duration, by key."""
    return {key: (half.source.path, half.video.duration) for key, half in plan.halves.items()}


def facts_of(halves: dict[int, FetchedHalfOrError]) -> dict[int, HalfVideoOrError]:
    """What planning needs of each half: its facts, or why it could not be read."""
    return {half: fetched.video if isinstance(fetched, FetchedHalf) else fetched for half, fetched in halves.items()}


# --- cutting: the clips whose fingerprint changed ---------------------------------------


def cut_missing_clips(
    context: AssetExecutionContext, storage: Storage, video: ClipEncoder, plan: GamePlan
) -> ClipsOutcome:
    """Cut every planned clip whose stored fingerprint differs, once the disk has room for them. A cut
    the source made fail becomes a rejection; one the machine made fail (a full disk, memory, a killed
    ffmpeg) fails the step."""
    outcome = ClipsOutcome(rejections=list(plan.rejections))
    to_cut = []
    for clip in plan.clips:
        stored = storage.metadata(clip.key)
        if stored is not None and stored.get("fingerprint") == clip.fingerprint:
            outcome.skipped.append(clip.key)
            outcome.clips.append(clip)
        else:
            to_cut.append(clip)
    check_room(context.partition_key, storage, to_cut, sources_of(plan))
    started = last_report = time.monotonic()
    for done, clip in enumerate(to_cut, start=1):
        half = plan.halves[clip.video_key]
        try:
            outcome.cut[clip.key] = cut_clip(storage, video, clip, half.source, half.video)
        except ClipCutFailed as error:  # the source: this play cannot have this clip
            outcome.rejections.append(Rejection(clip.play_id, clip.angle, str(error)))
            continue
        except (MachineFailure, OSError) as error:  # the machine: fail the step, its retry policy re-runs it
            raise machine_failure(error, context.partition_key, clip, storage) from error
        outcome.clips.append(clip)
        if time.monotonic() - last_report >= PROGRESS_EVERY_S or done == len(to_cut):
            last_report = time.monotonic()
            context.log.info(
                f"clips: {done}/{len(to_cut)} cut ({len(outcome.skipped)} unchanged) in {last_report - started:.0f} s"
            )
    kept = {clip.key for clip in outcome.clips}
    outcome.clips = [clip for clip in plan.clips if clip.key in kept]  # the plan's order, as before
    return outcome


def machine_failure(
    error: MachineFailure | OSError, game_id: str, clip: PlannedClip, storage: Storage
) -> BaseException:
    """What to raise when the machine failed cutting ``clip``: a :class:`MachineFailure` naming the play,
    the game, the video and the scratch folder; an ``OSError`` that is not the machine's, unchanged."""
    cause = error.cause if isinstance(error, MachineFailure) else os_error_failure(error.errno, str(error))
    if not cause.machine:
        return error  # e.g. storage access denied: its own message and retry rules stand
    task = (
        f"cutting play {clip.play_id} ({clip.angle}) of game {game_id} "
        f"from {storage.video_uri(clip.video_key)} into {storage.scratch_root}"
    )
    return MachineFailure(cause, task)


def cut_clip(storage: Storage, video: ClipEncoder, clip: PlannedClip, source: SourceVideo, half: HalfVideo) -> ClipCut:
    """Cut one clip into a scratch file, check its probed duration, then store it whole; how it was cut."""
    with storage.scratch_dir() as folder:
        path = folder / Path(clip.key).name
        how = video.cut_clip(source.path, clip.video_start, clip.video_end, path, with_audio=half.has_audio)
        try:
            probe = video.probe(path)
        except VideoUnreadable as error:
            raise ClipCutFailed(f"the source: ffmpeg wrote an unreadable clip from {source.key}: {error}") from error
        # A truncated source makes ffmpeg stop early without an error: catch it here.
        if not within_one_frame(probe.duration, clip.duration, probe.frame_duration):
            raise ClipCutFailed(
                f"the source: clip from {source.key} came out {probe.duration:.3f} s long "
                f"instead of {clip.duration:.3f} s: the video may be truncated or corrupt there"
            )
        metadata = {"fingerprint": clip.fingerprint, "play_id": clip.play_id, "angle": clip.angle}
        storage.put_file(clip.key, path, metadata=metadata)
    return how


# --- reporting: run log, metadata, check ------------------------------------------------


def log_rejections(context: AssetExecutionContext, game_id: str, rejections: list[Rejection]) -> None:
    """One warning per play angle rejected by this step."""
    for rejection in rejections:
        context.log.warning(
            f"game {game_id}: play {rejection.play_id} ({rejection.angle}) rejected: {rejection.reason}"
        )


def log_summary(context: AssetExecutionContext, game_id: str, outcome: ClipsOutcome) -> None:
    """The step's closing lines: clips cut, unchanged and rejected; how they were cut."""
    context.log.info(
        f"game {game_id}: {len(outcome.clips)} clips ({len(outcome.cut)} cut, {len(outcome.skipped)} unchanged), "
        f"{len(outcome.rejections)} rejected"
    )
    if not outcome.cut:
        return
    methods = outcome.cut_methods()
    context.log.info(f"game {game_id}: cut {methods['smart']} clips by smart cut, {methods['reencode']} by re-encoding")
    for reason, clips in outcome.fallback_reasons().most_common():
        context.log.info(f"game {game_id}: smart cut re-encoded {clips} clips instead: {reason}")


def report_clips_of_no_play(
    context: AssetExecutionContext, storage: Storage, game_id: str, outcome: ClipsOutcome
) -> dict[str, Any]:
    """Name the clip files in the game's folder that no current play claims.

    They are left where they are (removing files is a person's call, and a play edited
    back re-uses its clip) but are in no JSONL; the metadata lists them for clean-up.
    """
    leftovers = clips_of_no_play(storage.list_keys(clips_prefix(game_id)), (clip.key for clip in outcome.clips))
    if leftovers:
        context.log.warning(
            f"game {game_id}: {len(leftovers)} clip files belong to no current play (deleted plays, changed "
            f"angles or plays now rejected); they are in no JSONL. First: {', '.join(leftovers[:5])}"
        )
    listed = markdown_table(["clip"], ((storage.uri(key),) for key in leftovers), limit=25) if leftovers else "none"
    return {"clips_of_no_play": len(leftovers), "clips_of_no_play_list": MetadataValue.md(listed)}


def rejected_plays_check(rejections: list[Rejection]) -> AssetCheckResult:
    """The ``no_rejected_plays`` check: a warning with the table of rejected plays and reasons."""
    return AssetCheckResult(
        check_name="no_rejected_plays",
        passed=not rejections,
        severity=AssetCheckSeverity.WARN,
        description=f"{len(rejections)} rejected play clips" if rejections else "every play got its clips",
        metadata={
            "rejected": len(rejections),
            "rejections": MetadataValue.md(rejections_table(rejections) if rejections else "none"),
        },
    )


def clips_metadata(storage: Storage, game_id: str, outcome: ClipsOutcome, sizes: dict[str, int]) -> dict[str, Any]:
    """The step's metadata: counts, seconds and bytes of clips, how they were cut, and a preview table."""
    methods, reasons = outcome.cut_methods(), outcome.fallback_reasons()
    status = dict.fromkeys(outcome.cut, "cut")
    rows = (
        (c.play_id, c.angle, c.half, f"{c.video_start:.2f}-{c.video_end:.2f}", status.get(c.key, "unchanged"))
        for c in outcome.clips
    )
    return {
        "clips": len(outcome.clips),
        "cut": len(outcome.cut),
        "skipped_unchanged": len(outcome.skipped),
        "smart_cuts": methods["smart"],
        "reencoded_cuts": methods["reencode"],
        "smart_cut_fallbacks": MetadataValue.md(
            markdown_table(["why smart cut re-encoded", "clips"], reasons.most_common()) if reasons else "none"
        ),
        "rejected": len(outcome.rejections),
        "clip_seconds": round(sum(clip.duration for clip in outcome.clips), 3),
        "bytes": sum(sizes.values()),
        "clips_folder": MetadataValue.url(storage.uri(clips_prefix(game_id))),
        "preview": MetadataValue.md(
            markdown_table(["play", "angle", "half", "span in video (s)", "status"], rows, limit=25)
        ),
    }
