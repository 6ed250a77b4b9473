# Finance smoke test (sourced by scripts/smoke.sh): the reference year 2015/16 through
# grpcurl — £674,409 + £105,870 + £8,150 = £788,429 — then close it and check that a write
# to the closed year is refused and a reader cannot write.
FIN_PORT=$((BASE + 4))
FIN_ADMIN=$("$BIN" token issue --partnership bscb --role admin --sub smoke --secret-file "$DATA/jwt-secret")
FIN_READER=$("$BIN" token issue --partnership bscb --role reader --secret-file "$DATA/jwt-secret")
fin() { # fin TOKEN RPC JSON
  grpcurl -plaintext -H "authorization: Bearer $1" -d "$3" "127.0.0.1:$FIN_PORT" "lscb.finance.v1.FinanceService/$2" 2>&1
}

out=$(fin "$FIN_ADMIN" PutContributions '{"year": {"code": "2015-16"}, "idempotency_key": "smoke-1", "contributions": [
  {"agency_code": "BCC-PEOPLE", "agreed_pence": 35000000}, {"agency_code": "WMP", "agreed_pence": 32440900},
  {"agency_code": "NHSE", "agreed_pence": 0}]}') || fail "finance PutContributions: $out"
echo "$out" | grep -q '"summary"' || fail "finance PutContributions: $out"
out=$(fin "$FIN_ADMIN" SetCarryForward '{"year": {"code": "2015-16"}, "override_pence": 10587000, "reason": "from 2014/15"}') \
  || fail "finance SetCarryForward: $out"
out=$(fin "$FIN_ADMIN" PutIncome '{"year": {"code": "2015-16"}, "lines": [
  {"category": "training_fees", "description": "Training fees", "amount_pence": 600000},
  {"category": "non_attendance_charges", "description": "Non-attendance", "amount_pence": 215000}]}') \
  || fail "finance PutIncome: $out"
out=$(fin "$FIN_READER" GetStatement '{"year": {"code": "2015-16"}}') || fail "finance GetStatement: $out"
echo "$out" | grep -q '"totalBudgetPence": "78842900"' || fail "finance total budget is not 78842900: $out"
echo "$out" | grep -q '"contributionsTotalPence": "67440900"' || fail "finance contributions: $out"
ok "finance: reference year total budget £788,429 = £674,409 + £105,870 + £8,150"

out=$(fin "$FIN_ADMIN" CloseYear '{"year": {"code": "2015-16"}}') || fail "finance CloseYear: $out"
echo "$out" | grep -q 'YEAR_STATUS_CLOSED' || fail "finance CloseYear: $out"
if out=$(fin "$FIN_ADMIN" PutContributions '{"year": {"code": "2015-16"}, "contributions": [{"agency_code": "WMP", "agreed_pence": 1}]}'); then
  fail "finance: a write to a closed year succeeded"
fi
echo "$out" | grep -q "FailedPrecondition" || fail "finance closed-year write: $out"
ok "finance: a write to a closed year is FailedPrecondition"

if out=$(fin "$FIN_READER" CreateBudgetYear '{"year": {"code": "2016-17"}}'); then
  fail "finance: a reader created a year"
fi
echo "$out" | grep -q "PermissionDenied" || fail "finance reader write: $out"
ok "finance: a reader cannot write"
