"""Runs video2dataset's clipping subsampler on jobs given as JSON; run by ``peers.py`` in the peers' venv.

    .benchmarks/peers/bin/python benchmarks/v2d_driver.py   (one JSON job per line on stdin)

Each job is one line of JSON on stdin, ``{"source", "clips": [[start, end], ...], "precision",
"out_dir"}``, answered by one line ``RESULT {json}`` on stdout. For each,
the subsampler gets the video's bytes and its clips as video2dataset's pipeline hands them
over (``keyframe_adjusted`` also gets the keyframe times, read here by demuxing, as its
ffprobe step would), and its clips are written as ``clip-{i}.mp4``. Per job, the result
has wall and CPU seconds (this process and its ffmpeg children) of that work alone, the
spans video2dataset kept (``keyframe_adjusted`` moves them to keyframes, and drops clips
with fewer than two keyframes inside) and any error.
"""

import json
import resource
import sys
import time
from pathlib import Path

import av
from video2dataset.subsamplers import ClippingSubsampler


def cpu_seconds():
    own, children = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def keyframe_times(path):
    """Keyframe times in seconds from the first timestamp, as ffprobe's -skip_frame nokey would list them."""
    with av.open(path) as container:
        stream = container.streams.video[0]
        origin = (container.start_time or 0) / av.time_base
        return sorted(
            float(p.pts * p.time_base) - origin for p in container.demux(stream) if p.is_keyframe and p.pts is not None
        )


def run(job):
    started, cpu = time.perf_counter(), cpu_seconds()
    data = Path(job["source"]).read_bytes()
    metadata = {"key": "clip", "clips": [list(span) for span in job["clips"]], "video_metadata": {}}
    if job["precision"] == "keyframe_adjusted":
        metadata["video_metadata"]["keyframe_timestamps"] = keyframe_times(job["source"])
    subsampler = ClippingSubsampler(oom_clip_count=3, encode_formats={"video": "mp4"}, precision=job["precision"])
    clips, metas, error = subsampler({"video": [data]}, metadata)
    out = Path(job["out_dir"])
    out.mkdir(parents=True, exist_ok=True)
    files = []
    for index, clip in enumerate(clips.get("video", [])):
        path = out / f"clip-{index}.mp4"
        path.write_bytes(clip)
        files.append(str(path))
    return {
        "wall": time.perf_counter() - started,
        "cpu": cpu_seconds() - cpu,
        "spans": [list(m["clips"][0]) for m in metas],
        "files": files,
        "error": error,
    }


def main():
    for line in sys.stdin:
        print("RESULT " + json.dumps(run(json.loads(line))), flush=True)


if __name__ == "__main__":
    main()
