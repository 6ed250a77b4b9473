# Sourced by scripts/smoke.sh: the report API with grpcurl (narrative with a placeholder, an
# assembled Markdown report, publishing) and `lscbctl report` writing HTML.
ADMIN=$("$BIN" token issue --partnership bscb --role admin --secret-file "$DATA/jwt-secret")
A="127.0.0.1:$BASE"

grpcurl -plaintext "$A" list | grep -qx "lscb.report.v1.ReportService" || fail "reflection lists lscb.report.v1.ReportService"
ok "reflection lists lscb.report.v1.ReportService"

out=$(grpcurl -plaintext -H "authorization: Bearer $ADMIN" -d '{"year": "2015-16", "section": "foreword",
  "markdown": "We saw {{indicator:NOPE.CODE:2015-16}} cases."}' "$A" lscb.report.v1.ReportService/PutNarrative 2>&1) \
  && fail "an unknown placeholder was accepted: $out"
echo "$out" | grep -q "InvalidArgument" && echo "$out" | grep -q "NOPE.CODE" || fail "unknown placeholder: $out"
ok "PutNarrative refuses an unknown placeholder by name"

out=$(grpcurl -plaintext -H "authorization: Bearer $ADMIN" -d '{"year": "2015-16", "section": "foreword",
  "markdown": "The board delivered {{training:courses:2015-16}} courses."}' "$A" lscb.report.v1.ReportService/PutNarrative)
echo "$out" | grep -q '"version": 1' || fail "PutNarrative: $out"
ok "PutNarrative stores version 1"

# No service holds data for the year yet: the report is refused, naming the year.
if out=$(grpcurl -plaintext -max-time 30 -H "authorization: Bearer $ADMIN" -d '{"year": "2015-16", "format": "REPORT_FORMAT_MARKDOWN"}' \
  "$A" lscb.report.v1.ReportService/AssembleReport 2>&1); then
  fail "AssembleReport of a year without data succeeded"
fi
echo "$out" | grep -q "FailedPrecondition" && echo "$out" | grep -q "2015-16" || fail "AssembleReport without data: $out"
ok "AssembleReport of a year no service holds data for is FAILED_PRECONDITION naming the year"

# The indicators service gets the sample returns for 2015-16; the other three hold nothing.
AG_ENV=(env RUST_BACKTRACE=0 LSCB_AGGREGATOR_URL="http://$A" LSCB_INDICATORS_URL="http://127.0.0.1:$((BASE + 1))"
  LSCB_AUDITS_URL="http://127.0.0.1:$((BASE + 2))" LSCB_TRAINING_URL="http://127.0.0.1:$((BASE + 3))"
  LSCB_FINANCE_URL="http://127.0.0.1:$((BASE + 4))" LSCB_TOKEN="$ADMIN")
for kind in indicators observations; do
  out=$("${AG_ENV[@]}" "$BIN" import "$kind" "deploy/reference-data/samples/$kind.csv" --quiet 2>&1) || fail "import $kind: $out"
done
out=$(grpcurl -plaintext -max-time 30 -H "authorization: Bearer $ADMIN" -d '{"year": "2015-16", "format": "REPORT_FORMAT_MARKDOWN"}' \
  "$A" lscb.report.v1.ReportService/AssembleReport)
echo "$out" | grep -q 'The board delivered 0 courses.' || fail "AssembleReport did not resolve the placeholder: $(echo "$out" | head -c 600)"
echo "$out" | grep -q '"complete": true' && fail "a report with three services holding nothing says it is complete"
echo "$out" | grep -q '"finance"' || fail "AssembleReport does not name finance as a source without data: $(echo "$out" | head -c 600)"
ok "AssembleReport assembles the report and names the services that hold nothing for the year"

if out=$(grpcurl -plaintext -H "authorization: Bearer $ADMIN" -d '{"year": "2015-16"}' "$A" lscb.report.v1.ReportService/PublishReport 2>&1); then
  fail "an incomplete report was published without allow_incomplete"
fi
echo "$out" | grep -q "FailedPrecondition" || fail "PublishReport of an incomplete report: $out"
out=$(grpcurl -plaintext -H "authorization: Bearer $ADMIN" -d '{"year": "2015-16", "allow_incomplete": true}' "$A" lscb.report.v1.ReportService/PublishReport)
echo "$out" | grep -q '"version": 1' || fail "PublishReport: $out"
ok "PublishReport refuses an incomplete report, and freezes version 1 with allow_incomplete"

"$BIN" report --token "$ADMIN" --aggregator-url "http://$A" --year 2015-16 --format html -o "$DATA/report.html" 2>/dev/null \
  || fail "lscbctl report --format html"
grep -q '<svg\|<table>' "$DATA/report.html" && grep -q 'Annual Report 2015/16' "$DATA/report.html" \
  || fail "lscbctl report wrote no report"
ok "lscbctl report writes the HTML report"
