# Board record smoke test (sourced by scripts/smoke.sh: uses BIN, DATA, BASE, ok, fail): the
# key examples of docs/board.md. A business plan over three actions rolled up at the year end,
# its replay and a reused key, a bad plan and a reader's write refused; the governance
# register's counts; child death reviews refused, then stored with the same key.
BD_PORT=$((BASE + 2))
BD_TOKEN=$("$BIN" token issue --partnership bscb --role admin --sub smoke-board --secret-file "$DATA/jwt-secret")
BD_READER=$("$BIN" token issue --partnership bscb --role reader --secret-file "$DATA/jwt-secret")
bd_call() { grpcurl -plaintext -H "authorization: Bearer $1" -d "$3" "127.0.0.1:$BD_PORT" "lscb.audits.v1.$2" 2>&1; }
bd_py() { python3 -c "import json,sys; d=json.load(sys.stdin); print($1)"; }

# Three actions (ids from the answer: earlier smoke steps made actions too).
out=$(bd_call "$BD_TOKEN" LearningReviewService/CreateLearningReview '{"idempotency_key": "smoke-board-llr", "review": {
  "type": "LEARNING_REVIEW_TYPE_LEARNING_LESSONS_REVIEW", "reference": "SMOKE-BOARD-1", "title": "Board smoke review",
  "commissioned_date": "2015-05-01", "status": "LEARNING_REVIEW_STATUS_COMPLETED", "agencies": ["WMP"],
  "recommendations": [{"text": "Hear the child", "actions": [
    {"description": "Smoke: done", "owner_agency": "WMP", "due_date": "2015-12-31"},
    {"description": "Smoke: overdue", "owner_agency": "WMP", "due_date": "2016-01-31"},
    {"description": "Smoke: not yet due", "owner_agency": "WMP", "due_date": "2016-12-31"}]}]}}') \
  || fail "board CreateLearningReview: $out"
ids=$(echo "$out" | bd_py '" ".join(d["recommendations"][0]["actionIds"])') || fail "board: no action ids: $out"
read -r BD_A1 BD_A2 BD_A3 <<<"$ids"
[ -n "$BD_A3" ] || fail "board: expected three action ids: $ids"
out=$(bd_call "$BD_TOKEN" ActionService/UpdateAction "{\"id\": \"$BD_A1\", \"status\": \"ACTION_STATUS_COMPLETED\", \"completion_evidence\": \"minutes\", \"completed_date\": \"2016-01-20\"}") \
  || fail "board UpdateAction: $out"

