//! FinanceService end to end through gRPC, on SQLite and (with `LSCB_TEST_PG_URL`)
//! PostgreSQL.

use lscb_platform::testing::{AuthChannel, TestServer, databases};
use lscb_platform::{Db, Role};
use lscb_proto::common::v1::Period;
use lscb_proto::finance::v1 as pb;
use lscb_proto::finance::v1::finance_service_client::FinanceServiceClient;
use tonic::Code;
use tonic_types::StatusExt;

type Client = FinanceServiceClient<AuthChannel>;

async fn spawn(db: Db) -> TestServer {
    lscb_finance::migrate(&db).await.unwrap();
    TestServer::spawn(db, lscb_finance::serve).await
}

fn year(code: &str) -> Option<Period> {
    Some(Period { code: code.into() })
}

fn contribution(code: &str, agreed: i64) -> pb::ContributionInput {
    pb::ContributionInput {
        agency_code: code.into(),
        agreed_pence: agreed,
        ..Default::default()
    }
}

fn spend(category: &str, budget: i64, actual: i64) -> pb::ExpenditureInput {
    pb::ExpenditureInput {
        category: category.into(),
        budget_pence: budget,
        actual_pence: actual,
        note: String::new(),
    }
}

fn bad_fields(status: &tonic::Status) -> Vec<String> {
    assert_eq!(status.code(), Code::InvalidArgument, "{status:?}");
    status
        .get_details_bad_request()
        .expect("bad request details")
        .field_violations
        .into_iter()
        .map(|f| f.field)
        .collect()
}

async fn statement(c: &mut Client, y: &str) -> pb::Statement {
    c.get_statement(pb::GetStatementRequest { year: year(y) })
        .await
        .unwrap()
        .into_inner()
}

async fn history(c: &mut Client, y: &str) -> Vec<pb::HistoryEntry> {
    c.list_history(pb::ListHistoryRequest {
        year: year(y),
        entity: String::new(),
        page: Some(lscb_proto::common::v1::PageRequest {
            page_size: 1000,
            page_token: String::new(),
        }),
    })
    .await
    .unwrap()
    .into_inner()
    .entries
}

/// The reference board's 2015/16 budget: £674,409 contributions, £105,870 carried forward
/// (from before the system, so an override with its reason), £8,150 income.
async fn load_reference_year(c: &mut Client) {
    c.put_contributions(pb::PutContributionsRequest {
        year: year("2015-16"),
        contributions: vec![
            pb::ContributionInput {
                agency_code: "BCC-PEOPLE".into(),
                agreed_pence: 35_000_000,
                invoiced_pence: 35_000_000,
                invoiced_on: "2015-04-15".into(),
                received_pence: 35_000_000,
                received_on: "2015-05-01".into(),
                note: String::new(),
            },
            pb::ContributionInput {
                agency_code: "WMP".into(),
                agreed_pence: 12_000_000,
                invoiced_pence: 12_000_000,
                invoiced_on: "2015-04-15".into(),
                received_pence: 6_000_000,
                received_on: "2015-09-30".into(),
                note: "second half due".into(),
            },
            contribution("BSC-CCG", 8_000_000),
            contribution("CC-CCG", 6_000_000),
            contribution("SWB-CCG", 3_440_900),
            contribution("NPS", 1_000_000),
            contribution("CRC", 1_000_000),
            contribution("YOS", 1_000_000),
            contribution("NHSE", 0),
        ],
        idempotency_key: "ref-contributions".into(),
    })
    .await
    .unwrap();
    c.set_carry_forward(pb::SetCarryForwardRequest {
        year: year("2015-16"),
        override_pence: Some(10_587_000),
        reason: "Balance brought forward from 2014/15, before lscb".into(),
    })
    .await
    .unwrap();
    c.put_income(pb::PutIncomeRequest {
        year: year("2015-16"),
        lines: vec![
            pb::IncomeInput {
                category: "training_fees".into(),
                description: "Training fees from non-partners".into(),
                amount_pence: 600_000,
                remove: false,
            },
            pb::IncomeInput {
                category: "non_attendance_charges".into(),
                description: "Non-attendance charges".into(),
                amount_pence: 215_000,
                remove: false,
            },
        ],
        idempotency_key: String::new(),
    })
    .await
    .unwrap();
    c.put_expenditure(pb::PutExpenditureRequest {
        year: year("2015-16"),
        lines: vec![
            spend("business_support_unit", 40_000_000, 39_000_000),
            spend("independent_chair", 6_000_000, 6_000_000),
            spend("training", 20_000_000, 21_500_000),
            spend("learning_reviews", 8_000_000, 7_000_000),
            spend("quality_assurance", 4_000_000, 3_500_000),
        ],
        idempotency_key: String::new(),
    })
    .await
    .unwrap();
    c.put_in_kind(pb::PutInKindRequest {
        year: year("2015-16"),
        items: vec![
            pb::InKindInput {
                agency_code: "BCC-PEOPLE".into(),
                description: "Office accommodation for the business support unit".into(),
                estimated_value_pence: None,
                remove: false,
            },
            pb::InKindInput {
                agency_code: "BCC-PEOPLE".into(),
                description: "IT, legal, financial and HR support".into(),
                estimated_value_pence: Some(2_500_000),
                remove: false,
            },
        ],
        idempotency_key: String::new(),
    })
    .await
    .unwrap();
    c.put_planned_changes(pb::PutPlannedChangesRequest {
        year: year("2015-16"),
        changes: vec![pb::PlannedChangeInput {
            description: "Public sector funding".into(),
            direction: pb::ChangeDirection::Reduction as i32,
            amount_pence: 7_984_900,
            reason: "The impact of public sector funding reductions".into(),
            remove: false,
        }],
        idempotency_key: String::new(),
    })
    .await
    .unwrap();
}

