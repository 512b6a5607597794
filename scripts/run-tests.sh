#!/usr/bin/env bash
# `make test`'s test run (after deps, the venv and the example kernels are in place).
#
#   1. ruff;
#   2. every test on the default tier (native: LLVM-compiled blocks), while Linux
#      (`make linux`, scripts/build-linux.sh) builds beside it at a lower priority, on the
#      core the tests mostly leave idle;
#   3. tests/linux: Linux boots on rvirt (default tier);
#   4. every test again on Python blocks (-accel tcg) and on the reference interpreter
#      alone (-accel interp), the two passes side by side, each with its own build
#      directory; tests/exec runs the three tiers side by side already, and tests/linux
#      runs once.
#
# Every stage runs even when an earlier one failed, and the exit status is non-zero if
# any did.  pytest's exit 5 means it collected no test at all.
set -uo pipefail

PY=${PY:-.venv/bin/python}
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

echo "make test: again with Python blocks (-accel tcg) and the reference interpreter" \
     "only (-accel interp), side by side"
pids=()
for accel in tcg interp; do
  RVIRT_ACCEL=$accel RVIRT_TEST_BUILD=tests/_build/$accel \
    "$PY" -m pytest -q -p no:cacheprovider --ignore=tests/exec --ignore=tests/linux \
    > "$LOGS/pytest-$accel.log" 2>&1 &
  pids+=($!)
done
for i in 0 1; do
  accel=$([ $i -eq 0 ] && echo tcg || echo interp)
  wait "${pids[$i]}"; rc=$?
  echo "make test: -accel $accel:"
  cat "$LOGS/pytest-$accel.log"
  [ $rc -eq 0 ] || [ $rc -eq 5 ] || failed+=("-accel $accel")
done

if [ ${#failed[@]} -ne 0 ]; then
  echo "make test: FAILED: ${failed[*]}"
  exit 1
fi
echo "make test: all passed"
