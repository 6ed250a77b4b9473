//! The golden test: the whole stack seeded with the 2015/16 reference dataset
//! (`deploy/reference-data/2015-16`, through `lscbctl seed`'s code) assembles a report that
//! states the reference report's published figures exactly as printed, computes correctly
//! where the reference report's own arithmetic is wrong, and does not change when the seed
//! runs a second time.

use std::path::PathBuf;

use lscb_cli::seed::{SeedArgs, run as seed};
use lscb_cli::seed_clients::{Clients, Target};
use lscb_e2e::TestApp;
use lscb_proto::audits::v1 as au;
use lscb_proto::common::v1::{PageRequest, Period};
use lscb_proto::finance::v1 as fi;
use lscb_proto::indicators::v1 as ind;
use lscb_proto::report::v1 as rep;
use lscb_proto::training::v1 as tr;

fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..")
}

fn period(code: &str) -> Option<Period> {
    Some(Period { code: code.into() })
}

fn seed_args() -> SeedArgs {
    SeedArgs {
        data_dir: repo().join("deploy/reference-data/2015-16"),
        catalogue: repo().join("deploy/catalogue/default.toml"),
        catalogue_only: false,
        with_catalogue: false,
        quiet: true,
    }
}

async fn clients(app: &TestApp) -> Clients {
    Clients::connect(&Target {
        token: app.admin(),
        aggregator_url: format!("http://{}", app.aggregator),
        indicators_url: format!("http://{}", app.indicators),
        audits_url: format!("http://{}", app.audits),
        training_url: format!("http://{}", app.training),
        finance_url: format!("http://{}", app.finance),
    })
    .await
    .expect("connect to the test stack")
}

async fn markdown(c: &Clients) -> String {
    let r = c
        .report
        .clone()
        .assemble_report(rep::AssembleReportRequest {
            year: "2015-16".into(),
            format: rep::ReportFormat::Markdown as i32,
            ..Default::default()
        })
        .await
        .expect("assemble the report")
        .into_inner();
    assert!(
        r.complete,
        "every source answered: {:?}",
        r.sources
            .iter()
            .filter(|s| !s.error.is_empty())
            .map(|s| format!("{}: {}", s.source, s.error))
            .collect::<Vec<_>>()
    );
    r.content
}

/// The report without the line saying when it was assembled.
fn without_timestamp(md: &str) -> String {
    md.lines()
        .filter(|l| !l.starts_with("Assembled from the partnership's data on"))
        .collect::<Vec<_>>()
        .join("\n")
}

/// The reference report's figures with their sentences ([`figures::PUBLISHED`]) and those the
/// dataset cannot carry, with why ([`figures::ABSENT`]).
mod figures;
use figures::{ABSENT, PUBLISHED};

