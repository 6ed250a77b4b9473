//! Training types and rules, no I/O: booking statuses and which of them hold a place,
//! late cancellation, charges, knowledge uplift, reach, delivery figures and the
//! reconciliation `attended = registered − did not attend − cancelled + walk-ins`.

use std::collections::{BTreeMap, BTreeSet};

use chrono::NaiveDate;
use rust_decimal::{Decimal, RoundingStrategy};
use serde::{Deserialize, Serialize};

/// Where a booking stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum BookingStatus {
    Booked,
    WaitingList,
    Attended,
    PartiallyAttended,
    DidNotAttend,
    Cancelled,
    CancelledLate,
    WalkIn,
}

impl BookingStatus {
    pub const ALL: [BookingStatus; 8] = [
        BookingStatus::Booked,
        BookingStatus::WaitingList,
        BookingStatus::Attended,
        BookingStatus::PartiallyAttended,
        BookingStatus::DidNotAttend,
        BookingStatus::Cancelled,
        BookingStatus::CancelledLate,
        BookingStatus::WalkIn,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            BookingStatus::Booked => "booked",
            BookingStatus::WaitingList => "waiting_list",
            BookingStatus::Attended => "attended",
            BookingStatus::PartiallyAttended => "partially_attended",
            BookingStatus::DidNotAttend => "did_not_attend",
            BookingStatus::Cancelled => "cancelled",
            BookingStatus::CancelledLate => "cancelled_late",
            BookingStatus::WalkIn => "walk_in",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|x| x.as_str() == s)
    }

    /// Whether the booking occupies one of the session's places.
    pub fn holds_place(self) -> bool {
        matches!(
            self,
            BookingStatus::Booked
                | BookingStatus::Attended
                | BookingStatus::PartiallyAttended
                | BookingStatus::DidNotAttend
        )
    }

    /// Whether the delegate was there (a place taken in the utilisation sense).
    pub fn attended(self) -> bool {
        matches!(
            self,
            BookingStatus::Attended | BookingStatus::PartiallyAttended | BookingStatus::WalkIn
        )
    }

    pub fn cancelled(self) -> bool {
        matches!(
            self,
            BookingStatus::Cancelled | BookingStatus::CancelledLate
        )
    }

    /// Statuses a whole-session attendance record may set.
    pub fn is_attendance_outcome(self) -> bool {
        matches!(
            self,
            BookingStatus::Attended
                | BookingStatus::PartiallyAttended
                | BookingStatus::DidNotAttend
                | BookingStatus::WalkIn
        )
    }
}

/// A session's state.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SessionStatus {
    Scheduled,
    Delivered,
    /// Cancelled by the board.
    Cancelled,
}

