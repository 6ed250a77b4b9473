//! The board's own record of the year through the audits service's BoardService: the
//! business plan (`business_plan.csv`: priorities and objectives, each objective taking the
//! stored actions its rows match), the governance register (`governance_register.csv`,
//! `governance_work.csv`, `governance_seats.csv`) and the child death reviews (`cdop*.csv`).
//! Each write carries an idempotency key derived from its request, so rerunning the seed
//! changes nothing.

use std::path::Path;

use anyhow::Context as _;
use lscb_proto::audits::v1 as au;
use lscb_proto::common::v1::PageRequest;

use super::{SeedReport, fail, p, parse_all, read};
use crate::csvio::{RowError, sha256_hex};
use crate::seed_clients::Clients;

/// A key from the request's content (its debug form, without the key itself).
fn key<M: std::fmt::Debug>(kind: &str, m: &M) -> String {
    format!(
        "seed-{kind}-{}",
        &sha256_hex(format!("{m:?}").as_bytes())[..24]
    )
}

fn source_kind(name: &str) -> Option<i32> {
    Some(match name {
        "audit" => au::SourceKind::Audit,
        "inspection" => au::SourceKind::Inspection,
        "learning_review" => au::SourceKind::LearningReview,
        "section11" => au::SourceKind::Section11,
        _ => return None,
    } as i32)
}

/// Every action of the partnership, read to the last page.
async fn all_actions(clients: &Clients) -> anyhow::Result<Vec<au::Action>> {
    let mut out = vec![];
    let mut token = String::new();
    loop {
        let r = clients
            .actions
            .clone()
            .list_actions(au::ListActionsRequest {
                page: Some(PageRequest {
                    page_size: 1000,
                    page_token: token.clone(),
                }),
                ..Default::default()
            })
            .await
            .context("listing actions")?
            .into_inner();
        out.extend(r.actions);
        token = r.page.map(|p| p.next_page_token).unwrap_or_default();
        if token.is_empty() {
            return Ok(out);
        }
    }
}

async fn seed_business_plan(clients: &Clients, dir: &Path) -> anyhow::Result<usize> {
    let file = read(dir, "business_plan.csv")?;
    let rows = parse_all(&file, |row, errs| {
        let kind = row.req("source_kind", errs);
        if !kind.is_empty() && source_kind(&kind).is_none() {
            errs.push(row.err(
                "source_kind",
                "write audit, inspection, learning_review or section11",
            ));
        }
        (
            row.period("year", errs),
            row.req("priority", errs),
            row.req("priority_title", errs),
            row.req("objective", errs),
            row.req("objective_title", errs),
            source_kind(&kind).unwrap_or_default(),
            row.req("match", errs).to_lowercase(),
        )
    })?;
    let actions = all_actions(clients).await?;
    // Each action goes to the first row (in file order) whose kind and text match it.
    let mut taken = vec![false; actions.len()];
    let mut req = au::PutBusinessPlanRequest::default();
    let mut errors = vec![];
    for (line, (year, pr, pr_title, ob, ob_title, kind, needle)) in &rows {
        req.year = p(year);
        if req.priorities.last().is_none_or(|x| x.code != *pr) {
            req.priorities.push(au::PlanPriority {
                code: pr.clone(),
                title: pr_title.clone(),
                objectives: vec![],
            });
        }
        let priority = req.priorities.last_mut().expect("just pushed");
        if priority.objectives.last().is_none_or(|x| x.code != *ob) {
            priority.objectives.push(au::PlanObjective {
                code: ob.clone(),
                title: ob_title.clone(),
                action_ids: vec![],
            });
        }
        let objective = priority.objectives.last_mut().expect("just pushed");
        let mut matched = 0;
        for (i, a) in actions.iter().enumerate() {
            if a.source_kind == *kind && a.description.to_lowercase().contains(needle) {
                matched += 1;
                if !taken[i] {
                    taken[i] = true;
                    objective.action_ids.push(a.id.clone());
                }
            }
        }
        if matched == 0 {
            errors.push(RowError {
                line: *line,
                field: "match".into(),
                message: format!("no stored action matches '{needle}'"),
            });
        }
    }
    if !errors.is_empty() {
        return Err(fail(&file.name, errors));
    }
    req.idempotency_key = key("business-plan", &req);
    clients
        .board
        .clone()
        .put_business_plan(req)
        .await
        .with_context(|| file.name.clone())?;
    Ok(taken.iter().filter(|t| **t).count())
}

fn gender(name: &str) -> Option<i32> {
    Some(match name {
        "female" => au::Gender::Female,
        "male" => au::Gender::Male,
        "not_recorded" | "" => au::Gender::NotRecorded,
        _ => return None,
    } as i32)
}

