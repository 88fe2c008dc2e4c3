"""``combined_dataset``: every game's JSONL, concatenated into one training and one validation file."""

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

from dagster import (
    AllPartitionMapping,
    AssetDep,
    AssetExecutionContext,
    Config,
    DataVersion,
    Failure,
    MaterializeResult,
    MetadataValue,
    asset,
)
from pydantic import Field

from basketball_assets.core.costs import CLOUD_RUN_USD_PER_VCPU_SECOND, GCS_STANDARD_USD_PER_GB_MONTH, Prices
from basketball_assets.core.dataset import SPLITS, DatasetDigest, unique_lines
from basketball_assets.core.dataset_card import (
    DEFAULT_CHARACTERS_PER_TOKEN,
    DEFAULT_TOKENS_PER_CLIP_SECOND,
    CostAssumptions,
    DatasetCard,
    dataset_card_key,
)
from basketball_assets.core.examples import example_parts
from basketball_assets.core.layout import (
    ClipName,
    clip_of_uri,
    combined_folder,
    combined_jsonl_key,
    utc_timestamps_from,
)
from basketball_assets.core.tuning import (
    DEFAULT_BASE_MODEL,
    DEFAULT_EPOCHS,
    DEFAULT_PRICE_PER_MILLION_TRAINING_TOKENS,
)
from basketball_assets.operations import GameHistory, latest_tuning_cost
from basketball_assets.partitions import games_partitions
from basketball_assets.policies import DATASET_GROUP, TRANSIENT_RETRY
from basketball_assets.resources.storage import Storage
from basketball_assets.state.clips import GameClipFacts, game_rejections
from basketball_assets.state.combined import (
    CombinedManifest,
    claim_combined_folder,
    combined_folder_claim_key,
    write_combined_dataset,
)
from basketball_assets.state.training_data import read_game_training_data

#: Seconds from now tried for a free combined folder before giving up (one is almost always free).
FOLDER_ATTEMPTS = 600


class DatasetCardConfig(Config):
    """The assumptions of the dataset card's tuning cost estimate: set them to today's figures."""

    epochs: int = Field(
        default=DEFAULT_EPOCHS, ge=1, description="Epochs the estimate assumes (the tuning step's default)."
    )
    base_model: str = Field(
        default=DEFAULT_BASE_MODEL, description="The model whose price is given below (for the card's text)."
    )
    price_per_million_training_tokens: float = Field(
        default=DEFAULT_PRICE_PER_MILLION_TRAINING_TOKENS,
        ge=0,
        description=(
            "Assumed price (USD) of one million training tokens for base_model; check Vertex AI's pricing page."
        ),
    )
    tokens_per_clip_second: float = Field(
        default=DEFAULT_TOKENS_PER_CLIP_SECOND,
        gt=0,
        description="Assumed tokens per second of clip (video frames plus audio) at the default media resolution.",
    )
    characters_per_token: float = Field(
        default=DEFAULT_CHARACTERS_PER_TOKEN,
        gt=0,
        description="Assumed characters per text token (prompt and description).",
    )

    usd_per_vcpu_second: float = Field(
        default=CLOUD_RUN_USD_PER_VCPU_SECOND,
        ge=0,
        description="Assumed compute price of the game runs, USD per vCPU-second (Cloud Run's published price).",
    )
    usd_per_gb_month: float = Field(
        default=GCS_STANDARD_USD_PER_GB_MONTH,
        ge=0,
        description="Assumed storage price of the clips, USD per GB-month (Cloud Storage Standard's published price).",
    )

    def prices(self) -> Prices:
        return Prices(usd_per_vcpu_second=self.usd_per_vcpu_second, usd_per_gb_month=self.usd_per_gb_month)

    def assumptions(self) -> CostAssumptions:
        return CostAssumptions(
            epochs=self.epochs,
            price_per_million_tokens=self.price_per_million_training_tokens,
            tokens_per_clip_second=self.tokens_per_clip_second,
            characters_per_token=self.characters_per_token,
            base_model=self.base_model,
        )


