# Import/seed smoke test (sourced by scripts/smoke.sh): `lscbctl seed --catalogue-only`, the
# sample files through `lscbctl import` (twice: stored once), and a bad file refused with its
# line and field.
DS_ENV=(env RUST_BACKTRACE=0 LSCB_AGGREGATOR_URL="http://127.0.0.1:$BASE" LSCB_INDICATORS_URL="http://127.0.0.1:$((BASE + 1))"
  LSCB_AUDITS_URL="http://127.0.0.1:$((BASE + 2))" LSCB_TRAINING_URL="http://127.0.0.1:$((BASE + 3))"
  LSCB_FINANCE_URL="http://127.0.0.1:$((BASE + 4))"
  LSCB_TOKEN="$("$BIN" token issue --partnership bscb --role admin --sub smoke-dataset --secret-file "$DATA/jwt-secret")")
ds() { "${DS_ENV[@]}" "$BIN" "$@" 2>&1; }

out=$(ds seed --catalogue-only --quiet) || fail "seed --catalogue-only: $out"
echo "$out" | grep -q "catalogue indicators" || fail "seed --catalogue-only: $out"
ok "seed --catalogue-only loads the default catalogue"
for kind in indicators observations finance; do
  for _ in 1 2; do
    out=$(ds import "$kind" "deploy/reference-data/samples/$kind.csv" --quiet) || fail "import $kind: $out"
  done
done
ok "import of the sample indicators, observations and finance files (twice)"
out=$(grpcurl -plaintext -H "authorization: Bearer $TOKEN" -d '{"indicator_code": "EX.CONTACTS", "period": {"code": "2015-05"}, "agency_code": "BCC-PEOPLE"}' \
  "127.0.0.1:$((BASE + 1))" lscb.indicators.v1.IndicatorService/ListRevisions) || fail "ListRevisions: $out"
[ "$(echo "$out" | grep -c '"revision"')" = 1 ] || fail "an imported observation has more than one revision: $out"
ok "a file imported twice is stored once"
printf 'indicator,period,agency,value\nEX.CONTACTS,2015-08,BCC-PEOPLE,1\nEX.CONTACTS,2015-13,BCC-PEOPLE,2\n' >"$DATA/bad.csv"
if out=$(ds import observations "$DATA/bad.csv" --quiet); then fail "a bad file was imported: $out"; fi
echo "$out" | grep -q "line 3: period:" || fail "the bad row is not named by line and field: $out"
ok "a bad file is refused, naming line 3 and its field"