BD_PLAN="{\"idempotency_key\": \"smoke-board-plan\", \"year\": {\"code\": \"2015-16\"}, \"priorities\": [
  {\"code\": \"VOC\", \"title\": \"Voice of the Child\", \"objectives\": [{\"code\": \"VOC-1\", \"title\": \"Hear the child\", \"action_ids\": [\"$BD_A1\", \"$BD_A2\"]}]},
  {\"code\": \"EH\", \"title\": \"Early Help\", \"objectives\": [{\"code\": \"EH-1\", \"title\": \"Help early\", \"action_ids\": [\"$BD_A3\"]}]}]}"
first=$(bd_call "$BD_TOKEN" BoardService/PutBusinessPlan "$BD_PLAN") || fail "board PutBusinessPlan: $first"
again=$(bd_call "$BD_TOKEN" BoardService/PutBusinessPlan "$BD_PLAN") || fail "board PutBusinessPlan replay: $again"
[ "$first" = "$again" ] || fail "board: a replay answered differently: $first / $again"
if out=$(bd_call "$BD_TOKEN" BoardService/PutBusinessPlan '{"idempotency_key": "smoke-board-plan", "year": {"code": "2015-16"}, "priorities": [{"code": "VOC", "title": "Voice of the Child"}]}'); then
  fail "board: a reused key with another plan was accepted"
fi
echo "$out" | grep -q "AlreadyExists" || fail "board: reused key: $out"
ok "board: a plan replay answers the same; the key with another plan is AlreadyExists"
if out=$(bd_call "$BD_TOKEN" BoardService/PutBusinessPlan '{"idempotency_key": "smoke-board-bad", "year": {"code": "2015-16-Q1"}, "priorities": [{"code": "VOC", "title": "A"}, {"code": "VOC", "title": "B"}]}'); then
  fail "board: a bad plan was accepted"
fi
echo "$out" | grep -q "InvalidArgument" && echo "$out" | grep -q "year: '2015-16-Q1' is not a financial year" \
  && echo "$out" | grep -q "priorities\[1\].code: 'VOC' appears twice" || fail "board: bad plan: $out"
ok "board: a bad plan is InvalidArgument naming year and priorities[1].code"
if out=$(bd_call "$BD_READER" BoardService/PutBusinessPlan "$BD_PLAN"); then fail "board: a reader wrote the plan"; fi
echo "$out" | grep -q "PermissionDenied" || fail "board: reader's write: $out"
ok "board: a reader's PutBusinessPlan is PermissionDenied"
out=$(bd_call "$BD_READER" BoardService/GetBusinessPlanProgress '{"year": {"code": "2015-16"}}') || fail "board GetBusinessPlanProgress: $out"
got=$(echo "$out" | bd_py 'd["asOf"], [(p["code"], p["progress"].get("green", 0), p["progress"].get("amber", 0), p["progress"].get("red", 0), p["progress"]["completedPercent"]["value"], p["progress"]["rating"]) for p in d["priorities"]], d["overall"]["completedPercent"]["value"], d["overall"]["rating"]') \
  || fail "board: progress is not as expected: $out"
[ "$got" = "2016-03-31 [('VOC', 1, 0, 1, '50', 'PLAN_RAG_RED'), ('EH', 0, 1, 0, '0', 'PLAN_RAG_AMBER')] 33 PLAN_RAG_RED" ] \
  || fail "board: progress: '$got': $out"
ok "board: plan progress at the year end: VOC red at 50%, EH amber, overall 33% red"

out=$(bd_call "$BD_TOKEN" GovernanceService/PutGovernanceBody '{"body": {"code": "SMOKE-PANEL", "name": "Smoke Panel", "kind": "GOVERNANCE_BODY_KIND_SUB_GROUP", "position": 9}}') \
  || fail "board PutGovernanceBody: $out"
out=$(bd_call "$BD_TOKEN" BoardService/PutGovernanceRegister '{"idempotency_key": "smoke-board-register", "year": {"code": "2015-16"},
  "bodies": [{"body_code": "PF", "name": "Practitioners Forum", "forum": true}, {"body_code": "SMOKE-PANEL", "chaired_by": "Public Health", "work": ["Met"]}],
  "seats": [
    {"body_code": "SMOKE-PANEL", "agency": "PH", "role": "Chair", "gender": "GENDER_FEMALE", "chair": true},
    {"body_code": "SMOKE-PANEL", "agency": "WMP", "role": "Member", "gender": "GENDER_FEMALE"},
    {"body_code": "SMOKE-PANEL", "agency": "LAY", "role": "Lay member", "lay_member": true, "gender": "GENDER_MALE"},
    {"body_code": "PF", "agency": "BCHC", "role": "Health visitor", "gender": "GENDER_NOT_RECORDED"}]}') \
  || fail "board PutGovernanceRegister: $out"
out=$(bd_call "$BD_READER" BoardService/GetGovernanceRegister '{"year": {"code": "2015-16"}}') || fail "board GetGovernanceRegister: $out"
got=$(echo "$out" | bd_py '[(b["bodyCode"], b["kind"], b["seats"], b.get("layMembers", 0), b.get("femalePercent", {}).get("value", ""), b.get("chairAgency", "")) for b in d["bodies"]]') \
  || fail "board: register is not as expected: $out"
[ "$got" = "[('SMOKE-PANEL', 'sub_group', 3, 1, '67', 'PH'), ('PF', 'forum', 1, 0, '', '')]" ] || fail "board: register: '$got': $out"
ok "board: the register counts seats, lay members and the female share (67%)"

BD_CDOP='"year": {"code": "2015-16"}, "deaths_from": "2014-04-01", "deaths_to": "2015-03-31",
  "by_category": [{"code": "perinatal_neonatal", "label": "Perinatal/neonatal event", "count": 63}, {"code": "other", "label": "Other categories", "count": 102}],
  "modifiable_factors": [{"code": "smoking", "label": "Smoking in pregnancy or in the household", "count": 12}]'
if out=$(bd_call "$BD_TOKEN" BoardService/RecordChildDeathReviews "{\"idempotency_key\": \"smoke-board-cdop\", $BD_CDOP, \"with_modifiable_factors\": 200}"); then
  fail "board: more reviews with modifiable factors than reviews was accepted"
fi
echo "$out" | grep -q "InvalidArgument" && echo "$out" | grep -q "with_modifiable_factors: 200 is more than the 165 reviews" \
  || fail "board: bad child death reviews: $out"
out=$(bd_call "$BD_TOKEN" BoardService/RecordChildDeathReviews "{\"idempotency_key\": \"smoke-board-cdop\", $BD_CDOP, \"with_modifiable_factors\": 38}") \
  || fail "board RecordChildDeathReviews with the same key after a refusal: $out"
out=$(bd_call "$BD_READER" BoardService/GetChildDeathReviews '{"year": {"code": "2015-16"}}') || fail "board GetChildDeathReviews: $out"
got=$(echo "$out" | bd_py 'd["reviewed"], d["withModifiableFactors"], d["modifiablePercent"]["value"]') || fail "board: child death reviews: $out"
[ "$got" = "165 38 23" ] || fail "board: child death reviews: '$got': $out"
ok "board: child death reviews refused naming with_modifiable_factors, then 165 reviewed, 38 (23%) with the same key"
