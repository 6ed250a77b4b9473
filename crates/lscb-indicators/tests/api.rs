//! End-to-end tests of the indicators service through its gRPC API, with the reference
//! report's figures as cases. SQLite always; PostgreSQL too where `LSCB_TEST_PG_URL` is set.

use std::sync::Arc;

use lscb_platform::testing::{AuthChannel, TestServer};
use lscb_platform::{Db, Role};
use lscb_proto::common::v1::Period;
use lscb_proto::indicators::v1 as pb;
use pb::indicator_service_client::IndicatorServiceClient;
use tonic::Code;
use tonic_types::StatusExt;

type Client = IndicatorServiceClient<AuthChannel>;

fn per(code: &str) -> Option<Period> {
    Some(Period { code: code.into() })
}

async fn spawn_on(db: Db) -> TestServer {
    lscb_indicators::migrate(&db).await.unwrap();
    TestServer::spawn(db, |l, mut ctx, sd| {
        // One agency that stopped existing half way through 2015-16.
        let mut dir = (*ctx.directory).clone();
        let bscb = dir
            .partnerships
            .iter_mut()
            .find(|p| p.id == "bscb")
            .unwrap();
        bscb.agencies.push(lscb_platform::Agency {
            code: "OLD-PCT".into(),
            name: "Old primary care trust".into(),
            sector: lscb_platform::Sector::Health,
            statutory: true,
            valid_from: None,
            valid_to: Some(chrono::NaiveDate::from_ymd_opt(2015, 9, 30).unwrap()),
        });
        ctx.directory = Arc::new(dir);
        lscb_indicators::serve(l, ctx, sd)
    })
    .await
}

async fn spawn() -> TestServer {
    spawn_on(lscb_platform::testing::sqlite_memory().await).await
}

async fn client(ch: AuthChannel) -> Client {
    IndicatorServiceClient::new(ch)
}

fn indicator(
    code: &str,
    unit: pb::Unit,
    polarity: pb::Polarity,
    freq: pb::Frequency,
    agg: pb::Aggregation,
) -> pb::IndicatorDefinition {
    pb::IndicatorDefinition {
        code: code.into(),
        title: format!("Title of {code}"),
        unit: unit as i32,
        polarity: polarity as i32,
        frequency: freq as i32,
        aggregation: agg as i32,
        priorities: vec!["safe_systems".into()],
        question: "how_much".into(),
        ..Default::default()
    }
}

async fn upsert(c: &mut Client, d: pb::IndicatorDefinition) -> pb::UpsertIndicatorResponse {
    c.upsert_indicator(pb::UpsertIndicatorRequest { indicator: Some(d) })
        .await
        .unwrap()
        .into_inner()
}

fn row(code: &str, period: &str, agency: &str, value: &str) -> pb::ObservationInput {
    pb::ObservationInput {
        indicator_code: code.into(),
        period: per(period),
        agency_code: agency.into(),
        value: value.into(),
        status: pb::ObservationStatus::Final as i32,
        ..Default::default()
    }
}

fn parts(code: &str, period: &str, agency: &str, num: &str, den: &str) -> pb::ObservationInput {
    pb::ObservationInput {
        numerator: num.into(),
        denominator: den.into(),
        ..row(code, period, agency, "")
    }
}

async fn submit(
    c: &mut Client,
    key: &str,
    rows: Vec<pb::ObservationInput>,
) -> Result<pb::SubmitObservationsResponse, tonic::Status> {
    c.submit_observations(pb::SubmitObservationsRequest {
        idempotency_key: key.into(),
        rows,
    })
    .await
    .map(|r| r.into_inner())
}

async fn revisions(c: &mut Client, code: &str) -> Vec<pb::Observation> {
    c.list_revisions(pb::ListRevisionsRequest {
        indicator_code: code.into(),
        ..Default::default()
    })
    .await
    .unwrap()
    .into_inner()
    .revisions
}

/// The reference board's catalogue used by several tests.
async fn catalogue(c: &mut Client) {
    use pb::{Aggregation as A, Frequency as F, Polarity as P, Unit as U};
    let mut crimes = indicator("CAIT.CRIMES", U::Count, P::Context, F::Annual, A::Sum);
    crimes.themes = vec!["crime".into()];
    crimes.expected_agencies = vec!["WMP".into()];
    upsert(c, crimes).await;
    let mut pp = indicator(
        "WMP.POLICE_PROTECTION",
        U::Count,
        P::LowerIsBetter,
        F::Annual,
        A::Sum,
    );
    pp.expected_agencies = vec!["WMP".into()];
    upsert(c, pp).await;
    upsert(
        c,
        indicator("CLA.COUNT", U::Count, P::Context, F::Quarterly, A::Last),
    )
    .await;
    let mut pop = indicator("POP.CHILDREN", U::Count, P::Context, F::Annual, A::Last);
    pop.priorities = vec!["context".into()];
    upsert(c, pop).await;
    let mut rate = indicator(
        "CLA.RATE",
        U::RatePer10000,
        P::LowerIsBetter,
        F::Quarterly,
        A::Last,
    );
    rate.rate = Some(pb::RateDefinition {
        numerator_indicator: "CLA.COUNT".into(),
        denominator_indicator: "POP.CHILDREN".into(),
        multiplier: "10000".into(),
    });
    rate.themes = vec!["children_in_care".into()];
    upsert(c, rate).await;
    let mut ha = indicator(
        "CIC.HEALTH_ASSESSMENTS",
        U::Percent,
        P::HigherIsBetter,
        F::Quarterly,
        A::Last,
    );
    ha.description =
        "Health assessments start at zero on 1 April and build up over the year".into();
    ha.targets = vec![pb::Target {
        value: "90".into(),
        amber_tolerance: "5".into(),
        ..Default::default()
    }];
    ha.expected_agencies = vec!["BCC-PEOPLE".into()];
    ha.themes = vec!["children_in_care".into()];
    upsert(c, ha).await;
    upsert(
        c,
        indicator(
            "CSC.UNALLOCATED_FA",
            U::Count,
            P::LowerIsBetter,
            F::Quarterly,
            A::Last,
        ),
    )
    .await;
    let mut cp = indicator("CP.PLANS", U::Count, P::Context, F::Quarterly, A::Last);
    cp.breakdown = Some(pb::Breakdown {
        dimension: "category_of_abuse".into(),
        label: "Category of abuse".into(),
        values: vec![
            "neglect".into(),
            "emotional".into(),
            "physical".into(),
            "sexual".into(),
        ],
        overlapping: false,
    });
    upsert(c, cp).await;
    let mut rr = indicator(
        "CSC.REREFERRALS",
        U::Percent,
        P::WithinBand,
        F::Quarterly,
        A::Recompute,
    );
    rr.targets = vec![pb::Target {
        band_low: "18".into(),
        band_high: "25".into(),
        amber_tolerance: "2".into(),
        ..Default::default()
    }];
    upsert(c, rr).await;
}