impl SessionStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            SessionStatus::Scheduled => "scheduled",
            SessionStatus::Delivered => "delivered",
            SessionStatus::Cancelled => "cancelled",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        [
            SessionStatus::Scheduled,
            SessionStatus::Delivered,
            SessionStatus::Cancelled,
        ]
        .into_iter()
        .find(|x| x.as_str() == s)
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Course {
    pub code: String,
    pub title: String,
    pub level: String,
    pub topics: Vec<String>,
    pub multi_agency: bool,
    pub length_days: Decimal,
    pub programme_code: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Session {
    pub id: String,
    pub course_code: String,
    pub date: NaiveDate,
    pub venue: String,
    pub online: bool,
    pub capacity: u32,
    pub trainers: Vec<String>,
    pub status: SessionStatus,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Booking {
    pub id: String,
    pub session_id: String,
    /// Order of arrival within the session (the waiting list's order).
    pub seq: i64,
    pub delegate_ref: String,
    pub agency: String,
    pub role: String,
    pub status: BookingStatus,
    pub cancelled_on: Option<NaiveDate>,
}

/// Places held and the waiting list of one session's bookings.
pub fn occupancy(bookings: &[Booking]) -> (u32, u32) {
    let held = bookings.iter().filter(|b| b.status.holds_place()).count() as u32;
    let waiting = bookings
        .iter()
        .filter(|b| b.status == BookingStatus::WaitingList)
        .count() as u32;
    (held, waiting)
}

/// Whether cancelling on `on` for a session on `session_date` is late under a window of
/// `window_days` (fewer than that many days before the session).
pub fn is_late_cancellation(on: NaiveDate, session_date: NaiveDate, window_days: u32) -> bool {
    (session_date - on).num_days() < i64::from(window_days)
}

// ------------------------------ the bookings of one session ----------------------------

/// What a refused booking, cancellation or attendance outcome is about; each call names the
/// field of its own request (`BookPlace`'s `session_id`, `CancelBooking`'s `booking_id`,
/// `RecordDelegates`' `delegates[i].status`, …).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fault {
    /// The session's state forbids it (not scheduled, cancelled by the board).
    Session,
    /// The session has no free place for a delegate who must hold one.
    Full,
    /// The delegate already has a booking for the session.
    AlreadyBooked,
    /// The delegate has no booking for the session.
    NoBooking,
    /// The delegate's booking is in a state that forbids it.
    Booking,
    /// The agency given is not the booking's.
    Agency,
    /// The day given does not fit the session.
    Date,
    /// The status asked for is not one this call records.
    Status,
}

/// A refusal and why, in words for the caller.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refusal {
    pub fault: Fault,
    pub reason: String,
}

fn refuse(fault: Fault, reason: impl Into<String>) -> Refusal {
    Refusal {
        fault,
        reason: reason.into(),
    }
}

/// One session and its bookings in memory, applying the rules of `BookPlace`,
/// `CancelBooking`, `UpdateSession` (capacity) and `RecordAttendance` in the order they are
/// called: never overbook (a full session puts a booking on the waiting list), promote the
/// first waiting delegate when a place frees up, late cancellation by the policy's window,
/// attendance only for bookings that hold a place (or walk-ins). It remembers which
/// bookings are new and which stored ones changed, so the store writes only those.
#[derive(Debug, Clone)]
pub struct SessionBookings {
    pub session: Session,
    /// In order of arrival (`seq`).
    pub bookings: Vec<Booking>,
    /// `bookings[..stored]` were loaded from the store; the rest are new.
    stored: usize,
    changed: BTreeSet<usize>,
    status_changed: bool,
}

impl SessionBookings {
    /// A session with its stored bookings (in any order).
    pub fn new(session: Session, mut bookings: Vec<Booking>) -> Self {
        bookings.sort_by_key(|b| b.seq);
        SessionBookings {
            session,
            stored: bookings.len(),
            bookings,
            changed: BTreeSet::new(),
            status_changed: false,
        }
    }

    /// Places held and delegates waiting.
    pub fn occupancy(&self) -> (u32, u32) {
        occupancy(&self.bookings)
    }

    /// The booking of a delegate.
    pub fn position(&self, delegate_ref: &str) -> Option<usize> {
        self.bookings
            .iter()
            .position(|b| b.delegate_ref == delegate_ref)
    }

    fn next_seq(&self) -> i64 {
        self.bookings.iter().map(|b| b.seq).max().unwrap_or(0) + 1
    }

    fn set_status(&mut self, ix: usize, status: BookingStatus, cancelled_on: Option<NaiveDate>) {
        let b = &mut self.bookings[ix];
        b.status = status;
        b.cancelled_on = cancelled_on;
        if ix < self.stored {
            self.changed.insert(ix);
        }
    }

    fn push(
        &mut self,
        id: String,
        delegate_ref: &str,
        agency: &str,
        role: &str,
        status: BookingStatus,
    ) -> usize {
        let seq = self.next_seq();
        self.bookings.push(Booking {
            id,
            session_id: self.session.id.clone(),
            seq,
            delegate_ref: delegate_ref.to_string(),
            agency: agency.to_string(),
            role: role.trim().to_string(),
            status,
            cancelled_on: None,
        });
        self.bookings.len() - 1
    }

