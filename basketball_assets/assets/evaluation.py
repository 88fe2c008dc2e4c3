"""``model_evaluation``: the latest tuned model judged against the base model and the champion.

The same sample of validation examples (prompt and clip) goes to each model; the answers are
scored against the plays' descriptions, compared with a paired bootstrap, and written up in a
report beside the predictions. Every check that needs no paid call comes first; the call count
and estimated cost are logged before the first call; answers are kept as they arrive, so a
resumed evaluation pays for none twice (see evaluation_calls.py).
"""

import base64
from dataclasses import dataclass
from typing import Any

from dagster import (
    AssetCheckResult,
    AssetCheckSeverity,
    AssetCheckSpec,
    AssetExecutionContext,
    AssetKey,
    Config,
    DagsterInstance,
    DataVersion,
    Failure,
    MaterializeResult,
    MetadataValue,
    asset,
)
from pydantic import Field

from basketball_assets.core.evaluation import (
    BASE,
    CHAMPION,
    METRICS,
    NEW,
    EvalExample,
    ExamplesInvalid,
    Prices,
    Verdict,
    estimated_call_tokens,
    parse_examples,
    sample_examples,
    score_all,
    verdict,
)
from basketball_assets.core.evaluation_report import Usage, report_markdown
from basketball_assets.core.fingerprint import stable_hash
from basketball_assets.core.ids import object_key_problem
from basketball_assets.core.layout import clip_of_uri
from basketball_assets.core.registry import TunedModelRecord
from basketball_assets.evaluation_calls import (
    EVALUATIONS_PREFIX,
    Answers,
    CallSettings,
    ask_all,
    predictions_key,
    save_predictions,
    stored_answers,
)
from basketball_assets.evaluation_plot import score_plot
from basketball_assets.policies import DATASET_GROUP
from basketball_assets.resources.prediction import RetryPolicy, VertexPrediction
from basketball_assets.resources.registry import ModelRegistry
from basketball_assets.resources.storage import Storage, UnsafeKey
from basketball_assets.state.clips import key_in_training_bucket, read_clips_manifest

#: The asset evaluated (named, not imported: asset modules do not import each other).
TUNED_MODEL = AssetKey("tuned_model")
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


@dataclass(frozen=True)
class TunedModelFacts:
    """What ``tuned_model``'s latest materialization recorded about the model to evaluate."""

    job_name: str
    model: str
    endpoint: str
    base_model: str
    validation_uri: str
    training_uri: str
    dataset_version: str
    hyperparameters: dict[str, Any]

    def record(self) -> TunedModelRecord:
        return TunedModelRecord(
            job_name=self.job_name,
            model_name=self.model,
            endpoint_name=self.endpoint,
            base_model=self.base_model,
            dataset_version=self.dataset_version,
            training_uri=self.training_uri,
            validation_uri=self.validation_uri,
            hyperparameters=self.hyperparameters,
        )


@dataclass(frozen=True)
class EvaluationPlan:
    """Everything decided before the first paid call."""

    facts: TunedModelFacts
    folder: str
    examples: list[EvalExample]
    #: role -> the resource name called.
    models: dict[str, str]


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
    `evaluations/{tuning job id}/`. The checks `beats_base` and `beats_champion` warn when the
    new model is not better; it becomes the registry's champion only when it passes both.
    """
    plan = evaluation_plan(tuned_model_facts(context.instance), prediction, storage, registry, config.max_examples)
    answers = stored_answers(
        storage, plan.folder, {(m, e.example_id) for m in plan.models.values() for e in plan.examples}
    )
    todo = [(m, e) for m in plan.models.values() for e in plan.examples if (m, e.example_id) not in answers]
    estimate = estimated_cost(storage, todo, config)
    context.log.info(
        f"evaluating {plan.facts.job_name} on {len(plan.examples)} examples against {', '.join(plan.models)}: "
        f"{len(todo)} paid calls ({len(plan.models) * len(plan.examples) - len(todo)} answers kept from an earlier "
        f"attempt), estimated {estimate:.4f} USD at the configured prices"
    )
    stats = ask_all(context.log, prediction, storage, plan.folder, todo, answers, config.call_settings())
    cost = config.prices().cost(stats.prompt_tokens, stats.output_tokens)
    usage = Usage(stats.paid_calls, len(plan.models) * len(plan.examples) - len(todo), stats.prompt_tokens,
                  stats.output_tokens, cost, estimate, stats.retries)  # fmt: skip
    scored = score_all(plan.examples, plan.models, answers)
    decided = verdict(scored)
    report = write_report(storage, plan, scored, decided, usage, answers)
    registry.record_evaluation(plan.facts.job_name, scored.summary(), champion=decided.champion)
    context.log.info(
        f"{plan.facts.job_name} {'is now the champion' if decided.champion else 'did not become the champion'}"
    )
    return MaterializeResult(
        metadata=evaluation_metadata(storage, plan, scored.summary(), usage, decided, report),
        check_results=check_results(decided, scored.summary()),
        data_version=DataVersion(stable_hash(scored.summary())),
    )


# --- before any paid call ------------------------------------------------------------


def tuned_model_facts(instance: DagsterInstance) -> TunedModelFacts:
    """The latest tuned model, from ``tuned_model``'s latest materialization."""
    event = instance.get_latest_materialization_event(TUNED_MODEL)
    if event is None or event.asset_materialization is None:
        raise Failure("no tuned model to evaluate: materialize tuned_model first", allow_retries=False)
    metadata = {key: getattr(value, "value", value) for key, value in event.asset_materialization.metadata.items()}

    def text(key: str) -> str:
        value = metadata.get(key)
        return value if isinstance(value, str) else ""

    hyperparameters = metadata.get("hyperparameters")
    return TunedModelFacts(
        job_name=text("job_name"),
        model=text("tuned_model"),
        endpoint=text("endpoint"),
        base_model=text("base_model"),
        validation_uri=text("validation_dataset_uri"),
        training_uri=text("training_dataset_uri"),
        dataset_version=text("combined_dataset_data_version"),
        hyperparameters=dict(hyperparameters) if isinstance(hyperparameters, dict) else {},
    )


