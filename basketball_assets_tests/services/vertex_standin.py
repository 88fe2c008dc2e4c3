"""A local stand-in for the Vertex AI ``tuningJobs`` REST API (v1), for the real client.

It serves what ``aiplatform_v1.GenAiTuningServiceClient`` with the REST transport calls:

* ``POST /v1/projects/P/locations/L/tuningJobs``: checks the body the way Vertex AI would
  reject it (base model, gs:// dataset URIs, hyper-parameters; enums arrive as integers
  and int64s as strings) and answers 400 ``INVALID_ARGUMENT`` otherwise;
* ``GET .../tuningJobs/ID``: the job, moving one step along its scripted states per call, with
  its scripted ``tuningDataStats`` (billable tokens, dropped examples and their reasons);
* ``GET .../tuningJobs?filter=labels.k="v" AND ...``: the jobs carrying those labels;
* ``POST .../tuningJobs/ID:cancel``: the job goes CANCELLING, then CANCELLED;
* on request, 503 UNAVAILABLE answers to ``get``, as from a flaky network;
* on request, the next few list requests wait for each other before any is answered, as
  when runs released together all list the jobs before any creates one;
* ``POST /v1/{model}:generateContent`` for publisher models and endpoints: scripted,
  deterministic answers per model (see :class:`AnswerScript`), 429s and failures on request.

Every request is recorded, so tests assert on what the client really sent.
"""

from __future__ import annotations

import itertools
import json
import re
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler
from typing import Any
from urllib.parse import parse_qs, urlsplit

from basketball_assets_tests.services.http_standin import serving
from basketball_assets_tests.services.vertex_generate import (
    GENERATE_PATH,
    AnswerScript,
    generate_body_problems,
    generate_response,
)

#: JobState enum of google.cloud.aiplatform.v1, as the client sends and expects it.
JOB_STATES = {
    "JOB_STATE_UNSPECIFIED": 0,
    "JOB_STATE_QUEUED": 1,
    "JOB_STATE_PENDING": 2,
    "JOB_STATE_RUNNING": 3,
    "JOB_STATE_SUCCEEDED": 4,
    "JOB_STATE_FAILED": 5,
    "JOB_STATE_CANCELLING": 6,
    "JOB_STATE_CANCELLED": 7,
    "JOB_STATE_PAUSED": 8,
    "JOB_STATE_EXPIRED": 9,
}
#: SupervisedHyperParameters.AdapterSize values other than UNSPECIFIED.
ADAPTER_SIZE_VALUES = {1, 2, 3, 4, 5, 6}

JOBS_PATH = re.compile(r"^/v1/projects/(?P<project>[^/]+)/locations/(?P<location>[^/]+)/tuningJobs$")
JOB_PATH = re.compile(r"^/v1/(?P<name>projects/[^/]+/locations/[^/]+/tuningJobs/[^/:]+)(?P<cancel>:cancel)?$")
LABEL_TERM = re.compile(r'^labels\.(?P<key>[a-z][a-z0-9_-]*)\s*=\s*"(?P<value>[^"]*)"$')


@dataclass
class Script:
    """The states a new job goes through, one per ``get``; the last one stays."""

    states: Sequence[str] = ("JOB_STATE_PENDING", "JOB_STATE_RUNNING", "JOB_STATE_SUCCEEDED")
    error: str = "Tuning failed: the training dataset has examples the model cannot read."
    #: What the job reports once it has read the dataset (from RUNNING on).
    billable_tokens: int = 123_456
    #: Examples the job reports dropped (``totalTruncatedExampleCount``), a sample of their 1-based
    #: lines (``truncatedExampleIndices``) and one reason per line (``droppedExampleReasons``).
    dropped_examples: int = 0
    dropped_indices: Sequence[int] = ()
    dropped_reasons: Sequence[str] = ()


