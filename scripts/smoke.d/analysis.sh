# Analysis smoke test (sourced by scripts/smoke.sh): an override needs a rationale, the
# override shows in Part 4 beside the derived judgement, a pledge is evaluated a year on,
# and the narrative check catches the reference report's LADO slip (24.5% for +2.2%).
AN_ADMIN=$("$BIN" token issue --partnership bscb --role admin --sub smoke --secret-file "$DATA/jwt-secret")
AN_READER=$("$BIN" token issue --partnership bscb --role reader --secret-file "$DATA/jwt-secret")
an() { # an TOKEN RPC JSON
  grpcurl -plaintext -H "authorization: Bearer $1" -d "$3" "127.0.0.1:$BASE" "lscb.report.v1.AnalysisService/$2" 2>&1
}
AN_FACTS='{\"indicators\": [{\"code\": \"CP-REREF\", \"title\": \"Re-referrals\", \"tags\": [\"child_protection\"], \"value\": \"24\", \"previous\": \"22\", \"previous_period\": \"2014-15\", \"rag\": \"red\", \"direction\": \"declining\", \"vs_england\": \"worse\", \"target\": \"20\", \"source\": {\"service\": \"indicators\", \"record\": \"CP-REREF\", \"period\": \"2015-16\"}}]}'

if out=$(an "$AN_ADMIN" SetOverride '{"year": {"code": "2015-16"}, "question": "safer", "judgement": "partly_sufficient"}'); then
  fail "analysis: an override without a rationale succeeded"
fi
echo "$out" | grep -q "InvalidArgument" && echo "$out" | grep -q "rationale" || fail "analysis: override without rationale: $out"
ok "analysis: an override without a rationale is INVALID_ARGUMENT naming rationale"

out=$(an "$AN_ADMIN" SetOverride '{"year": {"code": "2015-16"}, "question": "safer", "judgement": "partly_sufficient", "rationale": "smoke rationale", "decided_on": "2016-07-12"}') \
  || fail "analysis SetOverride: $out"
out=$(an "$AN_READER" GetAnalysis "{\"year\": {\"code\": \"2015-16\"}, \"facts_json\": \"$AN_FACTS\"}") || fail "analysis GetAnalysis: $out"
echo "$out" | grep -q '"derived": "not_enough_evidence"' && echo "$out" | grep -q '"judgement": "partly_sufficient"' && echo "$out" | grep -q '"rationale": "smoke rationale"' \
  || fail "analysis: Part 4 does not show the derived judgement and the override: $out"
ok "analysis: one fact is not enough evidence to judge; Part 4 shows that, the override and its rationale"

out=$(an "$AN_ADMIN" AddPledge '{"plan_year": {"code": "2016-17"}, "priority": "We run safe systems", "text": "Re-referrals reduce year on year.", "targets": [{"indicator_code": "CP-REREF", "expectation": "decrease"}]}') \
  || fail "analysis AddPledge: $out"
out=$(an "$AN_READER" GetAnalysis '{"year": {"code": "2016-17"}, "facts_json": "{\"indicators\": [{\"code\": \"CP-REREF\", \"title\": \"Re-referrals\", \"value\": \"21\", \"previous\": \"24\", \"source\": {\"service\": \"indicators\", \"record\": \"CP-REREF\", \"period\": \"2016-17\"}}]}"}') \
  || fail "analysis GetAnalysis 2016-17: $out"
echo "$out" | grep -q '"outcome": "met"' || fail "analysis: the pledge is not evaluated met: $out"
ok "analysis: a pledge is evaluated met from the next year's data"

out=$(an "$AN_READER" CheckNarrative '{"sections": [{"title": "LADO", "markdown": "In 2015/16 the LADO received 1,100 referrals, compared with 1,076 last year and 864 in 2013/14, which represents an increase of 24.5%."}], "facts_json": "{\"indicators\": [{\"code\": \"LADO-REF\", \"title\": \"LADO referrals\", \"value\": \"1100\", \"previous\": \"1076\", \"previous_period\": \"2014-15\", \"source\": {\"service\": \"indicators\", \"record\": \"LADO-REF\", \"period\": \"2015-16\"}}]}"}') \
  || fail "analysis CheckNarrative: $out"
echo "$out" | grep -q '"typed": "24.5%"' && echo "$out" | grep -q '+2.2%' || fail "analysis: the LADO slip is not caught: $out"
ok "analysis: the narrative check catches the LADO slip (24.5% typed, +2.2% in the data)"