def evaluation_plan(
    facts: TunedModelFacts, prediction: VertexPrediction, storage: Storage, registry: ModelRegistry, max_examples: int
) -> EvaluationPlan:
    """Every check that needs no paid call: the model is served, the dataset is on Cloud Storage
    and has examples, the champion is served. Records the model in the registry if it is not."""
    job = facts.job_name or "the latest tuned_model"
    problems = [*prediction.missing_settings()]
    if not facts.job_name or not facts.base_model:
        problems.append("tuned_model's latest materialization records no job or base model: materialize it again")
    if not facts.endpoint:
        problems.append(
            f"tuned model {facts.model or '(none)'} of {job} has no endpoint, so it cannot answer: deploy it to an "
            "endpoint (or let the tuning job finish), then materialize tuned_model and model_evaluation again"
        )
    if problems:
        raise Failure(f"model_evaluation made no call: {'; '.join(problems)}", allow_retries=False)
    folder = evaluation_folder(facts.job_name)
    examples = sample_examples(validation_examples(facts, storage), max_examples)
    models = {NEW: facts.endpoint, BASE: prediction.publisher_model(facts.base_model)}
    if registry.get(facts.job_name) is None:  # tuned before the registry kept rows
        registry.record_model(facts.record())
    champion = registry.champion()
    if champion is not None and champion.job_name != facts.job_name:
        if not champion.endpoint_name:
            raise Failure(
                f"model_evaluation made no call: the champion {champion.job_name} has no endpoint in "
                f"{registry.describe()}, so it cannot answer: deploy it again and record its endpoint",
                allow_retries=False,
            )
        models[CHAMPION] = champion.endpoint_name
    return EvaluationPlan(facts, folder, examples, models)


def evaluation_folder(job_name: str) -> str:
    job_id = job_name.rsplit("/", 1)[-1]
    if object_key_problem(job_id) is not None or job_id == "answers":  # answers/: shared by all evaluations
        raise Failure(f"model_evaluation made no call: the tuning job name {job_name!r} names no job id it can use")
    return f"{EVALUATIONS_PREFIX}{job_id}/"