@dataclass
class StandinJob:
    name: str
    body: dict[str, Any]
    script: Script
    created: datetime
    step: int = 0
    gets: int = 0
    cancel_requested: bool = False
    cancelled: bool = False

    @property
    def state(self) -> str:
        if self.cancelled:
            return "JOB_STATE_CANCELLED"
        if self.cancel_requested:
            return "JOB_STATE_CANCELLING"
        return self.script.states[min(self.step, len(self.script.states) - 1)]

    def advance(self) -> None:
        self.gets += 1
        if self.cancel_requested:
            self.cancelled = True
        else:
            self.step += 1

    def data_stats(self) -> dict[str, Any]:
        """``SupervisedTuningDataStats`` as JSON: int64s, repeated ones included, travel as strings."""
        stats: dict[str, Any] = {
            "totalBillableTokenCount": str(self.script.billable_tokens),
            "tuningDatasetExampleCount": "7",
        }
        if self.script.dropped_examples:
            stats["totalTruncatedExampleCount"] = str(self.script.dropped_examples)
        if self.script.dropped_indices:
            stats["truncatedExampleIndices"] = [str(index) for index in self.script.dropped_indices]
        if self.script.dropped_reasons:
            stats["droppedExampleReasons"] = list(self.script.dropped_reasons)
        return stats

    def resource(self, enums_as_int: bool) -> dict[str, Any]:
        state = self.state
        project, location = self.name.split("/")[1], self.name.split("/")[3]
        job_id = self.name.rsplit("/", 1)[-1]
        resource = {**self.body, "name": self.name, "state": JOB_STATES[state] if enums_as_int else state}
        resource["createTime"] = rfc3339(self.created)
        resource["updateTime"] = rfc3339(datetime.now(UTC))
        if state not in ("JOB_STATE_QUEUED", "JOB_STATE_PENDING"):
            resource["startTime"] = rfc3339(self.created)
        if state in ("JOB_STATE_SUCCEEDED", "JOB_STATE_FAILED", "JOB_STATE_CANCELLED", "JOB_STATE_EXPIRED"):
            resource["endTime"] = rfc3339(datetime.now(UTC))
        if state not in ("JOB_STATE_QUEUED", "JOB_STATE_PENDING"):
            # int64 fields travel as JSON strings.
            resource["tuningDataStats"] = {"supervisedTuningDataStats": self.data_stats()}
        if state == "JOB_STATE_SUCCEEDED":
            resource["tunedModel"] = {
                "model": f"projects/{project}/locations/{location}/models/tuned-{job_id}@1",
                "endpoint": f"projects/{project}/locations/{location}/endpoints/endpoint-{job_id}",
            }
        if state in ("JOB_STATE_FAILED", "JOB_STATE_EXPIRED"):
            resource["error"] = {"code": 9, "message": self.script.error}
        if state == "JOB_STATE_CANCELLED":
            resource["error"] = {"code": 1, "message": "CANCELLED: the tuning job was cancelled by a user request."}
        return resource


@dataclass
class RecordedRequest:
    method: str
    path: str
    query: dict[str, list[str]]
    body: Any


@dataclass
class VertexStandin:
    """The stand-in's state: jobs, the script for the next job, and every request seen."""

    endpoint: str = ""
    next_script: Script = field(default_factory=Script)
    #: The next this many job ``get`` calls answer 503 UNAVAILABLE, as a flaky network would.
    unavailable_gets: int = 0
    #: Answer any list filter with 400 INVALID_ARGUMENT, as a server without label filters would.
    reject_filters: bool = False
    jobs: dict[str, StandinJob] = field(default_factory=dict)
    requests: list[RecordedRequest] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)
    #: The next ``held_lists`` list requests wait at this barrier (see :meth:`hold_lists`).
    list_barrier: threading.Barrier | None = None
    held_lists: int = 0
    _ids: Iterator[int] = field(default_factory=lambda: itertools.count(1000))
    #: How generateContent answers (per model), and every answered call.
    answers: AnswerScript = field(default_factory=AnswerScript)

    def most_gets(self) -> int:
        """The most ``get`` calls any job has had (safe while the server runs)."""
        with self.lock:
            return max((job.gets for job in self.jobs.values()), default=0)

    def hold_lists(self, count: int) -> None:
        """Answer none of the next ``count`` list requests until all of them have arrived."""
        with self.lock:
            self.list_barrier, self.held_lists = threading.Barrier(count), count

    def wait_for_the_other_lists(self) -> None:
        with self.lock:
            barrier = self.list_barrier if self.held_lists > 0 else None
            self.held_lists -= 1 if barrier else 0
        if barrier is not None:
            barrier.wait(timeout=60)

    def calls(self, method: str, suffix: str = "") -> list[RecordedRequest]:
        return [r for r in self.requests if r.method == method and r.path.endswith(suffix)]

    @property
    def creates(self) -> list[RecordedRequest]:
        return [r for r in self.requests if r.method == "POST" and JOBS_PATH.match(r.path)]

    @property
    def cancels(self) -> list[RecordedRequest]:
        return self.calls("POST", ":cancel")

    def create(self, project: str, location: str, body: dict[str, Any]) -> StandinJob:
        name = f"projects/{project}/locations/{location}/tuningJobs/{next(self._ids)}"
        job = StandinJob(name=name, body=body, script=self.next_script, created=datetime.now(UTC))
        self.jobs[name] = job
        return job


