#!/usr/bin/env bash
# Run the atheris fuzz targets for a bounded time each (default 60 s): tests/fuzz/run.sh [SECONDS]
# Needs: pip install atheris. Seeds come from tests/cases/*.json and the bundled table.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(cd "$here/../.." && pwd)"
secs="${1:-60}"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/engine" "$work/table"

python - "$repo" "$work" <<'PY'
import json, pathlib, sys
repo, work = map(pathlib.Path, sys.argv[1:])
n = 0
for f in sorted((repo / "tests" / "cases").glob("*.json")):
    for case in json.loads(f.read_text(encoding="utf-8")):
        n += 1
        (work / "engine" / f"seed{n}").write_bytes(b"\x00" + case["input"].encode("utf-8"))
lines = (repo / "data" / "synonym_map.tsv").read_text(encoding="utf-8").splitlines()
rows = [l for l in lines if l and not l.startswith("#")][1:]
for i in range(0, min(len(rows), 400), 20):
    (work / "table" / f"seed{i}").write_bytes(b"\x01" + "\n".join(rows[i:i + 20]).encode("utf-8"))
with open(work / "dict", "w", encoding="utf-8") as d:
    for r in rows[:2000]:
        spun = r.split("\t")[1]
        d.write(json.dumps(spun) + "\n")
PY

for target in engine table; do
    echo "== fuzz_$target for ${secs}s"
    python "$here/fuzz_$target.py" "$work/$target" -max_total_time="$secs" -dict="$work/dict" \
        -max_len=4096 -artifact_prefix="$work/crash-$target-" -print_final_stats=1 2>&1 \
        | grep -E "stat::number_of_executed_units|stat::peak_rss|ERROR|Traceback|AssertionError|crash-" || true
    if ls "$work"/crash-"$target"-* >/dev/null 2>&1; then
        mkdir -p "$here/crashes" && cp "$work"/crash-"$target"-* "$here/crashes/"
        echo "fuzz_$target found a crash: see tests/fuzz/crashes/" >&2
        exit 1
    fi
done
