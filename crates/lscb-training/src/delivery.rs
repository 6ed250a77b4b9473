//! Delivery detail of a period, computed from its stored sessions and bookings: training
//! days, delegates per delivered session, cancelled sessions, the share of registered
//! delegates trained and what each programme delivered (its courses and its trainer pool).

use std::collections::{BTreeMap, BTreeSet};

use chrono::NaiveDate;
use rust_decimal::{Decimal, RoundingStrategy};

use crate::domain::{
    Booking, BookingStatus, Course, Programme, Session, SessionStatus, Trainer, percent,
};

/// What one programme's courses delivered in the period, and its trainer pool.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProgrammeDelivery {
    pub programme_code: String,
    pub name: String,
    /// Delivered sessions of the programme's courses.
    pub sessions_delivered: u32,
    /// Attended + partially attended + walk-ins at those sessions.
    pub delegates: u32,
    /// Sum of the courses' lengths over those sessions.
    pub training_days: Decimal,
    /// Distinct trainers accredited for the programme up to the end of the period.
    pub trainers: u32,
}

/// The delivery detail of a period.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeliveryDetail {
    pub sessions_delivered: u32,
    pub sessions_cancelled: u32,
    /// Sum of the course length (days) of every delivered session.
    pub training_days: Decimal,
    /// Delivered sessions whose course is not stored (their days are not counted).
    pub sessions_without_length: u32,
    /// Delegates trained: attended + partially attended + walk-ins at delivered sessions.
    pub delegates: u32,
    /// delegates / sessions delivered, one decimal place.
    pub mean_delegates_per_session: Option<Decimal>,
    /// Bookings of delivered sessions that held a place (walk-ins and waiting list excluded).
    pub registered: u32,
    pub did_not_attend: u32,
    pub cancelled: u32,
    pub walk_ins: u32,
    /// registered − did not attend − cancelled + walk-ins.
    pub trained: i64,
    /// trained / registered, percent to one decimal place.
    pub trained_share_percent: Option<Decimal>,
    /// Programmes in code order; only those with a course, a delivered session or a trainer.
    pub by_programme: Vec<ProgrammeDelivery>,
}

fn one_dp(d: Decimal) -> Decimal {
    d.round_dp_with_strategy(1, RoundingStrategy::MidpointAwayFromZero)
        .normalize()
}

/// Computes the detail of the sessions of a period (`sessions` and `bookings` are those of
/// the period; trainers count when accredited on or before `to`).
pub fn delivery_detail(
    sessions: &[Session],
    bookings: &[Booking],
    courses: &[Course],
    programmes: &[Programme],
    trainers: &[Trainer],
    to: NaiveDate,
) -> DeliveryDetail {
    let course: BTreeMap<&str, &Course> = courses.iter().map(|c| (c.code.as_str(), c)).collect();
    let delivered: BTreeMap<&str, &Session> = sessions
        .iter()
        .filter(|s| s.status == SessionStatus::Delivered)
        .map(|s| (s.id.as_str(), s))
        .collect();
    let mut d = DeliveryDetail {
        sessions_delivered: delivered.len() as u32,
        sessions_cancelled: sessions
            .iter()
            .filter(|s| s.status == SessionStatus::Cancelled)
            .count() as u32,
        training_days: Decimal::ZERO,
        sessions_without_length: 0,
        delegates: 0,
        mean_delegates_per_session: None,
        registered: 0,
        did_not_attend: 0,
        cancelled: 0,
        walk_ins: 0,
        trained: 0,
        trained_share_percent: None,
        by_programme: vec![],
    };
    // programme code -> (sessions, delegates, days)
    let mut per_prog: BTreeMap<String, (u32, u32, Decimal)> = BTreeMap::new();
    let prog_of = |code: &str| {
        course
            .get(code)
            .map(|c| c.programme_code.clone())
            .filter(|p| !p.is_empty())
    };
    for s in delivered.values() {
        let days = course.get(s.course_code.as_str()).map(|c| c.length_days);
        match days {
            Some(x) => d.training_days += x,
            None => d.sessions_without_length += 1,
        }
        if let Some(p) = prog_of(&s.course_code) {
            let e = per_prog.entry(p).or_default();
            e.0 += 1;
            e.2 += days.unwrap_or_default();
        }
    }
    for b in bookings {
        let Some(s) = delivered.get(b.session_id.as_str()) else {
            continue;
        };
        if b.status.attended() {
            d.delegates += 1;
            if let Some(p) = prog_of(&s.course_code) {
                per_prog.entry(p).or_default().1 += 1;
            }
        }
        match b.status {
            BookingStatus::WalkIn => d.walk_ins += 1,
            BookingStatus::WaitingList => {}
            st => {
                d.registered += 1;
                if st == BookingStatus::DidNotAttend {
                    d.did_not_attend += 1;
                }
                if st.cancelled() {
                    d.cancelled += 1;
                }
            }
        }
    }
    d.training_days = d.training_days.normalize();
    d.mean_delegates_per_session = (d.sessions_delivered > 0)
        .then(|| one_dp(Decimal::from(d.delegates) / Decimal::from(d.sessions_delivered)));
    d.trained = i64::from(d.registered) - i64::from(d.did_not_attend) - i64::from(d.cancelled)
        + i64::from(d.walk_ins);
    d.trained_share_percent = percent(d.trained, i64::from(d.registered), 1);

    let mut pool: BTreeMap<&str, BTreeSet<(&str, &str)>> = BTreeMap::new();
    for t in trainers.iter().filter(|t| t.accredited_on <= to) {
        pool.entry(t.programme_code.as_str())
            .or_default()
            .insert((t.agency.as_str(), t.trainer_ref.as_str()));
    }
    let mut codes: BTreeSet<String> = per_prog.keys().cloned().collect();
    codes.extend(pool.keys().filter(|k| !k.is_empty()).map(|k| k.to_string()));
    d.by_programme = codes
        .into_iter()
        .map(|code| {
            let (sessions_delivered, delegates, days) =
                per_prog.get(&code).cloned().unwrap_or_default();
            ProgrammeDelivery {
                name: programmes
                    .iter()
                    .find(|p| p.code == code)
                    .map(|p| p.name.clone())
                    .unwrap_or_else(|| code.clone()),
                sessions_delivered,
                delegates,
                training_days: days.normalize(),
                trainers: pool.get(code.as_str()).map_or(0, |s| s.len() as u32),
                programme_code: code,
            }
        })
        .collect();
    d
}

#[cfg(test)]
#[path = "delivery_tests.rs"]
mod tests;