def validation_examples(facts: TunedModelFacts, storage: Storage) -> list[EvalExample]:
    """The validation split tuned_model used; it and its clips must be gs:// URIs in the training bucket."""
    uri = facts.validation_uri
    if not uri:
        raise Failure(
            f"model_evaluation made no call: {facts.job_name} was tuned without a validation split, so there are no "
            "held-out plays to judge it on: materialize combined_dataset with validation examples, then tuned_model",
            allow_retries=False,
        )
    if not uri.startswith("gs://"):
        raise Failure(
            f"model_evaluation made no call: the validation dataset {uri} is local; Vertex AI reads clips only "
            "from Cloud Storage (gs://): set BASKETBALL_GCP_PROJECT and rebuild the dataset on GCS",
            allow_retries=False,
        )
    key = key_in_training_bucket(storage, uri)
    if key is None or not storage.exists(key):
        raise Failure(
            f"model_evaluation made no call: the validation dataset {uri} is not in the training bucket "
            f"{storage.uri('')}: check the storage settings, or materialize combined_dataset and tuned_model again",
            allow_retries=False,
        )
    try:
        examples = parse_examples(storage.iter_lines(key), uri)
    except ExamplesInvalid as error:
        raise Failure(f"model_evaluation made no call: {error}", allow_retries=False) from error
    if not examples:
        raise Failure(
            f"model_evaluation made no call: the validation split {uri} is empty: materialize combined_dataset "
            "with enough games for validation plays, then tuned_model",
            allow_retries=False,
        )
    local = [example.clip_uri for example in examples if not example.clip_uri.startswith("gs://")]
    if local:
        raise Failure(
            f"model_evaluation made no call: {len(local)} validation clips are not on Cloud Storage (first: "
            f"{local[0]}); Vertex AI reads clips only from gs://",
            allow_retries=False,
        )
    return examples


def estimated_cost(storage: Storage, todo: list[tuple[str, EvalExample]], config: EvaluationConfig) -> float:
    """The calls' cost at the configured prices, with each clip's length from its game's clips manifest."""
    seconds = clip_seconds(storage, {example.clip_uri for _, example in todo})
    total = 0.0
    for _, example in todo:
        length = seconds.get(example.clip_uri, config.assumed_clip_seconds)
        total += config.prices().cost(*estimated_call_tokens(example, length))
    return total


def clip_seconds(storage: Storage, uris: set[str]) -> dict[str, float]:
    by_key: dict[str, float] = {}
    for game_id in sorted({clip.game_id for uri in uris if (clip := clip_of_uri(uri))}):
        try:
            manifest = read_clips_manifest(storage, game_id)
        except UnsafeKey:  # a clip URI naming no safe game: its length is assumed
            continue
        by_key.update(manifest.seconds_by_key() if manifest else {})
    return {uri: by_key[key] for uri in uris if (key := key_in_training_bucket(storage, uri)) in by_key}


# --- after the calls -----------------------------------------------------------------


@dataclass(frozen=True)
class StoredReport:
    markdown: str
    plot_png: bytes


def write_report(
    storage: Storage, plan: EvaluationPlan, scored: Any, decided: Verdict, usage: Usage, answers: Answers
) -> StoredReport:
    """Store predictions.jsonl, scores.png and report.md under the evaluation's folder."""
    save_predictions(storage, plan.folder, answers)
    png = score_plot(scored)
    with storage.scratch_dir() as folder:
        (folder / "scores.png").write_bytes(png)
        storage.put_file(f"{plan.folder}scores.png", folder / "scores.png")
    markdown = report_markdown(plan.facts.job_name, scored, decided, usage, "scores.png")
    storage.put_text(f"{plan.folder}report.md", markdown)
    return StoredReport(report_markdown(plan.facts.job_name, scored, decided, usage, data_uri(png)), png)


def data_uri(png: bytes) -> str:
    return "data:image/png;base64," + base64.b64encode(png).decode("ascii")


def evaluation_metadata(
    storage: Storage,
    plan: EvaluationPlan,
    summary: dict[str, Any],
    usage: Usage,
    decided: Verdict,
    report: StoredReport,
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
        "report": MetadataValue.md(report.markdown),
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
    intervals = summary["new_minus"]

    def interval_metadata(role: str) -> dict[str, Any]:
        primary = summary["primary_metric"]
        if role not in intervals:
            return {}
        interval = intervals[role][primary]
        return {
            f"{primary}_difference": MetadataValue.float(round(interval["mean"], 4)),
            "interval_low": MetadataValue.float(round(interval["low"], 4)),
            "interval_high": MetadataValue.float(round(interval["high"], 4)),
        }

    champion_text = (
        "there is no champion yet"
        if decided.beats_champion is None
        else ("better than the champion" if decided.beats_champion else "not better than the champion")
    )
    return [
        AssetCheckResult(
            check_name=BEATS_BASE,
            passed=decided.beats_base,
            severity=AssetCheckSeverity.WARN,
            description="better than the base model" if decided.beats_base else "not better than the base model",
            metadata=interval_metadata(BASE),
        ),
        AssetCheckResult(
            check_name=BEATS_CHAMPION,
            passed=decided.beats_champion is not False,
            severity=AssetCheckSeverity.WARN,
            description=champion_text,
            metadata=interval_metadata(CHAMPION),
        ),
    ]