@asset(
    deps=[AssetDep("game_training_data", partition_mapping=AllPartitionMapping())],
    group_name=DATASET_GROUP,
    kinds={"json"},
    code_version="1",
    retry_policy=TRANSIENT_RETRY,
    # Its automation condition, on the configured cron, is added in definitions.py (automation.with_dataset_refresh).
)
def combined_dataset(context: AssetExecutionContext, storage: Storage, config: DatasetCardConfig) -> MaterializeResult:
    """All games' examples in one dataset: `cumulative-execution-{timestamp}/combined_training.jsonl`
    and `combined_validation.jsonl` in the training bucket.

    The games' latest files are concatenated in game id order (each already in play id
    order), without duplicate lines. Lines are streamed, never held in memory, so it
    scales to thousands of games. Games without training data yet are left out and
    named in the metadata and in the `every_game_present` check.

    The dataset card (`dataset_card.md` beside the JSONL, and the `dataset_card` metadata)
    says what the files hold: examples per split and angle, clip lengths and sizes,
    description lengths, rejected plays by reason, and what tuning on it would cost; its
    cost ledger sums the games' clip runs (CPU seconds at an assumed price, bytes written)
    and the latest tuning job's actual billable tokens and cost. The `run_report` metadata
    lists every game's latest clip step: how many succeeded, the slowest, the most rejected.
    """
    games = sorted(context.instance.get_dynamic_partitions(games_partitions.name))
    manifests = {game_id: read_game_training_data(storage, game_id) for game_id in games}
    included = [game_id for game_id in games if manifests[game_id] is not None]
    missing = [game_id for game_id in games if manifests[game_id] is None]
    if missing:
        context.log.warning(
            f"{len(missing)} games have no training data yet and are left out: {', '.join(missing[:20])}"
        )
    if not included:
        raise Failure("no game has training data yet: materialize game_training_data first", allow_retries=False)

    timestamp = claim_folder(context, storage)
    files = {split: combined_jsonl_key(split, timestamp) for split in SPLITS}
    counts: dict[str, int] = {}
    digest = DatasetDigest()
    card = DatasetCard(config.assumptions(), games=len(included))
    clips = ReferencedClips(GameClipFacts(storage))
    with storage.scratch_dir() as folder:
        for split in SPLITS:
            path = folder / f"combined_{split}.jsonl"
            keys = (manifests[game_id].files[split] for game_id in included)
            lines = counted(unique_lines(lines_of(storage, keys)), split, card, clips)
            counts[split] = write_lines(path, lines, digest)
            storage.put_file(files[split], path)
    for game_id in included:
        card.add_game_rejections(game_rejections(storage, game_id))
    history = GameHistory.read(context.instance)
    report = history.report(games)
    ledger = history.ledger(included, config.prices(), latest_tuning_cost(context.instance))
    card_text = card.markdown(
        f"Dataset card: cumulative-execution-{timestamp}", SPLITS, {s: storage.uri(k) for s, k in files.items()}
    )
    card_text += "\n" + ledger.markdown()
    storage.put_text(dataset_card_key(timestamp), card_text)
    write_combined_dataset(
        storage, CombinedManifest(files, included, timestamp, counts, missing, clip_fingerprints=clips.by_game)
    )
    context.log.info(
        f"combined {len(included)} games: {counts['training']} training, {counts['validation']} validation examples"
    )
    return MaterializeResult(
        metadata={
            "games": len(included),
            "games_missing": MetadataValue.json(missing),
            "training_examples": counts["training"],
            "validation_examples": counts["validation"],
            "training_file": MetadataValue.url(storage.uri(files["training"])),
            "validation_file": MetadataValue.url(storage.uri(files["validation"])),
            "training_uri": storage.uri(files["training"]),
            "validation_uri": storage.uri(files["validation"]),
            "dataset_card": MetadataValue.md(card_text),
            "dataset_card_file": MetadataValue.path(storage.uri(dataset_card_key(timestamp))),
            **card.summary(SPLITS),
            "run_report": MetadataValue.md(report.markdown()),
            **report.metadata(),
            **ledger.metadata(),
            **bucket_size(storage),
        },
        # The lines and their clips' fingerprints (tuned_model checks those clips are unchanged).
        data_version=DataVersion(digest.version()),
    )


