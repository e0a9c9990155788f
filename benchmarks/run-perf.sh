#!/usr/bin/env bash
# Regenerates perf-results/ from a fresh clone: builds the benchmarks jar and the C floor,
# runs the JMH suite and the floor, writes README.md, summary.json, jmh.json and PNG charts.
#
#   benchmarks/run-perf.sh            the full run (6-7 minutes on a 2-core machine; JDK 17 or 25)
#   benchmarks/run-perf.sh --quick    one short iteration per benchmark, into target/perf-quick
#
# Needs: a JDK 17+ (JAVA_HOME or java on PATH), Maven, gcc, /dev/kvm for the end-to-end figure.
set -euo pipefail
start=$(date +%s)
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"

out=perf-results
extra=()
if [[ "${1:-}" == "--quick" ]]; then
  out=benchmarks/target/perf-quick
  extra+=(--quick)
  shift
fi
extra+=("$@")

echo "# building benchmarks (mvn package -pl benchmarks -am)"
mvn -q -DskipTests package -pl benchmarks -am

echo "# building the C floor (gcc -O2)"
mkdir -p benchmarks/native/build
gcc -O2 -Wall -Wextra -pthread -o benchmarks/native/build/floor benchmarks/native/floor.c

java_bin="${JAVA_HOME:+$JAVA_HOME/bin/}java"
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
  --command "benchmarks/run-perf.sh" --start-epoch "$start" "${extra[@]}"
echo "# done in $(( $(date +%s) - start )) s"