#[tokio::test]
async fn the_reference_year_comes_out_exactly() {
    for (name, db) in databases().await {
        let server = spawn(db).await;
        let mut admin = Client::new(server.admin().await);
        load_reference_year(&mut admin).await;

        // A reader sees the statement.
        let mut reader = Client::new(server.reader().await);
        let s = statement(&mut reader, "2015-16").await;
        assert_eq!(s.partnership, "bscb");
        assert_eq!(s.contributions_total_pence, 67_440_900, "{name}");
        assert_eq!(s.carry_forward_pence, 10_587_000, "{name}");
        assert_eq!(s.income_total_pence, 815_000, "{name}");
        assert_eq!(s.total_budget_pence, 78_842_900, "{name}: £788,429");
        let y = s.year.as_ref().unwrap();
        assert_eq!(y.status, pb::YearStatus::Open as i32);
        let cf = y.carry_forward.as_ref().unwrap();
        assert_eq!(cf.source, pb::CarryForwardSource::Override as i32);
        assert_eq!(
            cf.override_reason,
            "Balance brought forward from 2014/15, before lscb"
        );

        // Contributions: largest first, shares, outstanding, the nil payer and the
        // statutory agencies with nothing recorded.
        let first = &s.contributions[0];
        assert_eq!(first.agency_code, "BCC-PEOPLE");
        assert_eq!(
            first.share_of_contributions_percent.as_ref().unwrap().value,
            "51.90"
        );
        assert_eq!(
            first.share_of_total_budget_percent.as_ref().unwrap().value,
            "44.39"
        );
        let wmp = s
            .contributions
            .iter()
            .find(|c| c.agency_code == "WMP")
            .unwrap();
        assert_eq!(wmp.outstanding_pence, 6_000_000);
        assert_eq!(wmp.received_on, "2015-09-30");
        let nhse = s
            .contributions
            .iter()
            .find(|c| c.agency_code == "NHSE")
            .unwrap();
        assert!(nhse.recorded && nhse.pays_nothing);
        let bch = s
            .contributions
            .iter()
            .find(|c| c.agency_code == "BCH")
            .expect("a statutory agency without a record is listed");
        assert!(!bch.recorded && !bch.pays_nothing);
        assert_eq!(s.contributions_received_pence, 41_000_000);
        assert_eq!(s.contributions_outstanding_pence, 67_440_900 - 41_000_000);

        let by_cat: Vec<_> = s
            .income_by_category
            .iter()
            .map(|c| (c.category.as_str(), c.amount_pence))
            .collect();
        assert_eq!(
            by_cat,
            [
                ("training_fees", 600_000),
                ("non_attendance_charges", 215_000),
                ("grants", 0),
                ("other", 0)
            ]
        );

        assert_eq!(s.expenditure.len(), 5);
        let training = s
            .expenditure
            .iter()
            .find(|e| e.category == "training")
            .unwrap();
        assert_eq!(training.variance_pence, -1_500_000);
        assert_eq!(training.category_name, "Training");
        assert_eq!(s.expenditure_budget_pence, 78_000_000);
        assert_eq!(s.expenditure_actual_pence, 77_000_000);
        assert_eq!(s.expenditure_variance_pence, 1_000_000);
        assert_eq!(s.outturn_pence, 77_000_000);
        assert_eq!(s.closing_balance_pence, 1_842_900);
        assert!(!s.in_deficit);

        // In kind is listed beside the budget, not added into it.
        assert_eq!(s.in_kind.len(), 2);
        assert_eq!(s.in_kind_estimated_total_pence, 2_500_000);
        assert_eq!(s.total_budget_pence, 78_842_900);

        assert_eq!(s.next_year.as_ref().unwrap().code, "2016-17");
        assert_eq!(s.planned_changes[0].amount_pence, 7_984_900);
        assert_eq!(s.planned_net_change_pence, -7_984_900);
        assert!(s.previous_year.is_none());

        server.shutdown().await;
    }
}

