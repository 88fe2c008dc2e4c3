"""``model_evaluation``: the latest tuned model judged against the base model and the champion.

The same sample of validation examples (prompt and clip) goes to each model; the answers are
scored against the plays' descriptions, compared with a paired bootstrap, and written up in a
report beside the predictions. Every check that needs no paid call comes first; the call count
and estimated cost are logged before the first call; answers are kept as they arrive, so a
resumed evaluation pays for none twice (see evaluation_calls.py).
"""

import base64
from typing import Any

from dagster import (
    AssetCheckResult,
    AssetCheckSeverity,
    AssetCheckSpec,
    AssetExecutionContext,
    AssetKey,
    Config,
    DataVersion,
    MaterializeResult,
    MetadataValue,
    asset,
)
from pydantic import Field

from basketball_assets.core.evaluation import BASE, CHAMPION, METRICS, Prices, Scored, Verdict, score_all, verdict
from basketball_assets.core.evaluation_report import Usage, report_markdown
from basketball_assets.core.fingerprint import stable_hash
from basketball_assets.evaluation_calls import (
    Answers,
    CallSettings,
    ask_all,
    predictions_key,
    save_predictions,
    stored_answers,
)
from basketball_assets.evaluation_plan import (
    TUNED_MODEL,
    EvaluationPlan,
    estimated_cost,
    evaluation_plan,
    tuned_model_facts,
)
from basketball_assets.evaluation_plot import score_plot
from basketball_assets.policies import DATASET_GROUP
from basketball_assets.resources.prediction import RetryPolicy, VertexPrediction
from basketball_assets.resources.registry import ModelRegistry
from basketball_assets.resources.storage import Storage

EVALUATION = AssetKey("model_evaluation")
BEATS_BASE, BEATS_CHAMPION = "beats_base", "beats_champion"


class EvaluationConfig(Config):
    """The evaluation's settings: how many examples, how calls are made, and the prices."""

    max_examples: int = Field(default=100, gt=0, description="Validation examples asked (the same ones every time).")
    concurrency: int = Field(default=4, ge=1, le=32, description="Calls in flight at once.")
    call_timeout_seconds: float = Field(default=120.0, gt=0, description="Timeout of one attempt of one call.")
    retry_initial_seconds: float = Field(default=2.0, gt=0, description="First wait after a 429 or 5xx; doubles.")
    retry_max_seconds: float = Field(default=60.0, gt=0, description="Longest wait between attempts of one call.")
    retry_deadline_seconds: float = Field(default=600.0, gt=0, description="Give a call up after this long.")
    save_every: int = Field(default=20, ge=1, description="Answers between rewrites of predictions.jsonl.")
    input_price_per_million_tokens: float = Field(
        default=1.25, ge=0, description="USD per million prompt tokens (check Vertex AI's pricing page)."
    )
    output_price_per_million_tokens: float = Field(
        default=10.0, ge=0, description="USD per million output tokens (check Vertex AI's pricing page)."
    )
    assumed_clip_seconds: float = Field(
        default=10.0, gt=0, description="Clip length assumed for the cost estimate when no clips manifest has it."
    )

    def call_settings(self) -> CallSettings:
        policy = RetryPolicy(
            self.retry_initial_seconds, self.retry_max_seconds, self.retry_deadline_seconds, self.call_timeout_seconds
        )
        return CallSettings(self.concurrency, policy, self.save_every)

    def prices(self) -> Prices:
        return Prices(self.input_price_per_million_tokens, self.output_price_per_million_tokens)


@asset(
    deps=[TUNED_MODEL],
    group_name=DATASET_GROUP,
    kinds={"vertexai", "gemini"},
    check_specs=[
        AssetCheckSpec(BEATS_BASE, asset=EVALUATION, description="The new model beats the base beyond the interval."),
        AssetCheckSpec(
            BEATS_CHAMPION, asset=EVALUATION, description="The new model beats the champion beyond the interval."
        ),
    ],
)
def model_evaluation(
    context: AssetExecutionContext,
    config: EvaluationConfig,
    prediction: VertexPrediction,
    storage: Storage,
    registry: ModelRegistry,
) -> MaterializeResult:
    """The latest tuned model against the base model and the champion, on held-out plays.

    Materialized only on request (its calls cost money). A deterministic sample of the
    validation examples (`max_examples`) is asked of each model; answers are scored with
    ROUGE-L F1, BLEU and chrF against the plays' descriptions, with paired bootstrap 95%
    intervals. Predictions, `report.md` and `scores.png` live in the training bucket under
    `evaluations/{tuning job id}/`; each answer is also kept alone as it arrives, so a
    resumed evaluation pays for none twice. The checks `beats_base` and `beats_champion` warn when the
    new model is not better; it becomes the registry's champion only when it passes both.
    """
    plan = evaluation_plan(tuned_model_facts(context.instance), prediction, storage, registry, config.max_examples)
    wanted = {(model, example.example_id) for model in plan.models.values() for example in plan.examples}
    answers = stored_answers(storage, plan.folder, wanted)
    todo = [(m, e) for m in plan.models.values() for e in plan.examples if (m, e.example_id) not in answers]
    reused = len(wanted) - len(todo)
    estimate = estimated_cost(storage, todo, config.prices(), config.assumed_clip_seconds)
    context.log.info(
        f"evaluating {plan.facts.job_name} on {len(plan.examples)} examples, models {', '.join(plan.models)}: "
        f"{len(todo)} paid calls ({reused} answers kept from earlier), estimated {estimate:.4f} USD at the "
        "configured prices"
    )
    stats = ask_all(context.log, prediction, storage, plan.folder, todo, answers, config.call_settings())
    cost = config.prices().cost(stats.prompt_tokens, stats.output_tokens)
    usage = Usage(stats.paid_calls, reused, stats.prompt_tokens, stats.output_tokens, cost, estimate, stats.retries)
    scored = score_all(plan.examples, plan.models, answers)
    decided = verdict(scored)
    summary = scored.summary()
    report = write_report(storage, plan, scored, decided, usage, answers)
    registry.record_evaluation(plan.facts.job_name, summary, champion=decided.champion)
    context.log.info(
        f"{plan.facts.job_name} {'is now the champion' if decided.champion else 'did not become the champion'}"
    )
    return MaterializeResult(
        metadata=evaluation_metadata(storage, plan, summary, usage, decided, report),
        check_results=check_results(decided, summary),
        data_version=DataVersion(stable_hash(summary)),
    )


