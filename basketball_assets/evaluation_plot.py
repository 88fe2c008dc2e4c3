"""The evaluation's plot: each metric's per-example scores per model, and the new model against
the others example by example (matplotlib, Agg backend: no display needed). PNG bytes.

matplotlib is imported when a plot is drawn, not with the module: loading the definitions
(the UI's code server, every test) does not pay for it.
"""

from __future__ import annotations

import io

from basketball_assets.core.evaluation import METRICS, NEW, PRIMARY_METRIC, Scored
from basketball_assets.core.evaluation_report import METRIC_NAMES, ROLE_NAMES

#: Small enough to show inline in the UI's metadata (a few tens of KB).
DPI = 72
COLORS = {"new": "tab:green", "base": "tab:gray", "champion": "tab:blue"}


def score_plot(scored: Scored) -> bytes:
    """Box plots of each metric per model, then a scatter of the new model's primary score
    against each other model's (points above the diagonal: the new model did better)."""
    from matplotlib.figure import Figure  # a bare Figure draws with Agg: no pyplot, no display, no global state

    roles = list(scored.models)
    figure = Figure(figsize=(13, 3.4), dpi=DPI)
    axes = figure.subplots(1, len(METRICS) + 1)
    for axis, metric in zip(axes, METRICS, strict=False):
        box = axis.boxplot([scored.scores[role][metric] for role in roles], patch_artist=True, tick_labels=roles)
        for patch, role in zip(box["boxes"], roles, strict=True):
            patch.set_facecolor(COLORS.get(role, "tab:orange"))
            patch.set_alpha(0.6)
        axis.set_title(METRIC_NAMES[metric])
        axis.set_ylim(-2, 102)
    scatter = axes[-1]
    for role in roles:
        if role != NEW:
            scatter.scatter(
                scored.scores[role][PRIMARY_METRIC],
                scored.scores[NEW][PRIMARY_METRIC],
                s=14,
                alpha=0.7,
                color=COLORS.get(role, "tab:orange"),
                label=f"vs {ROLE_NAMES[role]}",
            )
    scatter.plot([0, 100], [0, 100], color="black", linewidth=0.8)
    scatter.set_xlabel(f"other model's {METRIC_NAMES[PRIMARY_METRIC]}")
    scatter.set_ylabel("new model's")
    scatter.set_title("new against the others")
    scatter.legend(loc="lower right", fontsize="small")
    figure.subplots_adjust(left=0.04, right=0.99, bottom=0.16, top=0.9, wspace=0.3)
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png")
    return buffer.getvalue()