#[tokio::test]
async fn carry_forward_chains_over_three_years() {
    for (name, db) in databases().await {
        let server = spawn(db).await;
        let mut c = Client::new(server.admin().await);
        for (y, agreed, spent) in [
            ("2014-15", 50_000_000, 45_000_000),
            ("2015-16", 60_000_000, 62_000_000),
            ("2016-17", 40_000_000, 10_000_000),
        ] {
            c.put_contributions(pb::PutContributionsRequest {
                year: year(y),
                contributions: vec![contribution("WMP", agreed)],
                idempotency_key: String::new(),
            })
            .await
            .unwrap();
            c.put_expenditure(pb::PutExpenditureRequest {
                year: year(y),
                lines: vec![spend("training", spent, spent)],
                idempotency_key: String::new(),
            })
            .await
            .unwrap();
        }
        c.set_carry_forward(pb::SetCarryForwardRequest {
            year: year("2014-15"),
            override_pence: Some(1_000_000),
            reason: "opening balance from the ledger".into(),
        })
        .await
        .unwrap();

        // Before any close the chain is provisional.
        let s16 = statement(&mut c, "2016-17").await;
        let cf = s16.year.unwrap().carry_forward.unwrap();
        assert_eq!(
            cf.source,
            pb::CarryForwardSource::PreviousYearProvisional as i32,
            "{name}"
        );
        // 2014-15: 10,000 + 500,000 - 450,000 = 60,000; 2015-16: 60,000 + 600,000 - 620,000
        // = 40,000 (in pounds).
        assert_eq!(cf.amount_pence, 4_000_000, "{name}");

        // Closing 2015-16 before 2014-15 is refused.
        let e = c
            .close_year(pb::CloseYearRequest {
                year: year("2015-16"),
            })
            .await
            .unwrap_err();
        assert_eq!(e.code(), Code::FailedPrecondition);
        assert!(e.message().contains("2014-15 is still open"), "{e:?}");

        let y14 = c
            .close_year(pb::CloseYearRequest {
                year: year("2014-15"),
            })
            .await
            .unwrap()
            .into_inner();
        assert_eq!(y14.status, pb::YearStatus::Closed as i32);
        assert_eq!(y14.closing_balance_pence, 6_000_000);
        assert_eq!(y14.outturn_pence, 45_000_000);
        let y15 = c
            .close_year(pb::CloseYearRequest {
                year: year("2015-16"),
            })
            .await
            .unwrap()
            .into_inner();
        let cf15 = y15.carry_forward.unwrap();
        assert_eq!(cf15.amount_pence, 6_000_000);
        assert_eq!(
            cf15.source,
            pb::CarryForwardSource::PreviousYearClosed as i32
        );
        assert_eq!(y15.closing_balance_pence, 4_000_000);

        let s16 = statement(&mut c, "2016-17").await;
        let cf16 = s16.year.as_ref().unwrap().carry_forward.as_ref().unwrap();
        assert_eq!(
            cf16.source,
            pb::CarryForwardSource::PreviousYearClosed as i32
        );
        assert_eq!(s16.carry_forward_pence, 4_000_000);
        assert_eq!(s16.total_budget_pence, 44_000_000);
        assert_eq!(s16.closing_balance_pence, 34_000_000);
        // Change on the previous year: 2015-16's total was 66,000,000.
        let prev = s16.previous_year.unwrap();
        assert_eq!(prev.previous_year.unwrap().code, "2015-16");
        assert_eq!(prev.previous_total_budget_pence, 66_000_000);
        assert_eq!(prev.total_budget_change_pence, -22_000_000);
        assert_eq!(prev.total_budget_change_percent.unwrap().value, "-33.33");
        assert_eq!(prev.previous_outturn_pence, 62_000_000);

        let years = c
            .list_budget_years(pb::ListBudgetYearsRequest {})
            .await
            .unwrap()
            .into_inner()
            .years;
        let codes: Vec<_> = years
            .iter()
            .map(|y| (y.year.as_ref().unwrap().code.as_str(), y.status))
            .collect();
        assert_eq!(
            codes,
            [
                ("2014-15", pb::YearStatus::Closed as i32),
                ("2015-16", pb::YearStatus::Closed as i32),
                ("2016-17", pb::YearStatus::Open as i32),
            ]
        );
        server.shutdown().await;
    }
}

