use super::*;

#[test]
fn rows_carry_their_line_numbers_and_the_file_its_hash() {
    let f = CsvFile::parse("t.csv", b"a,b\n1,2\n\n3,4\n").unwrap();
    assert_eq!(f.rows.len(), 2);
    assert_eq!(f.rows[0].line, 2);
    assert_eq!(f.rows[1].line, 4);
    assert_eq!(f.rows[1].get("b"), "4");
    assert_eq!(f.hash, sha256_hex(b"a,b\n1,2\n\n3,4\n"));
    assert!(f.key("obs").starts_with("obs-"));
}

#[test]
fn missing_columns_are_named() {
    let f = CsvFile::parse("t.csv", b"a\n1\n").unwrap();
    let e = f.require_columns(&["a", "b", "c"]).unwrap_err().to_string();
    assert!(e.contains("missing column(s) b, c"), "{e}");
}

#[test]
fn field_helpers_name_line_and_field() {
    let row = Row::new(
        7,
        &[
            ("period", "2015-17"),
            ("n", "x"),
            ("p", "-5"),
            ("d", "2015-02-30"),
        ],
    );
    let mut errs = Vec::new();
    row.period("period", &mut errs);
    row.decimal("n", &mut errs);
    row.pence("p", &mut errs);
    row.date("d", &mut errs);
    row.req("missing", &mut errs);
    let fields: Vec<_> = errs.iter().map(|e| (e.line, e.field.as_str())).collect();
    assert_eq!(
        fields,
        vec![(7, "period"), (7, "n"), (7, "p"), (7, "d"), (7, "missing")]
    );
}

#[test]
fn enumerations_and_pairs() {
    let row = Row::new(3, &[("unit", "rate_per_10000"), ("kv", "a=1;b")]);
    let mut errs = Vec::new();
    let v = row.enumeration(
        "unit",
        "UNIT",
        "count, percent",
        lscb_proto::indicators::v1::Unit::from_str_name,
        &mut errs,
    );
    assert_eq!(v, lscb_proto::indicators::v1::Unit::RatePer10000 as i32);
    let pairs = row.pairs("kv", &mut errs);
    assert_eq!(pairs, vec![("a".to_string(), "1".to_string())]);
    assert_eq!(errs.len(), 1);
    assert_eq!(errs[0].field, "kv");
}

#[test]
fn server_violations_map_back_to_csv_lines() {
    assert_eq!(
        locate("rows[2].period", &[2, 3, 9]),
        (9, "period".to_string())
    );
    assert_eq!(
        locate("case_reviews[0].agencies[1]", &[5]),
        (5, "agencies[1]".to_string())
    );
    assert_eq!(
        locate("idempotency_key", &[4, 5]),
        (4, "idempotency_key".to_string())
    );
}

#[test]
fn an_error_of_the_whole_request_has_no_made_up_line() {
    let status = tonic::Status::unavailable("the service is restarting");
    let errs = map_violations(&status, &[2, 3]);
    assert_eq!(
        errs[0].to_string(),
        "whole file: Unavailable: the service is restarting"
    );
    let row = RowError {
        line: 4,
        field: "period".into(),
        message: "'2015-13' is not a month".into(),
    };
    assert_eq!(row.to_string(), "line 4: period: '2015-13' is not a month");
    let no_field = RowError {
        line: 4,
        field: String::new(),
        message: "duplicate row".into(),
    };
    assert_eq!(no_field.to_string(), "line 4: duplicate row");
}
