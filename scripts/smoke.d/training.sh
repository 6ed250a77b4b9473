# Training service smoke test (sourced by scripts/smoke.sh: uses BIN, DATA, BASE, ok, fail).
# A course, a session of two places, three bookings (one waits), whole-session attendance,
# and the 2005-06 summary's figures and reconciliation.
TR_PORT=$((BASE + 3))
TR_TOKEN=$("$BIN" token issue --partnership bscb --role admin --secret-file "$DATA/jwt-secret")
training_call() { grpcurl -plaintext -H "authorization: Bearer $TR_TOKEN" -d "$2" "127.0.0.1:$TR_PORT" "lscb.training.v1.TrainingService/$1"; }

training_call UpsertCourse '{"course": {"code": "SMOKE-L1", "title": "Smoke", "level": "COURSE_LEVEL_1", "multi_agency": true, "length_days": {"value": "1"}}}' >/dev/null \
  || fail "training UpsertCourse"
out=$(training_call CreateSession '{"course_code": "SMOKE-L1", "date": "2005-06-10", "venue": "Council House", "capacity": 2}') \
  || fail "training CreateSession: $out"
TR_SESSION=$(echo "$out" | grep -o '"id": "[^"]*"' | head -1 | cut -d'"' -f4)
[ -n "$TR_SESSION" ] || fail "training CreateSession returned no id: $out"
for d in S1 S2 S3; do
  out=$(training_call BookPlace "{\"session_id\": \"$TR_SESSION\", \"delegate_ref\": \"$d\", \"agency\": \"WMP\"}") \
    || fail "training BookPlace $d: $out"
done
echo "$out" | grep -q "BOOKING_STATUS_WAITING_LIST" || fail "training: third booking of two places did not wait: $out"
ok "training: a full session puts the third booking on the waiting list"
out=$(training_call RecordAttendance "{\"session_id\": \"$TR_SESSION\", \"entries\": [
  {\"delegate_ref\": \"S1\", \"status\": \"BOOKING_STATUS_ATTENDED\"},
  {\"delegate_ref\": \"S2\", \"status\": \"BOOKING_STATUS_DID_NOT_ATTEND\"},
  {\"delegate_ref\": \"W1\", \"agency\": \"BCH\", \"status\": \"BOOKING_STATUS_WALK_IN\"}]}") \
  || fail "training RecordAttendance: $out"
ok "training: whole-session attendance recorded"
out=$(training_call GetTrainingSummary '{"period": {"code": "2005-06"}}') || fail "training GetTrainingSummary: $out"
got=$(echo "$out" | python3 -c 'import json,sys; s=json.load(sys.stdin); print(s["figures"]["placesTaken"], s["reconciliation"]["balanced"])') \
  || fail "training summary is not JSON: $out"
[ "$got" = "2 True" ] || fail "training summary: places taken and reconciliation '$got': $out"
ok "training: 2005-06 summary counts 2 places taken and reconciles"
if out=$(training_call CreateSession '{"course_code": "SMOKE-L1", "date": "2005-02-30", "capacity": 0}' 2>&1); then
  fail "training CreateSession with bad fields succeeded"
fi
echo "$out" | grep -q "InvalidArgument" && echo "$out" | grep -q "capacity" || fail "training bad CreateSession: $out"
ok "training: bad session fields are InvalidArgument naming them"