#[tokio::test]
async fn a_closed_year_refuses_writes_and_nothing_changes() {
    for (name, db) in databases().await {
        let server = spawn(db).await;
        let mut c = Client::new(server.admin().await);
        load_reference_year(&mut c).await;
        c.close_year(pb::CloseYearRequest {
            year: year("2015-16"),
        })
        .await
        .unwrap();
        let before = statement(&mut c, "2015-16").await;
        let history_before = history(&mut c, "2015-16").await.len();

        let e = c
            .put_contributions(pb::PutContributionsRequest {
                year: year("2015-16"),
                contributions: vec![contribution("WMP", 1)],
                idempotency_key: String::new(),
            })
            .await
            .unwrap_err();
        assert_eq!(e.code(), Code::FailedPrecondition, "{name}");
        assert!(e.message().contains("2015-16 is closed"), "{e:?}");
        let pf = e.get_details_precondition_failure().unwrap();
        assert_eq!(pf.violations[0].subject, "2015-16");
        for e in [
            c.put_income(pb::PutIncomeRequest {
                year: year("2015-16"),
                lines: vec![pb::IncomeInput {
                    category: "grants".into(),
                    description: "late grant".into(),
                    amount_pence: 5,
                    remove: false,
                }],
                idempotency_key: String::new(),
            })
            .await
            .unwrap_err(),
            c.put_expenditure(pb::PutExpenditureRequest {
                year: year("2015-16"),
                lines: vec![spend("training", 1, 1)],
                idempotency_key: String::new(),
            })
            .await
            .unwrap_err(),
            c.set_carry_forward(pb::SetCarryForwardRequest {
                year: year("2015-16"),
                override_pence: Some(0),
                reason: "x".into(),
            })
            .await
            .unwrap_err(),
            c.close_year(pb::CloseYearRequest {
                year: year("2015-16"),
            })
            .await
            .unwrap_err(),
        ] {
            assert_eq!(e.code(), Code::FailedPrecondition, "{name}: {e:?}");
        }
        assert_eq!(statement(&mut c, "2015-16").await, before);
        assert_eq!(history(&mut c, "2015-16").await.len(), history_before);

        // Reopening needs a reason, and records it.
        let e = c
            .reopen_year(pb::ReopenYearRequest {
                year: year("2015-16"),
                reason: " ".into(),
            })
            .await
            .unwrap_err();
        assert_eq!(bad_fields(&e), ["reason"]);
        let y = c
            .reopen_year(pb::ReopenYearRequest {
                year: year("2015-16"),
                reason: "Late invoice from the chair".into(),
            })
            .await
            .unwrap()
            .into_inner();
        assert_eq!(y.status, pb::YearStatus::Open as i32);
        let h = history(&mut c, "2015-16").await;
        assert_eq!(h[0].field, "status");
        assert_eq!(
            (h[0].old_value.as_str(), h[0].new_value.as_str()),
            ("closed", "open")
        );
        assert_eq!(h[0].reason, "Late invoice from the chair");
        assert!(h[0].actor.contains("admin"));
        assert!(!h[0].at.is_empty());
        // Open again: writes are accepted.
        c.put_contributions(pb::PutContributionsRequest {
            year: year("2015-16"),
            contributions: vec![contribution("WMP", 12_000_001)],
            idempotency_key: String::new(),
        })
        .await
        .unwrap();
        // Reopening an open year is a precondition failure.
        let e = c
            .reopen_year(pb::ReopenYearRequest {
                year: year("2015-16"),
                reason: "again".into(),
            })
            .await
            .unwrap_err();
        assert_eq!(e.code(), Code::FailedPrecondition);
        server.shutdown().await;
    }
}

