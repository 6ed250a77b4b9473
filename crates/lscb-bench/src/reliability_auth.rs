//! Check 4: the authorisation matrix. For a read and a write RPC of every service, a call
//! with each wrong token must be refused with the right code: UNAUTHENTICATED without a
//! valid token (none, malformed, signed with another secret, expired), PERMISSION_DENIED for
//! a valid token that may not do it (a reader writing, a submitter writing another agency's
//! data, a partnership this deployment does not serve). Each RPC is first called with an
//! admin token (the control), so the request itself is valid.

use std::time::Duration;

use lscb_platform::{Authenticator, Role};
use lscb_proto::audits::v1 as aud;
use lscb_proto::common::v1::PageRequest;
use lscb_proto::finance::v1 as fin;
use lscb_proto::indicators::v1 as ind;
use lscb_proto::report::v1 as rp;
use lscb_proto::training::v1 as tr;
use prost::Message;
use tonic::Code;
use tonic::metadata::{Ascii, MetadataValue};

use super::inputs::raw_unary;
use super::writes::{define, period};
use super::{Ctx, Findings, Stack, channel};
use crate::rows::Workload;

struct Rpc {
    name: &'static str,
    path: &'static str,
    service: usize,
    write: bool,
    /// A valid request; `n` makes keys and titles distinct per call.
    body: Box<dyn Fn(u32) -> Vec<u8> + Send + Sync>,
}

fn page() -> Option<PageRequest> {
    Some(PageRequest {
        page_size: 10,
        ..Default::default()
    })
}

fn rpcs(agency: String) -> Vec<Rpc> {
    let a1 = agency.clone();
    let a2 = agency;
    vec![
        Rpc {
            name: "indicators ListIndicators",
            path: "/lscb.indicators.v1.IndicatorService/ListIndicators",
            service: 1,
            write: false,
            body: Box::new(|_| {
                ind::ListIndicatorsRequest {
                    page: page(),
                    ..Default::default()
                }
                .encode_to_vec()
            }),
        },
        Rpc {
            name: "indicators SubmitObservations",
            path: "/lscb.indicators.v1.IndicatorService/SubmitObservations",
            service: 1,
            write: true,
            body: Box::new(move |n| {
                ind::SubmitObservationsRequest {
                    idempotency_key: format!("auth-{n}"),
                    rows: vec![ind::ObservationInput {
                        indicator_code: "AUTH.I0000".into(),
                        period: period(&format!("2015-{:02}", 1 + n % 12)),
                        agency_code: a1.clone(),
                        value: "4".into(),
                        status: ind::ObservationStatus::Final as i32,
                        ..Default::default()
                    }],
                }
                .encode_to_vec()
            }),
        },
        Rpc {
            name: "audits ListAudits",
            path: "/lscb.audits.v1.AuditService/ListAudits",
            service: 2,
            write: false,
            body: Box::new(|_| {
                aud::ListAuditsRequest {
                    page: page(),
                    ..Default::default()
                }
                .encode_to_vec()
            }),
        },
        Rpc {
            name: "audits CreateAudit",
            path: "/lscb.audits.v1.AuditService/CreateAudit",
            service: 2,
            write: true,
            body: Box::new(|n| {
                aud::CreateAuditRequest {
                    audit: Some(aud::Audit {
                        r#type: aud::AuditType::MultiAgencyCaseFile as i32,
                        title: format!("Authorisation audit {n}"),
                        period: period("2015-16"),
                        status: aud::AuditStatus::Planned as i32,
                        ..Default::default()
                    }),
                    idempotency_key: format!("auth-{n}"),
                }
                .encode_to_vec()
            }),
        },
        Rpc {
            name: "training ListCourses",
            path: "/lscb.training.v1.TrainingService/ListCourses",
            service: 3,
            write: false,
            body: Box::new(|_| {
                tr::ListCoursesRequest {
                    page: page(),
                    ..Default::default()
                }
                .encode_to_vec()
            }),
        },
        Rpc {
            name: "training RecordYearTotals",
            path: "/lscb.training.v1.TrainingService/RecordYearTotals",
            service: 3,
            write: true,
            body: Box::new(|n| {
                tr::RecordYearTotalsRequest {
                    totals: Some(tr::YearTotals {
                        year: period("2011-12"),
                        courses_run: 10 + n,
                        places_offered: 100,
                        places_taken: 90,
                        ..Default::default()
                    }),
                    idempotency_key: format!("auth-{n}"),
                }
                .encode_to_vec()
            }),
        },
        Rpc {
            name: "finance ListBudgetYears",
            path: "/lscb.finance.v1.FinanceService/ListBudgetYears",
            service: 4,
            write: false,
            body: Box::new(|_| fin::ListBudgetYearsRequest {}.encode_to_vec()),
        },
        Rpc {
            name: "finance PutContributions",
            path: "/lscb.finance.v1.FinanceService/PutContributions",
            service: 4,
            write: true,
            body: Box::new(move |n| {
                fin::PutContributionsRequest {
                    year: period("2015-16"),
                    contributions: vec![fin::ContributionInput {
                        agency_code: a2.clone(),
                        agreed_pence: 100_000 + n as i64,
                        ..Default::default()
                    }],
                    idempotency_key: format!("auth-{n}"),
                }
                .encode_to_vec()
            }),
        },
        Rpc {
            name: "report ListPublished",
            path: "/lscb.report.v1.ReportService/ListPublished",
            service: 0,
            write: false,
            body: Box::new(|_| rp::ListPublishedRequest::default().encode_to_vec()),
        },
        Rpc {
            name: "report PutGlossaryTerm",
            path: "/lscb.report.v1.ReportService/PutGlossaryTerm",
            service: 0,
            write: true,
            body: Box::new(|n| {
                rp::PutGlossaryTermRequest {
                    acronym: format!("AUTH{n}"),
                    meaning: "Authorisation check".into(),
                }
                .encode_to_vec()
            }),
        },
    ]
}

