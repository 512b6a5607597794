#!/usr/bin/env bash
# `make test`'s test run (after deps, the venv and the example kernels are in place).
#
#   1. ruff;
#   2. every test on the default tier (native: LLVM-compiled blocks), while Linux
#      (`make linux`, scripts/build-linux.sh) builds beside it at a lower priority, on the
#      core the tests mostly leave idle;
#   3. tests/linux: Linux boots on rvirt (default tier);
#   4. the tests that run guest code through the tiers (TIER_TESTS) again on Python
#      blocks (-accel tcg) and on the reference interpreter alone (-accel interp);
#      tests/exec runs the three tiers side by side already, and tests/linux runs once.
#
# Every stage runs even when an earlier one failed, and the exit status is non-zero if
# any did.  pytest's exit 5 means it collected no test at all.
set -uo pipefail

PY=${PY:-.venv/bin/python}
TIER_TESTS="tests/cpu tests/board tests/devices tests/examples tests/api tests/debug/history
            tests/diag"
LOGS=build/test-logs
mkdir -p "$LOGS"
failed=()

"$PY" -m ruff check . || failed+=("ruff")

nice -n 10 bash scripts/build-linux.sh > "$LOGS/linux-build.log" 2>&1 &
linux_build=$!

RVIRT_ACCEL=native "$PY" -m pytest --ignore=tests/linux
rc=$?; [ $rc -eq 0 ] || [ $rc -eq 5 ] || failed+=("the default tier")

if wait "$linux_build"; then
  echo "make test: Linux built ($(tail -n 1 "$LOGS/linux-build.log"))"
  RVIRT_ACCEL=native "$PY" -m pytest -q tests/linux || failed+=("tests/linux")
else
  echo "make test: building Linux FAILED; the end of $LOGS/linux-build.log:"
  tail -n 40 "$LOGS/linux-build.log"
  failed+=("make linux")
fi

# The tiers' own passes run what executes guest code through the tiers (the CPU, the
# board and its devices, the firmware, the example kernels, the Python API, reverse
# execution, the diagnostics that watch blocks run); tests/exec already runs all three
# tiers side by side and the three-tier fuzzer.  The debuggers' front ends, the command
# line and the static tables (isa, fdt, arch) do not depend on the tier.
for accel in tcg interp; do
  echo "make test: again with -accel $accel"
  RVIRT_ACCEL=$accel "$PY" -m pytest -q -p no:cacheprovider $TIER_TESTS
  rc=$?; [ $rc -eq 0 ] || [ $rc -eq 5 ] || failed+=("-accel $accel")
done

if [ ${#failed[@]} -ne 0 ]; then
  echo "make test: FAILED: ${failed[*]}"
  exit 1
fi
echo "make test: all passed"