    /// Books a place (`BookPlace`): only a scheduled session takes bookings, a delegate
    /// once; a place while one is free, else the waiting list. Returns the booking's index.
    pub fn book(
        &mut self,
        id: String,
        delegate_ref: &str,
        agency: &str,
        role: &str,
    ) -> Result<usize, Refusal> {
        if self.session.status != SessionStatus::Scheduled {
            return Err(refuse(
                Fault::Session,
                format!(
                    "the session is {}: only scheduled sessions take bookings",
                    self.session.status.as_str()
                ),
            ));
        }
        if self.position(delegate_ref).is_some() {
            return Err(refuse(
                Fault::AlreadyBooked,
                format!("delegate '{delegate_ref}' already has a booking for this session"),
            ));
        }
        let (held, _) = self.occupancy();
        let status = if held < self.session.capacity {
            BookingStatus::Booked
        } else {
            BookingStatus::WaitingList
        };
        Ok(self.push(id, delegate_ref, agency, role, status))
    }

    /// Cancels a booking on `on` (`CancelBooking`): only bookings of a scheduled session
    /// that are booked or waiting, not after the session. A booked place cancelled fewer
    /// than `window_days` days before the session is `CancelledLate`; leaving the waiting
    /// list is never late. The freed place goes to the first waiting delegate. Returns the
    /// indices of the promoted bookings.
    pub fn cancel(
        &mut self,
        ix: usize,
        on: NaiveDate,
        window_days: u32,
    ) -> Result<Vec<usize>, Vec<Refusal>> {
        let b = &self.bookings[ix];
        let mut why = vec![];
        if self.session.status != SessionStatus::Scheduled {
            why.push(refuse(
                Fault::Session,
                format!(
                    "the session is {}: its bookings can no longer be cancelled",
                    self.session.status.as_str()
                ),
            ));
        }
        if !matches!(b.status, BookingStatus::Booked | BookingStatus::WaitingList) {
            why.push(refuse(
                Fault::Booking,
                format!(
                    "the booking is {}: only booked or waiting bookings can be cancelled",
                    b.status.as_str()
                ),
            ));
        }
        if on > self.session.date {
            why.push(refuse(
                Fault::Date,
                format!("{on} is after the session ({})", self.session.date),
            ));
        }
        if !why.is_empty() {
            return Err(why);
        }
        // Leaving the waiting list is never late: it holds no place.
        let status = if b.status == BookingStatus::Booked
            && is_late_cancellation(on, self.session.date, window_days)
        {
            BookingStatus::CancelledLate
        } else {
            BookingStatus::Cancelled
        };
        self.set_status(ix, status, Some(on));
        Ok(self.promote_waiting())
    }

    /// Gives free places to waiting delegates, first come first served. Returns the indices
    /// of the promoted bookings.
    pub fn promote_waiting(&mut self) -> Vec<usize> {
        let (mut held, _) = self.occupancy();
        let mut promoted = vec![];
        for ix in 0..self.bookings.len() {
            if held >= self.session.capacity {
                break;
            }
            if self.bookings[ix].status == BookingStatus::WaitingList {
                self.set_status(ix, BookingStatus::Booked, None);
                held += 1;
                promoted.push(ix);
            }
        }
        promoted
    }

    /// Changes the capacity (`UpdateSession`, which writes the session itself): not below
    /// the places already held.
    pub fn set_capacity(&mut self, capacity: u32) -> Result<(), Refusal> {
        let (held, _) = self.occupancy();
        if capacity < held {
            return Err(refuse(
                Fault::Full,
                format!("{capacity} is below the {held} places already taken"),
            ));
        }
        self.session.capacity = capacity;
        Ok(())
    }

