#!/usr/bin/env bash
# Mutation testing of the pure logic (basketball_assets/core/ and checks.py) with mutmut 3.x:
# a tool of the project, not of CI (scripts/test.sh never runs it). Configuration: setup.cfg [mutmut].
# Each mutant (a small change to one function) is run against the fast tests that cover it
# (test_core, test_checks.py); a mutant no test fails "survived". Results stay in mutants/.
#   bash scripts/mutation.sh                               # everything (hours on 2 cores)
#   bash scripts/mutation.sh 'basketball_assets.core.split*'   # one module's mutants
# Then: .venv/bin/mutmut results (survivors), .venv/bin/mutmut show NAME (its diff).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
# Installed here, not by setup.py: CI never needs it.
.venv/bin/python -c "import mutmut" 2>/dev/null || .venv/bin/python -m pip install --quiet 'mutmut>=3.8,<4'
# Niced to the lowest priority: it keeps both cores busy for a long time.
nice -n 19 .venv/bin/mutmut run --max-children "${MUTATION_JOBS:-2}" "$@"
.venv/bin/python scripts/mutation_score.py