# --- after the calls -----------------------------------------------------------------


def write_report(
    storage: Storage, plan: EvaluationPlan, scored: Scored, decided: Verdict, usage: Usage, answers: Answers
) -> str:
    """Store predictions.jsonl, scores.png and report.md under the evaluation's folder; the
    report for the UI (its plot inline, as a data URI)."""
    save_predictions(storage, plan.folder, answers)
    png = score_plot(scored)
    with storage.scratch_dir() as folder:
        (folder / "scores.png").write_bytes(png)
        storage.put_file(f"{plan.folder}scores.png", folder / "scores.png")
    markdown = report_markdown(plan.facts.job_name, scored, decided, usage, "scores.png")
    storage.put_text(f"{plan.folder}report.md", markdown)
    return report_markdown(plan.facts.job_name, scored, decided, usage, data_uri(png))


def data_uri(png: bytes) -> str:
    return "data:image/png;base64," + base64.b64encode(png).decode("ascii")


def evaluation_metadata(
    storage: Storage,
    plan: EvaluationPlan,
    summary: dict[str, Any],
    usage: Usage,
    decided: Verdict,
    report: str,
) -> dict[str, Any]:
    """Numeric metadata (plotted by the UI across materializations), the report inline, and where things are."""
    metadata: dict[str, Any] = {
        "job_name": plan.facts.job_name,
        "models": MetadataValue.json(plan.models),
        "examples": MetadataValue.int(len(plan.examples)),
        "evaluation_paid_calls": MetadataValue.int(usage.paid_calls),
        "evaluation_reused_answers": MetadataValue.int(usage.reused_answers),
        "evaluation_retries": MetadataValue.int(usage.retries),
        "evaluation_prompt_tokens": MetadataValue.int(usage.prompt_tokens),
        "evaluation_output_tokens": MetadataValue.int(usage.output_tokens),
        "evaluation_cost_usd": MetadataValue.float(round(usage.cost_usd, 6)),
        "evaluation_estimated_cost_usd": MetadataValue.float(round(usage.estimated_cost_usd, 6)),
        "champion": decided.champion,
        "report": MetadataValue.md(report),
        "report_file": MetadataValue.path(storage.uri(f"{plan.folder}report.md")),
        "predictions_file": MetadataValue.path(storage.uri(predictions_key(plan.folder))),
    }
    for role, means in summary["means"].items():
        for metric in METRICS:
            metadata[f"{metric}_{role}"] = MetadataValue.float(means[metric])
    for role, by_metric in summary["new_minus"].items():
        for metric in METRICS:
            metadata[f"{metric}_new_minus_{role}"] = MetadataValue.float(round(by_metric[metric]["mean"], 4))
    return metadata


def check_results(decided: Verdict, summary: dict[str, Any]) -> list[AssetCheckResult]:
    """``beats_base`` and ``beats_champion``, WARN when failed, with the primary metric's interval."""
    primary, intervals = summary["primary_metric"], summary["new_minus"]

    def result(name: str, role: str, beats: bool | None) -> AssetCheckResult:
        if beats is None:
            return AssetCheckResult(
                check_name=name, passed=True, severity=AssetCheckSeverity.WARN, description="there is no champion yet"
            )
        interval = intervals[role][primary]
        verdict_text = "better than" if beats else "not better than"
        return AssetCheckResult(
            check_name=name,
            passed=beats,
            severity=AssetCheckSeverity.WARN,
            description=(
                f"{verdict_text} the {role} model: {primary} difference {interval['mean']:+.2f}, "
                f"95% interval [{interval['low']:+.2f}, {interval['high']:+.2f}]"
            ),
            metadata={
                f"{primary}_difference": MetadataValue.float(round(interval["mean"], 4)),
                "interval_low": MetadataValue.float(round(interval["low"], 4)),
                "interval_high": MetadataValue.float(round(interval["high"], 4)),
            },
        )

    return [
        result(BEATS_BASE, BASE, decided.beats_base),
        result(BEATS_CHAMPION, CHAMPION, decided.beats_champion),
    ]
