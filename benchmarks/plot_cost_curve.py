"""Plots the cost curve of ``peers.py``: seconds per clip-second against keyframe interval, per way of cutting.

    .benchmarks/peers/bin/python benchmarks/plot_cost_curve.py RESULTS.json OUT.png

Run by ``peers.py`` with the project's Python (matplotlib is one of its dependencies; the
peers' venv has it too). Only the ways that were run are drawn. Solid lines are wall time,
dashed lines CPU time.
"""

import json
import re
import sys
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt

LABELS = {
    "reencode": "project re-encode",
    "smart": "project smart cut",
    "smartcut": "smartcut 1.7",
    "v2d_exact": "video2dataset exact",
    "v2d_keyframe": "video2dataset keyframe_adjusted",
}


def main():
    results = json.loads(Path(sys.argv[1]).read_text())
    curve = results["curve"]
    intervals = [int(re.search(r"(\d+)s", job["name"]).group(1)) for job in curve["jobs"]]
    seconds = [job["clip_seconds"] for job in curve["jobs"]]
    figure, axis = plt.subplots(figsize=(8, 5), dpi=110)
    for way, label in LABELS.items():
        if way not in curve["time"]:
            continue
        times = curve["time"][way]
        line = axis.plot(intervals, [w / s for (w, _), s in zip(times, seconds, strict=True)], marker="o", label=label)
        axis.plot(
            intervals,
            [c / s for (_, c), s in zip(times, seconds, strict=True)],
            linestyle="--",
            color=line[0].get_color(),
        )
    axis.set_xscale("log")
    axis.set_xticks(intervals, [f"{i} s" for i in intervals])
    axis.set_xlabel("keyframe interval of the source (720p30 x264, B-frames, closed GOPs)")
    axis.set_ylabel("seconds per clip-second (solid: wall, dashed: CPU)")
    # The machine's cores and its load when the run started: wall time on a shared machine is noisy.
    machine = results["machine"].split(", ")
    axis.set_title(f"Cost of cutting 3 clips of ~10 s from a 60 s source ({machine[0]}, {machine[-1]})", fontsize=10)
    axis.grid(True, which="both", alpha=0.3)
    axis.legend(fontsize=8)
    figure.tight_layout()
    figure.savefig(sys.argv[2])


if __name__ == "__main__":
    main()
