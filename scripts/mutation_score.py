"""The mutation score per module from mutmut's results in mutants/ (after scripts/mutation.sh).

Killed counts mutants a test failed on (a timeout counts as killed: the mutant made the tests hang).
The score is killed / (checked - equivalent), where the equivalent mutants are those listed in
EQUIVALENT (no test can tell them apart from the original; README, "Mutation testing").
"""

import json
import sys
from collections import Counter
from pathlib import Path

from mutmut.stats import status_by_exit_code

#: Mutants that behave exactly as the original (each is explained in the README's test section).
EQUIVALENT: frozenset[str] = frozenset(
    f"basketball_assets.{name}"
    for name in (
        "core.dataset.xǁGameExamplesǁversion__mutmut_4",
        "core.dataset.xǁGameExamplesǁversion__mutmut_7",
        "core.dataset.xǁGameExamplesǁversion__mutmut_8",
        "core.dataset.xǁDatasetDigestǁadd__mutmut_7",
        "core.dataset.xǁDatasetDigestǁadd__mutmut_11",
        "core.dataset.x_line_digest__mutmut_7",
        "core.fingerprint.x_stable_hash__mutmut_16",
        "core.ids.x_id_problem__mutmut_5",
        "core.h264.x_annexb_nal_units__mutmut_21",
        "core.h264.x_annexb_nal_units__mutmut_22",
        "core.h264.x_annexb_nal_units__mutmut_29",
        "core.h264.x_annexb_nal_units__mutmut_30",
        "core.h264.x_length_prefixed_nal_types__mutmut_3",
    )
)

KILLED = {"killed", "timeout", "caught by type check"}


def module_counts(meta: Path) -> Counter:
    """Status counts of one mutated file's mutants, the equivalent ones apart."""
    counts: Counter = Counter()
    for name, exit_code in json.loads(meta.read_text())["exit_code_by_key"].items():
        status = status_by_exit_code[exit_code]
        counts["equivalent" if name in EQUIVALENT and status == "survived" else status] += 1
    return counts


def main() -> int:
    metas = sorted(Path("mutants/basketball_assets").rglob("*.py.meta"))
    if not metas:
        print("no mutmut results in mutants/: run scripts/mutation.sh first", file=sys.stderr)
        return 1
    total: Counter = Counter()
    print(f"{'module':45} {'killed':>7} {'survived':>8} {'equiv.':>6} {'other':>6} {'score':>6}")
    for meta in metas:
        counts = module_counts(meta)
        if not sum(counts.values()):
            continue
        total += counts
        print(row(str(meta.relative_to("mutants")).removesuffix(".meta"), counts))
    print(row("total", total))
    return 0


def row(name: str, counts: Counter) -> str:
    killed = sum(counts[s] for s in KILLED)
    survived, equivalent = counts["survived"], counts["equivalent"]
    other = sum(counts.values()) - killed - survived - equivalent  # not checked, no tests, suspicious
    score = f"{100 * killed / (killed + survived):.0f}%" if killed + survived else "-"
    return f"{name:45} {killed:7} {survived:8} {equivalent:6} {other:6} {score:>6}"


if __name__ == "__main__":
    sys.exit(main())
