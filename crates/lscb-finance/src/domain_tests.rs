use super::*;

fn contribution(code: &str, agreed: i64) -> Contribution {
    Contribution {
        agency_code: code.into(),
        agreed_pence: agreed,
        invoiced_pence: agreed,
        invoiced_on: None,
        received_pence: 0,
        received_on: None,
        note: String::new(),
    }
}

fn year_with(ledger: &mut Ledger, y: i32, contrib: i64, income: i64, spent: i64) {
    ledger.years.insert(y, YearRecord::new_open(y));
    ledger.lines.insert(
        y,
        YearLines {
            contributions: vec![contribution("WMP", contrib)],
            income: vec![Income {
                category: "grants".into(),
                description: "g".into(),
                amount_pence: income,
            }],
            expenditure: vec![Expenditure {
                category: "training".into(),
                budget_pence: spent,
                actual_pence: spent,
                note: String::new(),
            }],
            ..Default::default()
        },
    );
}

#[test]
fn amounts_are_checked_for_sign_and_overflow() {
    let mut v = Violations::new();
    check_amount(&mut v, "a", 0);
    check_amount(&mut v, "b", MAX_AMOUNT_PENCE);
    assert!(v.is_empty());
    check_amount(&mut v, "c", -1);
    check_amount(&mut v, "d", MAX_AMOUNT_PENCE + 1);
    check_amount(&mut v, "e", i64::MAX);
    let fields: Vec<_> = v.iter().map(|f| f.field.as_str()).collect();
    assert_eq!(fields, ["c", "d", "e"]);
    assert!(v.iter().nth(1).unwrap().description.contains("overflow"));
}

#[test]
fn carry_forward_chains_through_open_years() {
    let mut l = Ledger::default();
    year_with(&mut l, 2014, 1000, 10, 600);
    year_with(&mut l, 2015, 2000, 20, 1500);
    year_with(&mut l, 2016, 3000, 30, 4000);
    let t14 = l.totals(2014);
    assert_eq!(t14.carry_forward.source, CarryForwardSource::None);
    assert_eq!(t14.total_budget_pence, 1010);
    assert_eq!(t14.closing_pence, 410);
    let t15 = l.totals(2015);
    assert_eq!(
        t15.carry_forward.source,
        CarryForwardSource::PreviousYearProvisional
    );
    assert_eq!(t15.carry_forward.amount_pence, 410);
    assert_eq!(t15.closing_pence, 410 + 2020 - 1500);
    let t16 = l.totals(2016);
    assert_eq!(t16.carry_forward.amount_pence, 930);
    assert_eq!(t16.closing_pence, 930 + 3030 - 4000);
    assert_eq!(l.closing(2016), -40);
}

#[test]
fn override_and_closed_snapshots_fix_the_chain() {
    let mut l = Ledger::default();
    year_with(&mut l, 2014, 1000, 0, 0);
    year_with(&mut l, 2015, 2000, 0, 0);
    l.years.get_mut(&2015).unwrap().cf_override = Some((50, "audited".into()));
    let t = l.totals(2015);
    assert_eq!(t.carry_forward.amount_pence, 50);
    assert_eq!(t.carry_forward.source, CarryForwardSource::Override);
    assert_eq!(t.carry_forward.computed_pence, Some(1000));
    // Close 2014; then change its lines: the snapshot still rules.
    let snap = l.close_snapshot(2014);
    assert_eq!(snap.closing_pence, 1000);
    let y = l.years.get_mut(&2014).unwrap();
    y.status = YearStatus::Closed;
    y.closed = Some(snap);
    l.lines.get_mut(&2014).unwrap().contributions[0].agreed_pence = 9;
    assert_eq!(l.closing(2014), 1000);
    l.years.get_mut(&2015).unwrap().cf_override = None;
    assert_eq!(l.totals(2015).carry_forward.amount_pence, 1000);
    assert_eq!(
        l.totals(2015).carry_forward.source,
        CarryForwardSource::PreviousYearClosed
    );
}

