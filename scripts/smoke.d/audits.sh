# Audits part 1 (quality assurance) smoke test (sourced by scripts/smoke.sh: uses BIN, DATA,
# BASE, ok, fail). Ten child protection case files with seven requiring improvement, an
# overdue action at a date, and a submitter refused on another agency's action.
QA_PORT=$((BASE + 2))
QA_ADMIN=$("$BIN" token issue --partnership bscb --role admin --secret-file "$DATA/jwt-secret")
QA_WMP=$("$BIN" token issue --partnership bscb --role submitter --agency WMP --secret-file "$DATA/jwt-secret")
qa_call() { # qa_call TOKEN Service/Rpc JSON
  grpcurl -plaintext -H "authorization: Bearer $1" -d "$3" "127.0.0.1:$QA_PORT" "lscb.audits.v1.$2" 2>&1
}

out=$(qa_call "$QA_ADMIN" AuditService/CreateAudit '{"idempotency_key": "smoke-cp", "audit": {
  "type": "AUDIT_TYPE_MULTI_AGENCY_CASE_FILE", "title": "Child protection case files", "period": {"code": "2015-16"},
  "themes": [{"code": "plan", "title": "SMART child protection plan"}],
  "recommendations": [{"text": "Record the voice of the child",
    "actions": [{"description": "Minute template", "owner_agency": "BCC-PEOPLE", "due_date": "2016-01-31"},
                {"description": "Police report template", "owner_agency": "WMP", "due_date": "2016-06-30"}]}]}}') \
  || fail "audits CreateAudit: $out"
QA_AUDIT=$(echo "$out" | python3 -c 'import json,sys; print(json.load(sys.stdin)["id"])') || fail "audits CreateAudit: $out"
QA_CASES=$(python3 -c 'import json; print(json.dumps([{"case_reference": "CP-%03d" % i, "agencies": ["BCC-PEOPLE", "WMP"],
  "overall_grade": "GRADE_REQUIRES_IMPROVEMENT" if i < 7 else "GRADE_GOOD"} for i in range(10)]))')
out=$(qa_call "$QA_ADMIN" AuditService/SubmitCaseReviews "{\"audit_id\": \"$QA_AUDIT\", \"idempotency_key\": \"smoke-cp-cases\", \"case_reviews\": $QA_CASES}") \
  || fail "audits SubmitCaseReviews: $out"
out=$(qa_call "$QA_ADMIN" AuditService/GetAuditSummary "{\"audit_id\": \"$QA_AUDIT\"}") || fail "audits GetAuditSummary: $out"
echo "$out" | grep -q '"headline": "7 out of 10 cases were graded requires improvement"' || fail "audits summary headline: $out"
ok "audits: 7 out of 10 child protection case files require improvement"

out=$(qa_call "$QA_ADMIN" ActionService/ListActions "{\"source_kind\": \"SOURCE_KIND_AUDIT\", \"source_id\": \"$QA_AUDIT\", \"overdue_only\": true, \"as_of\": \"2016-03-01\"}") \
  || fail "audits ListActions: $out"
got=$(echo "$out" | python3 -c 'import json,sys; d=json.load(sys.stdin); print([a["ownerAgency"] for a in d["actions"]])') \
  || fail "audits ListActions is not JSON: $out"
[ "$got" = "['BCC-PEOPLE']" ] || fail "audits overdue actions at 2016-03-01: '$got': $out"
ok "audits: one action overdue at 2016-03-01"

QA_BCC_ACTION=$(echo "$out" | python3 -c 'import json,sys; print(json.load(sys.stdin)["actions"][0]["id"])')
if out=$(qa_call "$QA_WMP" ActionService/UpdateAction "{\"id\": \"$QA_BCC_ACTION\", \"status\": \"ACTION_STATUS_IN_PROGRESS\"}"); then
  fail "audits: a WMP submitter updated a BCC-PEOPLE action"
fi
echo "$out" | grep -q "PermissionDenied" || fail "audits: submitter on another agency's action: $out"
ok "audits: a submitter cannot update another agency's action"