    /// Marks the session delivered (its attendance is recorded).
    pub fn deliver(&mut self) {
        if self.session.status != SessionStatus::Delivered {
            self.session.status = SessionStatus::Delivered;
            self.status_changed = true;
        }
    }

    /// Records one delegate's attendance (`RecordAttendance`): `Attended`,
    /// `PartiallyAttended` or `DidNotAttend` of a booking that holds a place (with the
    /// booking's agency, when one is given), or a `WalkIn` without a booking (with its agency,
    /// which the caller has checked); a walk-in recorded again is left as it is. A session
    /// the board cancelled takes no attendance. Returns the booking's index.
    pub fn record_outcome(
        &mut self,
        id: impl FnOnce() -> String,
        delegate_ref: &str,
        agency: &str,
        role: &str,
        status: BookingStatus,
    ) -> Result<usize, Refusal> {
        if !status.is_attendance_outcome() {
            return Err(refuse(
                Fault::Status,
                "must be ATTENDED, PARTIALLY_ATTENDED, DID_NOT_ATTEND or WALK_IN",
            ));
        }
        if self.session.status == SessionStatus::Cancelled {
            return Err(refuse(
                Fault::Session,
                "the session was cancelled: it has no attendance",
            ));
        }
        let existing = self.position(delegate_ref);
        if status == BookingStatus::WalkIn {
            return match existing {
                Some(ix) if self.bookings[ix].status != BookingStatus::WalkIn => Err(refuse(
                    Fault::Status,
                    "the delegate has a booking: record ATTENDED rather than WALK_IN",
                )),
                Some(ix) => Ok(ix),
                None => Ok(self.push(id(), delegate_ref, agency, role, BookingStatus::WalkIn)),
            };
        }
        let Some(ix) = existing else {
            return Err(refuse(
                Fault::NoBooking,
                format!("'{delegate_ref}' has no booking for this session (record a WALK_IN)"),
            ));
        };
        let b = &self.bookings[ix];
        if !agency.is_empty() && agency != b.agency {
            return Err(refuse(
                Fault::Agency,
                format!("the booking is for agency '{}'", b.agency),
            ));
        }
        if b.status == BookingStatus::WaitingList {
            return Err(refuse(
                Fault::Full,
                format!(
                    "the session's {} places are taken: '{delegate_ref}' is on the waiting list and holds no place (raise the capacity, or record a WALK_IN)",
                    self.session.capacity
                ),
            ));
        }
        if !b.status.holds_place() {
            return Err(refuse(
                Fault::Booking,
                format!("the booking is {}: it holds no place", b.status.as_str()),
            ));
        }
        self.set_status(ix, status, None);
        Ok(ix)
    }

    /// Bookings made since loading, in order.
    pub fn new_bookings(&self) -> &[Booking] {
        &self.bookings[self.stored..]
    }

    /// Stored bookings whose status changed since loading.
    pub fn changed_bookings(&self) -> impl Iterator<Item = &Booking> {
        self.changed.iter().map(|&ix| &self.bookings[ix])
    }

    /// Whether the session's status changed since loading (see `deliver`).
    pub fn status_changed(&self) -> bool {
        self.status_changed
    }
}

/// The non-attendance and late-cancellation charge policy.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChargePolicy {
    pub did_not_attend_pence: i64,
    pub late_cancellation_pence: i64,
    pub cancellation_window_days: u32,
    pub exempt_agencies: Vec<String>,
    pub exempt_sectors: Vec<String>,
    pub exempt_statutory: bool,
}

impl ChargePolicy {
    pub fn exempts(&self, agency: &str, sector: &str, statutory: bool) -> bool {
        (self.exempt_statutory && statutory)
            || self.exempt_agencies.iter().any(|a| a == agency)
            || self.exempt_sectors.iter().any(|s| s == sector)
    }
}

/// One agency's charges for a period.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AgencyCharge {
    pub agency: String,
    pub sector: String,
    pub did_not_attend: u32,
    pub cancelled_late: u32,
    pub exempt: bool,
    pub amount_pence: i64,
}

