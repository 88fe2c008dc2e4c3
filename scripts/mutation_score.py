"""The mutation score per module from mutmut's results in mutants/ (after scripts/mutation.sh).

Killed counts mutants a test failed on (a timeout counts as killed: the mutant made the tests hang).
The score is killed / (killed + survived + no tests): a mutant of a function no fast test runs is
not killed either. The equivalent mutants, those listed in EQUIVALENT (no test can tell them
apart from the original; README, "Mutation testing"), are left out; "not run" counts mutants
mutmut has not run yet (a module only partly run).
"""

import json
import sys
from collections import Counter
from pathlib import Path

from mutmut.mutation.diff_apply import get_diff_for_mutant
from mutmut.stats import status_by_exit_code

#: Mutants that behave exactly as the original, each with the text its mutated line contains (each
#: is explained in the README's test section). mutmut numbers a function's mutants afresh when the
#: function changes: a listed name whose mutant no longer makes that change is not excluded, and is
#: reported, so that a renumbering never hides a real survivor.
EQUIVALENT: dict[str, str] = {
    f"basketball_assets.{name}": change
    for name, change in {
        # A codec name is case-insensitive: "UTF-8" is "utf-8".
        "core.dataset.xǁDatasetDigestǁadd__mutmut_7": 'line.encode("UTF-8")',
        "core.dataset.xǁDatasetDigestǁadd__mutmut_11": 'clip_fingerprint.encode("UTF-8")',
        "core.dataset.x_line_digest__mutmut_7": 'line.encode("UTF-8")',
        "core.fingerprint.x_stable_hash__mutmut_16": 'canonical.encode("UTF-8")',
        "core.play_rows.x_row_mark__mutmut_14": 'canonical.encode("UTF-8")',
        # zip(strict=True) over lists that are always built together, so always of one length.
        "core.dataset.xǁGameExamplesǁversion__mutmut_4": "strict=None",
        "core.dataset.xǁGameExamplesǁversion__mutmut_7": "self.fingerprints[split], )",
        "core.dataset.xǁGameExamplesǁversion__mutmut_8": "strict=False",
        "core.changes.x_detect_changes__mutmut_17": "zip(rows, times, strict=None)",
        "core.changes.x_detect_changes__mutmut_20": "zip(rows, times, )",
        "core.changes.x_detect_changes__mutmut_21": "zip(rows, times, strict=False)",
        "core.changes.x_detect_changes__mutmut_50": "zip(rows, times, strict=None)",
        "core.changes.x_detect_changes__mutmut_53": "zip(rows, times, )",
        "core.changes.x_detect_changes__mutmut_54": "zip(rows, times, strict=False)",
        "core.evaluation.x_score_all__mutmut_11": "zip(texts[role], examples, strict=None)",
        "core.evaluation.x_score_all__mutmut_14": "zip(texts[role], examples, )",
        "core.evaluation.x_score_all__mutmut_15": "zip(texts[role], examples, strict=False)",
        "core.evaluation.x_gains_and_losses__mutmut_7": "zip(new, other, strict=None)",
        "core.evaluation.x_gains_and_losses__mutmut_10": "zip(new, other, )",
        "core.evaluation.x_gains_and_losses__mutmut_11": "zip(new, other, strict=False)",
        # json.dumps reads ensure_ascii as a truth value: None is False.
        "core.evaluation.xǁAnswerǁline__mutmut_2": "ensure_ascii=None",
        # Scores are numbers: one side's array as float64 makes the difference float64 either way.
        "core.evaluation.x_paired_bootstrap__mutmut_8": "np.asarray(new, dtype=None)",
        "core.evaluation.x_paired_bootstrap__mutmut_10": "np.asarray(new, )",
        "core.evaluation.x_paired_bootstrap__mutmut_12": "np.asarray(other, dtype=None)",
        "core.evaluation.x_paired_bootstrap__mutmut_14": "np.asarray(other, )",
        # numpy's integers(n) draws from [0, n), as integers(0, n) does (the same stream).
        "core.evaluation.x_paired_bootstrap__mutmut_21": "rng.integers(len(differences), size",
        # "" and None fall through to fromisoformat, which refuses them: None either way.
        "core.play_rows.x_parse_timestamp__mutmut_1": 'value is None and value == ""',
        "core.play_rows.x_parse_timestamp__mutmut_4": 'value == "XXXX"',
        # Python 3.11's fromisoformat (the oldest Python supported) reads " ", "T" and "t" alike.
        "core.play_rows.x_parse_timestamp__mutmut_13": 'replace(" ", "T", )',
        "core.play_rows.x_parse_timestamp__mutmut_15": 'replace("XX XX", "T", 1)',
        "core.play_rows.x_parse_timestamp__mutmut_17": 'replace(" ", "t", 1)',
        "core.play_rows.x_parse_timestamp__mutmut_18": 'replace(" ", "T", 2)',
        # The row only names the play in the error's text, which versioned_values discards.
        "core.play_rows.x_versioned_values__mutmut_15": "require_timestamp(str(value), None)",
        "core.play_rows.x_versioned_values__mutmut_17": "require_timestamp(str(value), )",
        # The text after the last "/" is the same for any maxsplit, and [1] is [-1] of a two-item split
        # (settings_problems refuses a parent model without "/" before any label is made).
        "core.tuning.x_job_labels__mutmut_10": 'rsplit("/", )[-1]',
        "core.tuning.x_job_labels__mutmut_13": 'rsplit("/", 2)[-1]',
        "core.tuning.x_job_labels__mutmut_14": 'rsplit("/", 1)[+1]',
        # str() of a value that already is a str.
        "core.ids.x_id_problem__mutmut_5": "(isinstance(value, str)) and False",
        # A start code searched from begin (at least 3) is never found at 0 or 1.
        "core.h264.x_annexb_nal_units__mutmut_21": "following if following > 0",
        "core.h264.x_annexb_nal_units__mutmut_22": "following if following >= 1",
        "core.h264.x_annexb_nal_units__mutmut_29": "if following > 0 else unit",
        "core.h264.x_annexb_nal_units__mutmut_30": "if following >= 1 else unit",
        # The extra turns read a size from at most 3 bytes past the end, and break on it.
        "core.h264.x_length_prefixed_nal_types__mutmut_3": "position - 4 <= len(sample)",
        # A size with no byte after it ends the loop either way (a NAL unit has a header byte).
        "core.h264.x_length_prefixed_nal_types__mutmut_4": "position + 5 <= len(sample)",
        "core.h264.x_length_prefixed_nal_types__mutmut_5": "position + 4 < len(sample)",
        # same_host compares only the host part of a prefix: the pid written after it does not matter.
        "core.scratch.x_same_host__mutmut_4": "scratch_prefix(host, None)",
        "core.scratch.x_same_host__mutmut_7": "scratch_prefix(host, 1)",
        # Reading one line more before stopping keeps the same lines (only the asked indices are kept).
        "checks.x_training_lines_at__mutmut_23": "if number > last:",
        # int.to_bytes and int.from_bytes are big-endian by default since Python 3.11.
        "core.h264.x_length_prefixed__mutmut_7": "to_bytes(4, )",
        "core.h264.x_length_prefixed_nal_types__mutmut_10": "sample[position : position + 4], )",
        "core.h264.x__parameter_sets__mutmut_7": "record[position : position + 2], )",
        "core.h264.xǁAvcConfigǁto_bytes__mutmut_16": "to_bytes(2, )",
        "core.h264.xǁAvcConfigǁto_bytes__mutmut_27": "to_bytes(2, )",
        # The two low bits of the constraint byte are reserved_zero_2bits: zero in every conforming stream.
        "core.h264.x_profile_fits__mutmut_7": "part.compatibility & 65",
        # The microseconds set are not written: the format has no %f.
        "core.changes.x_poll_since__mutmut_6": "replace(microsecond=1)",
        # ffmpeg exits with 256 - errno (0..255); 256 - 0, 256 - 1 and 256 - 256 are no machine errno listed.
        "core.ffmpeg_errors.x_machine_errno__mutmut_9": "1 < returncode < 256",
        "core.ffmpeg_errors.x_machine_errno__mutmut_10": "0 <= returncode < 256",
        "core.ffmpeg_errors.x_machine_errno__mutmut_11": "0 < returncode <= 256",
        "core.ffmpeg_errors.x_machine_errno__mutmut_12": "0 < returncode < 257",
        # slug strips after lower-casing and replacing all but [a-z0-9] with "_": no "X" is left to strip.
        "core.run_stats.x_slug__mutmut_13": 'strip("XX_XX")',
        # A Distribution's labels and bins are both one longer than its edges.
        "core.dataset_card.xǁDistributionǁrows__mutmut_13": "self.bins, strict=None)",
        "core.dataset_card.xǁDistributionǁrows__mutmut_16": "self.bins, )",
        "core.dataset_card.xǁDistributionǁrows__mutmut_17": "self.bins, strict=False)",
        # Plays without a clip sort after those with one (first item 1 > 0), then by id alone: the middle
        # items are the same for all of them.
        "core.contact_sheet.x_sheet_rows__mutmut_28": "return (2, 0, 0.0, play_id)",
        "core.contact_sheet.x_sheet_rows__mutmut_29": "return (1, 1, 0.0, play_id)",
        "core.contact_sheet.x_sheet_rows__mutmut_30": "return (1, 0, 1.0, play_id)",
        # A missing description as None or "": both falsy, no label line either way.
        "core.contact_sheet.x_sheet_rows__mutmut_86": "descriptions.get(play_id, None)",
        "core.contact_sheet.x_sheet_rows__mutmut_88": "descriptions.get(play_id, )",
        # Two camera angles: the second clip is input 1 whether the count is set to 1 or incremented.
        "core.contact_sheet.x_row_filter__mutmut_41": "inputs = 1",
        # Every model listed has the default figure (131,072 tokens).
        "core.tuning_limits.x_max_example_tokens__mutmut_1": ".get(None, DEFAULT_MAX_EXAMPLE_TOKENS)",
    }.items()
}

