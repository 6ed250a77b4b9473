# Training bulk smoke test (sourced by scripts/smoke.sh: uses BIN, DATA, BASE, ok, fail).
# RecordDelegates: a batch beyond a session's capacity is refused by row and field with
# nothing stored; a good batch books, cancels and records attendance in one call (whether
# the cancellation is late depends on the charge policy of the run); a replay
# answers the same; the key reused for other delegates is AlreadyExists; the 2004-05
# summary counts what was stored once.
TRB_PORT=$((BASE + 3))
TRB_TOKEN=$("$BIN" token issue --partnership bscb --role admin --secret-file "$DATA/jwt-secret")
training_bulk_call() { grpcurl -plaintext -H "authorization: Bearer $TRB_TOKEN" -d "$2" "127.0.0.1:$TRB_PORT" "lscb.training.v1.TrainingService/$1"; }

training_bulk_call UpsertCourse '{"course": {"code": "SMOKE-BULK", "title": "Smoke bulk", "level": "COURSE_LEVEL_1", "multi_agency": true, "length_days": {"value": "1"}}}' >/dev/null \
  || fail "training bulk UpsertCourse"
out=$(training_bulk_call CreateSession '{"course_code": "SMOKE-BULK", "date": "2004-06-10", "venue": "Council House", "capacity": 2}') \
  || fail "training bulk CreateSession: $out"
TRB_SESSION=$(echo "$out" | grep -o '"id": "[^"]*"' | head -1 | cut -d'"' -f4)
[ -n "$TRB_SESSION" ] || fail "training bulk CreateSession returned no id: $out"
trb_row() { echo "{\"session_id\": \"$TRB_SESSION\", \"delegate_ref\": \"$1\", \"agency\": \"$2\", \"status\": \"BOOKING_STATUS_$3\"${4:-}}"; }

if out=$(training_bulk_call RecordDelegates "{\"idempotency_key\": \"smoke-bulk-over\", \"delegates\": [
  $(trb_row B1 WMP ATTENDED), $(trb_row B2 WMP ATTENDED), $(trb_row B3 BCH ATTENDED)]}" 2>&1); then
  fail "training RecordDelegates of three attended delegates for two places succeeded: $out"
fi
echo "$out" | grep -q "InvalidArgument" && echo "$out" | grep -q 'delegates\[2\].session_id' \
  || fail "training RecordDelegates over capacity: $out"
out=$(training_bulk_call ListBookings "{\"session_id\": \"$TRB_SESSION\"}") || fail "training ListBookings: $out"
echo "$out" | grep -q "delegateRef" && fail "training: a refused batch stored bookings: $out"
ok "training: RecordDelegates beyond capacity is InvalidArgument naming delegates[2].session_id, nothing stored"

TRB_BATCH="{\"idempotency_key\": \"smoke-bulk-1\", \"delegates\": [
  $(trb_row C1 BCH CANCELLED ', "cancelled_on": "2004-06-09"'), $(trb_row B1 WMP ATTENDED),
  $(trb_row B2 WMP DID_NOT_ATTEND), $(trb_row W1 BCH WALK_IN)]}"
first=$(training_bulk_call RecordDelegates "$TRB_BATCH") || fail "training RecordDelegates: $first"
got=$(echo "$first" | python3 -c 'import json,sys; r=json.load(sys.stdin); g=lambda k: r.get(k, 0); print(g("recorded"), g("sessionsDelivered"), g("cancelled") + g("cancelledLate"), g("attended"), g("didNotAttend"), g("walkIns"))') \
  || fail "training RecordDelegates answer is not JSON: $first"
[ "$got" = "4 1 1 1 1 1" ] || fail "training RecordDelegates counts '$got': $first"
ok "training: RecordDelegates books, cancels and records attendance in one call"
again=$(training_bulk_call RecordDelegates "$TRB_BATCH") || fail "training RecordDelegates replay: $again"
[ "$again" = "$first" ] || fail "training RecordDelegates replay answered differently: $again"
if out=$(training_bulk_call RecordDelegates "{\"idempotency_key\": \"smoke-bulk-1\", \"delegates\": [$(trb_row W2 BCH WALK_IN)]}" 2>&1); then
  fail "training RecordDelegates with a reused key succeeded: $out"
fi
echo "$out" | grep -q "AlreadyExists" || fail "training RecordDelegates with a reused key: $out"
ok "training: a RecordDelegates replay answers the same; the key reused for other delegates is AlreadyExists"
out=$(training_bulk_call GetTrainingSummary '{"period": {"code": "2004-05"}}') || fail "training bulk GetTrainingSummary: $out"
got=$(echo "$out" | python3 -c 'import json,sys; s=json.load(sys.stdin); print(s["figures"]["placesTaken"], s["reconciliation"]["balanced"])') \
  || fail "training bulk summary is not JSON: $out"
[ "$got" = "2 True" ] || fail "training bulk summary: places taken and reconciliation '$got': $out"
ok "training: the 2004-05 summary counts the batch once and reconciles"
