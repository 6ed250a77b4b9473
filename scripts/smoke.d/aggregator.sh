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

out=$(grpcurl -plaintext -max-time 30 -H "authorization: Bearer $ADMIN" -d '{"year": "2015-16", "format": "REPORT_FORMAT_MARKDOWN"}' \
  "$A" lscb.report.v1.ReportService/AssembleReport)
echo "$out" | grep -q '"complete": true' || fail "AssembleReport is not complete: $(echo "$out" | head -c 600)"
echo "$out" | grep -q 'The board delivered 0 courses.' || fail "AssembleReport did not resolve the placeholder"
ok "AssembleReport assembles a complete report from the four services"

out=$(grpcurl -plaintext -H "authorization: Bearer $ADMIN" -d '{"year": "2015-16"}' "$A" lscb.report.v1.ReportService/PublishReport)
echo "$out" | grep -q '"version": 1' || fail "PublishReport: $out"
ok "PublishReport freezes version 1"

"$BIN" report --token "$ADMIN" --aggregator-url "http://$A" --year 2015-16 --format html -o "$DATA/report.html" 2>/dev/null \
  || fail "lscbctl report --format html"
grep -q '<svg\|<table>' "$DATA/report.html" && grep -q 'Annual Report 2015/16' "$DATA/report.html" \
  || fail "lscbctl report wrote no report"
ok "lscbctl report writes the HTML report"