pub(crate) async fn matrix(ctx: &Ctx, f: &mut Findings) -> anyhow::Result<()> {
    let mut stack = Stack::start(ctx, "auth", 30).await?;
    let mut chans = Vec::new();
    for i in 0..5 {
        chans.push(channel(&stack.url(i)).await?);
    }
    let admin = ctx.token(Role::Admin, None)?;
    // The data the writes aim at.
    define(
        &chans[1],
        &admin,
        &Workload::new(ctx.agencies.clone(), "AUTH"),
        1,
    )
    .await?;
    raw_unary(
        chans[4].clone(),
        "/lscb.finance.v1.FinanceService/CreateBudgetYear",
        fin::CreateBudgetYearRequest {
            year: period("2015-16"),
        }
        .encode_to_vec(),
        Some(&admin),
    )
    .await
    .map_err(|s| anyhow::anyhow!("CreateBudgetYear: {}", s.message()))?;

    // The data is written for agency `target`; the submitter belongs to another one.
    let target = ctx.agencies.first().cloned().unwrap_or_default();
    let other_agency = ctx.agencies.get(1).cloned().unwrap_or_default();
    let other_secret = Authenticator::new(b"another-deployment-secret-0123456789abcdef")?;
    let expired = ctx.token_of(&ctx.auth, super::PARTNERSHIP, Role::Admin, None, 0)?;
    // An expired token: issued with no lifetime, used after its expiry second has passed.
    tokio::time::sleep(Duration::from_millis(1100)).await;
    let malformed: MetadataValue<Ascii> = "Bearer not.a.jwt".parse()?;
    type Case = (&'static str, Option<MetadataValue<Ascii>>, Code, bool);
    let cases: Vec<Case> = vec![
        ("no token", None, Code::Unauthenticated, false),
        (
            "malformed token",
            Some(malformed),
            Code::Unauthenticated,
            false,
        ),
        (
            "token signed with another secret",
            Some(ctx.token_of(&other_secret, super::PARTNERSHIP, Role::Admin, None, 3600)?),
            Code::Unauthenticated,
            false,
        ),
        ("expired token", Some(expired), Code::Unauthenticated, false),
        (
            "reader token on a write",
            Some(ctx.token(Role::Reader, None)?),
            Code::PermissionDenied,
            true,
        ),
        (
            "submitter of another agency",
            Some(ctx.token(Role::Submitter, Some(&other_agency))?),
            Code::PermissionDenied,
            true,
        ),
        (
            "admin of another partnership",
            Some(ctx.token_of(&ctx.auth, "another-partnership", Role::Admin, None, 3600)?),
            Code::PermissionDenied,
            false,
        ),
    ];
    let mut n = 0u32;
    let (mut calls, mut right, mut controls_ok) = (0u32, 0u32, 0u32);
    let mut wrong = Vec::new();
    let list = rpcs(target);
    for rpc in &list {
        n += 1;
        // Control: an admin may make the call.
        let ctl = raw_unary(
            chans[rpc.service].clone(),
            rpc.path,
            (rpc.body)(n),
            Some(&admin),
        )
        .await;
        match &ctl {
            Ok(_) => controls_ok += 1,
            Err(s) => wrong.push(format!(
                "{} with an admin token (control): {:?} {}",
                rpc.name,
                s.code(),
                s.message()
            )),
        }
        for (case, token, want, writes_only) in &cases {
            if *writes_only && !rpc.write {
                continue;
            }
            n += 1;
            calls += 1;
            let r = raw_unary(
                chans[rpc.service].clone(),
                rpc.path,
                (rpc.body)(n),
                token.as_ref(),
            )
            .await;
            let got = match &r {
                Ok(_) => Code::Ok,
                Err(s) => s.code(),
            };
            if got == *want {
                right += 1;
            } else {
                wrong.push(format!(
                    "{} with {case}: {got:?}{} (expected {want:?})",
                    rpc.name,
                    match &r {
                        Err(s) => format!(" \"{}\"", s.message()),
                        Ok(_) => String::new(),
                    }
                ));
            }
        }
    }
    let (panics, dead) = stack.health(ctx);
    let pass =
        right == calls && controls_ok == list.len() as u32 && panics.is_empty() && dead.is_empty();
    f.row(
        "4",
        "Authorisation matrix",
        format!(
            "{} RPCs (a read and a write per service) x {} token cases = {calls} calls, plus {} controls",
            list.len(),
            cases.len(),
            list.len()
        ),
        "every call refused: UNAUTHENTICATED (no, malformed, foreign, expired token), PERMISSION_DENIED (reader writing, submitter of another agency, other partnership)",
        format!(
            "{right}/{calls} refused with the right code; controls accepted {controls_ok}/{}",
            list.len()
        ),
        pass,
    );
    let mut lines: Vec<String> = cases
        .iter()
        .map(|(c, _, want, w)| {
            format!(
                "{c}: expected {want:?} on {}",
                if *w { "every write" } else { "every call" }
            )
        })
        .collect();
    lines.extend(wrong.iter().map(|w| format!("wrong: {w}")));
    f.detail("4. Authorisation matrix", lines);
    for w in &wrong {
        if w.contains(": Ok") {
            f.bug(format!("authorisation: call let through: {w}"));
        } else if w.contains("Internal") || w.contains("Unknown") {
            f.bug(format!("authorisation: {w}"));
        }
    }
    for p in &panics {
        f.bug(format!("authorisation: panic: {p}"));
    }
    stack.stop().await;
    Ok(())
}
