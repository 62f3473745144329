#!/usr/bin/env bash
# Repair a folder tree of articles with `unspin batch`, then look at the report.
#
#   bash examples/batch_folder.sh            # uses a scratch folder it creates
#   bash examples/batch_folder.sh SRC DEST   # your own folders (SRC is never modified)
#
# What it shows: the tree under SRC is mirrored under DEST (every *.txt file, repaired or
# copied unchanged), a per-file report is written (JSON Lines here; name it .csv for CSV), a
# re-run with --resume skips what is already done, and a file that is not UTF-8 text is
# reported and skipped without stopping the run (exit status 3 at the end).
set -euo pipefail

if [[ $# -ge 2 ]]; then
    src=$1 dest=$2
    [[ ${#src} -gt 1 ]] && src=${src%/}    # "out/" (as tab completion writes it) -> "out", so the
    [[ ${#dest} -gt 1 ]] && dest=${dest%/} # report lands beside DEST ("out.report.jsonl"), not in it
else
    work=$(mktemp -d)
    trap 'rm -rf "$work"' EXIT
    src=$work/articles dest=$work/repaired
    mkdir -p "$src/2024/05" "$src/2024/06"
    # Sample copy written for this example (spinner-style wording on purpose; one sentence alone
    # would be too little evidence that a text was spun, so the first file is a paragraph).
    printf '%s %s %s\n' \
        'Officials stated on Monday that the plan would go ahead for the reason that council had' \
        'accepted it, the Related Press reported. Residents had been consulted over the previous 12' \
        'months, and the mayor mentioned the work would begin subsequent week within the town centre.' \
        >"$src/2024/05/plan.txt"
    printf 'The council met on Tuesday and approved the budget.\r\n' >"$src/2024/05/council.txt"
    printf 'The White Home stated it had no comment.\n\nThe Supreme Courtroom declined.\n' \
        >"$src/2024/06/court.txt"
    printf 'caf\xe9 au lait\n' >"$src/2024/06/latin1.txt"   # not UTF-8: reported, skipped
fi

report=$dest.report.jsonl
status=0
unspin batch "$src" "$dest" --report "$report" || status=$?
echo "exit status: $status   (0 ok, 3 some files failed, see 'unspin --help')"

echo "--- report ($report)"
cat "$report"

echo "--- second run with --resume: finished files are skipped"
unspin batch "$src" "$dest" --resume --quiet || true

echo "--- what changed in the first repaired file"
first=$(grep -m1 '"status": "repaired"' "$report" | sed 's/.*"path": "\([^"]*\)".*/\1/' || true)
if [[ -n $first ]]; then
    diff -u "$src/$first" "$dest/$first" || true
else
    echo "(no file needed repairs)"
fi
