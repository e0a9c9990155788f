#!/usr/bin/env bash
# Regenerates perf-results/ from a fresh clone: builds the benchmarks jar and the C floor,
# runs the JMH suite and the floor, writes README.md, summary.json, jmh.json and PNG charts.
#
#   benchmarks/run-perf.sh            the full run (about 8 minutes on a 2-core machine; JDK 17 or 25)
#   benchmarks/run-perf.sh --quick    one short iteration per benchmark, into target/perf-quick
#   benchmarks/run-perf.sh --out DIR  write the results into DIR
#
# Where the results go by default: perf-results/ on JDK 17, perf-results/jdk<N>/ on any other
# JDK N, so a JDK 25 run (JAVA_HOME=/usr/lib/jvm/temurin-25-jdk-amd64 benchmarks/run-perf.sh)
# lands in perf-results/jdk25/ beside the JDK 17 figures. The JDK is JAVA_HOME's, else the
# java on PATH; Maven builds with the same JDK.
#
# Needs: a JDK 17+ (JAVA_HOME or java on PATH), Maven, gcc, /dev/kvm for the end-to-end figure.
set -euo pipefail
start=$(date +%s)
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"

java_bin="${JAVA_HOME:+$JAVA_HOME/bin/}java"
feature=$("$java_bin" -XshowSettings:properties -version 2>&1 | sed -n 's/^ *java.specification.version = //p')
if [[ "$feature" == "17" ]]; then
  out=perf-results
else
  out=perf-results/jdk$feature
fi
extra=()
command_text="benchmarks/run-perf.sh"
[[ -n "${JAVA_HOME:-}" ]] && command_text="JAVA_HOME=$JAVA_HOME $command_text"
while [[ $# -gt 0 ]]; do
  case "$1" in
    --quick) out=benchmarks/target/perf-quick; extra+=(--quick); command_text+=" --quick"; shift ;;
    --out)
      [[ $# -ge 2 ]] || { echo "run-perf.sh: --out needs a directory" >&2; exit 2; }
      out="$2"; command_text+=" --out $2"; shift 2 ;;
    *) extra+=("$1"); shift ;;
  esac
done

echo "# Java $feature ($java_bin); results into $out"
echo "# building benchmarks (mvn package -pl benchmarks -am)"
mvn -q -DskipTests package -pl benchmarks -am

echo "# building the C floor (gcc -O2)"
mkdir -p benchmarks/native/build
gcc -O2 -Wall -Wextra -pthread -o benchmarks/native/build/floor benchmarks/native/floor.c

guest_args=()
guest=benchmarks/native/build/guest.img
if "$java_bin" --add-exports java.base/jdk.internal.misc=ALL-UNNAMED --enable-native-access=ALL-UNNAMED \
     -cp benchmarks/target/benchmarks.jar io.irqfabric.bench.e2e.GuestImageExport "$guest" 2>/dev/null; then
  guest_args=(--guest "$guest")
else
  echo "# no test guest available: the end-to-end figure is left out"
fi

"$java_bin" --add-exports java.base/jdk.internal.misc=ALL-UNNAMED --enable-native-access=ALL-UNNAMED \
  -Djava.awt.headless=true -cp benchmarks/target/benchmarks.jar io.irqfabric.bench.report.PerfRunner \
  --out "$out" --floor benchmarks/native/build/floor "${guest_args[@]}" \
  --command "$command_text" --start-epoch "$start" "${extra[@]}"
echo "# done in $(( $(date +%s) - start )) s"
