"""``model_evaluation``'s decisions before any paid call: which tuned model, which examples,
which models, all refused with what to do next when something is missing; and the estimate
of what the calls will cost."""

from dataclasses import dataclass
from typing import Any

from dagster import AssetKey, DagsterInstance, Failure

from basketball_assets.core.evaluation import (
    BASE,
    CHAMPION,
    NEW,
    EvalExample,
    ExamplesInvalid,
    Prices,
    estimated_call_tokens,
    parse_examples,
    sample_examples,
)
from basketball_assets.core.ids import object_key_problem
from basketball_assets.core.layout import clip_of_uri
from basketball_assets.core.registry import TunedModelRecord
from basketball_assets.evaluation_calls import EVALUATIONS_PREFIX
from basketball_assets.resources.prediction import VertexPrediction
from basketball_assets.resources.registry import ModelRegistry
from basketball_assets.resources.storage import Storage, UnsafeKey
from basketball_assets.state.clips import key_in_training_bucket, read_clips_manifest

#: The asset evaluated (named, not imported: asset modules do not import each other).
TUNED_MODEL = AssetKey("tuned_model")


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


def estimated_cost(
    storage: Storage, todo: list[tuple[str, EvalExample]], prices: Prices, assumed_clip_seconds: float
) -> float:
    """The calls' cost at ``prices``, with each clip's length from its game's clips manifest."""
    seconds = clip_seconds(storage, {example.clip_uri for _, example in todo})
    total = 0.0
    for _, example in todo:
        length = seconds.get(example.clip_uri, assumed_clip_seconds)
        total += prices.cost(*estimated_call_tokens(example, length))
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