KILLED = {"killed", "timeout", "caught by type check"}


def module_counts(meta: Path) -> Counter:
    """Status counts of one mutated file's mutants, the equivalent ones apart."""
    counts: Counter = Counter()
    source = str(meta.relative_to("mutants")).removesuffix(".meta")
    for name, exit_code in json.loads(meta.read_text())["exit_code_by_key"].items():
        status = status_by_exit_code[exit_code]
        counts["equivalent" if status == "survived" and is_equivalent(name, source) else status] += 1
    return counts


def is_equivalent(name: str, source: str) -> bool:
    """Whether a surviving mutant is listed in EQUIVALENT and still makes the change listed."""
    if name not in EQUIVALENT:
        return False
    added = [line for line in get_diff_for_mutant(name, path=source).splitlines() if line.startswith("+ ")]
    if any(EQUIVALENT[name] in line for line in added):
        return True
    print(f"not excluded: {name} no longer changes {EQUIVALENT[name]!r}; update EQUIVALENT", file=sys.stderr)
    return False


def main() -> int:
    metas = sorted(Path("mutants/basketball_assets").rglob("*.py.meta"))
    if not metas:
        print("no mutmut results in mutants/: run scripts/mutation.sh first", file=sys.stderr)
        return 1
    total: Counter = Counter()
    print(f"{'module':45} {'killed':>6} {'survived':>8} {'no tests':>8} {'equiv.':>6} {'not run':>7} {'score':>6}")
    for meta in metas:
        counts = module_counts(meta)
        if not sum(counts.values()):
            continue
        total += counts
        print(row(str(meta.relative_to("mutants")).removesuffix(".meta"), counts))
    print(row("total", total))
    return 0


def row(name: str, counts: Counter) -> str:
    """One line of the table. A mutant no fast test runs counts against the score, as a survivor does."""
    killed = sum(counts[s] for s in KILLED)
    survived, untested, equivalent = counts["survived"], counts["no tests"], counts["equivalent"]
    not_run = sum(counts.values()) - killed - survived - untested - equivalent  # not checked, interrupted, ...
    checked = killed + survived + untested
    score = f"{100 * killed / checked:.0f}%" if checked else "-"
    return f"{name:45} {killed:6} {survived:8} {untested:8} {equivalent:6} {not_run:7} {score:>6}"


if __name__ == "__main__":
    sys.exit(main())