#[tokio::test]
async fn carry_forward_override_needs_a_reason_and_is_recorded() {
    for (name, db) in databases().await {
        let server = spawn(db).await;
        let mut c = Client::new(server.admin().await);
        c.put_contributions(pb::PutContributionsRequest {
            year: year("2014-15"),
            contributions: vec![contribution("WMP", 1_000)],
            idempotency_key: String::new(),
        })
        .await
        .unwrap();
        c.create_budget_year(pb::CreateBudgetYearRequest {
            year: year("2015-16"),
        })
        .await
        .unwrap();

        let e = c
            .set_carry_forward(pb::SetCarryForwardRequest {
                year: year("2015-16"),
                override_pence: Some(500),
                reason: String::new(),
            })
            .await
            .unwrap_err();
        assert_eq!(bad_fields(&e), ["reason"], "{name}");
        let s = statement(&mut c, "2015-16").await;
        assert_eq!(s.carry_forward_pence, 1_000, "nothing changed");

        let y = c
            .set_carry_forward(pb::SetCarryForwardRequest {
                year: year("2015-16"),
                override_pence: Some(500),
                reason: "Audited balance differs".into(),
            })
            .await
            .unwrap()
            .into_inner();
        let cf = y.carry_forward.unwrap();
        assert_eq!(cf.amount_pence, 500);
        assert_eq!(cf.source, pb::CarryForwardSource::Override as i32);
        assert_eq!(cf.computed_pence, Some(1_000));
        assert_eq!(cf.override_reason, "Audited balance differs");
        let h = history(&mut c, "2015-16").await;
        assert_eq!(h[0].field, "carry_forward_override_pence");
        assert_eq!(
            (h[0].old_value.as_str(), h[0].new_value.as_str()),
            ("", "500")
        );
        assert_eq!(h[0].reason, "Audited balance differs");

        // Clearing also needs a reason; then the computed figure returns.
        let y = c
            .set_carry_forward(pb::SetCarryForwardRequest {
                year: year("2015-16"),
                override_pence: None,
                reason: "Audit confirmed the ledger".into(),
            })
            .await
            .unwrap()
            .into_inner();
        let cf = y.carry_forward.unwrap();
        assert_eq!(cf.amount_pence, 1_000);
        assert_eq!(
            cf.source,
            pb::CarryForwardSource::PreviousYearProvisional as i32
        );
        let e = c
            .set_carry_forward(pb::SetCarryForwardRequest {
                year: year("2015-16"),
                override_pence: Some(domain_max() + 1),
                reason: "x".into(),
            })
            .await
            .unwrap_err();
        assert_eq!(bad_fields(&e), ["override_pence"]);
        let e = c
            .set_carry_forward(pb::SetCarryForwardRequest {
                year: year("2019-20"),
                override_pence: Some(1),
                reason: "x".into(),
            })
            .await
            .unwrap_err();
        assert_eq!(e.code(), Code::NotFound);
        let e = c
            .create_budget_year(pb::CreateBudgetYearRequest {
                year: year("2015-16"),
            })
            .await
            .unwrap_err();
        assert_eq!(e.code(), Code::AlreadyExists);
        server.shutdown().await;
    }
}

fn domain_max() -> i64 {
    lscb_finance::domain::MAX_AMOUNT_PENCE
}

