"""The evaluation's paid calls, and the answers kept so that none is paid for twice.

Cloud Storage cannot append to an object, so "appended as they arrive" is kept this way:

* each answer is stored as its own small object, ``evaluations/answers/{model}/{example}.json``,
  the moment it arrives, before another call is started (one atomic write each). Keyed by
  model and example, not by evaluation: the base model's and the champion's answers are
  reused by every later evaluation of the same examples;
* the evaluation's ``evaluations/{job id}/predictions.jsonl`` (its answers, one line each) is
  rewritten from memory every ``save_every`` answers and at the end, so readers have one file;
* a new attempt reads its ``predictions.jsonl``, then only the answer objects it still lacks.

A crash or a terminated run at any moment loses at most the answers still in flight (received
but not yet written: their calls were paid, but nothing can keep a reply the process never
finished receiving); every stored answer is reused, never asked again.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from typing import Any

from dagster import DagsterLogManager, Failure

from basketball_assets.core.evaluation import (
    Answer,
    EvalExample,
    answer_from_json,
    answer_key,
    answers_folder,
    answers_from_lines,
    predictions_text,
)
from basketball_assets.resources.prediction import RetryPolicy, VertexPrediction
from basketball_assets.resources.storage import Storage

Answers = dict[tuple[str, str], Answer]
#: Every evaluation's folder, and the answers shared by all, in the training bucket.
EVALUATIONS_PREFIX = "evaluations/"
#: Errors named in a failure before the rest are only counted.
SHOWN_ERRORS = 3


def predictions_key(folder: str) -> str:
    return f"{folder}predictions.jsonl"


def stored_answers(storage: Storage, folder: str, wanted: set[tuple[str, str]]) -> Answers:
    """The ``wanted`` (model, example id) answers already kept: from the evaluation's predictions
    file, then from the shared answer objects (one listing per model still lacking some)."""
    text = storage.read_text(predictions_key(folder))
    answers = {pair: a for pair, a in (answers_from_lines(text.splitlines()) if text else {}).items() if pair in wanted}
    for model in sorted({model for model, _ in wanted - answers.keys()}):
        lacking = {example_id for m, example_id in wanted - answers.keys() if m == model}
        for key in storage.list_keys(answers_folder(EVALUATIONS_PREFIX, model)):
            if key.rsplit("/", 1)[-1].removesuffix(".json") not in lacking:
                continue
            try:
                answer = answer_from_json(storage.read_json(key) or {})
            except (json.JSONDecodeError, KeyError, TypeError, ValueError):
                continue  # damaged: asked again
            if answer.model == model and answer.example_id in lacking:
                answers[(model, answer.example_id)] = answer
    return answers


def save_predictions(storage: Storage, folder: str, answers: Answers) -> None:
    storage.put_text(predictions_key(folder), predictions_text(answers.values()))


@dataclass
class CallStats:
    """What this attempt's calls cost; updated from the main thread (retries from workers)."""

    paid_calls: int = 0
    prompt_tokens: int = 0
    output_tokens: int = 0
    retries: int = 0
    errors: list[str] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def retried(self) -> None:
        with self.lock:
            self.retries += 1


@dataclass(frozen=True)
class CallSettings:
    """How the calls are made: how many at once, their retries, how often the JSONL is rewritten."""

    concurrency: int
    policy: RetryPolicy
    save_every: int