#[tokio::test]
async fn the_reference_dataset_reproduces_the_reference_report() {
    let app = TestApp::spawn().await;
    let c = clients(&app).await;
    seed(&c, &seed_args()).await.expect("first seed");
    let md = markdown(&c).await;

    let missing: Vec<String> = PUBLISHED
        .iter()
        // Numbers exactly as printed; the words around them in any case.
        .filter(|(_, needle)| !md.to_lowercase().contains(&needle.to_lowercase()))
        .map(|(what, needle)| format!("{what}: {needle:?}"))
        .collect();
    if !missing.is_empty() {
        // The report as assembled, to read beside the reference when a figure goes missing.
        let out = repo().join("target/golden-report.md");
        let _ = std::fs::write(&out, &md);
        eprintln!("the assembled report is in {}", out.display());
    }
    assert!(
        missing.is_empty(),
        "{} of {} published figures are not in the report:\n{}",
        missing.len(),
        PUBLISHED.len(),
        missing.join("\n")
    );
    assert!(
        PUBLISHED.len() >= 120,
        "{} figures checked; the reference report has far more",
        PUBLISHED.len()
    );
    assert!(!ABSENT.is_empty());

    // Where the reference report's arithmetic is wrong, lscb computes: LADO referrals
    // 1,100 against 1,076 are +2.2%, not "an increase of 24.5%" (the authored paragraph
    // that says so is flagged by the narrative check).
    let lado = md
        .lines()
        .find(|l| l.contains("24.5%") && l.contains("+2.2%"))
        .expect("the narrative check flags the LADO slip against the data's +2.2%");
    assert!(lado.contains("LADO"), "{lado}");
    assert!(md.contains(
        "There were 1,100 referrals to the LADO, 2% more than the previous year (1,076)."
    ));

    // The front door programme's trend: inadequate referrals down, good ones up.
    let front_door = md
        .lines()
        .find(|l| l.contains("88 cases reviewed in"))
        .expect("the front door programme's sentence");
    assert!(
        front_door.contains("inadequate down") && front_door.contains("good up"),
        "{front_door}"
    );

    // The services' own figures behind those sentences.
    let survey = c
        .surveys
        .clone()
        .get_survey_results(au::GetSurveyResultsRequest {
            code: "employee-2015".into(),
        })
        .await
        .unwrap()
        .into_inner();
    let s = survey.survey.unwrap();
    assert_eq!((s.respondents, s.organisations), (1175, 17));
    let q = &survey.questions[0];
    assert_eq!(
        q.yes_share.as_ref().unwrap().value.parse::<f64>().unwrap(),
        83.0
    );
    assert_eq!(
        q.previous_yes_share
            .as_ref()
            .unwrap()
            .value
            .parse::<f64>()
            .unwrap(),
        50.0
    );
    let trend = c
        .audits
        .clone()
        .get_programme_trend(au::GetProgrammeTrendRequest {
            programme: "front-door-monthly".into(),
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(trend.case_count, 88);
    let ri = trend
        .overall
        .unwrap()
        .grades
        .into_iter()
        .find(|g| g.grade == au::Grade::RequiresImprovement as i32)
        .unwrap();
    assert_eq!((ri.count, ri.share.unwrap().value.as_str()), (35, "39.8"));
    let statement = c
        .finance
        .clone()
        .get_statement(fi::GetStatementRequest {
            year: period("2015-16"),
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(
        (
            statement.total_budget_pence,
            statement.contributions_total_pence,
            statement.carry_forward_pence,
            statement.income_total_pence
        ),
        (78_842_900, 67_440_900, 10_587_000, 815_000)
    );

    // Rerunning the seed changes nothing: same report, one revision, one version, no new
    // sessions, no new finance history.
    let history = |c: Clients| async move {
        c.finance
            .clone()
            .list_history(fi::ListHistoryRequest {
                year: None,
                entity: String::new(),
                page: Some(PageRequest {
                    page_size: 1000,
                    page_token: String::new(),
                }),
            })
            .await
            .unwrap()
            .into_inner()
            .page
            .unwrap()
            .total_size
    };
    let history_before = history(c.clone()).await;
    seed(&c, &seed_args()).await.expect("second seed");
    assert_eq!(history(c.clone()).await, history_before);
    assert_eq!(
        without_timestamp(&markdown(&c).await),
        without_timestamp(&md)
    );
    let revisions = c
        .indicators
        .clone()
        .list_revisions(ind::ListRevisionsRequest {
            indicator_code: "CAIT.CRIMES".into(),
            period: period("2016-03"),
            agency_code: Some(String::new()),
            breakdown_value: Some(String::new()),
            page: None,
        })
        .await
        .unwrap()
        .into_inner()
        .revisions;
    assert_eq!(revisions.len(), 1);
    assert_eq!(revisions[0].value, "198");
    let versions = c
        .indicators
        .clone()
        .get_indicator(ind::GetIndicatorRequest {
            code: "CSC.REREFERRAL_RATE".into(),
            version: 0,
        })
        .await
        .unwrap()
        .into_inner()
        .versions;
    assert_eq!(versions, vec![1]);
    let sessions = c
        .training
        .clone()
        .list_sessions(tr::ListSessionsRequest {
            page: Some(PageRequest {
                page_size: 1000,
                page_token: String::new(),
            }),
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner()
        .sessions;
    assert_eq!(sessions.len(), 203);
    let s11 = c
        .section11
        .clone()
        .get_section11_return(au::GetSection11ReturnRequest {
            cycle: period("2015-16"),
            agency: "WMP".into(),
            revision: 0,
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(s11.revision, 1);
    let narrative = c
        .report
        .clone()
        .list_narrative_versions(rep::ListNarrativeVersionsRequest {
            year: "2015-16".into(),
            section: "foreword".into(),
        })
        .await
        .unwrap()
        .into_inner()
        .versions;
    assert_eq!(narrative.len(), 1);
    // The six challenges and twelve pledges are stored once, whatever the reruns.
    let challenges = c
        .analysis
        .clone()
        .list_challenges(rep::ListChallengesRequest {
            year: period("2015-16"),
        })
        .await
        .unwrap()
        .into_inner()
        .challenges;
    assert_eq!(
        challenges.iter().map(|c| c.number).collect::<Vec<_>>(),
        [1, 2, 3, 4, 5, 6]
    );
    let pledges = c
        .analysis
        .clone()
        .list_pledges(rep::ListPledgesRequest {
            plan_year: period("2016-17"),
        })
        .await
        .unwrap()
        .into_inner()
        .pledges;
    assert_eq!(pledges.len(), 12);
    for (needle, what) in [
        (
            "**Challenge 5:** The Police and Local Authority to jointly lead a review",
            "challenge 5",
        ),
        ("By 2017 we will know that:", "the pledges' opening"),
        (
            "5. Whole city and whole system strategy to tackle Domestic Abuse.",
            "the last pledge",
        ),
    ] {
        assert!(md.contains(needle), "{what}: {needle}");
    }
    // Every authored section is printed under its heading, and no heading is empty.
    for heading in [
        "### Population",
        "### Strategic plan",
        "### Strategy and partnerships",
        "### Organisational change across partnerships",
        "### Engagement with children and young people",
        "### Joint commissioning",
        "#### Tackling child sexual exploitation (CSE)",
        "#### Modern day slavery",
        "### Children's Social Care",
        "### Appendices",
        "### Contact details",
    ] {
        assert!(md.lines().any(|l| l == heading), "{heading}");
    }
    let lines: Vec<&str> = md.lines().collect();
    for (i, l) in lines.iter().enumerate() {
        if !l.starts_with('#') {
            continue;
        }
        let level = l.chars().take_while(|c| *c == '#').count();
        let next = lines[i + 1..].iter().find(|x| !x.trim().is_empty());
        let empty = match next {
            None => true,
            Some(n) => n.starts_with('#') && n.chars().take_while(|c| *c == '#').count() <= level,
        };
        assert!(!empty, "the heading {l:?} has nothing under it");
    }
    app.shutdown().await;
}

#[tokio::test]
async fn the_default_catalogue_loads_alone_and_twice_without_change() {
    let app = TestApp::spawn().await;
    let c = clients(&app).await;
    let args = SeedArgs {
        catalogue_only: true,
        ..seed_args()
    };
    let first = seed(&c, &args).await.expect("catalogue");
    seed(&c, &args).await.expect("catalogue again");
    let list = c
        .indicators
        .clone()
        .list_indicators(ind::ListIndicatorsRequest {
            page: Some(PageRequest {
                page_size: 1000,
                page_token: String::new(),
            }),
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner()
        .indicators;
    assert_eq!(list.len(), first.lines[0].1);
    assert!(list.iter().all(|i| i.version == 1));
    let areas: std::collections::BTreeSet<String> = list
        .iter()
        .map(|i| i.definition.as_ref().unwrap().framework_area.clone())
        .collect();
    assert_eq!(
        areas.into_iter().collect::<Vec<_>>(),
        [
            "cp_activity",
            "cp_plans",
            "decision_making",
            "outcomes",
            "workforce"
        ]
    );
    let rereferrals = list
        .iter()
        .map(|i| i.definition.as_ref().unwrap())
        .find(|d| d.code == "DEC.REREFERRALS")
        .unwrap();
    let t = &rereferrals.targets[0];
    assert_eq!((t.band_low.as_str(), t.band_high.as_str()), ("18", "25"));
    app.shutdown().await;
}

// ---------------------------------------------------------------------------------------
// lscbctl import
// ---------------------------------------------------------------------------------------

use lscb_cli::import::{ImportArgs, ImportKind, run as import};

fn sample(name: &str) -> PathBuf {
    repo().join("deploy/reference-data/samples").join(name)
}

fn args(kind: ImportKind, file: PathBuf) -> ImportArgs {
    ImportArgs {
        kind,
        file,
        skip_invalid: false,
        audit: None,
        session: None,
        chunk: 2,
        quiet: true,
    }
}

fn write(dir: &tempfile::TempDir, name: &str, text: &str) -> PathBuf {
    let p = dir.path().join(name);
    std::fs::write(&p, text).unwrap();
    p
}

async fn revisions(c: &Clients, code: &str, period_code: &str, agency: &str) -> usize {
    c.indicators
        .clone()
        .list_revisions(ind::ListRevisionsRequest {
            indicator_code: code.into(),
            period: period(period_code),
            agency_code: Some(agency.into()),
            breakdown_value: Some(String::new()),
            page: None,
        })
        .await
        .map(|r| r.into_inner().revisions.len())
        .unwrap_or(0)
}

#[tokio::test]
async fn importing_the_samples_stores_them_once() {
    let app = TestApp::spawn().await;
    let c = clients(&app).await;
    for round in 0..2 {
        let out = import(&c, &args(ImportKind::Indicators, sample("indicators.csv")))
            .await
            .unwrap();
        assert_eq!(out.stored, 3);
        let out = import(
            &c,
            &args(ImportKind::Observations, sample("observations.csv")),
        )
        .await
        .unwrap();
        assert_eq!(out.stored, 8);
        // The second import of the same file stores nothing new, and says so.
        assert_eq!(out.replayed, round == 1);
        let out = import(&c, &args(ImportKind::Finance, sample("finance.csv")))
            .await
            .unwrap();
        assert_eq!(out.stored, 7);
    }
    // Twice imported, stored once.
    assert_eq!(
        revisions(&c, "EX.CONTACTS", "2015-05", "BCC-PEOPLE").await,
        1
    );
    let statement = c
        .finance
        .clone()
        .get_statement(fi::GetStatementRequest {
            year: period("2016-17"),
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(statement.contributions_total_pence, 43_000_000);
    assert_eq!(statement.income_total_pence, 250_000);

    // Case reviews into an audit created through the API.
    let audit = c
        .audits
        .clone()
        .create_audit(au::CreateAuditRequest {
            audit: Some(au::Audit {
                r#type: au::AuditType::MultiAgencyCaseFile as i32,
                title: "Sample audit".into(),
                period: period("2016-17"),
                status: au::AuditStatus::InProgress as i32,
                themes: vec![
                    au::Theme {
                        code: "visits".into(),
                        title: "Visits".into(),
                    },
                    au::Theme {
                        code: "plan".into(),
                        title: "Plan".into(),
                    },
                ],
                questions: vec![au::Question {
                    code: "voice".into(),
                    text: "Voice of the child clear?".into(),
                }],
                ..Default::default()
            }),
            idempotency_key: "sample-audit".into(),
        })
        .await
        .unwrap()
        .into_inner();
    for _ in 0..2 {
        let out = import(
            &c,
            &ImportArgs {
                audit: Some(audit.id.clone()),
                ..args(ImportKind::CaseReviews, sample("case_reviews.csv"))
            },
        )
        .await
        .unwrap();
        assert_eq!(out.stored, 3);
    }
    let got = c
        .audits
        .clone()
        .get_audit(au::GetAuditRequest { id: audit.id })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(got.case_count, 3);

    // Training attendance of a session created through the API.
    let mut t = c.training.clone();
    // Whether a cancellation is late is the charge policy's call (5 days here); the import
    // cancels a `cancelled_late` row the day before the session and a `cancelled` one two
    // weeks before.
    t.set_charge_policy(tr::SetChargePolicyRequest {
        policy: Some(tr::ChargePolicy {
            cancellation_window_days: 5,
            ..Default::default()
        }),
    })
    .await
    .unwrap();
    t.upsert_course(tr::UpsertCourseRequest {
        course: Some(tr::Course {
            code: "EX-CP".into(),
            title: "Child protection".into(),
            level: tr::CourseLevel::CourseLevel1 as i32,
            multi_agency: true,
            length_days: Some(lscb_proto::common::v1::Decimal { value: "1".into() }),
            ..Default::default()
        }),
    })
    .await
    .unwrap();
    let session = t
        .create_session(tr::CreateSessionRequest {
            course_code: "EX-CP".into(),
            date: "2016-05-10".into(),
            venue: "Council House".into(),
            online: false,
            capacity: 20,
            trainers: vec![],
        })
        .await
        .unwrap()
        .into_inner();
    for _ in 0..2 {
        let out = import(
            &c,
            &ImportArgs {
                session: Some(session.id.clone()),
                ..args(
                    ImportKind::TrainingAttendance,
                    sample("training_attendance.csv"),
                )
            },
        )
        .await
        .unwrap();
        assert_eq!(out.stored, 5);
    }
    let bookings = t
        .list_bookings(tr::ListBookingsRequest {
            session_id: session.id,
            agency: String::new(),
        })
        .await
        .unwrap()
        .into_inner()
        .bookings;
    let mut statuses: Vec<i32> = bookings.iter().map(|b| b.status).collect();
    statuses.sort();
    use tr::BookingStatus as B;
    assert_eq!(
        statuses,
        vec![
            B::Attended as i32,
            B::Attended as i32,
            B::DidNotAttend as i32,
            B::CancelledLate as i32,
            B::WalkIn as i32
        ]
    );
    app.shutdown().await;
}

#[tokio::test]
async fn a_file_with_bad_rows_is_refused_whole_naming_each_line_and_field() {
    let app = TestApp::spawn().await;
    let c = clients(&app).await;
    import(&c, &args(ImportKind::Indicators, sample("indicators.csv")))
        .await
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    // Line 3: a period that is not one; line 5: no value. Both are caught before sending.
    let bad = write(
        &dir,
        "bad.csv",
        "indicator,period,agency,value\n\
         EX.CONTACTS,2015-04,BCC-PEOPLE,3410\n\
         EX.CONTACTS,2015-13,BCC-PEOPLE,3555\n\
         EX.CONTACTS,2015-06,BCC-PEOPLE,3390\n\
         EX.CONTACTS,2015-07,BCC-PEOPLE,\n",
    );
    let err = import(&c, &args(ImportKind::Observations, bad.clone()))
        .await
        .unwrap_err()
        .to_string();
    assert!(err.contains("line 3: period:"), "{err}");
    assert!(err.contains("line 5: value:"), "{err}");
    assert!(err.contains("nothing stored"), "{err}");
    assert_eq!(
        revisions(&c, "EX.CONTACTS", "2015-04", "BCC-PEOPLE").await,
        0
    );

    // --skip-invalid stores the good rows and reports the bad ones.
    let out = import(
        &c,
        &ImportArgs {
            skip_invalid: true,
            ..args(ImportKind::Observations, bad)
        },
    )
    .await
    .unwrap();
    assert_eq!(out.stored, 2);
    let lines: Vec<(u64, &str)> = out
        .errors
        .iter()
        .map(|e| (e.line, e.field.as_str()))
        .collect();
    assert_eq!(lines, vec![(3, "period"), (5, "value")]);
    assert_eq!(
        revisions(&c, "EX.CONTACTS", "2015-04", "BCC-PEOPLE").await,
        1
    );

    // What only the service knows (an unknown indicator, an agency not in the directory)
    // comes back as BadRequest violations rows[i].field, mapped to the CSV lines; the
    // whole file is refused.
    let server_bad = write(
        &dir,
        "server.csv",
        "indicator,period,agency,value\n\
         EX.CONTACTS,2015-08,BCC-PEOPLE,3000\n\
         \n\
         EX.NOPE,2015-09,BCC-PEOPLE,3100\n\
         EX.CONTACTS,2015-10,NOT-AN-AGENCY,3200\n",
    );
    let err = import(&c, &args(ImportKind::Observations, server_bad.clone()))
        .await
        .unwrap_err()
        .to_string();
    assert!(err.contains("line 4: indicator_code:"), "{err}");
    assert!(err.contains("line 5: agency_code:"), "{err}");
    assert_eq!(
        revisions(&c, "EX.CONTACTS", "2015-08", "BCC-PEOPLE").await,
        0
    );
    // With --skip-invalid the rows the service refused are left out and the rest stored.
    let out = import(
        &c,
        &ImportArgs {
            skip_invalid: true,
            ..args(ImportKind::Observations, server_bad.clone())
        },
    )
    .await
    .unwrap();
    assert_eq!(out.stored, 1);
    let lines: Vec<u64> = out.errors.iter().map(|e| e.line).collect();
    assert_eq!(lines, vec![4, 5]);
    assert_eq!(
        revisions(&c, "EX.CONTACTS", "2015-08", "BCC-PEOPLE").await,
        1
    );

    // A bad finance file: unknown kind and negative pence, by line.
    let fin = write(
        &dir,
        "fin.csv",
        "year,kind,agency,category,description,amount_pence\n\
         2016-17,contribution,WMP,,,100\n\
         2016-17,donation,WMP,,,100\n\
         2016-17,contribution,BCHC,,,-5\n",
    );
    let err = import(&c, &args(ImportKind::Finance, fin))
        .await
        .unwrap_err()
        .to_string();
    assert!(err.contains("line 3: kind:"), "{err}");
    assert!(err.contains("line 4: amount_pence:"), "{err}");
    app.shutdown().await;
}

// ---------------------------------------------------------------------------------------
// The same seed on PostgreSQL (when LSCB_TEST_PG_URL is set)
// ---------------------------------------------------------------------------------------

#[tokio::test]
async fn the_reference_dataset_seeds_on_postgresql_too() {
    use lscb_platform::testing::{TestServer, postgres_fresh};
    let mut dbs = Vec::new();
    for _ in 0..5 {
        match postgres_fresh().await {
            Some(db) => dbs.push(db),
            None => {
                eprintln!("LSCB_TEST_PG_URL is not set: the PostgreSQL seed is not exercised");
                return;
            }
        }
    }
    let (agg_db, fin_db, tra_db, aud_db, ind_db) = (
        dbs.pop().unwrap(),
        dbs.pop().unwrap(),
        dbs.pop().unwrap(),
        dbs.pop().unwrap(),
        dbs.pop().unwrap(),
    );
    lscb_indicators::migrate(&ind_db).await.unwrap();
    lscb_audits::migrate(&aud_db).await.unwrap();
    lscb_training::migrate(&tra_db).await.unwrap();
    lscb_finance::migrate(&fin_db).await.unwrap();
    lscb_aggregator::migrate(&agg_db).await.unwrap();
    let ind_s = TestServer::spawn(ind_db, lscb_indicators::serve).await;
    let aud_s = TestServer::spawn(aud_db, lscb_audits::serve).await;
    let tra_s = TestServer::spawn(tra_db, lscb_training::serve).await;
    let fin_s = TestServer::spawn(fin_db, lscb_finance::serve).await;
    let upstreams = lscb_platform::config::Upstreams {
        indicators_url: format!("http://{}", ind_s.addr),
        audits_url: format!("http://{}", aud_s.addr),
        training_url: format!("http://{}", tra_s.addr),
        finance_url: format!("http://{}", fin_s.addr),
        upstream_timeout_ms: 30_000,
    };
    let agg_s = TestServer::spawn(agg_db, move |l, ctx, sd| {
        lscb_aggregator::serve(l, ctx, upstreams, sd)
    })
    .await;
    let c = Clients::connect(&Target {
        token: agg_s.token(lscb_platform::Role::Admin, None),
        aggregator_url: format!("http://{}", agg_s.addr),
        indicators_url: format!("http://{}", ind_s.addr),
        audits_url: format!("http://{}", aud_s.addr),
        training_url: format!("http://{}", tra_s.addr),
        finance_url: format!("http://{}", fin_s.addr),
    })
    .await
    .unwrap();
    seed(&c, &seed_args()).await.expect("seed on PostgreSQL");
    let md = markdown(&c).await;
    for needle in [
        "£788,429",
        "203 courses, 4,489 places",
        "5,580 of 15,017 trained (37%)",
        "7 of 10 case files (70%) required improvement",
        "512 of 526 schools and settings (97.3%)",
        "321 occasions police protection was used, 25% fewer than the previous year (428)",
    ] {
        assert!(md.contains(needle), "{needle}");
    }
    seed(&c, &seed_args())
        .await
        .expect("second seed on PostgreSQL");
    assert_eq!(
        without_timestamp(&markdown(&c).await),
        without_timestamp(&md)
    );
    for s in [agg_s, ind_s, aud_s, tra_s, fin_s] {
        s.shutdown().await;
    }
}