#[tokio::test]
async fn every_bad_field_is_named_and_nothing_is_stored() {
    for (name, db) in databases().await {
        let server = spawn(db).await;
        let mut c = Client::new(server.admin().await);
        let e = c
            .put_contributions(pb::PutContributionsRequest {
                year: year("2015-16"),
                contributions: vec![
                    contribution("WMP", -1),
                    contribution("NOSUCH", 5),
                    pb::ContributionInput {
                        agency_code: "BCH".into(),
                        received_pence: i64::MAX,
                        received_on: "30/09/2015".into(),
                        ..Default::default()
                    },
                    contribution("OPOL", 1),
                    contribution("WMP", 2),
                ],
                idempotency_key: String::new(),
            })
            .await
            .unwrap_err();
        assert_eq!(
            bad_fields(&e),
            [
                "contributions[0].agreed_pence",
                "contributions[1].agency_code",
                "contributions[2].received_pence",
                "contributions[2].received_on",
                "contributions[3].agency_code",
                "contributions[4].agency_code",
            ],
            "{name}"
        );
        assert!(e.message().contains("negative"));
        assert!(e.message().contains("overflow"));
        assert!(e.message().contains("unknown agency 'NOSUCH'"));

        let e = c
            .put_income(pb::PutIncomeRequest {
                year: year("2015-16"),
                lines: vec![pb::IncomeInput {
                    category: "donations".into(),
                    description: String::new(),
                    amount_pence: -5,
                    remove: false,
                }],
                idempotency_key: String::new(),
            })
            .await
            .unwrap_err();
        assert_eq!(
            bad_fields(&e),
            [
                "lines[0].category",
                "lines[0].description",
                "lines[0].amount_pence"
            ]
        );

        let e = c
            .put_expenditure(pb::PutExpenditureRequest {
                year: year("2015-16-Q1"),
                lines: vec![
                    spend("catering", 1, 1),
                    spend("training", 1, domain_max() + 1),
                ],
                idempotency_key: String::new(),
            })
            .await
            .unwrap_err();
        assert_eq!(
            bad_fields(&e),
            ["year", "lines[0].category", "lines[1].actual_pence"]
        );

        let e = c
            .put_in_kind(pb::PutInKindRequest {
                year: year("2015-16"),
                items: vec![pb::InKindInput {
                    agency_code: "NOSUCH".into(),
                    description: "desk".into(),
                    estimated_value_pence: Some(-3),
                    remove: false,
                }],
                idempotency_key: String::new(),
            })
            .await
            .unwrap_err();
        assert_eq!(
            bad_fields(&e),
            ["items[0].agency_code", "items[0].estimated_value_pence"]
        );

        let e = c
            .put_planned_changes(pb::PutPlannedChangesRequest {
                year: year("2015-16"),
                changes: vec![pb::PlannedChangeInput {
                    description: "cut".into(),
                    direction: 0,
                    amount_pence: 1,
                    reason: String::new(),
                    remove: false,
                }],
                idempotency_key: String::new(),
            })
            .await
            .unwrap_err();
        assert_eq!(
            bad_fields(&e),
            ["changes[0].direction", "changes[0].reason"]
        );

        let e = c
            .put_contributions(pb::PutContributionsRequest {
                year: None,
                contributions: vec![],
                idempotency_key: String::new(),
            })
            .await
            .unwrap_err();
        assert_eq!(bad_fields(&e), ["year", "contributions"]);

        let e = c
            .list_history(pb::ListHistoryRequest {
                year: year("2015"),
                entity: "budget".into(),
                page: None,
            })
            .await
            .unwrap_err();
        assert_eq!(bad_fields(&e), ["year", "entity"]);
        let e = c
            .reopen_year(pb::ReopenYearRequest {
                year: year("2015-16"),
                reason: String::new(),
            })
            .await
            .unwrap_err();
        assert_eq!(bad_fields(&e), ["reason"]);

        // Nothing was stored: no year was even created.
        assert!(history(&mut c, "2015-16").await.is_empty());
        let years = c
            .list_budget_years(pb::ListBudgetYearsRequest {})
            .await
            .unwrap()
            .into_inner()
            .years;
        assert!(years.is_empty(), "{name}: {years:?}");
        let e = c
            .get_statement(pb::GetStatementRequest {
                year: year("2015-16"),
            })
            .await
            .unwrap_err();
        assert_eq!(e.code(), Code::NotFound);
        server.shutdown().await;
    }
}

