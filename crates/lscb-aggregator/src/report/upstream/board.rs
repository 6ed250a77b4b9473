//! The audits service's BoardService for the report: the year's business plan progress,
//! governance register and child death reviews, each `None` when not recorded.

use lscb_platform::Period;
use lscb_proto::audits::v1 as au;
use tonic::Status;

use super::{CallCtx, MAX_MESSAGE, optional, pdec, per};
use crate::report::model::board::*;

fn rating(r: i32) -> Option<String> {
    match au::PlanRag::try_from(r) {
        Ok(au::PlanRag::Green) => Some("green".into()),
        Ok(au::PlanRag::Amber) => Some("amber".into()),
        Ok(au::PlanRag::Red) => Some("red".into()),
        _ => None,
    }
}

fn line(code: &str, title: &str, p: Option<&au::PlanProgress>) -> PlanLine {
    let p = p.cloned().unwrap_or_default();
    PlanLine {
        code: code.into(),
        title: title.into(),
        actions: p.actions,
        green: p.green,
        amber: p.amber,
        red: p.red,
        not_accepted: p.not_accepted,
        completed_pct: pdec(&p.completed_percent),
        rating: rating(p.rating),
        objectives: vec![],
    }
}

fn plan(p: au::BusinessPlanProgress) -> PlanProgress {
    PlanProgress {
        as_of: p.as_of,
        priorities: p
            .priorities
            .iter()
            .map(|x| PlanLine {
                objectives: x
                    .objectives
                    .iter()
                    .map(|o| line(&o.code, &o.title, o.progress.as_ref()))
                    .collect(),
                ..line(&x.code, &x.title, x.progress.as_ref())
            })
            .collect(),
        overall: line("", "", p.overall.as_ref()),
        unplanned: p.unplanned_actions,
    }
}

fn register(r: au::GovernanceRegisterSummary) -> GovernanceRegister {
    GovernanceRegister {
        bodies: r
            .bodies
            .into_iter()
            .map(|b| BodyLine {
                female_pct: pdec(&b.female_percent),
                male_pct: pdec(&b.male_percent),
                code: b.body_code,
                name: b.name,
                kind: b.kind,
                chaired_by: b.chaired_by,
                work: b.work,
                seats: b.seats,
                agencies: b.agencies,
                lay_members: b.lay_members,
                female: b.female,
                male: b.male,
                gender_not_recorded: b.gender_not_recorded,
            })
            .collect(),
    }
}

fn counts(list: Vec<au::CategoryCount>) -> Vec<CountLine> {
    list.into_iter()
        .map(|c| CountLine {
            label: c.label,
            count: c.count,
        })
        .collect()
}

fn child_deaths(c: au::ChildDeathReviews) -> ChildDeaths {
    ChildDeaths {
        modifiable_pct: pdec(&c.modifiable_percent),
        deaths_from: c.deaths_from,
        deaths_to: c.deaths_to,
        reviewed: c.reviewed,
        by_category: counts(c.by_category),
        with_modifiable_factors: c.with_modifiable_factors,
        modifiable_factors: counts(c.modifiable_factors),
        themes: c.themes,
        actions: c.actions,
    }
}

/// The board's record of `year` from the audits service at `ch`.
pub async fn fetch(
    ch: &tonic::transport::Channel,
    ctx: &CallCtx,
    year: &Period,
) -> Result<BoardRecord, Status> {
    let c = au::board_service_client::BoardServiceClient::new(ch.clone())
        .max_decoding_message_size(MAX_MESSAGE);
    let (mut c1, mut c2, mut c3) = (c.clone(), c.clone(), c);
    let (p, r, d) =
        tokio::join!(
            ctx.call(
                c1.get_business_plan_progress(ctx.req(au::GetBusinessPlanProgressRequest {
                    year: per(year),
                    as_of: String::new(),
                }))
            ),
            ctx.call(c2.get_governance_register(
                ctx.req(au::GetGovernanceRegisterRequest { year: per(year) })
            )),
            ctx.call(c3.get_child_death_reviews(
                ctx.req(au::GetChildDeathReviewsRequest { year: per(year) })
            )),
        );
    Ok(BoardRecord {
        plan: optional(p)?.map(plan),
        register: optional(r)?.map(register),
        child_deaths: optional(d)?.map(child_deaths),
    })
}