def rfc3339(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def create_body_problems(body: Any) -> list[str]:
    """What Vertex AI would reject in a create request (the parts this project sends)."""
    if not isinstance(body, dict):
        return ["the body must be a TuningJob JSON object"]
    problems = []
    # base_model and pre_tuned_model are a oneof (source_model): exactly one is given.
    pre_tuned = body.get("preTunedModel")
    if bool(body.get("baseModel")) == bool(isinstance(pre_tuned, dict) and pre_tuned.get("tunedModelName")):
        problems.append("exactly one of baseModel and preTunedModel.tunedModelName is required")
    spec = body.get("supervisedTuningSpec")
    if not isinstance(spec, dict):
        return [*problems, "supervisedTuningSpec is required"]
    if not str(spec.get("trainingDatasetUri", "")).startswith("gs://"):
        problems.append(f"trainingDatasetUri must be a gs:// URI, got {spec.get('trainingDatasetUri')!r}")
    if "validationDatasetUri" in spec and not str(spec["validationDatasetUri"]).startswith("gs://"):
        problems.append(f"validationDatasetUri must be a gs:// URI, got {spec['validationDatasetUri']!r}")
    hyper = spec.get("hyperParameters", {})
    epochs = hyper.get("epochCount")
    # int64 travels as a JSON string in the proto3 JSON mapping.
    if not (isinstance(epochs, str) and epochs.isdigit() and int(epochs) > 0):
        problems.append(f"hyperParameters.epochCount must be a positive int64 (a JSON string), got {epochs!r}")
    multiplier = hyper.get("learningRateMultiplier")
    if not (isinstance(multiplier, (int, float)) and multiplier > 0):
        problems.append(f"hyperParameters.learningRateMultiplier must be a positive number, got {multiplier!r}")
    if hyper.get("adapterSize") not in ADAPTER_SIZE_VALUES:
        problems.append(
            f"hyperParameters.adapterSize must be an AdapterSize enum integer, got {hyper.get('adapterSize')!r}"
        )
    labels = body.get("labels", {})
    if not isinstance(labels, dict) or not all(isinstance(v, str) for v in labels.values()):
        problems.append("labels must map strings to strings")
    return problems


def matches_filter(job: StandinJob, filter_text: str) -> bool:
    """``labels.k="v" AND ...``: the part of the list filter syntax this project uses."""
    if not filter_text.strip():
        return True
    labels = job.body.get("labels", {})
    for term in filter_text.split(" AND "):
        match = LABEL_TERM.match(term.strip())
        if match is None:
            raise ValueError(f"unsupported filter term {term!r}")
        if labels.get(match["key"]) != match["value"]:
            return False
    return True


def make_handler(standin: VertexStandin) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, format: str, *args: Any) -> None:  # quiet test output
            pass

        def _read(self) -> tuple[str, dict[str, list[str]], Any]:
            url = urlsplit(self.path)
            length = int(self.headers.get("Content-Length") or 0)
            raw = self.rfile.read(length) if length else b""
            body = json.loads(raw) if raw else None
            query = parse_qs(url.query)
            with standin.lock:
                standin.requests.append(RecordedRequest(self.command, url.path, query, body))
            return url.path, query, body

        def _send(self, status: int, payload: Any) -> None:
            data = json.dumps(payload).encode("utf-8")
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def _error(self, status: int, grpc_status: str, message: str) -> None:
            self._send(status, {"error": {"code": status, "message": message, "status": grpc_status}})

        def _enums_as_int(self, query: dict[str, list[str]]) -> bool:
            return any("enum-encoding=int" in value for value in query.get("$alt", []))

        def do_POST(self) -> None:
            path, query, body = self._read()
            jobs_match, job_match = JOBS_PATH.match(path), JOB_PATH.match(path)
            generate_match = GENERATE_PATH.match(path)
            with standin.lock:
                if generate_match:
                    return self._generate(generate_match["model"], body)
                if jobs_match:
                    problems = create_body_problems(body)
                    if problems:
                        return self._error(400, "INVALID_ARGUMENT", "; ".join(problems))
                    job = standin.create(jobs_match["project"], jobs_match["location"], body)
                    return self._send(200, job.resource(self._enums_as_int(query)))
                if job_match and job_match["cancel"]:
                    job = standin.jobs.get(job_match["name"])
                    if job is None:
                        return self._error(404, "NOT_FOUND", f"TuningJob {job_match['name']} not found")
                    job.cancel_requested = True
                    return self._send(200, {})
            self._error(404, "NOT_FOUND", f"no such method: POST {path}")

        def _generate(self, model: str, body: Any) -> None:
            script = standin.answers
            problems = generate_body_problems(body)
            if problems:
                return self._error(400, "INVALID_ARGUMENT", "; ".join(problems))
            if script.too_many_requests > 0:
                script.too_many_requests -= 1
                return self._error(429, "RESOURCE_EXHAUSTED", "Quota exceeded for generate_content (stand-in).")
            if script.fail_after is not None and len(script.answered) >= script.fail_after:
                return self._error(400, "FAILED_PRECONDITION", "The evaluation was cut short (stand-in).")
            return self._send(200, generate_response(script, model, body))

        def do_GET(self) -> None:
            path, query, _ = self._read()
            enums_as_int = self._enums_as_int(query)
            jobs_match, job_match = JOBS_PATH.match(path), JOB_PATH.match(path)
            if jobs_match:
                standin.wait_for_the_other_lists()
            with standin.lock:
                if jobs_match:
                    prefix = f"projects/{jobs_match['project']}/locations/{jobs_match['location']}/"
                    if standin.reject_filters and query.get("filter", [""])[0]:
                        return self._error(400, "INVALID_ARGUMENT", "filter is not supported (stand-in)")
                    try:
                        listed = [
                            job.resource(enums_as_int)
                            for job in standin.jobs.values()
                            if job.name.startswith(prefix) and matches_filter(job, query.get("filter", [""])[0])
                        ]
                    except ValueError as error:
                        return self._error(400, "INVALID_ARGUMENT", str(error))
                    return self._send(200, {"tuningJobs": listed})
                if job_match and not job_match["cancel"]:
                    if standin.unavailable_gets > 0:
                        standin.unavailable_gets -= 1
                        return self._error(503, "UNAVAILABLE", "The service is currently unavailable (stand-in).")
                    job = standin.jobs.get(job_match["name"])
                    if job is None:
                        return self._error(404, "NOT_FOUND", f"TuningJob {job_match['name']} not found")
                    resource = job.resource(enums_as_int)
                    job.advance()
                    return self._send(200, resource)
            self._error(404, "NOT_FOUND", f"no such method: GET {path}")

    return Handler


@contextmanager
def running_vertex_standin() -> Iterator[VertexStandin]:
    """The stand-in on a free port of 127.0.0.1, stopped on exit."""
    standin = VertexStandin()
    with serving(make_handler(standin), "vertex-standin") as root:
        standin.endpoint = root
        yield standin
