# Indicators service smoke test (sourced by scripts/smoke.sh: uses BIN, DATA, BASE, ok, fail).
# Two indicators, a submission by WMP and its replay, a streamed load of numerator/denominator
# pairs, a benchmark, the 2015-16 scorecard (+514, +33.9%; 83 against 87 declining and worse
# than England 90), a series asked twice (the second from the read cache), a refused bad row, and
# a locked year refusing a write.
IND_PORT=$((BASE + 1))
IND_ADMIN=$("$BIN" token issue --partnership bscb --role admin --secret-file "$DATA/jwt-secret")
IND_WMP=$("$BIN" token issue --partnership bscb --role submitter --agency WMP --secret-file "$DATA/jwt-secret")
ind_call() { grpcurl -plaintext -H "authorization: Bearer $1" -d "$3" "127.0.0.1:$IND_PORT" "lscb.indicators.v1.IndicatorService/$2"; }

ind_call "$IND_ADMIN" UpsertIndicator '{"indicator": {"code": "CAIT.CRIMES", "title": "Crimes against children investigated",
  "unit": "UNIT_COUNT", "polarity": "POLARITY_CONTEXT", "frequency": "FREQUENCY_ANNUAL", "aggregation": "AGGREGATION_SUM",
  "priorities": ["safe_systems"], "expectedAgencies": ["WMP"]}}' >/dev/null || fail "indicators UpsertIndicator CAIT.CRIMES"
ind_call "$IND_ADMIN" UpsertIndicator '{"indicator": {"code": "CIC.HEALTH_ASSESSMENTS", "title": "Health assessments",
  "unit": "UNIT_PERCENT", "polarity": "POLARITY_HIGHER_IS_BETTER", "frequency": "FREQUENCY_QUARTERLY",
  "aggregation": "AGGREGATION_LAST", "priorities": ["safe_systems"], "targets": [{"value": "90", "amberTolerance": "5"}]}}' >/dev/null \
  || fail "indicators UpsertIndicator CIC.HEALTH_ASSESSMENTS"
ok "indicators: two indicators defined"

IND_BATCH='{"idempotencyKey": "smoke-wmp-1", "rows": [
  {"indicatorCode": "CAIT.CRIMES", "period": {"code": "2014-15"}, "agencyCode": "WMP", "value": "1517"},
  {"indicatorCode": "CAIT.CRIMES", "period": {"code": "2015-16"}, "agencyCode": "WMP", "value": "2031"}]}'
first=$(ind_call "$IND_WMP" SubmitObservations "$IND_BATCH") || fail "indicators SubmitObservations: $first"
again=$(ind_call "$IND_WMP" SubmitObservations "$IND_BATCH") || fail "indicators replay: $again"
# The replay is the first answer, marked "replayed" (nothing new stored).
echo "$again" | grep -q '"replayed": true' || fail "indicators: a replay is not marked replayed: $again"
[ "$first" = "$(echo "$again" | grep -v '"replayed": true' | sed -z 's/,\n}/\n}/')" ] \
  || fail "indicators: a replay did not return the first response: $first / $again"
ok "indicators: WMP submitted crimes and a replay returned the first response, marked replayed"

out=$(ind_call "$IND_ADMIN" StreamObservations '{"idempotencyKey": "smoke-ha", "rows": [
  {"indicatorCode": "CIC.HEALTH_ASSESSMENTS", "period": {"code": "2014-15-Q4"}, "agencyCode": "BCC-PEOPLE", "numerator": "870", "denominator": "1000"}]}
{"rows": [{"indicatorCode": "CIC.HEALTH_ASSESSMENTS", "period": {"code": "2015-16-Q4"}, "agencyCode": "BCC-PEOPLE", "numerator": "830", "denominator": "1000"}]}') \
  || fail "indicators StreamObservations: $out"
echo "$out" | grep -q '"value": "83"' || fail "indicators: streamed 830/1000 was not stored as 83: $out"
ok "indicators: a streamed load computed 83% from 830 / 1000"

ind_call "$IND_ADMIN" SetBenchmarks '{"benchmarks": [{"indicatorCode": "CIC.HEALTH_ASSESSMENTS", "period": {"code": "2014-15"},
  "comparator": "COMPARATOR_ENGLAND", "value": "90"}]}' >/dev/null || fail "indicators SetBenchmarks"
out=$(ind_call "$IND_ADMIN" GetScorecard '{"year": {"code": "2015-16"}}') || fail "indicators GetScorecard: $out"
got=$(echo "$out" | python3 -c '
import json, sys
rows = {r["code"]: r for r in json.load(sys.stdin)["rows"]}
c = rows["CAIT.CRIMES"]
h = rows["CIC.HEALTH_ASSESSMENTS"]
print(c["value"], c["change"]["absolute"], c["change"]["percent"], h["value"], h["previousValue"], h["direction"], h["benchmarks"][0]["comparison"])') \
  || fail "indicators scorecard is not what was expected: $out"
[ "$got" = "2031 514 33.9 83 87 DIRECTION_DECLINING COMPARISON_WORSE" ] || fail "indicators scorecard: '$got'"
ok "indicators: scorecard 2015-16 has crimes +514 (+33.9%) and health assessments 83 v 87 declining, worse than England"

IND_SERIES='{"indicatorCode": "CAIT.CRIMES", "from": {"code": "2014-15"}, "to": {"code": "2015-16"}}'
s1=$(ind_call "$IND_ADMIN" GetSeries "$IND_SERIES") || fail "indicators GetSeries: $s1"
s2=$(ind_call "$IND_ADMIN" GetSeries "$IND_SERIES") || fail "indicators GetSeries (cached): $s2"
[ "$s1" = "$s2" ] || fail "indicators: the cached series differs from the computed one"
vals=$(echo "$s2" | python3 -c 'import json, sys; print(" ".join(p.get("value", "") for p in json.load(sys.stdin)["lines"][0]["points"]))') \
  || fail "indicators series: $s2"
[ "$vals" = "1517 2031" ] || fail "indicators series: '$vals'"
ok "indicators: GetSeries answered alike twice, the second from the read cache's stored encoding (1517, 2031)"

if out=$(ind_call "$IND_WMP" SubmitObservations '{"idempotencyKey": "smoke-bad", "rows": [
  {"indicatorCode": "CAIT.CRIMES", "period": {"code": "2015-16-Q1"}, "agencyCode": "WMP", "value": "-3"}]}' 2>&1); then
  fail "indicators: a bad row was accepted"
fi
echo "$out" | grep -q "InvalidArgument" && echo "$out" | grep -q "rows\[0\].period" && echo "$out" | grep -q "rows\[0\].value" \
  || fail "indicators bad row: $out"
ok "indicators: a bad row is InvalidArgument naming rows[0].period and rows[0].value"

ind_call "$IND_ADMIN" LockYear '{"year": {"code": "2015-16"}, "reason": "smoke approval"}' >/dev/null || fail "indicators LockYear"
if out=$(ind_call "$IND_WMP" SubmitObservations '{"idempotencyKey": "smoke-late", "rows": [
  {"indicatorCode": "CAIT.CRIMES", "period": {"code": "2015-16"}, "agencyCode": "WMP", "value": "2040"}]}' 2>&1); then
  fail "indicators: a write to a locked year was accepted"
fi
echo "$out" | grep -q "FailedPrecondition" && echo "$out" | grep -q "smoke approval" || fail "indicators locked year: $out"
ok "indicators: a locked year refuses writes with who and why"