#[tokio::test]
async fn admins_write_readers_read_partnerships_are_separate() {
    for (name, db) in databases().await {
        let server = spawn(db).await;
        let mut admin = Client::new(server.admin().await);
        load_reference_year(&mut admin).await;

        let mut reader = Client::new(server.reader().await);
        let mut submitter = Client::new(server.submitter("WMP").await);
        for c in [&mut reader, &mut submitter] {
            let e = c
                .put_contributions(pb::PutContributionsRequest {
                    year: year("2015-16"),
                    contributions: vec![contribution("WMP", 1)],
                    idempotency_key: String::new(),
                })
                .await
                .unwrap_err();
            assert_eq!(e.code(), Code::PermissionDenied, "{name}");
            let e = c
                .close_year(pb::CloseYearRequest {
                    year: year("2015-16"),
                })
                .await
                .unwrap_err();
            assert_eq!(e.code(), Code::PermissionDenied);
            // Reading is allowed.
            assert_eq!(statement(c, "2015-16").await.total_budget_pence, 78_842_900);
        }

        // Another partnership's admin sees none of bscb's budget.
        let mut other = Client::new(
            server
                .channel(Some(server.token_for("other", Role::Admin, None)))
                .await,
        );
        let e = other
            .get_statement(pb::GetStatementRequest {
                year: year("2015-16"),
            })
            .await
            .unwrap_err();
        assert_eq!(e.code(), Code::NotFound);
        assert!(
            other
                .list_budget_years(pb::ListBudgetYearsRequest {})
                .await
                .unwrap()
                .into_inner()
                .years
                .is_empty()
        );
        assert!(history(&mut other, "2015-16").await.is_empty());
        // ...and its own year is independent of bscb's.
        other
            .put_contributions(pb::PutContributionsRequest {
                year: year("2015-16"),
                contributions: vec![contribution("OPOL", 7)],
                idempotency_key: "ref-contributions".into(),
            })
            .await
            .unwrap();
        assert_eq!(statement(&mut other, "2015-16").await.total_budget_pence, 7);
        assert_eq!(
            statement(&mut admin, "2015-16").await.total_budget_pence,
            78_842_900
        );

        // No token at all.
        let mut anon = Client::new(server.channel(None).await);
        let e = anon
            .list_budget_years(pb::ListBudgetYearsRequest {})
            .await
            .unwrap_err();
        assert_eq!(e.code(), Code::Unauthenticated);
        server.shutdown().await;
    }
}

#[tokio::test]
async fn replays_return_the_first_result_and_history_records_every_change() {
    for (name, db) in databases().await {
        let server = spawn(db).await;
        let mut c = Client::new(server.admin().await);
        let req = pb::PutContributionsRequest {
            year: year("2015-16"),
            contributions: vec![contribution("WMP", 100), contribution("BCH", 200)],
            idempotency_key: "k-1".into(),
        };
        let first = c.put_contributions(req.clone()).await.unwrap().into_inner();
        assert_eq!(first.summary.unwrap().created, 2, "{name}");
        let h1 = history(&mut c, "2015-16").await.len();
        let again = c.put_contributions(req.clone()).await.unwrap().into_inner();
        assert_eq!(again, first);
        assert_eq!(history(&mut c, "2015-16").await.len(), h1);

        let mut different = req.clone();
        different.contributions[0].agreed_pence = 101;
        let e = c.put_contributions(different).await.unwrap_err();
        assert_eq!(e.code(), Code::AlreadyExists);

        // Without a key the same content is "unchanged", and a change is recorded
        // field by field.
        let mut update = req.clone();
        update.idempotency_key = String::new();
        update.contributions[0].received_pence = 100;
        update.contributions[0].received_on = "2015-06-30".into();
        let s = c
            .put_contributions(update)
            .await
            .unwrap()
            .into_inner()
            .summary
            .unwrap();
        assert_eq!((s.updated, s.unchanged, s.created), (1, 1, 0));
        let h = history(&mut c, "2015-16").await;
        let mut latest: Vec<_> = h
            .iter()
            .filter(|e| e.entity == "contribution" && e.key == "WMP")
            .take(2)
            .map(|e| (e.field.as_str(), e.old_value.as_str(), e.new_value.as_str()))
            .collect();
        latest.sort();
        assert_eq!(
            latest,
            [
                ("received_on", "", "2015-06-30"),
                ("received_pence", "0", "100")
            ]
        );

        // Income lines can be removed; the removal is recorded.
        c.put_income(pb::PutIncomeRequest {
            year: year("2015-16"),
            lines: vec![pb::IncomeInput {
                category: "grants".into(),
                description: "Home Office grant".into(),
                amount_pence: 1_000,
                remove: false,
            }],
            idempotency_key: String::new(),
        })
        .await
        .unwrap();
        let s = c
            .put_income(pb::PutIncomeRequest {
                year: year("2015-16"),
                lines: vec![pb::IncomeInput {
                    category: "grants".into(),
                    description: "Home Office grant".into(),
                    amount_pence: 0,
                    remove: true,
                }],
                idempotency_key: String::new(),
            })
            .await
            .unwrap()
            .into_inner()
            .summary
            .unwrap();
        assert_eq!(s.removed, 1);
        assert_eq!(statement(&mut c, "2015-16").await.income_total_pence, 0);
        let h = c
            .list_history(pb::ListHistoryRequest {
                year: year("2015-16"),
                entity: "income".into(),
                page: None,
            })
            .await
            .unwrap()
            .into_inner()
            .entries;
        assert!(
            h.iter().any(|e| e.field == "amount_pence"
                && e.old_value == "1000"
                && e.new_value.is_empty())
        );
        server.shutdown().await;
    }
}