#[tokio::test]
async fn definitions_are_versioned_admin_only_and_scoped_to_the_partnership() {
    let s = spawn().await;
    let mut admin = client(s.admin().await).await;
    let d = indicator(
        "CAIT.CRIMES",
        pb::Unit::Count,
        pb::Polarity::Context,
        pb::Frequency::Annual,
        pb::Aggregation::Sum,
    );
    let r = upsert(&mut admin, d.clone()).await;
    assert_eq!((r.indicator.unwrap().version, r.changed), (1, true));
    assert!(!upsert(&mut admin, d.clone()).await.changed);
    let mut d2 = d.clone();
    d2.title = "Crimes against children investigated by CAIT".into();
    assert_eq!(upsert(&mut admin, d2).await.indicator.unwrap().version, 2);
    let got = admin
        .get_indicator(pb::GetIndicatorRequest {
            code: "CAIT.CRIMES".into(),
            version: 1,
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(got.versions, vec![1, 2]);
    assert_eq!(
        got.indicator.unwrap().definition.unwrap().title,
        "Title of CAIT.CRIMES"
    );

    let mut sub = client(s.submitter("WMP").await).await;
    let e = sub
        .upsert_indicator(pb::UpsertIndicatorRequest { indicator: Some(d) })
        .await
        .unwrap_err();
    assert_eq!(e.code(), Code::PermissionDenied);

    let mut other = client(
        s.channel(Some(s.token_for("other", Role::Admin, None)))
            .await,
    )
    .await;
    let e = other
        .get_indicator(pb::GetIndicatorRequest {
            code: "CAIT.CRIMES".into(),
            version: 0,
        })
        .await
        .unwrap_err();
    assert_eq!(e.code(), Code::NotFound);
    let list = other
        .list_indicators(pb::ListIndicatorsRequest::default())
        .await
        .unwrap()
        .into_inner();
    assert!(list.indicators.is_empty());

    // A bad definition names every field.
    let bad = pb::IndicatorDefinition {
        code: "bad code".into(),
        ..Default::default()
    };
    let e = admin
        .upsert_indicator(pb::UpsertIndicatorRequest {
            indicator: Some(bad),
        })
        .await
        .unwrap_err();
    assert_eq!(e.code(), Code::InvalidArgument);
    let fields: Vec<String> = e
        .get_details_bad_request()
        .unwrap()
        .field_violations
        .into_iter()
        .map(|f| f.field)
        .collect();
    for f in [
        "indicator.unit",
        "indicator.polarity",
        "indicator.frequency",
        "indicator.aggregation",
    ] {
        assert!(fields.iter().any(|x| x == f), "{f} missing from {fields:?}");
    }
    s.shutdown().await;
}

/// Submits `bad` among good rows and checks the batch is refused naming `field`, with
/// nothing stored.
async fn refused(bad: pb::ObservationInput, field: &str, words: &str) {
    let s = spawn().await;
    let mut admin = client(s.admin().await).await;
    catalogue(&mut admin).await;
    let good = row("CAIT.CRIMES", "2015-16", "WMP", "2031");
    let e = submit(&mut admin, "k1", vec![good, bad]).await.unwrap_err();
    assert_eq!(e.code(), Code::InvalidArgument, "{e:?}");
    let br = e.get_details_bad_request().expect("bad request details");
    assert!(
        br.field_violations
            .iter()
            .any(|f| f.field == field && f.description.contains(words)),
        "{field} / {words} not in {:?}",
        br.field_violations
    );
    assert!(
        revisions(&mut admin, "CAIT.CRIMES").await.is_empty(),
        "nothing is stored"
    );
    s.shutdown().await;
}

#[tokio::test]
async fn rejects_an_unknown_indicator() {
    refused(
        row("NOPE", "2015-16", "WMP", "1"),
        "rows[1].indicator_code",
        "unknown indicator",
    )
    .await;
}

#[tokio::test]
async fn rejects_a_period_not_of_the_indicators_frequency() {
    refused(
        row("WMP.POLICE_PROTECTION", "2015-16-Q1", "WMP", "80"),
        "rows[1].period",
        "annual",
    )
    .await;
}

#[tokio::test]
async fn rejects_a_malformed_period() {
    refused(
        row("WMP.POLICE_PROTECTION", "2015", "WMP", "80"),
        "rows[1].period",
        "not a period",
    )
    .await;
}

#[tokio::test]
async fn rejects_an_agency_not_in_the_directory() {
    refused(
        row("WMP.POLICE_PROTECTION", "2015-16", "NOPE", "80"),
        "rows[1].agency_code",
        "not in partnership",
    )
    .await;
}

#[tokio::test]
async fn rejects_an_agency_not_valid_in_the_period() {
    refused(
        row("CLA.COUNT", "2015-16-Q4", "OLD-PCT", "80"),
        "rows[1].agency_code",
        "did not exist",
    )
    .await;
}

#[tokio::test]
async fn rejects_a_negative_count() {
    refused(
        row("WMP.POLICE_PROTECTION", "2015-16", "WMP", "-3"),
        "rows[1].value",
        "negative",
    )
    .await;
}

#[tokio::test]
async fn rejects_a_fractional_count() {
    refused(
        row("WMP.POLICE_PROTECTION", "2015-16", "WMP", "3.5"),
        "rows[1].value",
        "whole number",
    )
    .await;
}

#[tokio::test]
async fn rejects_a_percent_outside_0_to_100() {
    refused(
        row("CIC.HEALTH_ASSESSMENTS", "2015-16-Q4", "BCC-PEOPLE", "112"),
        "rows[1].value",
        "0-100",
    )
    .await;
}

#[tokio::test]
async fn rejects_a_numerator_above_the_denominator() {
    refused(
        parts(
            "CIC.HEALTH_ASSESSMENTS",
            "2015-16-Q4",
            "BCC-PEOPLE",
            "1200",
            "1000",
        ),
        "rows[1].numerator",
        "above denominator",
    )
    .await;
}

#[tokio::test]
async fn rejects_a_rate_that_disagrees_with_its_parts() {
    let mut r = parts(
        "CIC.HEALTH_ASSESSMENTS",
        "2015-16-Q4",
        "BCC-PEOPLE",
        "830",
        "1000",
    );
    r.value = "85".into();
    refused(r, "rows[1].value", "disagrees").await;
}

#[tokio::test]
async fn rejects_a_zero_denominator() {
    refused(
        parts(
            "CIC.HEALTH_ASSESSMENTS",
            "2015-16-Q4",
            "BCC-PEOPLE",
            "0",
            "0",
        ),
        "rows[1].denominator",
        "greater than zero",
    )
    .await;
}

#[tokio::test]
async fn rejects_a_numerator_without_a_denominator() {
    refused(
        parts(
            "CIC.HEALTH_ASSESSMENTS",
            "2015-16-Q4",
            "BCC-PEOPLE",
            "830",
            "",
        ),
        "rows[1].denominator",
        "required with a numerator",
    )
    .await;
}

#[tokio::test]
async fn rejects_parts_for_a_plain_count() {
    refused(
        parts("CAIT.CRIMES", "2014-15", "WMP", "1", "2"),
        "rows[1].numerator",
        "not a percent",
    )
    .await;
}

#[tokio::test]
async fn rejects_a_breakdown_value_not_declared() {
    let mut r = row("CP.PLANS", "2015-16-Q4", "BCC-PEOPLE", "10");
    r.breakdown_value = "bullying".into();
    refused(
        r,
        "rows[1].breakdown_value",
        "not a value of category_of_abuse",
    )
    .await;
}

#[tokio::test]
async fn rejects_a_row_without_a_value() {
    refused(
        row("CLA.COUNT", "2015-16-Q4", "BCC-PEOPLE", ""),
        "rows[1].value",
        "required",
    )
    .await;
}

#[tokio::test]
async fn rejects_a_value_that_is_not_a_decimal() {
    refused(
        row("CLA.COUNT", "2015-16-Q4", "BCC-PEOPLE", "1e3"),
        "rows[1].value",
        "not a decimal",
    )
    .await;
}

#[tokio::test]
async fn rejects_the_same_observation_twice_in_a_batch() {
    refused(
        row("CAIT.CRIMES", "2015-16", "WMP", "2031"),
        "rows[1]",
        "same indicator",
    )
    .await;
}

#[tokio::test]
async fn rejects_a_derived_rate_that_disagrees_with_its_parts() {
    let s = spawn().await;
    let mut admin = client(s.admin().await).await;
    catalogue(&mut admin).await;
    let e = submit(
        &mut admin,
        "k",
        vec![
            row("POP.CHILDREN", "2015-16", "", "281000"),
            row("CLA.COUNT", "2015-16-Q4", "", "1855"),
            row("CLA.RATE", "2015-16-Q4", "", "70"),
        ],
    )
    .await
    .unwrap_err();
    assert_eq!(e.code(), Code::InvalidArgument);
    let br = e.get_details_bad_request().unwrap();
    assert_eq!(br.field_violations[0].field, "rows[2].value");
    assert!(
        br.field_violations[0].description.contains("= 66"),
        "{:?}",
        br.field_violations
    );
    // Agreeing with its parts it is accepted.
    let ok = submit(
        &mut admin,
        "k2",
        vec![
            row("POP.CHILDREN", "2015-16", "", "281000"),
            row("CLA.COUNT", "2015-16-Q4", "", "1855"),
            row("CLA.RATE", "2015-16-Q4", "", "66"),
        ],
    )
    .await
    .unwrap();
    assert_eq!(ok.observations.len(), 3);
    s.shutdown().await;
}

#[tokio::test]
async fn every_bad_row_is_listed_at_once() {
    let s = spawn().await;
    let mut admin = client(s.admin().await).await;
    catalogue(&mut admin).await;
    let e = submit(
        &mut admin,
        "k",
        vec![
            row("NOPE", "2015-16", "WMP", "1"),
            row("CAIT.CRIMES", "2015-16", "WMP", "2031"),
            row("CAIT.CRIMES", "2014-15", "WMP", "-1"),
            row("CIC.HEALTH_ASSESSMENTS", "2015-16", "BCC-PEOPLE", "101"),
        ],
    )
    .await
    .unwrap_err();
    let fields: Vec<String> = e
        .get_details_bad_request()
        .unwrap()
        .field_violations
        .into_iter()
        .map(|f| f.field)
        .collect();
    assert_eq!(
        fields,
        [
            "rows[0].indicator_code",
            "rows[2].value",
            "rows[3].period",
            "rows[3].value"
        ]
    );
    s.shutdown().await;
}

#[tokio::test]
async fn a_replay_returns_the_first_result_and_a_changed_batch_is_refused() {
    let s = spawn().await;
    let mut admin = client(s.admin().await).await;
    catalogue(&mut admin).await;
    let rows = vec![row("CAIT.CRIMES", "2015-16", "WMP", "2031")];
    let first = submit(&mut admin, "crimes-2015-16", rows.clone())
        .await
        .unwrap();
    let again = submit(&mut admin, "crimes-2015-16", rows).await.unwrap();
    // The first answer again, marked as a replay (nothing new stored).
    assert!(!first.replayed);
    assert!(again.replayed);
    assert_eq!(
        first,
        pb::SubmitObservationsResponse {
            replayed: false,
            ..again.clone()
        }
    );
    assert_eq!(revisions(&mut admin, "CAIT.CRIMES").await.len(), 1);
    let e = submit(
        &mut admin,
        "crimes-2015-16",
        vec![row("CAIT.CRIMES", "2015-16", "WMP", "2032")],
    )
    .await
    .unwrap_err();
    assert_eq!(e.code(), Code::AlreadyExists);
    let info = e.get_details_error_info().expect("ErrorInfo");
    assert_eq!(
        (info.reason.as_str(), info.domain.as_str()),
        ("IDEMPOTENCY_KEY_REUSED", "lscb")
    );
    let revs = revisions(&mut admin, "CAIT.CRIMES").await;
    assert_eq!(revs.len(), 1);
    assert_eq!(revs[0].value, "2031");
    // The same batch streamed under the key is the same request: the first answer again.
    let streamed = admin
        .stream_observations(tokio_stream::iter(vec![pb::StreamObservationsRequest {
            idempotency_key: "crimes-2015-16".into(),
            rows: vec![row("CAIT.CRIMES", "2015-16", "WMP", "2031")],
        }]))
        .await
        .unwrap()
        .into_inner();
    assert!(streamed.replayed);
    assert_eq!(
        pb::SubmitObservationsResponse {
            replayed: false,
            ..streamed
        },
        first
    );
    // Without a key a batch is not keyed: it is stored each time it is sent.
    let unkeyed = vec![row("CAIT.CRIMES", "2015-16", "WMP", "2040")];
    let a = submit(&mut admin, "", unkeyed.clone()).await.unwrap();
    let b = submit(&mut admin, "", unkeyed).await.unwrap();
    assert_ne!(a.submission_id, b.submission_id);
    s.shutdown().await;
}

#[tokio::test]
async fn resubmitting_makes_a_revision_with_who_and_when() {
    let s = spawn().await;
    let mut admin = client(s.admin().await).await;
    catalogue(&mut admin).await;
    let mut wmp = client(s.submitter("WMP").await).await;
    submit(
        &mut wmp,
        "a",
        vec![row("CAIT.CRIMES", "2015-16", "WMP", "2030")],
    )
    .await
    .unwrap();
    let mut r = row("CAIT.CRIMES", "2015-16", "WMP", "2031");
    r.comment = "late crimes recorded in April".into();
    submit(&mut wmp, "b", vec![r]).await.unwrap();
    let revs = revisions(&mut admin, "CAIT.CRIMES").await;
    let seen: Vec<_> = revs
        .iter()
        .map(|r| (r.revision, r.value.as_str(), r.current))
        .collect();
    assert_eq!(seen, [(1, "2030", false), (2, "2031", true)]);
    assert_eq!(revs[0].observation_id, revs[1].observation_id);
    assert!(
        revs[1].submitted_by.contains("submitter WMP"),
        "{}",
        revs[1].submitted_by
    );
    assert_eq!(revs[1].comment, "late crimes recorded in April");
    assert!(!revs[1].submitted_at.is_empty());
    s.shutdown().await;
}

#[tokio::test]
async fn a_submitter_writes_only_for_its_own_agency() {
    let s = spawn().await;
    let mut admin = client(s.admin().await).await;
    catalogue(&mut admin).await;
    let mut wmp = client(s.submitter("WMP").await).await;
    let e = submit(
        &mut wmp,
        "k",
        vec![row("CLA.COUNT", "2015-16-Q4", "BCC-PEOPLE", "1")],
    )
    .await
    .unwrap_err();
    assert_eq!(e.code(), Code::PermissionDenied);
    let e = submit(&mut wmp, "k", vec![row("CLA.COUNT", "2015-16-Q4", "", "1")])
        .await
        .unwrap_err();
    assert_eq!(e.code(), Code::PermissionDenied);
    let mut reader = client(s.reader().await).await;
    let e = submit(
        &mut reader,
        "k",
        vec![row("CAIT.CRIMES", "2015-16", "WMP", "1")],
    )
    .await
    .unwrap_err();
    assert_eq!(e.code(), Code::PermissionDenied);
    assert!(revisions(&mut admin, "CLA.COUNT").await.is_empty());
    let mut none = client(s.channel(None).await).await;
    let e = none
        .list_indicators(pb::ListIndicatorsRequest::default())
        .await
        .unwrap_err();
    assert_eq!(e.code(), Code::Unauthenticated);
    s.shutdown().await;
}

async fn reference_data(admin: &mut Client) {
    let mut rows = vec![
        row("CAIT.CRIMES", "2014-15", "WMP", "1517"),
        row("CAIT.CRIMES", "2015-16", "WMP", "2031"),
        row("WMP.POLICE_PROTECTION", "2014-15", "WMP", "428"),
        row("WMP.POLICE_PROTECTION", "2015-16", "WMP", "321"),
        row("POP.CHILDREN", "2015-16", "", "281000"),
        row("CLA.COUNT", "2015-16-Q3", "", "1911"),
        row("CLA.COUNT", "2015-16-Q4", "", "1855"),
        parts(
            "CIC.HEALTH_ASSESSMENTS",
            "2014-15-Q4",
            "BCC-PEOPLE",
            "870",
            "1000",
        ),
        parts(
            "CIC.HEALTH_ASSESSMENTS",
            "2015-16-Q1",
            "BCC-PEOPLE",
            "210",
            "1000",
        ),
        parts(
            "CIC.HEALTH_ASSESSMENTS",
            "2015-16-Q2",
            "BCC-PEOPLE",
            "400",
            "1000",
        ),
        parts(
            "CIC.HEALTH_ASSESSMENTS",
            "2015-16-Q3",
            "BCC-PEOPLE",
            "620",
            "1000",
        ),
        parts(
            "CIC.HEALTH_ASSESSMENTS",
            "2015-16-Q4",
            "BCC-PEOPLE",
            "830",
            "1000",
        ),
    ];
    for (q, v) in [("Q1", "194"), ("Q2", "120"), ("Q3", "35"), ("Q4", "0")] {
        rows.push(row(
            "CSC.UNALLOCATED_FA",
            &format!("2015-16-{q}"),
            "BCC-PEOPLE",
            v,
        ));
    }
    submit(admin, "reference", rows).await.unwrap();
    let bm = |code: &str, period: &str, c: pb::Comparator, v: &str| pb::Benchmark {
        indicator_code: code.into(),
        period: per(period),
        comparator: c as i32,
        value: v.into(),
        source: "DfE".into(),
        ..Default::default()
    };
    admin
        .set_benchmarks(pb::SetBenchmarksRequest {
            benchmarks: vec![
                bm("CLA.RATE", "2015-16", pb::Comparator::England, "60"),
                bm(
                    "CLA.RATE",
                    "2015-16",
                    pb::Comparator::StatisticalNeighbours,
                    "78.9",
                ),
                bm(
                    "CIC.HEALTH_ASSESSMENTS",
                    "2014-15",
                    pb::Comparator::England,
                    "90",
                ),
            ],
        })
        .await
        .unwrap();
}

async fn scorecard(c: &mut Client, year: &str) -> pb::GetScorecardResponse {
    c.get_scorecard(pb::GetScorecardRequest {
        year: per(year),
        ..Default::default()
    })
    .await
    .unwrap()
    .into_inner()
}

fn row_of<'a>(s: &'a pb::GetScorecardResponse, code: &str) -> &'a pb::ScorecardRow {
    s.rows.iter().find(|r| r.code == code).unwrap()
}

