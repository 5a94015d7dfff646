#!/usr/bin/env bash
# One sitting on the idle calibration host: fit (faultline calibrate --rounds N),
# held-out validation with that very fit (calibrate --validate --drift-retry),
# then ship it: the rounds become test/fixtures/calibrate (round-K), from which
# `npm run profiles` writes profiles/calib-host.yaml; the validation's
# documents, the fit's profile (P.yaml), the fit table and the report go to
# recordings/validate/validateN. docs/calibration.md, "Shipping a fit: one
# sitting".
#
#   sudo npm run calibrate:ship [-- --rounds 5 --runs 3 --drift-retry 2]
#   sudo npm run calibrate:ship -- --allow-loaded    # test the plumbing: writes only under /tmp, ships nothing
#
# Refuses a loaded host (1-minute load average above the CPU count, as
# `faultline real`) unless --allow-loaded; a loaded sitting is never shipped.
set -euo pipefail
cd "$(dirname "$0")/.."

ROUNDS=5 RUNS=3 RETRY=2 LOADED=0
while [ $# -gt 0 ]; do
  case "$1" in
    --rounds) ROUNDS=$2; shift 2 ;;
    --runs) RUNS=$2; shift 2 ;;
    --drift-retry) RETRY=$2; shift 2 ;;
    --allow-loaded) LOADED=1; shift ;;
    *) echo "calib-ship: unknown argument $1 (--rounds N, --runs N, --drift-retry N, --allow-loaded)" >&2; exit 64 ;;
  esac
done
say() { echo "calib-ship: $*" >&2; }
[ "$(id -u)" = 0 ] || { say "needs root (faultline calibrate and faultline real do): sudo npm run calibrate:ship"; exit 77; }

npm run build --silent
NCPU=$(nproc)
LOAD=$(cut -d' ' -f1-3 /proc/loadavg)
if awk -v l="${LOAD%% *}" -v n="$NCPU" 'BEGIN { exit !(l > n) }'; then
  if [ "$LOADED" = 0 ]; then say "load average $LOAD above the $NCPU CPU(s): not an idle host, nothing run (--allow-loaded tests the plumbing under /tmp)"; exit 75; fi
fi

# The next recording's number: one more than the highest recordings/validate/validateN.
N=$(( $(ls -d recordings/validate/validate* 2>/dev/null | sed 's/.*validate//' | sort -n | tail -1) + 1 ))
WORK=$(mktemp -d /tmp/faultline-ship.XXXXXX)
if [ "$LOADED" = 1 ]; then OUT=$WORK/validate$N; else OUT=recordings/validate/validate$N; fi
[ -e "$OUT" ] && { say "$OUT exists"; exit 73; }
mkdir -p "$OUT"
START=$(date -u +%H:%M)
FAULTLINE=(node bin/faultline.js)
EXTRA=()
[ "$LOADED" = 1 ] && EXTRA=(--allow-loaded)

say "$(date -u +%T) load $LOAD: fit, $ROUNDS rounds -> $WORK/fit, $OUT/P.yaml"
"${FAULTLINE[@]}" calibrate --rounds "$ROUNDS" --name calib-host --record "$WORK/fit" --out "$OUT/P.yaml" > "$OUT/fit.txt"
FIT_LOAD=$(cut -d' ' -f1-3 /proc/loadavg)
say "$(date -u +%T) load $FIT_LOAD: validation with that fit ($RUNS real runs per scenario, --drift-retry $RETRY) -> $OUT"
"${FAULTLINE[@]}" calibrate --validate --costs "$OUT/P.yaml" --runs "$RUNS" --drift-retry "$RETRY" --record "$OUT" "${EXTRA[@]}" > "$OUT/report.txt"
END=$(date -u +%H:%M)

if [ "$LOADED" = 1 ]; then
  say "loaded host (--allow-loaded): nothing shipped; the sitting is in $WORK"
else
  # Ship: the rounds become the fixtures calib-host is fitted from.
  find test/fixtures/calibrate -mindepth 1 -maxdepth 1 \( -name '*.txt' -o -name 'round-*' -o -name host.json \) -exec rm -rf {} +
  cp -r "$WORK/fit/." test/fixtures/calibrate/
  # --record keeps each bench's samples as counts per value (but anon-write and mprotect-split, whose
  # fit reads the order): about 0.6 MB a round instead of 2 MB. --compact is a no-op on such a
  # recording; it checks that the fit reads the same from it and prints the size.
  "${FAULTLINE[@]}" calibrate --compact test/fixtures/calibrate >&2
  node dist/src/calibrate/write-profiles.js >&2
  # calib-host must be the fit the validation used (same costs; only the name and description differ).
  node --input-type=module -e "
    import { loadProfile } from './dist/src/calibrate/profile.js';
    const a = loadProfile('calib-host'), b = loadProfile('$OUT/P.yaml');
    const diff = Object.keys(a.costs).filter((k) => a.costs[k].value !== b.costs[k].value);
    if (diff.length > 0) { console.error('calib-ship: calib-host differs from the validated fit on ' + diff.join(', ')); process.exit(1); }
  "
  printf '| validate%s | %s–%s | `npm run calibrate:ship` (one sitting: `calibrate --rounds %s` then `calibrate --validate --costs P.yaml --drift-retry %s`); load %s before the fit, %s before the validation; shipped as calib-host (test/fixtures/calibrate). `fit.txt` the fit table, `report.txt` the report. Re-run the model side with `--model-from recordings/validate/validate%s --costs recordings/validate/validate%s/P.yaml` |\n' \
    "$N" "$START" "$END" "$ROUNDS" "$RETRY" "$LOAD" "$FIT_LOAD" "$N" "$N" > "$WORK/row.md"
  # the row goes after the table's last row (the README has prose after the table)
  LAST=$(grep -n '^| validate' recordings/validate/README.md | tail -1 | cut -d: -f1)
  sed -i "${LAST}r $WORK/row.md" recordings/validate/README.md
  rm -rf "$WORK"
fi

echo "== fit ($ROUNDS rounds; load $LOAD before, $FIT_LOAD after) =="
sed -n '/rounds: each cost/,/^$/p' "$OUT/fit.txt"
echo "== held-out validation ($OUT/report.txt) =="
sed -n '1,3p' "$OUT/report.txt"
if [ "$LOADED" = 0 ]; then
  echo "== to commit =="
  echo "test/fixtures/calibrate profiles/calib-host.yaml $OUT recordings/validate/README.md"
  echo "then: npm run readme; the per-scenario tables of docs/calibration.md from $OUT/report.txt; tests that quote calib-host figures"
fi