/// Charges per agency for the bookings of the given sessions (board-cancelled sessions
/// charge nothing). `agency_info` gives (sector, statutory) per code.
pub fn charges(
    policy: &ChargePolicy,
    sessions: &[Session],
    bookings: &[Booking],
    agency_info: &dyn Fn(&str) -> (String, bool),
) -> Vec<AgencyCharge> {
    let live: BTreeSet<&str> = sessions
        .iter()
        .filter(|s| s.status != SessionStatus::Cancelled)
        .map(|s| s.id.as_str())
        .collect();
    let mut per: BTreeMap<&str, (u32, u32)> = BTreeMap::new();
    for b in bookings
        .iter()
        .filter(|b| live.contains(b.session_id.as_str()))
    {
        match b.status {
            BookingStatus::DidNotAttend => per.entry(&b.agency).or_default().0 += 1,
            BookingStatus::CancelledLate => per.entry(&b.agency).or_default().1 += 1,
            _ => {}
        }
    }
    per.into_iter()
        .map(|(agency, (dna, late))| {
            let (sector, statutory) = agency_info(agency);
            let exempt = policy.exempts(agency, &sector, statutory);
            let amount_pence = if exempt {
                0
            } else {
                // Saturates rather than wraps; the handler refuses a saturated total.
                i64::from(dna)
                    .saturating_mul(policy.did_not_attend_pence)
                    .saturating_add(i64::from(late).saturating_mul(policy.late_cancellation_pence))
            };
            AgencyCharge {
                agency: agency.to_string(),
                sector,
                did_not_attend: dna,
                cancelled_late: late,
                exempt,
                amount_pence,
            }
        })
        .collect()
}

/// A percentage `num / den × 100` rounded to `dp` places (half away from zero); `None` when
/// `den` is zero.
pub fn percent(num: i64, den: i64, dp: u32) -> Option<Decimal> {
    if den == 0 {
        return None;
    }
    Some(
        (Decimal::from(num) * Decimal::from(100) / Decimal::from(den))
            .round_dp_with_strategy(dp, RoundingStrategy::MidpointAwayFromZero)
            .normalize(),
    )
}

/// Totals of delivery for a period or a year.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct YearTotals {
    pub courses_run: u32,
    pub sessions_cancelled: u32,
    pub places_offered: u32,
    pub places_taken: u32,
    pub registered: u32,
    pub did_not_attend: u32,
    pub cancelled: u32,
    pub walk_ins: u32,
}

/// Where a year's figures come from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Source {
    Sessions,
    RecordedTotals,
    None,
}

/// The delivery figures of a period.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Delivery {
    pub totals: YearTotals,
    pub distinct_courses: u32,
    pub sessions_delivered: u32,
    pub source: Source,
}

impl Delivery {
    pub fn utilisation(&self) -> Option<Decimal> {
        percent(
            i64::from(self.totals.places_taken),
            i64::from(self.totals.places_offered),
            0,
        )
    }

    pub fn dna_rate(&self) -> Option<Decimal> {
        let expected = i64::from(self.totals.registered) - i64::from(self.totals.cancelled);
        percent(i64::from(self.totals.did_not_attend), expected, 1)
    }

    /// From recorded totals.
    pub fn recorded(t: &YearTotals) -> Delivery {
        Delivery {
            totals: t.clone(),
            distinct_courses: 0,
            sessions_delivered: t.courses_run,
            source: Source::RecordedTotals,
        }
    }

