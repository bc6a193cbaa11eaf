#!/usr/bin/env bash
# Compares the trace of every in-memory test transcript between two test runs, to show that a
# refactoring did not change behaviour. Each run: MAILLAB_TRACE_DUMP=DIR dotnet test ... (see
# tests/MailLab.Tests/Support/TraceDump.cs); then: tests/trace-diff.sh BEFORE_DIR AFTER_DIR.
# Blocks (one per session) are sorted, since tests run in parallel and in no fixed order.
set -euo pipefail
[[ $# -eq 2 ]] || { echo "usage: $0 BEFORE_DIR AFTER_DIR" >&2; exit 2; }
sorted() {
  python3 - "$1/transcripts.txt" <<'PY'
import re, sys
text = open(sys.argv[1], encoding="utf-8").read()
# Values that differ between any two runs (random ids the tests generate, the POP3 APOP stamp).
text = re.sub(r"<[0-9a-f]{32}@", "<MSGID@", text)
text = re.sub(r"<\d+\.\d+\.UNIX@", "<APOP@", text)
# An exception's stack frames (InternalError's Error field) move with any refactoring: keep its first line.
text = re.sub(r'("Error":"(?:[^"\\]|\\[^n])*)\\n(?:[^"\\]|\\.)*"', r'\1"', text)
blocks = [b for b in text.split("=== session\n") if b]
sys.stdout.write("".join("=== session\n" + b for b in sorted(blocks)))
print(f"{len(blocks)} sessions, {sum(b.count(chr(10)) for b in blocks)} events", file=sys.stderr)
PY
}
sorted "$1" >"$1/sorted.txt"
sorted "$2" >"$2/sorted.txt"
if diff -u "$1/sorted.txt" "$2/sorted.txt" >"$2/trace.diff"; then
  echo "trace-diff: identical"
else
  echo "trace-diff: $(grep -c '^[-+][^-+]' "$2/trace.diff") lines differ; see $2/trace.diff" >&2
  exit 1
fi