#[tokio::test]
async fn the_scorecard_reproduces_the_reference_report() {
    let s = spawn().await;
    let mut admin = client(s.admin().await).await;
    catalogue(&mut admin).await;
    reference_data(&mut admin).await;
    let mut reader = client(s.reader().await).await;
    let sc = scorecard(&mut reader, "2015-16").await;
    assert_eq!(sc.previous_year.as_ref().unwrap().code, "2014-15");

    let crimes = row_of(&sc, "CAIT.CRIMES");
    assert_eq!(
        (crimes.value.as_str(), crimes.previous_value.as_str()),
        ("2031", "1517")
    );
    let c = crimes.change.as_ref().unwrap();
    assert_eq!((c.absolute.as_str(), c.percent.as_str()), ("514", "33.9"));
    assert_eq!(c.trend, pb::Trend::Up as i32);
    let src = crimes.source.as_ref().unwrap();
    assert_eq!(
        (src.service.as_str(), src.definition_version),
        ("indicators", 1)
    );
    assert_eq!(src.observations.len(), 1);
    assert_eq!(src.observations[0].value, "2031");
    assert_eq!(src.observations[0].agency_code, "WMP");

    let pp = row_of(&sc, "WMP.POLICE_PROTECTION");
    let c = pp.change.as_ref().unwrap();
    assert_eq!((c.absolute.as_str(), c.percent.as_str()), ("-107", "-25.0"));
    assert_eq!(pp.direction, pb::Direction::Improving as i32);

    let cla = row_of(&sc, "CLA.RATE");
    assert_eq!(cla.value, "66");
    assert_eq!(
        (cla.numerator.as_str(), cla.denominator.as_str()),
        ("1855", "281000")
    );
    let eng = &cla.benchmarks[0];
    assert_eq!(
        (eng.comparator, eng.value.as_str()),
        (pb::Comparator::England as i32, "60")
    );
    assert_eq!(eng.comparison, pb::Comparison::Worse as i32);
    let sn = &cla.benchmarks[1];
    assert_eq!(
        (sn.value.as_str(), sn.difference.as_str()),
        ("78.9", "-12.9")
    );
    assert_eq!(sn.comparison, pb::Comparison::Better as i32);
    // Its source is the numerator's and denominator's observations.
    let used: Vec<&str> = cla
        .source
        .as_ref()
        .unwrap()
        .observations
        .iter()
        .map(|o| o.indicator_code.as_str())
        .collect();
    assert_eq!(used, ["CLA.COUNT", "POP.CHILDREN"]);

    let ha = row_of(&sc, "CIC.HEALTH_ASSESSMENTS");
    assert_eq!(
        (ha.value.as_str(), ha.previous_value.as_str()),
        ("83", "87")
    );
    assert_eq!(ha.direction, pb::Direction::Declining as i32);
    assert_eq!(ha.benchmarks[0].comparison, pb::Comparison::Worse as i32);
    assert_eq!(ha.rag, pb::Rag::Red as i32);
    let flags: Vec<&str> = ha.flags.iter().map(|f| f.code.as_str()).collect();
    assert!(
        flags.contains(&"WORSE_THAN_ENGLAND") && flags.contains(&"OFF_TARGET"),
        "{flags:?}"
    );

    let fa = row_of(&sc, "CSC.UNALLOCATED_FA");
    assert_eq!(fa.value, "0");
    assert!(fa.flags.iter().any(|f| f.code == "NO_PREVIOUS"));

    // Filtered by a priority tag.
    let ctx = reader
        .get_scorecard(pb::GetScorecardRequest {
            year: per("2015-16"),
            priority: "context".into(),
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(
        ctx.rows.iter().map(|r| r.code.as_str()).collect::<Vec<_>>(),
        ["POP.CHILDREN"]
    );
    // Not a year.
    let e = reader
        .get_scorecard(pb::GetScorecardRequest {
            year: per("2015-16-Q1"),
            ..Default::default()
        })
        .await
        .unwrap_err();
    assert_eq!(e.code(), Code::InvalidArgument);
    s.shutdown().await;
}

#[tokio::test]
async fn series_give_change_direction_and_breakdowns_side_by_side() {
    let s = spawn().await;
    let mut admin = client(s.admin().await).await;
    catalogue(&mut admin).await;
    reference_data(&mut admin).await;
    let series = admin
        .get_series(pb::GetSeriesRequest {
            indicator_code: "CSC.UNALLOCATED_FA".into(),
            from: per("2015-16-Q1"),
            to: per("2015-16-Q4"),
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner();
    let pts = &series.lines[0].points;
    let values: Vec<&str> = pts.iter().map(|p| p.value.as_str()).collect();
    assert_eq!(values, ["194", "120", "35", "0"]);
    let q4 = pts[3].change_on_previous.as_ref().unwrap();
    assert_eq!(
        (q4.absolute.as_str(), q4.percent.as_str()),
        ("-35", "-100.0")
    );
    assert_eq!(q4.direction, pb::Direction::Improving as i32);

    let sub = vec![
        row("CP.PLANS", "2015-16-Q4", "", "900"),
        pb::ObservationInput {
            breakdown_value: "neglect".into(),
            ..row("CP.PLANS", "2015-16-Q4", "", "400")
        },
        pb::ObservationInput {
            breakdown_value: "emotional".into(),
            ..row("CP.PLANS", "2015-16-Q4", "", "380")
        },
        pb::ObservationInput {
            breakdown_value: "physical".into(),
            ..row("CP.PLANS", "2015-16-Q4", "", "70")
        },
        pb::ObservationInput {
            breakdown_value: "sexual".into(),
            ..row("CP.PLANS", "2015-16-Q4", "", "40")
        },
    ];
    let r = submit(&mut admin, "cp", sub).await.unwrap();
    // The parts add up to 890, not 900: a warning, but stored.
    assert_eq!(r.warnings.len(), 1);
    assert_eq!(r.warnings[0].check, "breakdown_sum");
    assert_eq!(r.warnings[0].values, ["890", "900"]);
    let series = admin
        .get_series(pb::GetSeriesRequest {
            indicator_code: "CP.PLANS".into(),
            from: per("2015-16-Q4"),
            to: per("2015-16-Q4"),
            all_breakdown_values: true,
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner();
    let side: Vec<(&str, &str)> = series
        .lines
        .iter()
        .map(|l| (l.breakdown_value.as_str(), l.points[0].value.as_str()))
        .collect();
    assert_eq!(
        side,
        [
            ("", "900"),
            ("neglect", "400"),
            ("emotional", "380"),
            ("physical", "70"),
            ("sexual", "40")
        ]
    );
    // Annual granularity of a quarterly indicator.
    let y = admin
        .get_series(pb::GetSeriesRequest {
            indicator_code: "CIC.HEALTH_ASSESSMENTS".into(),
            from: per("2014-15"),
            to: per("2015-16"),
            granularity: pb::Frequency::Annual as i32,
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner();
    let pts = &y.lines[0].points;
    assert_eq!((pts[0].value.as_str(), pts[1].value.as_str()), ("87", "83"));
    // One agency's series; an agency without figures has none.
    let one = |agency: &str| pb::GetSeriesRequest {
        indicator_code: "CIC.HEALTH_ASSESSMENTS".into(),
        from: per("2015-16-Q4"),
        to: per("2015-16-Q4"),
        agency_code: agency.into(),
        ..Default::default()
    };
    let bcc = admin
        .get_series(one("BCC-PEOPLE"))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(bcc.lines[0].points[0].value, "83");
    let bch = admin.get_series(one("BCH")).await.unwrap().into_inner();
    assert_eq!(bch.lines[0].points[0].value, "");
    let e = admin.get_series(one("NOPE")).await.unwrap_err();
    assert_eq!(e.code(), Code::InvalidArgument);
    assert_eq!(
        pts[1].change_on_previous.as_ref().unwrap().direction,
        pb::Direction::Declining as i32
    );
    s.shutdown().await;
}

#[tokio::test]
async fn a_stream_is_atomic() {
    let s = spawn().await;
    let mut admin = client(s.admin().await).await;
    catalogue(&mut admin).await;
    let msgs = vec![
        pb::StreamObservationsRequest {
            idempotency_key: "bulk-1".into(),
            rows: vec![row("CAIT.CRIMES", "2014-15", "WMP", "1517")],
        },
        pb::StreamObservationsRequest {
            idempotency_key: String::new(),
            rows: vec![row("CAIT.CRIMES", "2015-16", "WMP", "-5")],
        },
    ];
    let e = admin
        .stream_observations(tokio_stream::iter(msgs))
        .await
        .unwrap_err();
    assert_eq!(e.code(), Code::InvalidArgument);
    assert_eq!(
        e.get_details_bad_request().unwrap().field_violations[0].field,
        "rows[1].value"
    );
    assert!(revisions(&mut admin, "CAIT.CRIMES").await.is_empty());
    let msgs = vec![
        pb::StreamObservationsRequest {
            idempotency_key: "bulk-2".into(),
            rows: vec![row("CAIT.CRIMES", "2014-15", "WMP", "1517")],
        },
        pb::StreamObservationsRequest {
            idempotency_key: "bulk-2".into(),
            rows: vec![row("CAIT.CRIMES", "2015-16", "WMP", "2031")],
        },
    ];
    let r = admin
        .stream_observations(tokio_stream::iter(msgs))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(r.observations.len(), 2);
    assert_eq!(revisions(&mut admin, "CAIT.CRIMES").await.len(), 2);
    s.shutdown().await;
}

async fn revision_total(c: &mut Client) -> u64 {
    let r = c
        .list_revisions(pb::ListRevisionsRequest {
            indicator_code: "CAIT.CRIMES".into(),
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner();
    r.page.unwrap().total_size
}

#[tokio::test]
async fn a_bulk_stream_answers_with_counts_instead_of_echoing_every_row() {
    let s = spawn().await;
    let mut admin = client(s.admin().await).await;
    catalogue(&mut admin).await;
    let directory = lscb_platform::testing::test_directory();
    let agencies: Vec<String> = directory
        .partnership("bscb")
        .unwrap()
        .agencies
        .iter()
        .map(|a| a.code.clone())
        .collect();
    let mut rows = Vec::new();
    for year in 1990..2026 {
        let period = format!("{year}-{:02}", (year + 1) % 100);
        for a in &agencies {
            rows.push(row("CAIT.CRIMES", &period, a, "10"));
        }
    }
    let n = rows.len();
    assert!(n > 1_000, "{n} rows");
    let msgs: Vec<_> = rows
        .chunks(250)
        .map(|c| pb::StreamObservationsRequest {
            idempotency_key: "bulk-large".into(),
            rows: c.to_vec(),
        })
        .collect();
    let r = admin
        .stream_observations(tokio_stream::iter(msgs.clone()))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(r.stored_count, n as u64);
    assert!(r.observations_omitted);
    assert!(r.observations.is_empty());
    assert_eq!(revision_total(&mut admin).await, n as u64);
    // A replay answers the same, small, response and stores nothing more.
    let again = admin
        .stream_observations(tokio_stream::iter(msgs))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(again.submission_id, r.submission_id);
    assert_eq!(again.stored_count, n as u64);
    assert_eq!(revision_total(&mut admin).await, n as u64);
    // A small batch still echoes what it stored.
    let small = submit(
        &mut admin,
        "small-1",
        vec![row("CAIT.CRIMES", "2026-27", "WMP", "3")],
    )
    .await
    .unwrap();
    assert_eq!(small.stored_count, 1);
    assert!(!small.observations_omitted);
    assert_eq!(small.observations.len(), 1);
    s.shutdown().await;
}

#[tokio::test]
async fn a_locked_year_refuses_writes_and_nothing_changes() {
    let s = spawn().await;
    let mut admin = client(s.admin().await).await;
    catalogue(&mut admin).await;
    reference_data(&mut admin).await;
    let before_revs = revisions(&mut admin, "CAIT.CRIMES").await;
    let before = scorecard(&mut admin, "2015-16").await;
    let e = admin
        .lock_year(pb::LockYearRequest {
            year: per("2015-16"),
            reason: String::new(),
        })
        .await
        .unwrap_err();
    assert_eq!(e.code(), Code::InvalidArgument);
    let lock = admin
        .lock_year(pb::LockYearRequest {
            year: per("2015-16"),
            reason: "approved by the board on 2016-06-30".into(),
        })
        .await
        .unwrap()
        .into_inner()
        .lock
        .unwrap();
    assert!(lock.locked);
    let e = submit(
        &mut admin,
        "late",
        vec![row("CAIT.CRIMES", "2015-16", "WMP", "2100")],
    )
    .await
    .unwrap_err();
    assert_eq!(e.code(), Code::FailedPrecondition);
    assert!(
        e.message().contains("locked by test (admin)"),
        "{}",
        e.message()
    );
    assert!(
        e.message().contains("approved by the board"),
        "{}",
        e.message()
    );
    let pf = e.get_details_precondition_failure().unwrap();
    assert_eq!(pf.violations[0].subject, "2015-16");
    // A quarter of the locked year, and benchmarks, are refused too.
    let e = submit(
        &mut admin,
        "late2",
        vec![row("CLA.COUNT", "2015-16-Q2", "", "1900")],
    )
    .await
    .unwrap_err();
    assert_eq!(e.code(), Code::FailedPrecondition);
    let e = admin
        .set_benchmarks(pb::SetBenchmarksRequest {
            benchmarks: vec![pb::Benchmark {
                indicator_code: "CLA.RATE".into(),
                period: per("2015-16"),
                comparator: pb::Comparator::England as i32,
                value: "61".into(),
                ..Default::default()
            }],
        })
        .await
        .unwrap_err();
    assert_eq!(e.code(), Code::FailedPrecondition);
    // Nothing changed.
    assert_eq!(revisions(&mut admin, "CAIT.CRIMES").await, before_revs);
    assert_eq!(scorecard(&mut admin, "2015-16").await.rows, before.rows);
    // Other years are open.
    submit(
        &mut admin,
        "next",
        vec![row("CAIT.CRIMES", "2016-17", "WMP", "2200")],
    )
    .await
    .unwrap();
    // Unlocking needs a reason and is kept in the history.
    let e = admin
        .unlock_year(pb::UnlockYearRequest {
            year: per("2015-16"),
            reason: " ".into(),
        })
        .await
        .unwrap_err();
    assert_eq!(e.code(), Code::InvalidArgument);
    let mut wmp = client(s.submitter("WMP").await).await;
    let e = wmp
        .unlock_year(pb::UnlockYearRequest {
            year: per("2015-16"),
            reason: "x".into(),
        })
        .await
        .unwrap_err();
    assert_eq!(e.code(), Code::PermissionDenied);
    admin
        .unlock_year(pb::UnlockYearRequest {
            year: per("2015-16"),
            reason: "police corrected crimes".into(),
        })
        .await
        .unwrap();
    submit(
        &mut admin,
        "late",
        vec![row("CAIT.CRIMES", "2015-16", "WMP", "2100")],
    )
    .await
    .unwrap();
    let locks = admin
        .list_year_locks(pb::ListYearLocksRequest {})
        .await
        .unwrap()
        .into_inner()
        .locks;
    assert_eq!(locks.len(), 1);
    assert!(!locks[0].locked);
    let h: Vec<(&str, &str)> = locks[0]
        .history
        .iter()
        .map(|e| (e.action.as_str(), e.reason.as_str()))
        .collect();
    assert_eq!(
        h,
        [
            ("lock", "approved by the board on 2016-06-30"),
            ("unlock", "police corrected crimes")
        ]
    );
    s.shutdown().await;
}

#[tokio::test]
async fn completeness_counts_expected_received_late_and_missing() {
    let s = spawn().await;
    let mut admin = client(s.admin().await).await;
    use pb::{Aggregation as A, Frequency as F, Polarity as P, Unit as U};
    let mut d = indicator("EH.ASSESSMENTS", U::Count, P::Context, F::Quarterly, A::Sum);
    d.expected_agencies = vec!["BCC-PEOPLE".into(), "BCH".into()];
    upsert(&mut admin, d).await;
    submit(
        &mut admin,
        "k",
        vec![
            row("EH.ASSESSMENTS", "2015-16-Q1", "BCC-PEOPLE", "400"),
            row("EH.ASSESSMENTS", "2015-16-Q2", "BCC-PEOPLE", "450"),
            row("EH.ASSESSMENTS", "2015-16-Q1", "BCH", "30"),
        ],
    )
    .await
    .unwrap();
    let r = admin
        .get_completeness(pb::GetCompletenessRequest {
            year: per("2015-16"),
            as_of: "2016-03-01".into(),
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner();
    let t = r.total.unwrap();
    // 4 quarters x 2 agencies; received now, long after the deadlines: late.
    assert_eq!((t.expected, t.received, t.late), (8, 3, 3));
    // Q1-Q3 deadlines have passed on 1 March 2016; Q4's has not.
    assert_eq!((t.missing, t.not_yet_due), (3, 2));
    let bch = r.by_agency.iter().find(|a| a.key == "BCH").unwrap();
    assert_eq!(
        (bch.expected, bch.received, bch.percent_received.as_str()),
        (4, 1, "25.0")
    );
    assert_eq!(r.items.len(), 8);
    // With no expected agencies one partnership-wide figure is expected; any row meets it.
    upsert(
        &mut admin,
        indicator("LADO.REFERRALS", U::Count, P::Context, F::Annual, A::Sum),
    )
    .await;
    submit(
        &mut admin,
        "lado",
        vec![row("LADO.REFERRALS", "2015-16", "BCC-PEOPLE", "1100")],
    )
    .await
    .unwrap();
    let r = admin
        .get_completeness(pb::GetCompletenessRequest {
            year: per("2015-16"),
            indicator_code: "LADO.REFERRALS".into(),
            as_of: "2016-06-30".into(),
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(r.items.len(), 1);
    assert_eq!(r.items[0].agency_code, "");
    assert_eq!(r.items[0].status, pb::CompletenessStatus::Late as i32);
    // A year with no figure yet still shows last year's in the scorecard.
    let sc = scorecard(&mut admin, "2016-17").await;
    let lado = row_of(&sc, "LADO.REFERRALS");
    assert_eq!(
        (lado.value.as_str(), lado.previous_value.as_str()),
        ("", "1100")
    );
    assert!(lado.flags.iter().any(|f| f.code == "NO_DATA"));
    s.shutdown().await;
}

#[tokio::test]
async fn validation_runs_declared_rules_only() {
    let s = spawn().await;
    let mut admin = client(s.admin().await).await;
    use pb::{Aggregation as A, Frequency as F, Polarity as P, Unit as U};
    for code in [
        "CSC.CONTACTS",
        "CSC.REFERRALS",
        "CSC.ASSESSMENTS",
        "CSC.S47",
    ] {
        upsert(
            &mut admin,
            indicator(code, U::Count, P::Context, F::Annual, A::Sum),
        )
        .await;
    }
    for (code, l, r) in [
        ("S47_LE_ASSESSMENTS", "CSC.S47", "CSC.ASSESSMENTS"),
        ("REFERRALS_LE_CONTACTS", "CSC.REFERRALS", "CSC.CONTACTS"),
    ] {
        admin
            .upsert_validation_rule(pb::UpsertValidationRuleRequest {
                rule: Some(pb::ValidationRule {
                    code: code.into(),
                    left_indicator: l.into(),
                    operator: pb::RuleOperator::LessOrEqual as i32,
                    right_indicator: r.into(),
                    active: true,
                    ..Default::default()
                }),
            })
            .await
            .unwrap();
    }
    // Referrals above contacts: a warning, never a refusal.
    submit(
        &mut admin,
        "k",
        vec![
            row("CSC.CONTACTS", "2015-16", "", "12000"),
            row("CSC.REFERRALS", "2015-16", "", "13013"),
            row("CSC.ASSESSMENTS", "2015-16", "", "11470"),
            row("CSC.S47", "2015-16", "", "3781"),
        ],
    )
    .await
    .unwrap();
    let r = admin
        .run_validation(pb::RunValidationRequest {
            year: per("2015-16"),
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(r.rules_checked, 2);
    assert_eq!(r.warnings.len(), 1, "{:?}", r.warnings);
    assert_eq!(r.warnings[0].check, "rule:REFERRALS_LE_CONTACTS");
    assert_eq!(r.warnings[0].values, ["13013", "12000"]);
    assert_eq!(r.warnings[0].rows.len(), 2);
    let rules = admin
        .list_validation_rules(pb::ListValidationRulesRequest {})
        .await
        .unwrap()
        .into_inner()
        .rules;
    assert_eq!(rules.len(), 2);
    // A rule about an unknown indicator is refused.
    let e = admin
        .upsert_validation_rule(pb::UpsertValidationRuleRequest {
            rule: Some(pb::ValidationRule {
                code: "X".into(),
                left_indicator: "NOPE".into(),
                operator: pb::RuleOperator::Less as i32,
                right_indicator: "CSC.S47".into(),
                active: true,
                ..Default::default()
            }),
        })
        .await
        .unwrap_err();
    assert_eq!(
        e.get_details_bad_request().unwrap().field_violations[0].field,
        "rule.left_indicator"
    );
    s.shutdown().await;
}

/// Many submitters at once: no lost or duplicated rows, no "database is locked".
async fn concurrent_submitters(db: Db, name: &str) {
    let s = spawn_on(db).await;
    let mut admin = client(s.admin().await).await;
    use pb::{Aggregation as A, Frequency as F, Polarity as P, Unit as U};
    let agencies = ["WMP", "BCH", "BCHC", "BWH", "HEFT", "SWBH", "UHB", "WMAS"];
    let mut d = indicator("MULTI.COUNT", U::Count, P::Context, F::Monthly, A::Sum);
    d.expected_agencies = agencies.iter().map(|s| s.to_string()).collect();
    upsert(&mut admin, d).await;
    let mut tasks = Vec::new();
    for a in agencies {
        let ch = s.submitter(a).await;
        tasks.push(tokio::spawn(async move {
            let mut c = client(ch).await;
            for (i, m) in ["2015-04", "2015-05", "2015-06", "2015-07", "2015-08"]
                .iter()
                .enumerate()
            {
                // Each batch also resubmits the shared first month: a new revision each time.
                let rows = vec![
                    row("MULTI.COUNT", m, a, &format!("{}", i + 1)),
                    row("MULTI.COUNT", "2015-04", a, &format!("{}", 10 + i)),
                ];
                let rows = if i == 0 { rows[..1].to_vec() } else { rows };
                submit(&mut c, &format!("{a}-{i}"), rows.clone())
                    .await
                    .unwrap();
                // A replay in the middle of the contention.
                submit(&mut c, &format!("{a}-{i}"), rows).await.unwrap();
            }
        }));
    }
    for t in tasks {
        t.await.unwrap();
    }
    let revs = revisions(&mut admin, "MULTI.COUNT").await;
    // Per agency: 5 months, April with 1 + 4 revisions: 9 revisions.
    assert_eq!(revs.len(), agencies.len() * 9, "{name}");
    for a in agencies {
        let april: Vec<u32> = revs
            .iter()
            .filter(|r| {
                r.key.as_ref().unwrap().agency_code == a
                    && r.key.as_ref().unwrap().period.as_ref().unwrap().code == "2015-04"
            })
            .map(|r| r.revision)
            .collect();
        assert_eq!(april, [1, 2, 3, 4, 5], "{name} {a}");
    }
    let series = admin
        .get_series(pb::GetSeriesRequest {
            indicator_code: "MULTI.COUNT".into(),
            from: per("2015-04"),
            to: per("2015-04"),
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner();
    // The current April value of each agency is the last resubmission: 14.
    assert_eq!(
        series.lines[0].points[0].value,
        format!("{}", 14 * agencies.len()),
        "{name}"
    );
    s.shutdown().await;
}

#[tokio::test]
async fn concurrent_submitters_on_a_sqlite_file() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!(
        "sqlite://{}?mode=rwc",
        dir.path().join("indicators.db").display()
    );
    concurrent_submitters(Db::connect(&url).await.unwrap(), "sqlite file").await;
}

#[tokio::test]
async fn concurrent_submitters_on_postgres() {
    if let Some(db) = lscb_platform::testing::postgres_fresh().await {
        concurrent_submitters(db, "postgres").await;
    }
}

#[tokio::test]
async fn the_reference_scorecard_on_postgres() {
    let Some(db) = lscb_platform::testing::postgres_fresh().await else {
        return;
    };
    let s = spawn_on(db).await;
    let mut admin = client(s.admin().await).await;
    catalogue(&mut admin).await;
    reference_data(&mut admin).await;
    let sc = scorecard(&mut admin, "2015-16").await;
    assert_eq!(
        row_of(&sc, "CAIT.CRIMES").change.as_ref().unwrap().percent,
        "33.9"
    );
    assert_eq!(row_of(&sc, "CLA.RATE").value, "66");
    assert_eq!(
        row_of(&sc, "CIC.HEALTH_ASSESSMENTS").direction,
        pb::Direction::Declining as i32
    );
    let e = submit(
        &mut admin,
        "reference",
        vec![row("CAIT.CRIMES", "2015-16", "WMP", "1")],
    )
    .await
    .unwrap_err();
    assert_eq!(e.code(), Code::AlreadyExists);
    s.shutdown().await;
}

async fn spawn_with_cache(db: Db, ttl: std::time::Duration) -> TestServer {
    TestServer::spawn(db, move |l, mut ctx, sd| {
        ctx.read_cache_ttl = ttl;
        lscb_indicators::serve(l, ctx, sd)
    })
    .await
}

async fn series_values(c: &mut Client, code: &str, from: &str, to: &str) -> Vec<String> {
    c.get_series(pb::GetSeriesRequest {
        indicator_code: code.into(),
        from: per(from),
        to: per(to),
        ..Default::default()
    })
    .await
    .unwrap()
    .into_inner()
    .lines[0]
        .points
        .iter()
        .map(|p| p.value.clone())
        .collect()
}

/// Cached answers of GetSeries and GetScorecard follow every write of the serving process at
/// once: observations, revisions, definitions, benchmarks and year locks.
#[tokio::test]
async fn cached_read_answers_follow_every_write() {
    use pb::{Aggregation as A, Frequency as F, Polarity as P, Unit as U};
    for (name, db) in lscb_platform::testing::databases().await {
        lscb_indicators::migrate(&db).await.unwrap();
        let s = spawn_with_cache(db, std::time::Duration::from_secs(3600)).await;
        let mut admin = client(s.admin().await).await;
        let mut reader = client(s.reader().await).await;
        upsert(
            &mut admin,
            indicator("T.REFERRALS", U::Count, P::Context, F::Monthly, A::Sum),
        )
        .await;
        submit(
            &mut admin,
            "a",
            vec![
                row("T.REFERRALS", "2015-04", "WMP", "5"),
                row("T.REFERRALS", "2015-05", "WMP", "6"),
            ],
        )
        .await
        .unwrap();
        for _ in 0..2 {
            assert_eq!(
                series_values(&mut reader, "T.REFERRALS", "2015-04", "2015-05").await,
                ["5", "6"],
                "{name}"
            );
        }
        // A revision and a new cell.
        submit(
            &mut admin,
            "b",
            vec![
                row("T.REFERRALS", "2015-04", "WMP", "7"),
                row("T.REFERRALS", "2015-05", "BCC-PEOPLE", "1"),
            ],
        )
        .await
        .unwrap();
        assert_eq!(
            series_values(&mut reader, "T.REFERRALS", "2015-04", "2015-05").await,
            ["7", "7"],
            "{name}"
        );
        // A new version of the definition.
        let mut d = indicator("T.REFERRALS", U::Count, P::Context, F::Monthly, A::Sum);
        d.title = "Referrals, renamed".into();
        upsert(&mut admin, d).await;
        let s1 = reader
            .get_series(pb::GetSeriesRequest {
                indicator_code: "T.REFERRALS".into(),
                from: per("2015-04"),
                to: per("2015-04"),
                ..Default::default()
            })
            .await
            .unwrap()
            .into_inner();
        let renamed = s1.indicator.unwrap();
        assert_eq!(renamed.version, 2, "{name}");
        assert_eq!(
            renamed.definition.unwrap().title,
            "Referrals, renamed",
            "{name}"
        );
        // The scorecard's lock flag follows LockYear.
        let before = scorecard(&mut reader, "2015-16").await;
        assert!(!before.locked, "{name}");
        admin
            .lock_year(pb::LockYearRequest {
                year: per("2015-16"),
                reason: "approved by the board".into(),
            })
            .await
            .unwrap();
        assert!(scorecard(&mut reader, "2015-16").await.locked, "{name}");
        s.shutdown().await;
    }
}

/// Another process writing to the same database cannot invalidate this process's cache: its
/// writes show after at most the time-to-live, and at once with the cache off.
#[tokio::test]
async fn another_writer_shows_after_the_ttl_or_at_once_without_cache() {
    use pb::{Aggregation as A, Frequency as F, Polarity as P, Unit as U};
    let db = lscb_platform::testing::sqlite_memory().await;
    lscb_indicators::migrate(&db).await.unwrap();
    let cached = spawn_with_cache(db.clone(), std::time::Duration::from_millis(200)).await;
    let uncached = spawn_with_cache(db.clone(), std::time::Duration::ZERO).await;
    let writer = spawn_with_cache(db, std::time::Duration::ZERO).await;
    let mut w = client(writer.admin().await).await;
    let mut c = client(cached.reader().await).await;
    let mut u = client(uncached.reader().await).await;
    upsert(
        &mut w,
        indicator("T.REFERRALS", U::Count, P::Context, F::Monthly, A::Sum),
    )
    .await;
    submit(&mut w, "a", vec![row("T.REFERRALS", "2015-04", "WMP", "5")])
        .await
        .unwrap();
    assert_eq!(
        series_values(&mut c, "T.REFERRALS", "2015-04", "2015-04").await,
        ["5"]
    );
    submit(&mut w, "b", vec![row("T.REFERRALS", "2015-04", "WMP", "8")])
        .await
        .unwrap();
    assert_eq!(
        series_values(&mut u, "T.REFERRALS", "2015-04", "2015-04").await,
        ["8"]
    );
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    assert_eq!(
        series_values(&mut c, "T.REFERRALS", "2015-04", "2015-04").await,
        ["8"]
    );
}

/// "2006-07" reads as the financial year 2006-07 and as July 2006; for a monthly indicator
/// (and a monthly series) it is the month.
#[tokio::test]
async fn a_month_written_like_a_financial_year_is_the_month_of_a_monthly_indicator() {
    use pb::{Aggregation as A, Frequency as F, Polarity as P, Unit as U};
    let s = spawn().await;
    let mut admin = client(s.admin().await).await;
    upsert(
        &mut admin,
        indicator("T.MONTHLY", U::Count, P::Context, F::Monthly, A::Sum),
    )
    .await;
    upsert(
        &mut admin,
        indicator("T.ANNUAL", U::Count, P::Context, F::Annual, A::Sum),
    )
    .await;
    let r = submit(
        &mut admin,
        "m",
        vec![
            row("T.MONTHLY", "2006-06", "WMP", "1"),
            row("T.MONTHLY", "2006-07", "WMP", "2"),
            row("T.MONTHLY", "2006-08", "WMP", "3"),
            row("T.ANNUAL", "2006-07", "WMP", "40"),
        ],
    )
    .await
    .unwrap();
    assert_eq!(r.stored_count, 4);
    assert_eq!(
        series_values(&mut admin, "T.MONTHLY", "2006-06", "2006-08").await,
        ["1", "2", "3"]
    );
    // The month's own code, which never reads as a year, in the answer and as input.
    let stored: Vec<String> = r
        .observations
        .iter()
        .map(|o| {
            o.key
                .as_ref()
                .unwrap()
                .period
                .as_ref()
                .unwrap()
                .code
                .clone()
        })
        .collect();
    assert_eq!(stored, ["2006-06", "2006-M07", "2006-08", "2006-07"]);
    assert_eq!(
        series_values(&mut admin, "T.MONTHLY", "2006-M07", "2006-M07").await,
        ["2"]
    );
    // The monthly figures add up to the year 2006-07 of the monthly indicator too.
    let year = admin
        .get_series(pb::GetSeriesRequest {
            indicator_code: "T.MONTHLY".into(),
            from: per("2006-07"),
            to: per("2006-07"),
            granularity: pb::Frequency::Annual as i32,
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(year.lines[0].points[0].value, "6");
    assert_eq!(
        series_values(&mut admin, "T.ANNUAL", "2006-07", "2006-07").await,
        ["40"]
    );
}