    /// From sessions and their bookings. Only delivered sessions count towards places.
    pub fn from_sessions(sessions: &[Session], bookings: &[Booking]) -> Delivery {
        let delivered: BTreeSet<&str> = sessions
            .iter()
            .filter(|s| s.status == SessionStatus::Delivered)
            .map(|s| s.id.as_str())
            .collect();
        let mut t = YearTotals::default();
        let mut courses = BTreeSet::new();
        for s in sessions {
            match s.status {
                SessionStatus::Delivered => {
                    t.courses_run += 1;
                    t.places_offered += s.capacity;
                    courses.insert(s.course_code.as_str());
                }
                SessionStatus::Cancelled => t.sessions_cancelled += 1,
                SessionStatus::Scheduled => {}
            }
        }
        for b in bookings
            .iter()
            .filter(|b| delivered.contains(b.session_id.as_str()))
        {
            if b.status.attended() {
                t.places_taken += 1;
            }
            match b.status {
                BookingStatus::WalkIn => t.walk_ins += 1,
                BookingStatus::WaitingList => {}
                s => {
                    t.registered += 1;
                    if s == BookingStatus::DidNotAttend {
                        t.did_not_attend += 1;
                    }
                    if s.cancelled() {
                        t.cancelled += 1;
                    }
                }
            }
        }
        let source = if sessions.is_empty() {
            Source::None
        } else {
            Source::Sessions
        };
        Delivery {
            sessions_delivered: t.courses_run,
            totals: t,
            distinct_courses: courses.len() as u32,
            source,
        }
    }
}

/// The reconciliation of a period's attendance.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reconciliation {
    pub registered: u32,
    pub did_not_attend: u32,
    pub cancelled: u32,
    pub walk_ins: u32,
    pub expected_attended: i64,
    pub attended: u32,
    pub balanced: bool,
    pub explanation: String,
}

/// `attended = registered − did not attend − cancelled + walk-ins`, saying so when the
/// figures do not add up (e.g. bookings of delivered sessions without recorded attendance,
/// or recorded totals that contradict themselves).
pub fn reconcile(t: &YearTotals) -> Reconciliation {
    let expected = i64::from(t.registered) - i64::from(t.did_not_attend) - i64::from(t.cancelled)
        + i64::from(t.walk_ins);
    let balanced = expected == i64::from(t.places_taken);
    let sum = format!(
        "{} registered - {} did not attend - {} cancelled + {} walk-ins = {}",
        t.registered, t.did_not_attend, t.cancelled, t.walk_ins, expected
    );
    let explanation = if balanced {
        format!("{sum} attended: the figures add up")
    } else {
        format!(
            "{sum}, but {} attended are recorded: the figures do not add up (difference {})",
            t.places_taken,
            i64::from(t.places_taken) - expected
        )
    };
    Reconciliation {
        registered: t.registered,
        did_not_attend: t.did_not_attend,
        cancelled: t.cancelled,
        walk_ins: t.walk_ins,
        expected_attended: expected,
        attended: t.places_taken,
        balanced,
        explanation,
    }
}

/// One delegate's evaluation of a session.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Evaluation {
    pub session_id: String,
    pub delegate_ref: String,
    pub confidence_before: u8,
    pub confidence_after: u8,
    pub satisfaction: u8,
}

/// Mean knowledge uplift (mean of (after − before) / before, as a percentage to one place),
/// mean satisfaction (two places) and the share satisfied (4 or 5, one place).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EvaluationFigures {
    pub count: u32,
    pub uplift_percent: Option<Decimal>,
    pub mean_satisfaction: Option<Decimal>,
    pub satisfied_percent: Option<Decimal>,
}

