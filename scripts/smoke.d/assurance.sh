# Audits part 2 (assurance) smoke test (sourced by scripts/smoke.sh: uses BIN, DATA, BASE,
# ok, fail). A Section 11 catalogue and two returns (one regional), the summary, and the
# figure-29 rating of a named member at 4 of 5 board meetings.
AS_PORT=$((BASE + 2))
AS_TOKEN=$("$BIN" token issue --partnership bscb --role admin --secret-file "$DATA/jwt-secret")
as_call() { grpcurl -plaintext -H "authorization: Bearer $AS_TOKEN" -d "$2" "127.0.0.1:$AS_PORT" "lscb.audits.v1.$1"; }

out=$(as_call Section11Service/PutSection11Catalogue '{"cycle": {"code": "2015-16"}, "standards": [{"code": "S1", "title": "Senior management commitment", "statutory": true}, {"code": "EH", "title": "Early help"}]}') \
  || fail "assurance PutSection11Catalogue: $out"
out=$(as_call Section11Service/SubmitSection11Return '{"idempotency_key": "smoke-wmp", "cycle": {"code": "2015-16"}, "agency": "WMP", "status": "SECTION11_RETURN_STATUS_SUBMITTED", "ratings": [{"standard_code": "S1", "rating": "SECTION11_RATING_GREEN"}, {"standard_code": "EH", "rating": "SECTION11_RATING_AMBER"}], "gap_actions": [{"standard_code": "EH", "description": "Early help briefings", "due_date": "2016-12-31"}]}') \
  || fail "assurance SubmitSection11Return WMP: $out"
out=$(as_call Section11Service/SubmitSection11Return '{"idempotency_key": "smoke-nhse", "cycle": {"code": "2015-16"}, "agency": "NHSE", "status": "SECTION11_RETURN_STATUS_REGIONAL", "regional_body": "West Midlands"}') \
  || fail "assurance SubmitSection11Return NHSE: $out"
out=$(as_call Section11Service/GetSection11Summary '{"cycle": {"code": "2015-16"}}') || fail "assurance GetSection11Summary: $out"
got=$(echo "$out" | python3 -c 'import json,sys; s=json.load(sys.stdin); print(s["submitted"], s["regional"], s["coveredRegionally"], len(s["openGapActions"]))') \
  || fail "assurance summary is not JSON: $out"
[ "$got" = "1 1 ['NHSE'] 1" ] || fail "assurance summary: '$got': $out"
ok "assurance: Section 11 summary counts a submitted and a regional return and the open gap action"
if out=$(as_call Section11Service/SubmitSection11Return '{"idempotency_key": "smoke-bad", "cycle": {"code": "2015-Q1"}, "agency": "WMP"}' 2>&1); then
  fail "assurance: a bad return was accepted"
fi
echo "$out" | grep -q "InvalidArgument" || fail "assurance: bad return: $out"
ok "assurance: a bad Section 11 return is InvalidArgument"
as_call GovernanceService/PutGovernanceBody '{"body": {"code": "BOARD", "name": "Board", "kind": "GOVERNANCE_BODY_KIND_BOARD", "members": [{"agency": "WMP"}]}}' >/dev/null \
  || fail "assurance PutGovernanceBody"
for d in 2015-05-12 2015-07-14 2015-09-15 2015-12-08 2016-03-15; do
  att='{"agency": "WMP", "capacity": "ATTENDANCE_CAPACITY_NAMED"}'
  [ "$d" = 2015-09-15 ] && att=''
  as_call GovernanceService/RecordGovernanceMeeting "{\"body_code\": \"BOARD\", \"held_on\": \"$d\", \"attendance\": [$att]}" >/dev/null \
    || fail "assurance RecordGovernanceMeeting $d"
done
out=$(as_call GovernanceService/GetAttendanceMatrix '{"period": {"code": "2015-16"}}') || fail "assurance GetAttendanceMatrix: $out"
echo "$out" | grep -q '"rating": "ATTENDANCE_RATING_GREEN"' || fail "assurance: 4 of 5 is not green: $out"
ok "assurance: a named member at 4 of 5 board meetings is green"