def ask_all(
    log: DagsterLogManager,
    prediction: VertexPrediction,
    storage: Storage,
    folder: str,
    todo: Sequence[tuple[str, EvalExample]],
    answers: Answers,
    settings: CallSettings,
) -> CallStats:
    """Ask every (model, example) of ``todo``, at most ``concurrency`` at once; store each answer
    as it arrives. After a call fails for good no new call starts; the calls in flight are
    finished and kept, then :class:`Failure` says how to resume."""
    stats = CallStats()
    asker = _Asker(log, prediction, stats, settings.policy, len(todo))
    pending = iter(todo)
    in_flight: dict[Future[Answer], tuple[str, EvalExample]] = {}
    unsaved = 0
    with ThreadPoolExecutor(max_workers=settings.concurrency, thread_name_prefix="evaluation") as pool:
        try:
            while True:
                while not stats.errors and len(in_flight) < settings.concurrency:
                    item = next(pending, None)
                    if item is None:
                        break
                    in_flight[pool.submit(asker.ask, *item)] = item
                if not in_flight:
                    break
                done, _ = wait(in_flight, return_when=FIRST_COMPLETED)
                unsaved += keep_finished(storage, folder, done, in_flight, answers, stats)
                if unsaved >= settings.save_every:
                    save_predictions(storage, folder, answers)
                    unsaved = 0
        except BaseException:
            # Terminated (or a storage error): keep what is already paid for, then stop.
            keep_finished(storage, folder, list(in_flight), in_flight, answers, stats)
            save_predictions(storage, folder, answers)
            raise
    save_predictions(storage, folder, answers)
    if stats.errors:
        raise calls_failed(storage, folder, stats)
    return stats


def keep_finished(
    storage: Storage,
    folder: str,
    done: Any,
    in_flight: dict[Future[Answer], tuple[str, EvalExample]],
    answers: Answers,
    stats: CallStats,
) -> int:
    """Store the answers of finished calls (waiting for those in ``done``); how many were stored."""
    kept = 0
    for future in done:
        model, example = in_flight.pop(future)
        try:
            answer = future.result()
        except Exception as error:  # one call failed for good: reported once the others are in
            stats.errors.append(f"{model} on {example.clip_uri}: {error}")
            continue
        storage.put_text(answer_key(EVALUATIONS_PREFIX, model, example.example_id), answer.line() + "\n")
        answers[(model, example.example_id)] = answer
        stats.paid_calls += 1
        stats.prompt_tokens += answer.prompt_tokens
        stats.output_tokens += answer.output_tokens
        kept += 1
    return kept


def calls_failed(storage: Storage, folder: str, stats: CallStats) -> Failure:
    shown = "; ".join(stats.errors[:SHOWN_ERRORS])
    more = f" and {len(stats.errors) - SHOWN_ERRORS} more" if len(stats.errors) > SHOWN_ERRORS else ""
    return Failure(
        f"model_evaluation stopped: {len(stats.errors)} calls failed after their retries ({shown}{more}). "
        f"The {stats.paid_calls} answers received in this attempt are kept under "
        f"{storage.uri(EVALUATIONS_PREFIX)}answers/ and in {storage.uri(predictions_key(folder))}: "
        "fix the cause (quota, permissions, the endpoint) and materialize "
        "model_evaluation again; it asks only for the answers it lacks.",
        allow_retries=False,
    )


class _Asker:
    """One call per (model, example), logged with its model; retries counted and logged."""

    def __init__(
        self, log: DagsterLogManager, prediction: VertexPrediction, stats: CallStats, policy: RetryPolicy, total: int
    ) -> None:
        self.log, self.prediction, self.stats, self.policy, self.total = log, prediction, stats, policy, total
        self.started = 0
        self.lock = threading.Lock()

    def ask(self, model: str, example: EvalExample) -> Answer:
        with self.lock:
            self.started += 1
            number = self.started
        self.log.info(f"paid call {number}/{self.total}: {model} on {example.clip_uri}")

        def on_retry(error: BaseException) -> None:
            self.stats.retried()
            self.log.warning(f"{model} on {example.clip_uri}: {type(error).__name__}: {error}; retrying with backoff")

        generated = self.prediction.generate(model, example.clip_uri, example.prompt, self.policy, on_retry)
        return Answer(
            model=model,
            example_id=example.example_id,
            clip_uri=example.clip_uri,
            text=generated.text,
            prompt_tokens=generated.prompt_tokens,
            output_tokens=generated.output_tokens,
        )