#[test]
fn close_and_reopen_blockers() {
    let mut l = Ledger::default();
    year_with(&mut l, 2014, 1, 0, 0);
    year_with(&mut l, 2015, 1, 0, 0);
    assert!(
        l.close_blocker(2015)
            .unwrap()
            .contains("2014-15 is still open")
    );
    assert!(l.close_blocker(2014).is_none());
    l.years.get_mut(&2014).unwrap().status = YearStatus::Closed;
    assert!(l.close_blocker(2015).is_none());
    l.years.get_mut(&2015).unwrap().status = YearStatus::Closed;
    assert!(
        l.reopen_blocker(2014)
            .unwrap()
            .contains("reopen 2015-16 first")
    );
    assert!(l.reopen_blocker(2015).is_none());
}

#[test]
fn percentages_round_to_two_places() {
    assert_eq!(percent(1, 3).unwrap().to_string(), "33.33");
    assert_eq!(percent(67440900, 78842900).unwrap().to_string(), "85.54");
    assert_eq!(percent(1, 0), None);
}

#[test]
fn diff_names_changed_fields_only() {
    let a = contribution("WMP", 100);
    let mut b = a.clone();
    b.received_pence = 40;
    b.received_on = NaiveDate::from_ymd_opt(2015, 6, 1);
    let d = diff(Some(&a), Some(&b));
    assert_eq!(
        d,
        vec![
            FieldChange {
                field: "received_on".into(),
                old: "".into(),
                new: "2015-06-01".into()
            },
            FieldChange {
                field: "received_pence".into(),
                old: "0".into(),
                new: "40".into()
            },
        ]
    );
    let created = diff(None, Some(&a));
    assert!(
        created
            .iter()
            .any(|c| c.field == "agreed_pence" && c.new == "100")
    );
    assert!(diff(Some(&a), Some(&a)).is_empty());
}

#[test]
fn categories_merge_over_defaults() {
    let merged = merge_expenditure_categories(&[
        Category {
            code: "training".into(),
            name: "Multi-agency training".into(),
            retired: false,
        },
        Category {
            code: "legal".into(),
            name: "Legal advice".into(),
            retired: false,
        },
    ]);
    assert_eq!(merged.len(), 8);
    assert_eq!(merged[2].name, "Multi-agency training");
    assert_eq!(merged[7].code, "legal");
    let mut v = Violations::new();
    check_category(&mut v, "x", &merged, "legal", true);
    check_category(&mut v, "y", &merged, "catering", true);
    check_category_code(&mut v, "z", "Bad Code");
    let fields: Vec<_> = v.iter().map(|f| f.field.as_str()).collect();
    assert_eq!(fields, ["y", "z"]);
}

#[test]
fn agencies_must_exist_in_the_partnership_during_the_year() {
    let p = Partnership {
        id: "p".into(),
        name: "P".into(),
        local_authority: "LA".into(),
        region: String::new(),
        statistical_neighbours: vec![],
        agencies: vec![lscb_platform::Agency {
            code: "OLD".into(),
            name: "Old trust".into(),
            sector: lscb_platform::Sector::Health,
            statutory: true,
            valid_from: None,
            valid_to: NaiveDate::from_ymd_opt(2015, 9, 30),
        }],
    };
    let mut v = Violations::new();
    check_agency(&mut v, "a", &p, Some(Period::year(2015)), "OLD");
    check_agency(&mut v, "b", &p, None, "OLD");
    assert!(v.is_empty());
    check_agency(&mut v, "c", &p, Some(Period::year(2016)), "OLD");
    check_agency(&mut v, "d", &p, None, "NEW");
    check_agency(&mut v, "e", &p, None, " ");
    let got: Vec<_> = v
        .iter()
        .map(|f| (f.field.as_str(), f.description.as_str()))
        .collect();
    assert_eq!(
        got,
        [
            ("c", "agency 'OLD' did not exist during 2016-17"),
            ("d", "unknown agency 'NEW' in partnership 'p'"),
            ("e", "is required (an agency code such as \"WMP\")"),
        ]
    );
}