#[tokio::test]
async fn expenditure_categories_are_configurable() {
    for (name, db) in databases().await {
        let server = spawn(db).await;
        let mut c = Client::new(server.admin().await);
        let cats = c
            .list_categories(pb::ListCategoriesRequest {})
            .await
            .unwrap()
            .into_inner();
        assert_eq!(cats.income.len(), 4, "{name}");
        assert_eq!(cats.expenditure.len(), 7);
        assert_eq!(cats.expenditure[0].code, "business_support_unit");

        c.put_expenditure_category(pb::PutExpenditureCategoryRequest {
            code: "legal".into(),
            name: "Legal advice".into(),
            retired: false,
        })
        .await
        .unwrap();
        c.put_expenditure_category(pb::PutExpenditureCategoryRequest {
            code: "communications".into(),
            name: "Communications".into(),
            retired: true,
        })
        .await
        .unwrap();
        c.put_expenditure(pb::PutExpenditureRequest {
            year: year("2015-16"),
            lines: vec![spend("legal", 10, 12)],
            idempotency_key: String::new(),
        })
        .await
        .unwrap();
        let e = c
            .put_expenditure(pb::PutExpenditureRequest {
                year: year("2015-16"),
                lines: vec![spend("communications", 1, 1)],
                idempotency_key: String::new(),
            })
            .await
            .unwrap_err();
        assert_eq!(bad_fields(&e), ["lines[0].category"]);
        assert!(e.message().contains("retired"));
        let s = statement(&mut c, "2015-16").await;
        assert_eq!(s.expenditure[0].category_name, "Legal advice");
        assert_eq!(s.expenditure[0].variance_pence, -2);
        let e = c
            .put_expenditure_category(pb::PutExpenditureCategoryRequest {
                code: "Bad Code".into(),
                name: String::new(),
                retired: false,
            })
            .await
            .unwrap_err();
        assert_eq!(bad_fields(&e), ["code", "name"]);
        // Readers may not configure.
        let mut reader = Client::new(server.reader().await);
        let e = reader
            .put_expenditure_category(pb::PutExpenditureCategoryRequest {
                code: "x".into(),
                name: "X".into(),
                retired: false,
            })
            .await
            .unwrap_err();
        assert_eq!(e.code(), Code::PermissionDenied);
        server.shutdown().await;
    }
}

#[tokio::test]
async fn concurrent_writes_to_a_new_year_all_land_once() {
    for (name, db) in databases().await {
        let server = spawn(db).await;
        let channel = server.admin().await;
        let agencies = ["WMP", "BCH", "NHSE", "NPS", "CRC", "YOS", "WMAS", "UHB"];
        let mut tasks = Vec::new();
        for (i, code) in agencies.iter().enumerate() {
            let mut c = Client::new(channel.clone());
            let code = code.to_string();
            tasks.push(tokio::spawn(async move {
                c.put_contributions(pb::PutContributionsRequest {
                    year: year("2017-18"),
                    contributions: vec![contribution(&code, 100 + i as i64)],
                    idempotency_key: String::new(),
                })
                .await
            }));
        }
        // The same keyed request four times at once: done once, the same answer for all.
        for _ in 0..4 {
            let mut c = Client::new(channel.clone());
            tasks.push(tokio::spawn(async move {
                c.put_contributions(pb::PutContributionsRequest {
                    year: year("2017-18"),
                    contributions: vec![contribution("BCC-PEOPLE", 1_000)],
                    idempotency_key: "same-key".into(),
                })
                .await
            }));
        }
        for t in tasks {
            let r = t.await.unwrap().unwrap().into_inner();
            assert_eq!(r.summary.unwrap().created, 1, "{name}");
        }
        let mut c = Client::new(channel);
        let s = statement(&mut c, "2017-18").await;
        assert_eq!(
            s.contributions_total_pence,
            (100..108).sum::<i64>() + 1_000,
            "{name}"
        );
        let h = history(&mut c, "2017-18").await;
        let created = h
            .iter()
            .filter(|e| e.entity == "year" && e.field == "status")
            .count();
        assert_eq!(created, 1, "{name}: the year is created once");
        let bcc = h
            .iter()
            .filter(|e| e.key == "BCC-PEOPLE" && e.field == "agreed_pence")
            .count();
        assert_eq!(bcc, 1, "{name}: the keyed request was applied once");
        server.shutdown().await;
    }
}
