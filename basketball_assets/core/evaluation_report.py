"""The evaluation's ``report.md``: models, mean scores, intervals, verdicts, the largest gains and
losses (each with its clip URI), and what the evaluation cost. Pure text."""

from __future__ import annotations

from dataclasses import dataclass

from basketball_assets.core.evaluation import (
    BASE,
    CHAMPION,
    METRICS,
    NEW,
    PRIMARY_METRIC,
    Scored,
    Verdict,
    gains_and_losses,
)
from basketball_assets.core.report import markdown_table

METRIC_NAMES = {"rougeL": "ROUGE-L F1", "bleu": "BLEU", "chrf": "chrF"}
ROLE_NAMES = {NEW: "new (tuned)", BASE: "base", CHAMPION: "champion"}
#: Characters of an answer shown in the gains and losses tables.
SHOWN_CHARACTERS = 160


@dataclass(frozen=True)
class Usage:
    """What the evaluation's calls cost: calls made now, answers reused, tokens and USD."""

    paid_calls: int
    reused_answers: int
    prompt_tokens: int
    output_tokens: int
    cost_usd: float
    estimated_cost_usd: float
    retries: int = 0


def shortened(text: str, limit: int = SHOWN_CHARACTERS) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def report_markdown(job_name: str, scored: Scored, verdict: Verdict, usage: Usage, plot: str) -> str:
    """The whole report; ``plot`` is the image's address (a file name, or a data URI for the UI)."""
    lines = [
        f"# Evaluation of {job_name}",
        "",
        f"{len(scored.examples)} validation examples, the same prompt and clip to each model. Scores are 0-100 "
        f"against the play's description; the verdicts use {METRIC_NAMES[PRIMARY_METRIC]}, and a model is better "
        "only when the paired bootstrap 95% interval of the difference lies above zero.",
        "",
        "## Models",
        "",
        markdown_table(
            ["role", "model", *(METRIC_NAMES[m] for m in METRICS)],
            [
                (ROLE_NAMES[role], model, *(f"{scored.mean(role, m):.2f}" for m in METRICS))
                for role, model in scored.models.items()
            ],
        ),
        "",
        "## New model against the others",
        "",
        markdown_table(
            ["difference", *(f"{METRIC_NAMES[m]} mean [95% interval]" for m in METRICS)],
            [(f"new − {role}", *(i[m].text() for m in METRICS)) for role, i in scored.intervals.items()],
        ),
        "",
        *verdict_lines(verdict),
        "",
        f"![scores per model]({plot})",
        "",
        *examples_section(scored),
        "## Cost",
        "",
        f"{usage.paid_calls} paid calls now ({usage.reused_answers} answers kept from earlier attempts or evaluations, "
        f"{usage.retries} retries), {usage.prompt_tokens:,} prompt and {usage.output_tokens:,} output tokens: "
        f"{usage.cost_usd:.4f} USD at the configured prices (estimated before the first call: "
        f"{usage.estimated_cost_usd:.4f} USD).",
        "",
    ]
    return "\n".join(lines)


def verdict_lines(verdict: Verdict) -> list[str]:
    base = "beats the base model" if verdict.beats_base else "does NOT beat the base model"
    if verdict.beats_champion is None:
        champion = "there is no champion yet"
    else:
        champion = "beats the champion" if verdict.beats_champion else "does NOT beat the champion"
    outcome = "it becomes the champion" if verdict.champion else "it does not become the champion"
    return [f"**Verdict:** the new model {base}; {champion}: {outcome}."]


def examples_section(scored: Scored) -> list[str]:
    gained, lost = gains_and_losses(scored)
    metric = METRIC_NAMES[PRIMARY_METRIC]
    lines = []
    for title, indexes in (
        (f"Largest gains over the base ({metric})", gained),
        (f"Largest losses against the base ({metric})", lost),
    ):
        rows = [
            (
                scored.examples[i].clip_uri,
                f"{scored.scores[NEW][PRIMARY_METRIC][i] - scored.scores[BASE][PRIMARY_METRIC][i]:+.1f}",
                shortened(scored.examples[i].reference),
                shortened(scored.texts[NEW][i]),
                shortened(scored.texts[BASE][i]),
            )
            for i in indexes
        ]
        table = markdown_table(["clip", "difference", "description", "new", "base"], rows) if rows else "None."
        lines += [f"## {title}", "", table, ""]
    return lines
