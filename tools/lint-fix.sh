#!/usr/bin/env bash
# Apply ruff's safe fixes (import order, modern syntax, unused noqa, ...) and its formatter to the
# same paths `make lint` checks, so that `make lint` passes afterwards. Review the diff before
# committing: the fixes are mechanical, but they touch many files (run it on a quiet branch).
set -euo pipefail
cd "$(dirname "$0")/.."
RUFF="${RUFF:-.venv/bin/ruff}"
PATHS=(app tests bench migrations config.py wsgi.py)
"$RUFF" check --fix --exit-zero --silent "${PATHS[@]}"   # what it cannot fix is listed below
"$RUFF" format "${PATHS[@]}"
"$RUFF" check "${PATHS[@]}"
