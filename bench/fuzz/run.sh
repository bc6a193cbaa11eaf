#!/usr/bin/env bash
# Coverage-guided fuzzing of MailLab's parsers with afl++ and SharpFuzz (see bench/README.md, "Fuzzing").
#
#   bench/fuzz/run.sh [TARGET|all] [SECONDS]     default: all, 300 s per target
#   bench/fuzz/run.sh list                       the target names
#
# Builds bench/fuzz/MailLab.Fuzz into bench/fuzz/out/bin, instruments the MailLab assemblies there (not
# the BCL, not MimeKit/YamlDotNet, not the normal build output), runs afl-fuzz per target for SECONDS,
# minimises afl's queue with afl-cmin into bench/fuzz/corpus/TARGET (the seeds are kept), copies
# crashes and hangs to bench/fuzz/findings/TARGET/, and prints a table (also written to
# bench/results/fuzz-<UTC timestamp>.md).
#
# Settings (environment):
#   FUZZ_NO_BUILD=1    reuse bench/fuzz/out/bin as it is
#   FUZZ_NO_SAVE=1     do not write afl's finds back into bench/fuzz/corpus
#   FUZZ_TIMEOUT_MS    afl's per-input time limit (default 2000)
# Needs: the .NET SDK, afl++ (Debian: apt-get install -y afl++), and the SharpFuzz.CommandLine tool
# (installed on first use into bench/fuzz/.tools with `dotnet tool install`).
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
out="$here/out"
bin="$out/bin"
corpus="$here/corpus"
findings="$here/findings"
tools="$here/.tools"
target=${1:-all}
seconds=${2:-300}
timeout_ms=${FUZZ_TIMEOUT_MS:-2000}

if [[ "$target" == "-h" || "$target" == "--help" ]]; then
    sed -n '2,18p' "$0" | sed 's/^# \{0,1\}//'
    exit 0
fi
if ! [[ "$seconds" =~ ^[0-9]+$ ]] || (( seconds < 10 )); then
    echo "SECONDS must be a whole number of at least 10 (got '$seconds')" >&2
    exit 2
fi
if ! command -v afl-fuzz >/dev/null; then
    echo "afl-fuzz not found: apt-get install -y afl++" >&2
    exit 2
fi

# SharpFuzz.CommandLine targets .NET 8/9; roll forward so it runs on the .NET 10 runtime alone.
export DOTNET_ROLL_FORWARD=Major
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1

if [[ "${FUZZ_NO_BUILD:-}" != "1" || ! -f "$bin/MailLab.Fuzz.dll" ]]; then
    if [[ ! -x "$tools/sharpfuzz" ]]; then
        dotnet tool install SharpFuzz.CommandLine --version 2.3.0 --tool-path "$tools" >/dev/null
    fi
    rm -rf "$bin"
    echo "building bench/fuzz/MailLab.Fuzz (Release) into $bin" >&2
    dotnet build "$here/MailLab.Fuzz/MailLab.Fuzz.csproj" -c Release -o "$bin" -nologo -v quiet >&2
    # Only our own assemblies: coverage of the BCL or MimeKit would drown ours in a 64 KiB map.
    for dll in MailLab.Protocols MailLab.MailAuth MailLab.Server; do
        "$tools/sharpfuzz" "$bin/$dll.dll" >&2
    done
fi

mapfile -t all < <(dotnet "$bin/MailLab.Fuzz.dll" list)
if [[ "$target" == "list" ]]; then
    printf '%s\n' "${all[@]}"
    exit 0
fi
if [[ "$target" == "all" ]]; then
    targets=("${all[@]}")
else
    if ! printf '%s\n' "${all[@]}" | grep -qx -- "$target"; then
        echo "unknown target '$target'; one of: ${all[*]}" >&2
        exit 2
    fi
    targets=("$target")
fi

export AFL_SKIP_BIN_CHECK=1            # the program is `dotnet`; the instrumentation is in the assemblies
export AFL_NO_UI=1 AFL_QUIET=1
export AFL_SKIP_CPUFREQ=1 AFL_NO_AFFINITY=1 AFL_I_DONT_CARE_ABOUT_MISSING_CRASHES=1
export AFL_FORKSRV_INIT_TMOUT=60000    # the .NET runtime starts slowly on a busy machine
export AFL_NO_WARN_INSTABILITY=1

field() { awk -F' *: *' -v k="$1" '$1 == k { print $2 }' "$2"; }
dotnet=$(readlink -f "$(command -v dotnet)")   # afl-cmin wants the real executable's path

stamp=$(date -u +%Y%m%dT%H%M%SZ)
mkdir -p "$repo/bench/results" "$findings"
report="$repo/bench/results/fuzz-$stamp.md"
{
    echo "# Fuzzing run $stamp"
    echo
    echo "Commit $(git -C "$repo" rev-parse --short HEAD 2>/dev/null || echo unknown), $(nproc) cores, afl++ $(afl-fuzz -h 2>&1 | head -1 | grep -o '++[0-9][0-9a-z.]*' | tr -d + || true), SharpFuzz 2.3.0, $seconds s per target."
    echo
    echo "| target | run time (s) | execs | execs/s | corpus (afl) | saved corpus | crashes | hangs |"
    echo "|---|---:|---:|---:|---:|---:|---:|---:|"
} > "$report"

