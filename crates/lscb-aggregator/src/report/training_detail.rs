//! The training service's delivery detail (part of the upstream layer: it reads the training
//! proto) as the report's model and sentences: training days, delegates per delivered
//! course, cancelled sessions, the share of registered delegates trained, and each
//! programme's courses and "Train the Trainer" pool.

use lscb_proto::common::v1 as common;
use lscb_proto::training::v1 as tr;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use super::format::{self, plural};

/// What one programme's courses delivered, and its trainer pool.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProgrammeDeliveryLine {
    pub programme: String,
    pub courses: u32,
    pub delegates: u32,
    pub training_days: Decimal,
    pub trainers: u32,
}

/// The year's delivery detail, computed by the training service from its sessions.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TrainingDelivery {
    pub courses: u32,
    pub sessions_cancelled: u32,
    pub training_days: Decimal,
    pub delegates: u32,
    pub mean_delegates: Option<Decimal>,
    pub registered: u32,
    pub did_not_attend: u32,
    pub cancelled: u32,
    pub walk_ins: u32,
    pub trained: i64,
    /// trained / registered, whole percent (the report's one rounding rule).
    pub trained_pct: Option<Decimal>,
    pub by_programme: Vec<ProgrammeDeliveryLine>,
}

fn pdec(d: &Option<common::Decimal>) -> Option<Decimal> {
    d.as_ref().and_then(|d| d.value.parse().ok())
}

/// The model of the summary's detail; `None` when no session is stored for the year.
pub fn delivery(d: Option<&tr::DeliveryDetail>) -> Option<TrainingDelivery> {
    let d = d.filter(|d| d.sessions_delivered + d.sessions_cancelled > 0)?;
    Some(TrainingDelivery {
        courses: d.sessions_delivered,
        sessions_cancelled: d.sessions_cancelled,
        training_days: pdec(&d.training_days).unwrap_or_default(),
        delegates: d.delegates,
        mean_delegates: pdec(&d.mean_delegates_per_session),
        registered: d.registered,
        did_not_attend: d.did_not_attend,
        cancelled: d.cancelled,
        walk_ins: d.walk_ins,
        trained: d.trained,
        trained_pct: format::share_pct(d.trained, d.registered.into()),
        by_programme: d
            .by_programme
            .iter()
            .map(|p| ProgrammeDeliveryLine {
                programme: p.name.clone(),
                courses: p.sessions_delivered,
                delegates: p.delegates,
                training_days: pdec(&p.training_days).unwrap_or_default(),
                trainers: p.trainers,
            })
            .collect(),
    })
}

/// The sentences the training section prints for the detail.
pub fn sentences(d: &TrainingDelivery) -> Vec<String> {
    let mut out = vec![];
    let cancelled = match d.sessions_cancelled {
        0 => "no session was cancelled".to_string(),
        1 => "1 session was cancelled".to_string(),
        n => format!("{} sessions were cancelled", format::count(n.into())),
    };
    out.push(format!(
        "The {} delivered amounted to {} training days, with an average of {} delegates per delivered course; {cancelled}.",
        plural(d.courses, "course", "courses"),
        format::number(d.training_days),
        d.mean_delegates
            .map(format::number)
            .unwrap_or_else(|| "no".into()),
    ));
    if d.registered > 0 {
        out.push(format!(
            "{} of the {} registered delegates were trained ({}): {} booked − {} did not attend − {} cancelled + {} walk-ins.",
            format::count(d.trained),
            format::count(d.registered.into()),
            d.trained_pct.map(format::percent).unwrap_or_default(),
            format::count(d.registered.into()),
            format::count(d.did_not_attend.into()),
            format::count(d.cancelled.into()),
            format::count(d.walk_ins.into()),
        ));
    }
    for p in &d.by_programme {
        if p.courses > 0 {
            out.push(format!(
                "{} were delivered for {}, to {} over {} training days.",
                plural(p.courses, "course", "courses"),
                p.programme,
                plural(p.delegates, "delegate", "delegates"),
                format::number(p.training_days),
            ));
        }
        if p.trainers > 0 {
            out.push(format!(
                "{} trained through \"Train the Trainer\" to deliver {}.",
                if p.trainers == 1 {
                    "1 professional was".to_string()
                } else {
                    format!("{} professionals were", format::count(p.trainers.into()))
                },
                p.programme,
            ));
        }
    }
    out
}

#[cfg(test)]
#[path = "training_detail_tests.rs"]
mod tests;