def bucket_size(storage: Storage) -> dict[str, int]:
    """The training bucket's total bytes where storage bills by it (GCS), for a plot of its growth."""
    size = storage.bucket_bytes()
    return {} if size is None else {"training_bucket_bytes": size}


def claim_folder(context: AssetExecutionContext, storage: Storage) -> str:
    """The timestamp of a `cumulative-execution-{timestamp}/` folder that this run alone writes.

    Two runs in one second would otherwise write one folder. A second is taken when its folder
    holds files or another run created its claim first (created atomically, if absent, in
    `pipeline-state/combined-folders/`); then the next second is tried.
    """
    stamps = utc_timestamps_from(datetime.now(UTC), FOLDER_ATTEMPTS)
    for timestamp in stamps:
        # An existing folder (from before claims existed) is taken too; the claim decides between racing runs.
        folder_empty = next(iter(storage.list_keys(combined_folder(timestamp))), None) is None
        if folder_empty and claim_combined_folder(storage, timestamp, context.run.run_id):
            if timestamp != stamps[0]:
                context.log.info(f"folder {combined_folder(stamps[0])} was taken by another run; writing {timestamp}")
            return timestamp
    raise Failure(
        f"no free cumulative-execution folder from {stamps[0]} to {stamps[-1]} in {storage.uri('')}: other runs "
        f"claimed them all ({storage.uri(combined_folder_claim_key(stamps[0]))} and after); try again later"
    )


def lines_of(storage: Storage, keys: Iterator[str]) -> Iterator[str]:
    for key in keys:
        yield from storage.iter_lines(key)


def write_lines(path: Path, lines: Iterator[tuple[str, str]], digest: DatasetDigest) -> int:
    """Write one split's lines to ``path``, each into the digest with its clip's fingerprint."""
    count = 0
    with path.open("w", encoding="utf-8") as handle:
        for line, fingerprint in lines:
            handle.write(line + "\n")
            digest.add(line, fingerprint)
            count += 1
    digest.end_split()
    return count


class ReferencedClips:
    """The clips the combined lines reference, with each one's fingerprint from its game's clips
    manifest, gathered as the lines stream through (and recorded in the combined manifest)."""

    def __init__(self, facts: GameClipFacts) -> None:
        self.facts = facts
        self.by_game: dict[str, dict[str, str]] = {}

    def fingerprint(self, clip: ClipName | None) -> str:
        """The clip's fingerprint, now recorded; ``""`` for a URI that names no clip of a known game."""
        if clip is None:
            return ""
        fingerprint = self.facts.fingerprint(clip.game_id, clip.key)
        self.by_game.setdefault(clip.game_id, {})[clip.key] = fingerprint
        return fingerprint


def counted(lines: Iterator[str], split: str, card: DatasetCard, clips: ReferencedClips) -> Iterator[tuple[str, str]]:
    """Each line with its clip's fingerprint, adding the example to the card on the way."""
    previous_play = None
    for line in lines:
        uri, description = example_parts(line)
        clip = clip_of_uri(uri)
        fingerprint = clips.fingerprint(clip)
        facts = clips.facts.of(clip.game_id, clip.key) if clip else None
        seconds, size = facts if facts else (None, None)
        card.add_example(split, clip.angle if clip else "other", description, seconds, size)
        # A play's clips are adjacent (play id, then angle order): count it once.
        play = (clip.game_id, clip.play_id) if clip else uri
        if play != previous_play:
            card.add_play(split)
            previous_play = play
        yield line, fingerprint