pub fn evaluation_figures<'a>(
    evals: impl IntoIterator<Item = &'a Evaluation>,
) -> EvaluationFigures {
    let mut n = 0u32;
    let mut uplift = Decimal::ZERO;
    let mut sat = 0i64;
    let mut satisfied = 0i64;
    for e in evals {
        n += 1;
        uplift += Decimal::from(i64::from(e.confidence_after) - i64::from(e.confidence_before))
            / Decimal::from(e.confidence_before);
        sat += i64::from(e.satisfaction);
        if e.satisfaction >= 4 {
            satisfied += 1;
        }
    }
    if n == 0 {
        return EvaluationFigures {
            count: 0,
            uplift_percent: None,
            mean_satisfaction: None,
            satisfied_percent: None,
        };
    }
    let nd = Decimal::from(n);
    EvaluationFigures {
        count: n,
        uplift_percent: Some(
            (uplift * Decimal::from(100) / nd)
                .round_dp_with_strategy(1, RoundingStrategy::MidpointAwayFromZero)
                .normalize(),
        ),
        mean_satisfaction: Some(
            (Decimal::from(sat) / nd)
                .round_dp_with_strategy(2, RoundingStrategy::MidpointAwayFromZero)
                .normalize(),
        ),
        satisfied_percent: percent(satisfied, i64::from(n), 1),
    }
}

/// A programme with a target and the workforce in scope per agency.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Programme {
    pub code: String,
    pub name: String,
    pub target: u32,
    pub start: NaiveDate,
    pub end: NaiveDate,
    pub workforce: Vec<(String, u32)>,
}

/// Staff trained towards a programme outside the sessions held here.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TrainedCount {
    pub agency: String,
    pub date: NaiveDate,
    pub trained: u32,
}

/// Reach of a programme.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reach {
    pub trained: u32,
    pub percent: Option<Decimal>,
    /// (agency, trained, workforce, percent of workforce).
    pub by_agency: Vec<(String, u32, u32, Option<Decimal>)>,
}

/// Reach at `as_of`: distinct delegates who attended delivered sessions of the programme's
/// courses from the programme's start up to `as_of`, plus trained counts recorded up to
/// `as_of`.
pub fn reach(
    p: &Programme,
    as_of: NaiveDate,
    course_codes: &BTreeSet<String>,
    sessions: &[Session],
    bookings: &[Booking],
    counts: &[TrainedCount],
) -> Reach {
    let in_scope: BTreeSet<&str> = sessions
        .iter()
        .filter(|s| {
            s.status == SessionStatus::Delivered
                && course_codes.contains(&s.course_code)
                && s.date >= p.start
                && s.date <= as_of
        })
        .map(|s| s.id.as_str())
        .collect();
    let mut people: BTreeSet<(&str, &str)> = BTreeSet::new();
    for b in bookings {
        if b.status.attended() && in_scope.contains(b.session_id.as_str()) {
            people.insert((b.agency.as_str(), b.delegate_ref.as_str()));
        }
    }
    let mut per: BTreeMap<String, u32> = BTreeMap::new();
    for (agency, _) in &people {
        *per.entry((*agency).to_string()).or_default() += 1;
    }
    for c in counts.iter().filter(|c| c.date <= as_of) {
        *per.entry(c.agency.clone()).or_default() += c.trained;
    }
    for (a, _) in &p.workforce {
        per.entry(a.clone()).or_default();
    }
    let trained: u32 = per.values().sum();
    let by_agency = per
        .into_iter()
        .map(|(agency, n)| {
            let wf = p
                .workforce
                .iter()
                .find(|(a, _)| *a == agency)
                .map(|(_, w)| *w)
                .unwrap_or(0);
            let pc = percent(i64::from(n), i64::from(wf), 1);
            (agency, n, wf, pc)
        })
        .collect();
    Reach {
        trained,
        percent: percent(i64::from(trained), i64::from(p.target), 0),
        by_agency,
    }
}

/// A person accredited through train-the-trainer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Trainer {
    pub trainer_ref: String,
    pub agency: String,
    pub programme_code: String,
    pub accredited_on: NaiveDate,
}

/// Checks a topic tag: lower case letters, digits and underscores.
pub fn valid_tag(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 64
        && s.bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
}

/// Checks an opaque reference (delegate, trainer): 1–64 characters of letters, digits and
/// `-_.:/`; no spaces, so names are unlikely to be typed in.
pub fn valid_ref(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 64
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"-_.:/".contains(&b))
}

#[cfg(test)]
#[path = "domain_tests.rs"]
mod tests;
