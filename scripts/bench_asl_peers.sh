#!/usr/bin/env bash
# The issue's three benchmark machines (10-state Pass chain, Choice-heavy, Map over N items)
# run side by side in aws-local-stepfunctions (npm) and in moto's Step Functions executor
# (../shared/tools/asl_oracle.py --batch), printing executions/s and transitions/s.
# Run by hand (not part of `make test`); riposte's own figures come from asl_bench and
# asl_durable_bench. The npm package is installed into $CACHE (default build/peers-cache).
#
#   scripts/bench_asl_peers.sh [--runs N] [--moto-runs N] [--map-items N] [--moto-map-items N]
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
CACHE="${CACHE:-$ROOT/build/peers-cache}"
RUNS=2000; MOTO_RUNS=20; MAP_ITEMS=10000; MOTO_MAP_ITEMS=400
while [ $# -gt 0 ]; do
  case "$1" in
    --runs) RUNS="$2"; shift 2 ;;
    --moto-runs) MOTO_RUNS="$2"; shift 2 ;;
    --map-items) MAP_ITEMS="$2"; shift 2 ;;
    --moto-map-items) MOTO_MAP_ITEMS="$2"; shift 2 ;;
    *) echo "unknown option $1" >&2; exit 2 ;;
  esac
done
command -v node >/dev/null && command -v npm >/dev/null || { echo "node/npm not found: make deps installs nodejs/npm" >&2; exit 1; }
if [ ! -f "$CACHE/node_modules/aws-local-stepfunctions/package.json" ]; then
  mkdir -p "$CACHE"
  (cd "$CACHE" && npm install --prefix "$CACHE" --no-audit --no-fund aws-local-stepfunctions >/dev/null)
fi
WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"' EXIT

# The machines, as JSON files (the same definitions as bench/asl/bench_machines.h).
python3 - "$WORK" "$MAP_ITEMS" "$MOTO_MAP_ITEMS" <<'PY'
import json, sys
work, map_items, moto_map_items = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
chain = {"StartAt": "S0", "States": {f"S{i}": ({"Type": "Pass", "Next": f"S{i+1}"} if i < 9 else {"Type": "Pass", "End": True}) for i in range(10)}}
states = {}
for i in range(10):
    nxt = "Done" if i == 9 else f"C{i+1}"
    states[f"C{i}"] = {"Type": "Choice", "Choices": [
        {"Variable": "$.severity", "NumericGreaterThan": 100, "Next": "Done"},
        {"And": [{"Variable": "$.type", "StringEquals": "nothing"}, {"Variable": "$.ok", "BooleanEquals": False}], "Next": "Done"},
        {"Not": {"Variable": "$.resource.id", "StringMatches": "i-*"}, "Next": "Done"},
        {"Or": [{"Variable": "$.severity", "NumericGreaterThanEquals": 7}, {"Variable": "$.type", "StringEquals": "Recon"}], "Next": nxt}],
        "Default": "Done"}
states["Done"] = {"Type": "Succeed"}
choice = {"StartAt": "C0", "States": states}
mp = {"StartAt": "M", "States": {"M": {"Type": "Map", "ItemsPath": "$.items",
      "ItemProcessor": {"StartAt": "P", "States": {"P": {"Type": "Pass", "End": True}}}, "End": True}}}
machines = [
    ("pass_chain_10", chain, {"finding": {"id": "f-1"}}, 10),
    ("choice_heavy", choice, {"severity": 8, "type": "UnauthorizedAccess", "ok": True, "resource": {"id": "i-0abc"}}, 11),
    (f"map_{map_items}", mp, {"items": list(range(map_items))}, 1 + map_items),
]
json.dump([{"name": n, "definition": d, "input": i, "transitions": t} for n, d, i, t in machines],
          open(f"{work}/machines.json", "w"))
moto = machines[:2] + [(f"map_{moto_map_items}", mp, {"items": list(range(moto_map_items))}, 1 + moto_map_items)]
json.dump([{"name": n, "definition": d, "input": i, "transitions": t} for n, d, i, t in moto],
          open(f"{work}/moto_machines.json", "w"))
PY

echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs), load $(cut -d' ' -f1-3 /proc/loadavg)"
echo "transitions = states entered (a Map over N items: 1 + N)"
echo
echo "== aws-local-stepfunctions $(node -p "require('$CACHE/node_modules/aws-local-stepfunctions/package.json').version") (node $(node --version))"
cat > "$WORK/alsf.cjs" <<'JS'
const { StateMachine } = require(process.argv[2]);
const machines = JSON.parse(require('fs').readFileSync(process.argv[3], 'utf8'));
const runs = Number(process.argv[4]);
(async () => {
  for (const m of machines) {
    const sm = new StateMachine(m.definition);
    const n = m.name.startsWith('map_') ? Math.max(3, Math.floor(runs / 400)) : runs;
    for (let i = 0; i < Math.min(50, n); i++) await sm.run(m.input).result;  // warm-up
    const t0 = process.hrtime.bigint();
    for (let i = 0; i < n; i++) await sm.run(m.input).result;
    const s = Number(process.hrtime.bigint() - t0) / 1e9;
    console.log(`${m.name.padEnd(16)} ${String(n).padStart(6)} executions in ${s.toFixed(3)} s: ` +
      `${(n / s).toFixed(1)} executions/s, ${(n * m.transitions / s).toFixed(0)} transitions/s`);
  }
})();
JS
node "$WORK/alsf.cjs" "$CACHE/node_modules/aws-local-stepfunctions" "$WORK/machines.json" "$RUNS"

echo
echo "== moto $(python3 -c 'import moto; print(moto.__version__)') (asl_oracle.py --batch; Map of $MOTO_MAP_ITEMS items: the oracle is not trusted beyond ~400)"
ORACLE="$ROOT/../shared/tools/asl_oracle.py"
python3 - "$WORK" "$MOTO_RUNS" "$ORACLE" <<'PY'
import json, subprocess, sys, time
work, runs, oracle = sys.argv[1], int(sys.argv[2]), sys.argv[3]
for m in json.load(open(f"{work}/moto_machines.json")):
    n = runs if not m["name"].startswith("map_") else max(3, runs // 10)
    def batch(k):
        path = f"{work}/{m['name']}-{k}.jsonl"
        with open(path, "w") as f:
            for i in range(k):
                f.write(json.dumps({"id": f"{m['name']}-{i}", "definition": m["definition"], "input": m["input"]}) + "\n")
        t0 = time.time()
        out = subprocess.run([sys.executable, oracle, "--batch", path], check=True, capture_output=True, text=True).stdout
        ok = sum(1 for line in out.splitlines() if json.loads(line).get("status") == "SUCCEEDED")
        return time.time() - t0, ok
    batch(1)  # warm-up (imports, .pyc)
    t1, _ = batch(1)  # process start + one execution
    tn, ok = batch(n)
    s = max(tn - t1, 1e-6)  # n - 1 executions beyond the first
    print(f"{m['name']:16} {n:6} executions ({ok} SUCCEEDED) in {tn:.3f} s, {s:.3f} s beyond the first: "
          f"{(n - 1) / s:.1f} executions/s, {(n - 1) * m['transitions'] / s:.0f} transitions/s")
PY
