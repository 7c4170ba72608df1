#!/usr/bin/env bash
# Rebuilds the worked evaluation example of docs/evaluation.md:
#   1. the bundled gazetteer's silver labels scored against the internal diagnosis
#      test set (figures only: that report stays in out/, never in the repo);
#   2. the same gazetteer on the bundled sample gold (ship tier), whose report
#      screenshot is checked in as docs/report.png.
# Needs `kmner silver run` and chromium (Debian: apt-get install chromium).
#
#   docs/make_eval_example.sh            # from the repository root or anywhere
#   KMNER="kmner" GAZ=path/to.gaz docs/make_eval_example.sh
set -euo pipefail
cd "$(dirname "$0")/.."

KMNER=${KMNER:-python -m kmner}
GAZ=${GAZ:-data/gazetteer/default.gaz}
SHARED=${SHARED:-../shared/data}
WORK=${WORK:-out/eval_example}          # git-ignored
DIAG_GOLD="$SHARED/gold/diagnosis/test.jsonl"
# The diagnosis set has no Treatment label: map Symptom to Disease (KBMC scheme)
# and drop predicted Treatments rather than count them as false positives.
DIAG_MAP=${DIAG_MAP:-"Symptom=Disease,Treatment="}

mkdir -p "$WORK"

if [[ -f "$DIAG_GOLD" ]]; then
    $KMNER silver run --gazetteer "$GAZ" "$DIAG_GOLD" -o "$WORK/diagnosis_pred.jsonl"
    $KMNER evaluate --gold "$DIAG_GOLD" --pred "$WORK/diagnosis_pred.jsonl" \
        --label-map "$DIAG_MAP" --seed 0 -o "$WORK/diagnosis" \
        --title "Bundled gazetteer on the diagnosis test set"
    echo "diagnosis figures for docs/evaluation.md (numbers only, internal data):"
    python - "$WORK/diagnosis/metrics.json" <<'PY'
import json, sys
m = json.load(open(sys.argv[1]))
h, r = m["headline"], m["recognition_rate"]
print(f"  strict P {h['precision']:.3f} R {h['recall']:.3f} F1 {h['f1']:.3f} "
      f"[{h['f1_ci']['low']:.3f}, {h['f1_ci']['high']:.3f}]")
print(f"  recognition rate {r['value']:.1%} [{r['ci']['low']:.3f}, {r['ci']['high']:.3f}] {r['level']}")
for t, d in m["per_type"].items():
    print(f"  {t}: P {d['precision']:.3f} R {d['recall']:.3f} F1 {d['f1']:.3f} "
          f"[{d['f1_ci']['low']:.3f}, {d['f1_ci']['high']:.3f}] support {d['support']}")
for k, d in m["modes"].items():
    print(f"  {k}: F1 {d['micro']['f1']:.3f}")
PY
else
    echo "skipping the diagnosis run: $DIAG_GOLD not found" >&2
fi

$KMNER silver run --gazetteer "$GAZ" data/sample/gold.jsonl -o "$WORK/sample_pred.jsonl"
$KMNER evaluate --gold data/sample/gold.jsonl --pred "$WORK/sample_pred.jsonl" --seed 0 \
    -o "$WORK/sample" --title "Bundled gazetteer on the bundled sample gold" --screenshot
cp "$WORK/sample/report.png" docs/report.png
echo "wrote docs/report.png ($(wc -c < docs/report.png) bytes)"