async fn seed_register(clients: &Clients, dir: &Path) -> anyhow::Result<usize> {
    let file = read(dir, "governance_register.csv")?;
    let bodies = parse_all(&file, |row, errs| {
        (
            row.period("year", errs),
            au::RegisterBody {
                body_code: row.req("body", errs),
                name: row.get("name").to_string(),
                forum: row.boolean("forum", errs),
                chaired_by: row.get("chaired_by").to_string(),
                work: vec![],
            },
        )
    })?;
    let Some((_, (year, _))) = bodies.first() else {
        return Ok(0);
    };
    let mut req = au::PutGovernanceRegisterRequest {
        year: p(year),
        bodies: bodies.iter().map(|(_, (_, b))| b.clone()).collect(),
        ..Default::default()
    };
    let work = read(dir, "governance_work.csv")?;
    for (line, (body, text)) in parse_all(&work, |row, errs| {
        (row.req("body", errs), row.req("work", errs))
    })? {
        match req.bodies.iter_mut().find(|b| b.body_code == body) {
            Some(b) => b.work.push(text),
            None => {
                return Err(fail(
                    &work.name,
                    vec![RowError {
                        line,
                        field: "body".into(),
                        message: format!("'{body}' is not in governance_register.csv"),
                    }],
                ));
            }
        }
    }
    let seats = read(dir, "governance_seats.csv")?;
    req.seats = parse_all(&seats, |row, errs| {
        let g = row.get("gender");
        let gender = gender(g).unwrap_or_else(|| {
            errs.push(row.err("gender", "write female, male or not_recorded"));
            0
        });
        au::RegisterSeat {
            body_code: row.req("body", errs),
            agency: row.req("agency", errs),
            role: row.req("role", errs),
            lay_member: row.boolean("lay_member", errs),
            gender,
            chair: row.boolean("chair", errs),
        }
    })?
    .into_iter()
    .map(|(_, s)| s)
    .collect();
    let n = req.seats.len();
    req.idempotency_key = key("governance-register", &req);
    clients
        .board
        .clone()
        .put_governance_register(req)
        .await
        .context("governance_register.csv, governance_work.csv, governance_seats.csv")?;
    Ok(n)
}

async fn seed_cdop(clients: &Clients, dir: &Path) -> anyhow::Result<u32> {
    let file = read(dir, "cdop.csv")?;
    let head = parse_all(&file, |row, errs| {
        (
            row.period("year", errs),
            row.date("deaths_from", errs),
            row.date("deaths_to", errs),
            row.uint("with_modifiable_factors", errs),
        )
    })?;
    let Some((_, (year, from, to, modifiable))) = head.into_iter().next() else {
        return Ok(0);
    };
    let counts = |name: &str, column: &'static str| -> anyhow::Result<Vec<au::CategoryCount>> {
        let f = read(dir, name)?;
        Ok(parse_all(&f, |row, errs| au::CategoryCount {
            code: row.req("code", errs),
            label: row.req("label", errs),
            count: row.uint(column, errs),
        })?
        .into_iter()
        .map(|(_, c)| c)
        .collect())
    };
    let notes = read(dir, "cdop_notes.csv")?;
    let notes = parse_all(&notes, |row, errs| {
        let kind = row.req("kind", errs);
        if !matches!(kind.as_str(), "theme" | "action" | "") {
            errs.push(row.err("kind", "write theme or action"));
        }
        (kind, row.req("text", errs))
    })?;
    let pick = |k: &str| -> Vec<String> {
        notes
            .iter()
            .filter(|(_, (kind, _))| kind == k)
            .map(|(_, (_, t))| t.clone())
            .collect()
    };
    let mut req = au::RecordChildDeathReviewsRequest {
        year: p(&year),
        deaths_from: from,
        deaths_to: to,
        by_category: counts("cdop_categories.csv", "reviewed")?,
        with_modifiable_factors: modifiable,
        modifiable_factors: counts("cdop_factors.csv", "reviews")?,
        themes: pick("theme"),
        actions: pick("action"),
        idempotency_key: String::new(),
    };
    req.idempotency_key = key("child-death-reviews", &req);
    let r = clients
        .board
        .clone()
        .record_child_death_reviews(req)
        .await
        .context("cdop.csv, cdop_categories.csv, cdop_factors.csv, cdop_notes.csv")?
        .into_inner();
    Ok(r.reviewed)
}

/// Seeds the business plan, the governance register and the child death reviews.
pub(super) async fn seed_board(
    clients: &Clients,
    dir: &Path,
    report: &mut SeedReport,
) -> anyhow::Result<()> {
    let n = seed_business_plan(clients, dir).await?;
    report.add("business plan actions", n);
    let n = seed_register(clients, dir).await?;
    report.add("governance register seats", n);
    let n = seed_cdop(clients, dir).await?;
    report.add("child death reviews", n as usize);
    Ok(())
}