status=0
for t in "${targets[@]}"; do
    work="$out/afl/$t"
    rm -rf "$work"
    mkdir -p "$work"
    echo "== $t: fuzzing for $seconds s" >&2
    set +e
    dict=()
    if [[ -f "$here/dict/$t.dict" ]]; then
        dict=(-x "$here/dict/$t.dict")   # tokens of the target's grammar
    fi
    afl-fuzz -i "$corpus/$t" -o "$work" -V "$seconds" -t "$timeout_ms" -m none "${dict[@]}" \
        -- dotnet "$bin/MailLab.Fuzz.dll" "$t" > "$work/afl.log" 2>&1
    rc=$?
    set -e
    stats="$work/default/fuzzer_stats"
    if [[ ! -f "$stats" ]]; then
        echo "afl-fuzz did not start for $t (exit $rc); last lines of $work/afl.log:" >&2
        tail -20 "$work/afl.log" >&2
        echo "| $t | - | - | - | - | - | afl did not start | |" >> "$report"
        status=1
        continue
    fi
    run_time=$(field run_time "$stats")
    execs=$(field execs_done "$stats")
    eps=$(field execs_per_sec "$stats")
    paths=$(field corpus_count "$stats")
    crashes=$(field saved_crashes "$stats")
    hangs=$(field saved_hangs "$stats")

    # Keep the inputs that found something, outside the repo, for triage and regression tests.
    mkdir -p "$findings/$t"
    for kind in crashes hangs; do
        if compgen -G "$work/default/$kind/id:*" >/dev/null; then
            mkdir -p "$findings/$t/$kind"
            cp "$work/default/$kind"/id:* "$findings/$t/$kind/"
        fi
    done

    saved=$(find "$corpus/$t" -type f | wc -l)
    if [[ "${FUZZ_NO_SAVE:-}" != "1" ]]; then
        # afl-cmin keeps the smallest set of inputs with the same coverage (afl's queue started from the
        # whole saved corpus, so nothing earlier runs found is lost). Hand-made seeds keep their names;
        # afl's finds are named after their content and replaced as a set; none over 64 KiB is kept.
        min="$work/min"
        if afl-cmin -i "$work/default/queue" -o "$min" -t "$timeout_ms" -m none \
            -- "$dotnet" "$bin/MailLab.Fuzz.dll" "$t" > "$work/cmin.log" 2>&1 && compgen -G "$min/*" >/dev/null; then
            rm -f "$corpus/$t"/afl-*
            for f in "$min"/*; do
                name=$(basename "$f")
                if [[ "$name" == *orig:* && "$name" != *orig:afl-* ]] || (( $(stat -c %s "$f") > 65536 )); then
                    continue
                fi
                cp "$f" "$corpus/$t/afl-$(sha1sum "$f" | cut -c1-16)"
            done
        else
            echo "afl-cmin failed for $t (see $work/cmin.log); corpus left as it was" >&2
        fi
        saved=$(find "$corpus/$t" -type f | wc -l)
    fi
    printf '| %s | %s | %s | %s | %s | %s | %s | %s |\n' \
        "$t" "$run_time" "$execs" "$eps" "$paths" "$saved" "$crashes" "$hangs" >> "$report"
    if (( crashes > 0 || hangs > 0 )); then
        status=1
    fi
done

# Triage: replay this run's crashes through an uninstrumented build and list each distinct failure
# (exception type and innermost MailLab frame) once. Hangs are not replayed here (they would hang).
triage=""
for t in "${targets[@]}"; do
    if compgen -G "$out/afl/$t/default/crashes/id:*" >/dev/null; then
        triage+=" $t"
    fi
done
if [[ -n "$triage" ]]; then
    dotnet build "$here/MailLab.Fuzz/MailLab.Fuzz.csproj" -c Release -nologo -v quiet >&2
    {
        echo
        echo "Distinct crashes (replayed without instrumentation):"
        echo
        for t in $triage; do
            dotnet "$here/MailLab.Fuzz/bin/Release/net10.0/MailLab.Fuzz.dll" "$t" "$out/afl/$t/default/crashes" 2>/dev/null \
                | grep '^== ' | sed "s/^== /- $t: /" || true # the replay exits 1 when inputs fail, as they do here
        done
    } >> "$report"
fi
{
    echo
    echo "Crashes and hangs (if any) are in bench/fuzz/findings/TARGET/; replay them with"
    echo "\`dotnet bench/fuzz/MailLab.Fuzz/bin/Release/net10.0/MailLab.Fuzz.dll TARGET FILE|DIR\` (uninstrumented build)."
} >> "$report"
cat "$report"
echo "report: $report" >&2
exit $status
