//! `lscb.training.v1.TrainingService`: the only module that knows proto types. Converts
//! requests to domain values (every bad field named), checks the caller's role, agency and
//! partnership, and calls the store inside one transaction per write.

use std::collections::{BTreeMap, BTreeSet};

use chrono::NaiveDate;
use lscb_platform::idempotency::{self, Idempotency};
use lscb_platform::{
    Claims, Error, Partnership, Period, Role, ServiceContext, Violations, caller, proto_conv,
};
use lscb_proto::common::v1 as cpb;
use lscb_proto::training::v1 as pb;
use lscb_proto::training::v1::training_service_server::TrainingService;
use rust_decimal::Decimal;
use sea_orm::ConnectionTrait;
use tonic::{Request, Response, Status};

use crate::domain::{self, BookingStatus, Fault, SessionBookings, SessionStatus};
use crate::store;

/// The training API.
#[derive(Debug, Clone)]
pub struct TrainingApi {
    ctx: ServiceContext,
}

impl TrainingApi {
    pub fn new(ctx: ServiceContext) -> Self {
        Self { ctx }
    }

    fn scope(&self, claims: &Claims) -> Result<&Partnership, Status> {
        Ok(self.ctx.partnership(claims)?)
    }
}

type R<T> = Result<Response<T>, Status>;

// ------------------------------------ helpers ------------------------------------------

fn date_field(v: &mut Violations, field: &str, s: &str) -> Option<NaiveDate> {
    if s.trim().is_empty() {
        v.add(field, "is required: a date written YYYY-MM-DD");
        return None;
    }
    v.check(field, lscb_platform::fields::parse_date(s.trim()))
}

fn optional_date(v: &mut Violations, field: &str, s: &str) -> Option<NaiveDate> {
    if s.trim().is_empty() {
        None
    } else {
        date_field(v, field, s)
    }
}

fn today() -> NaiveDate {
    chrono::Utc::now().date_naive()
}

/// Checks that `code` is an agency of the partnership (valid on `on`, when given).
fn agency_field(
    v: &mut Violations,
    field: &str,
    p: &Partnership,
    code: &str,
    on: Option<NaiveDate>,
) -> bool {
    if code.trim().is_empty() {
        v.add(
            field,
            "is required: an agency code of the partnership (e.g. \"WMP\")",
        );
        return false;
    }
    match p.agency(code) {
        None => {
            v.add(
                field,
                format!("'{code}' is not an agency of partnership '{}'", p.id),
            );
            false
        }
        Some(a) => match on {
            Some(d) if !a.valid_at(d) => {
                v.add(field, format!("agency '{code}' did not exist on {d}"));
                false
            }
            _ => true,
        },
    }
}

fn ref_field(v: &mut Violations, field: &str, s: &str) {
    if !domain::valid_ref(s) {
        v.add(
            field,
            "must be an opaque reference of 1-64 letters, digits or -_.:/ (no names)",
        );
    }
}

fn money(pence: i64) -> Option<cpb::Money> {
    Some(cpb::Money { pence })
}

fn dec(d: Option<Decimal>) -> Option<cpb::Decimal> {
    d.map(proto_conv::decimal_to_pb)
}

fn level_to_str(l: i32) -> Option<&'static str> {
    match pb::CourseLevel::try_from(l).ok()? {
        pb::CourseLevel::CourseLevel1 => Some("level_1"),
        pb::CourseLevel::CourseLevel2 => Some("level_2"),
        pb::CourseLevel::CourseLevel3 => Some("level_3"),
        pb::CourseLevel::Specialist => Some("specialist"),
        pb::CourseLevel::Briefing => Some("briefing"),
        pb::CourseLevel::Unspecified => None,
    }
}

fn level_from_str(s: &str) -> pb::CourseLevel {
    match s {
        "level_1" => pb::CourseLevel::CourseLevel1,
        "level_2" => pb::CourseLevel::CourseLevel2,
        "level_3" => pb::CourseLevel::CourseLevel3,
        "specialist" => pb::CourseLevel::Specialist,
        "briefing" => pb::CourseLevel::Briefing,
        _ => pb::CourseLevel::Unspecified,
    }
}

fn course_pb(c: &domain::Course) -> pb::Course {
    pb::Course {
        code: c.code.clone(),
        title: c.title.clone(),
        level: level_from_str(&c.level) as i32,
        topics: c.topics.clone(),
        multi_agency: c.multi_agency,
        length_days: Some(proto_conv::decimal_to_pb(c.length_days)),
        programme_code: c.programme_code.clone(),
    }
}

fn session_status_pb(s: SessionStatus) -> pb::SessionStatus {
    match s {
        SessionStatus::Scheduled => pb::SessionStatus::Scheduled,
        SessionStatus::Delivered => pb::SessionStatus::Delivered,
        SessionStatus::Cancelled => pb::SessionStatus::Cancelled,
    }
}

fn session_pb(s: &domain::Session, bookings: &[domain::Booking]) -> pb::Session {
    let (held, waiting) = domain::occupancy(bookings);
    pb::Session {
        id: s.id.clone(),
        course_code: s.course_code.clone(),
        date: s.date.to_string(),
        venue: s.venue.clone(),
        online: s.online,
        capacity: s.capacity,
        trainers: s.trainers.clone(),
        status: session_status_pb(s.status) as i32,
        places_taken: held,
        waiting,
        places_free: s.capacity.saturating_sub(held),
    }
}

fn booking_status_pb(s: BookingStatus) -> pb::BookingStatus {
    match s {
        BookingStatus::Booked => pb::BookingStatus::Booked,
        BookingStatus::WaitingList => pb::BookingStatus::WaitingList,
        BookingStatus::Attended => pb::BookingStatus::Attended,
        BookingStatus::PartiallyAttended => pb::BookingStatus::PartiallyAttended,
        BookingStatus::DidNotAttend => pb::BookingStatus::DidNotAttend,
        BookingStatus::Cancelled => pb::BookingStatus::Cancelled,
        BookingStatus::CancelledLate => pb::BookingStatus::CancelledLate,
        BookingStatus::WalkIn => pb::BookingStatus::WalkIn,
    }
}

fn booking_status_from_pb(s: i32) -> Option<BookingStatus> {
    Some(match pb::BookingStatus::try_from(s).ok()? {
        pb::BookingStatus::Booked => BookingStatus::Booked,
        pb::BookingStatus::WaitingList => BookingStatus::WaitingList,
        pb::BookingStatus::Attended => BookingStatus::Attended,
        pb::BookingStatus::PartiallyAttended => BookingStatus::PartiallyAttended,
        pb::BookingStatus::DidNotAttend => BookingStatus::DidNotAttend,
        pb::BookingStatus::Cancelled => BookingStatus::Cancelled,
        pb::BookingStatus::CancelledLate => BookingStatus::CancelledLate,
        pb::BookingStatus::WalkIn => BookingStatus::WalkIn,
        pb::BookingStatus::Unspecified => return None,
    })
}

/// A booking with its waiting-list position among `all` bookings of its session.
fn booking_pb(b: &domain::Booking, all: &[domain::Booking]) -> pb::Booking {
    let waiting_position = if b.status == BookingStatus::WaitingList {
        all.iter()
            .filter(|x| x.status == BookingStatus::WaitingList && x.seq <= b.seq)
            .count() as u32
    } else {
        0
    };
    pb::Booking {
        id: b.id.clone(),
        session_id: b.session_id.clone(),
        delegate_ref: b.delegate_ref.clone(),
        agency: b.agency.clone(),
        role: b.role.clone(),
        status: booking_status_pb(b.status) as i32,
        waiting_position,
    }
}

fn policy_pb(p: &domain::ChargePolicy) -> pb::ChargePolicy {
    pb::ChargePolicy {
        did_not_attend_charge: money(p.did_not_attend_pence),
        late_cancellation_charge: money(p.late_cancellation_pence),
        cancellation_window_days: p.cancellation_window_days,
        exempt_agencies: p.exempt_agencies.clone(),
        exempt_sectors: p.exempt_sectors.clone(),
        exempt_statutory: p.exempt_statutory,
    }
}

fn programme_pb(p: &domain::Programme) -> pb::Programme {
    pb::Programme {
        code: p.code.clone(),
        name: p.name.clone(),
        target: p.target,
        start_date: p.start.to_string(),
        end_date: p.end.to_string(),
        workforce: p
            .workforce
            .iter()
            .map(|(a, w)| pb::AgencyWorkforce {
                agency: a.clone(),
                workforce: *w,
            })
            .collect(),
    }
}

fn trainer_pb(t: &domain::Trainer) -> pb::Trainer {
    pb::Trainer {
        trainer_ref: t.trainer_ref.clone(),
        agency: t.agency.clone(),
        programme_code: t.programme_code.clone(),
        accredited_on: t.accredited_on.to_string(),
    }
}

fn figures_pb(d: &domain::Delivery) -> pb::DeliveryFigures {
    pb::DeliveryFigures {
        courses_run: d.totals.courses_run,
        distinct_courses: d.distinct_courses,
        sessions_delivered: d.sessions_delivered,
        sessions_cancelled: d.totals.sessions_cancelled,
        places_offered: d.totals.places_offered,
        places_taken: d.totals.places_taken,
        utilisation_percent: dec(d.utilisation()),
        did_not_attend: d.totals.did_not_attend,
        did_not_attend_rate_percent: dec(d.dna_rate()),
        source: match d.source {
            domain::Source::Sessions => pb::FiguresSource::Sessions,
            domain::Source::RecordedTotals => pb::FiguresSource::RecordedTotals,
            domain::Source::None => pb::FiguresSource::None,
        } as i32,
    }
}

fn year_totals_pb(start_year: i32, t: &domain::YearTotals) -> pb::YearTotals {
    pb::YearTotals {
        year: Some(proto_conv::period_to_pb(Period::year(start_year))),
        courses_run: t.courses_run,
        sessions_cancelled: t.sessions_cancelled,
        places_offered: t.places_offered,
        places_taken: t.places_taken,
        registered: t.registered,
        did_not_attend: t.did_not_attend,
        cancelled: t.cancelled,
        walk_ins: t.walk_ins,
    }
}

/// The caller may act for `agency`: admins for all, submitters for their own.
fn may_act_for(claims: &Claims, agency: &str) -> Result<(), Status> {
    Ok(claims.require_agency_write(agency)?)
}

async fn session_or_404<C: ConnectionTrait>(
    c: &C,
    p: &str,
    id: &str,
    lock: bool,
) -> Result<domain::Session, Status> {
    if id.trim().is_empty() {
        return Err(Error::invalid("session_id", "is required").into());
    }
    store::get_session(c, p, id, lock)
        .await?
        .ok_or_else(|| Error::not_found(format!("session '{id}' not found")).into())
}

/// Records a refusal of the booking rules under the field `field_of` names for it.
fn refused(v: &mut Violations, r: domain::Refusal, field_of: impl Fn(Fault) -> String) {
    v.add(field_of(r.fault), r.reason);
}

/// A session with its bookings, the session's row locked for the write (see
/// `store::get_session`).
async fn session_bookings<C: ConnectionTrait>(
    c: &C,
    p: &str,
    id: &str,
) -> Result<SessionBookings, Status> {
    let s = session_or_404(c, p, id, true).await?;
    let bookings = store::bookings_of_session(c, p, &s.id).await?;
    Ok(SessionBookings::new(s, bookings))
}

/// Most delegates one RecordDelegates call takes.
pub const MAX_DELEGATES: usize = 10_000;
/// Largest RecordDelegates batch whose bookings the answer lists.
pub const ECHO_BOOKINGS: usize = 1_000;

/// (from, to, period) of a summary/charges request.
fn range_of(
    v: &mut Violations,
    period: Option<&cpb::Period>,
    from: &str,
    to: &str,
) -> Option<(NaiveDate, NaiveDate, Option<Period>)> {
    if period.is_some() || (from.is_empty() && to.is_empty()) {
        let p = proto_conv::period(v, "period", period)?;
        return Some((p.first_day(), p.last_day(), Some(p)));
    }
    let f = date_field(v, "from", from);
    let t = date_field(v, "to", to);
    match (f, t) {
        (Some(f), Some(t)) if f <= t => Some((f, t, None)),
        (Some(_), Some(_)) => {
            v.add("to", "must not be before from");
            None
        }
        _ => None,
    }
}

/// One row of a RecordDelegates batch, its fields checked.
struct DelegateRow {
    session_id: String,
    delegate_ref: String,
    agency: String,
    role: String,
    /// Booked, Cancelled (the policy decides whether late) or an attendance outcome.
    status: BookingStatus,
    cancelled_on: Option<NaiveDate>,
}

/// Checks what `delegates[i]` says on its own (no database): `None` when it is bad.
fn delegate_row(v: &mut Violations, i: usize, d: &pb::DelegateRecord) -> Option<DelegateRow> {
    let before = v.len();
    let f = |x: &str| format!("delegates[{i}].{x}");
    if d.session_id.trim().is_empty() {
        v.add(f("session_id"), "is required");
    }
    ref_field(v, &f("delegate_ref"), &d.delegate_ref);
    if d.role.len() > 100 {
        v.add(f("role"), "at most 100 characters");
    }
    let status = match booking_status_from_pb(d.status) {
        Some(BookingStatus::CancelledLate) => {
            v.add(
                f("status"),
                "send CANCELLED with cancelled_on: whether a cancellation is late is the charge policy's call",
            );
            None
        }
        Some(s @ (BookingStatus::Booked | BookingStatus::Cancelled)) => Some(s),
        Some(s) if s.is_attendance_outcome() => Some(s),
        _ => {
            v.add(
                f("status"),
                "must be BOOKED, CANCELLED, ATTENDED, PARTIALLY_ATTENDED, DID_NOT_ATTEND or WALK_IN",
            );
            None
        }
    };
    let cancelled_on = match status {
        Some(BookingStatus::Cancelled) => date_field(v, &f("cancelled_on"), &d.cancelled_on),
        Some(_) if !d.cancelled_on.is_empty() => {
            v.add(f("cancelled_on"), "is only for a CANCELLED delegate");
            None
        }
        _ => None,
    };
    (v.len() == before).then(|| DelegateRow {
        session_id: d.session_id.clone(),
        delegate_ref: d.delegate_ref.clone(),
        agency: d.agency.clone(),
        role: d.role.trim().to_string(),
        status: status.unwrap_or(BookingStatus::Booked),
        cancelled_on,
    })
}

// ------------------------------------ service ------------------------------------------

#[tonic::async_trait]
impl TrainingService for TrainingApi {
    async fn upsert_course(&self, request: Request<pb::UpsertCourseRequest>) -> R<pb::Course> {
        let claims = caller(&request)?;
        claims.require_admin()?;
        let p = self.scope(&claims)?;
        let req = request.into_inner();
        let mut v = Violations::new();
        let Some(c) = req.course else {
            return Err(Error::invalid("course", "is required").into());
        };
        ref_field(&mut v, "course.code", &c.code);
        if c.title.trim().is_empty() || c.title.len() > 200 {
            v.add("course.title", "is required (at most 200 characters)");
        }
        let level = level_to_str(c.level);
        if level.is_none() {
            v.add(
                "course.level",
                "is required: COURSE_LEVEL_1, COURSE_LEVEL_2, COURSE_LEVEL_3, COURSE_LEVEL_SPECIALIST or COURSE_LEVEL_BRIEFING",
            );
        }
        if c.topics.len() > 20 {
            v.add("course.topics", "at most 20 topics");
        }
        for (i, t) in c.topics.iter().enumerate() {
            if !domain::valid_tag(t) {
                v.add(
                    format!("course.topics[{i}]"),
                    format!("'{t}' is not a topic tag: lower case letters, digits and _"),
                );
            }
        }
        let len = proto_conv::decimal(&mut v, "course.length_days", c.length_days.as_ref());
        if let Some(l) = len
            && (l <= Decimal::ZERO || l > Decimal::from(100))
        {
            v.add("course.length_days", "must be more than 0 and at most 100");
        }
        let txn = self.ctx.db.begin_write().await.map_err(Error::from)?;
        if !c.programme_code.is_empty()
            && !store::list_programmes(&*txn, &p.id)
                .await?
                .iter()
                .any(|x| x.code == c.programme_code)
        {
            v.add(
                "course.programme_code",
                format!("programme '{}' does not exist", c.programme_code),
            );
        }
        v.into_result()?;
        let course = domain::Course {
            code: c.code,
            title: c.title.trim().to_string(),
            level: level.unwrap_or_default().to_string(),
            topics: c.topics,
            multi_agency: c.multi_agency,
            length_days: len.unwrap_or_default(),
            programme_code: c.programme_code,
        };
        store::upsert_course(&*txn, &p.id, &course).await?;
        txn.commit().await.map_err(Error::from)?;
        Ok(Response::new(course_pb(&course)))
    }

    async fn get_course(&self, request: Request<pb::GetCourseRequest>) -> R<pb::Course> {
        let claims = caller(&request)?;
        let p = self.scope(&claims)?;
        let code = request.into_inner().code;
        let c = store::get_course(self.ctx.db.conn(), &p.id, &code)
            .await?
            .ok_or_else(|| Error::not_found(format!("course '{code}' not found")))?;
        Ok(Response::new(course_pb(&c)))
    }

    async fn list_courses(
        &self,
        request: Request<pb::ListCoursesRequest>,
    ) -> R<pb::ListCoursesResponse> {
        let claims = caller(&request)?;
        let p = self.scope(&claims)?;
        let req = request.into_inner();
        let mut v = Violations::new();
        let (offset, limit) = proto_conv::page(&mut v, "page", req.page.as_ref());
        v.into_result()?;
        let all: Vec<_> = store::list_courses(self.ctx.db.conn(), &p.id)
            .await?
            .into_iter()
            .filter(|c| req.topic.is_empty() || c.topics.contains(&req.topic))
            .filter(|c| req.programme_code.is_empty() || c.programme_code == req.programme_code)
            .collect();
        let total = all.len() as u64;
        let courses: Vec<_> = all
            .iter()
            .skip(offset as usize)
            .take(limit as usize)
            .map(course_pb)
            .collect();
        let page = proto_conv::page_response(offset, courses.len(), total);
        Ok(Response::new(pb::ListCoursesResponse {
            courses,
            page: Some(page),
        }))
    }

    async fn create_session(&self, request: Request<pb::CreateSessionRequest>) -> R<pb::Session> {
        let claims = caller(&request)?;
        claims.require_admin()?;
        let p = self.scope(&claims)?;
        let req = request.into_inner();
        let mut v = Violations::new();
        let date = date_field(&mut v, "date", &req.date);
        if req.capacity == 0 || req.capacity > 10_000 {
            v.add("capacity", "must be between 1 and 10000 places");
        }
        if !req.online && req.venue.trim().is_empty() {
            v.add("venue", "is required unless the session is online");
        }
        for (i, t) in req.trainers.iter().enumerate() {
            ref_field(&mut v, &format!("trainers[{i}]"), t);
        }
        let txn = self.ctx.db.begin_write().await.map_err(Error::from)?;
        if req.course_code.is_empty() {
            v.add("course_code", "is required");
        } else if store::get_course(&*txn, &p.id, &req.course_code)
            .await?
            .is_none()
        {
            v.add(
                "course_code",
                format!("course '{}' does not exist", req.course_code),
            );
        }
        v.into_result()?;
        let s = domain::Session {
            id: uuid::Uuid::new_v4().to_string(),
            course_code: req.course_code,
            date: date.unwrap_or_default(),
            venue: req.venue.trim().to_string(),
            online: req.online,
            capacity: req.capacity,
            trainers: req.trainers,
            status: SessionStatus::Scheduled,
        };
        store::insert_session(&*txn, &p.id, &s).await?;
        txn.commit().await.map_err(Error::from)?;
        Ok(Response::new(session_pb(&s, &[])))
    }

    async fn update_session(&self, request: Request<pb::UpdateSessionRequest>) -> R<pb::Session> {
        let claims = caller(&request)?;
        claims.require_admin()?;
        let p = self.scope(&claims)?;
        let req = request.into_inner();
        let txn = self.ctx.db.begin_write().await.map_err(Error::from)?;
        let mut book = session_bookings(&*txn, &p.id, &req.id).await?;
        let mut v = Violations::new();
        let s = &mut book.session;
        if let Some(d) = &req.date
            && let Some(d) = date_field(&mut v, "date", d)
        {
            s.date = d;
        }
        if let Some(venue) = &req.venue {
            s.venue = venue.trim().to_string();
        }
        if let Some(o) = req.online {
            s.online = o;
        }
        if !s.online && s.venue.is_empty() {
            v.add("venue", "is required unless the session is online");
        }
        if let Some(c) = req.capacity {
            if c == 0 || c > 10_000 {
                v.add("capacity", "must be between 1 and 10000 places");
            } else if let Err(r) = book.set_capacity(c) {
                refused(&mut v, r, |_| "capacity".into());
            }
        }
        let s = &mut book.session;
        if req.set_trainers {
            for (i, t) in req.trainers.iter().enumerate() {
                ref_field(&mut v, &format!("trainers[{i}]"), t);
            }
            s.trainers = req.trainers;
        }
        match pb::SessionStatus::try_from(req.status) {
            Ok(pb::SessionStatus::Unspecified) => {}
            Ok(pb::SessionStatus::Scheduled) => s.status = SessionStatus::Scheduled,
            Ok(pb::SessionStatus::Delivered) => s.status = SessionStatus::Delivered,
            Ok(pb::SessionStatus::Cancelled) => s.status = SessionStatus::Cancelled,
            Err(_) => v.add("status", format!("unknown session status {}", req.status)),
        }
        v.into_result()?;
        store::update_session(&*txn, &p.id, &book.session).await?;
        if book.session.status == SessionStatus::Scheduled {
            book.promote_waiting();
        }
        store::save_bookings(&*txn, &p.id, [&book]).await?;
        txn.commit().await.map_err(Error::from)?;
        Ok(Response::new(session_pb(&book.session, &book.bookings)))
    }

    async fn get_session(&self, request: Request<pb::GetSessionRequest>) -> R<pb::Session> {
        let claims = caller(&request)?;
        let p = self.scope(&claims)?;
        let id = request.into_inner().id;
        let c = self.ctx.db.conn();
        let s = session_or_404(c, &p.id, &id, false).await?;
        let b = store::bookings_of_session(c, &p.id, &s.id).await?;
        Ok(Response::new(session_pb(&s, &b)))
    }

    async fn list_sessions(
        &self,
        request: Request<pb::ListSessionsRequest>,
    ) -> R<pb::ListSessionsResponse> {
        let claims = caller(&request)?;
        let p = self.scope(&claims)?;
        let req = request.into_inner();
        let mut v = Violations::new();
        let range = match &req.period {
            None => None,
            Some(_) => proto_conv::period(&mut v, "period", req.period.as_ref())
                .map(|x| (x.first_day(), x.last_day())),
        };
        let status = match pb::SessionStatus::try_from(req.status) {
            Ok(pb::SessionStatus::Unspecified) => None,
            Ok(pb::SessionStatus::Scheduled) => Some(SessionStatus::Scheduled),
            Ok(pb::SessionStatus::Delivered) => Some(SessionStatus::Delivered),
            Ok(pb::SessionStatus::Cancelled) => Some(SessionStatus::Cancelled),
            Err(_) => {
                v.add("status", format!("unknown session status {}", req.status));
                None
            }
        };
        let (offset, limit) = proto_conv::page(&mut v, "page", req.page.as_ref());
        v.into_result()?;
        let c = self.ctx.db.conn();
        let all: Vec<_> = store::list_sessions(c, &p.id, range)
            .await?
            .into_iter()
            .filter(|s| req.course_code.is_empty() || s.course_code == req.course_code)
            .filter(|s| status.is_none_or(|x| s.status == x))
            .collect();
        let total = all.len() as u64;
        let page_of: Vec<_> = all
            .into_iter()
            .skip(offset as usize)
            .take(limit as usize)
            .collect();
        let bookings = store::bookings_in_range(c, &p.id, range).await?;
        let mut by_session: BTreeMap<&str, Vec<domain::Booking>> = BTreeMap::new();
        for b in &bookings {
            by_session
                .entry(b.session_id.as_str())
                .or_default()
                .push(b.clone());
        }
        let sessions: Vec<_> = page_of
            .iter()
            .map(|s| {
                session_pb(
                    s,
                    by_session
                        .get(s.id.as_str())
                        .map(Vec::as_slice)
                        .unwrap_or(&[]),
                )
            })
            .collect();
        let page = proto_conv::page_response(offset, sessions.len(), total);
        Ok(Response::new(pb::ListSessionsResponse {
            sessions,
            page: Some(page),
        }))
    }

    async fn book_place(&self, request: Request<pb::BookPlaceRequest>) -> R<pb::BookPlaceResponse> {
        let claims = caller(&request)?;
        claims.require_writer()?;
        let p = self.scope(&claims)?;
        let req = request.into_inner();
        let mut v = Violations::new();
        ref_field(&mut v, "delegate_ref", &req.delegate_ref);
        if req.role.len() > 100 {
            v.add("role", "at most 100 characters");
        }
        let txn = self.ctx.db.begin_write().await.map_err(Error::from)?;
        let mut book = session_bookings(&*txn, &p.id, &req.session_id).await?;
        agency_field(&mut v, "agency", p, &req.agency, Some(book.session.date));
        let booked = book.book(
            uuid::Uuid::new_v4().to_string(),
            &req.delegate_ref,
            &req.agency,
            &req.role,
        );
        let (new, already) = match booked {
            Ok(ix) => (Some(ix), None),
            Err(r) if r.fault == Fault::AlreadyBooked => (None, Some(r.reason)),
            Err(r) => {
                refused(&mut v, r, |_| "session_id".into());
                (None, None)
            }
        };
        v.into_result()?;
        may_act_for(&claims, &req.agency)?;
        if let Some(why) = already {
            return Err(Error::Conflict(why).into());
        }
        // A refusal other than "already booked" is a violation, returned above.
        let Some(ix) = new else {
            return Err(
                Error::Internal(anyhow::anyhow!("a booking refused without a reason")).into(),
            );
        };
        store::save_bookings(&*txn, &p.id, [&book]).await?;
        txn.commit().await.map_err(Error::from)?;
        Ok(Response::new(pb::BookPlaceResponse {
            booking: Some(booking_pb(&book.bookings[ix], &book.bookings)),
        }))
    }

    async fn cancel_booking(
        &self,
        request: Request<pb::CancelBookingRequest>,
    ) -> R<pb::CancelBookingResponse> {
        let claims = caller(&request)?;
        claims.require_writer()?;
        let p = self.scope(&claims)?;
        let req = request.into_inner();
        let mut v = Violations::new();
        let on = optional_date(&mut v, "cancelled_on", &req.cancelled_on).unwrap_or_else(today);
        v.into_result()?;
        let txn = self.ctx.db.begin_write().await.map_err(Error::from)?;
        let b = store::get_booking(&*txn, &p.id, &req.booking_id)
            .await?
            .ok_or_else(|| Error::not_found(format!("booking '{}' not found", req.booking_id)))?;
        may_act_for(&claims, &b.agency)?;
        let mut book = session_bookings(&*txn, &p.id, &b.session_id).await?;
        let ix = book
            .bookings
            .iter()
            .position(|x| x.id == b.id)
            .ok_or_else(|| Error::Internal(anyhow::anyhow!("booking {} vanished", b.id)))?;
        let policy = store::get_policy(&*txn, &p.id).await?;
        let promoted = match book.cancel(ix, on, policy.cancellation_window_days) {
            Ok(promoted) => promoted,
            Err(rs) => {
                let mut v = Violations::new();
                for r in rs {
                    refused(&mut v, r, |f| match f {
                        Fault::Date => "cancelled_on".into(),
                        _ => "booking_id".into(),
                    });
                }
                return Err(Error::from(v).into());
            }
        };
        store::save_bookings(&*txn, &p.id, [&book]).await?;
        txn.commit().await.map_err(Error::from)?;
        Ok(Response::new(pb::CancelBookingResponse {
            booking: Some(booking_pb(&book.bookings[ix], &book.bookings)),
            promoted: promoted
                .first()
                .map(|&x| booking_pb(&book.bookings[x], &book.bookings)),
        }))
    }

    async fn list_bookings(
        &self,
        request: Request<pb::ListBookingsRequest>,
    ) -> R<pb::ListBookingsResponse> {
        let claims = caller(&request)?;
        let p = self.scope(&claims)?;
        let req = request.into_inner();
        let c = self.ctx.db.conn();
        let s = session_or_404(c, &p.id, &req.session_id, false).await?;
        let all = store::bookings_of_session(c, &p.id, &s.id).await?;
        let bookings = all
            .iter()
            .filter(|b| req.agency.is_empty() || b.agency == req.agency)
            .map(|b| booking_pb(b, &all))
            .collect();
        Ok(Response::new(pb::ListBookingsResponse { bookings }))
    }

    async fn record_attendance(
        &self,
        request: Request<pb::RecordAttendanceRequest>,
    ) -> R<pb::RecordAttendanceResponse> {
        let claims = caller(&request)?;
        claims.require_writer()?;
        let p = self.scope(&claims)?;
        let mut req = request.into_inner();
        let idem = Idempotency::of(&p.id, "RecordAttendance", &mut req, |r| {
            &mut r.idempotency_key
        })?;
        let txn = self.ctx.db.begin_write().await.map_err(Error::from)?;
        if let Some(r) = idempotency::claim(idem.as_ref(), &*txn).await? {
            return Ok(Response::new(r));
        }
        let mut book = session_bookings(&*txn, &p.id, &req.session_id).await?;
        let mut v = Violations::new();
        if book.session.status == SessionStatus::Cancelled {
            v.add(
                "session_id",
                "the session was cancelled: it has no attendance",
            );
        }
        if req.entries.is_empty() {
            v.add("entries", "at least one entry is required");
        }
        let mut seen = BTreeSet::new();
        for (i, e) in req.entries.iter().enumerate() {
            let f = |x: &str| format!("entries[{i}].{x}");
            ref_field(&mut v, &f("delegate_ref"), &e.delegate_ref);
            if !seen.insert(e.delegate_ref.clone()) {
                v.add(
                    f("delegate_ref"),
                    format!("'{}' appears twice", e.delegate_ref),
                );
            }
            let status = booking_status_from_pb(e.status).unwrap_or(BookingStatus::Booked);
            if status == BookingStatus::WalkIn
                && book.position(&e.delegate_ref).is_none()
                && book.session.status != SessionStatus::Cancelled
            {
                if !agency_field(&mut v, &f("agency"), p, &e.agency, Some(book.session.date)) {
                    continue;
                }
                may_act_for(&claims, &e.agency)?;
            }
            match book.record_outcome(
                || uuid::Uuid::new_v4().to_string(),
                &e.delegate_ref,
                &e.agency,
                &e.role,
                status,
            ) {
                Ok(ix) => may_act_for(&claims, &book.bookings[ix].agency)?,
                // Said once for the whole session above.
                Err(r) if r.fault == Fault::Session => {}
                Err(r) => refused(&mut v, r, |fault| match fault {
                    Fault::Status => f("status"),
                    Fault::Agency => f("agency"),
                    _ => f("delegate_ref"),
                }),
            }
        }
        v.into_result()?;
        book.deliver();
        store::save_bookings(&*txn, &p.id, [&book]).await?;
        let count =
            |x: BookingStatus| book.bookings.iter().filter(|b| b.status == x).count() as u32;
        let resp = pb::RecordAttendanceResponse {
            session: Some(session_pb(&book.session, &book.bookings)),
            attended: count(BookingStatus::Attended),
            partially_attended: count(BookingStatus::PartiallyAttended),
            did_not_attend: count(BookingStatus::DidNotAttend),
            walk_ins: count(BookingStatus::WalkIn),
        };
        idempotency::complete(idem.as_ref(), &*txn, &resp).await?;
        txn.commit().await.map_err(Error::from)?;
        Ok(Response::new(resp))
    }

    async fn record_delegates(
        &self,
        request: Request<pb::RecordDelegatesRequest>,
    ) -> R<pb::RecordDelegatesResponse> {
        let claims = caller(&request)?;
        claims.require_writer()?;
        let p = self.scope(&claims)?;
        let mut req = request.into_inner();
        let idem = Idempotency::of(&p.id, "RecordDelegates", &mut req, |r| {
            &mut r.idempotency_key
        })?;
        let mut v = Violations::new();
        if req.delegates.is_empty() {
            v.add("delegates", "at least one delegate is required");
        }
        if req.delegates.len() > MAX_DELEGATES {
            v.add(
                "delegates",
                format!(
                    "{} delegates: at most {MAX_DELEGATES} per call (send several batches)",
                    req.delegates.len()
                ),
            );
        }
        v.into_result()?;

        // What each row asks for, checked without the database.
        let mut v = Violations::new();
        let rows: Vec<Option<DelegateRow>> = req
            .delegates
            .iter()
            .enumerate()
            .map(|(i, d)| delegate_row(&mut v, i, d))
            .collect();

        let txn = self.ctx.db.begin_write().await.map_err(Error::from)?;
        // The key first: a concurrent request with it waits here for this one's answer.
        if let Some(r) = idempotency::claim(idem.as_ref(), &*txn).await? {
            return Ok(Response::new(r));
        }
        let ids: BTreeSet<&str> = req
            .delegates
            .iter()
            .map(|d| d.session_id.as_str())
            .filter(|x| !x.is_empty())
            .collect();
        let ids: Vec<&str> = ids.into_iter().collect();
        let sessions = store::sessions_by_ids(&*txn, &p.id, &ids, true).await?;
        let found: Vec<&str> = sessions.iter().map(|x| x.id.as_str()).collect();
        let mut by_session: BTreeMap<String, Vec<domain::Booking>> = BTreeMap::new();
        for b in store::bookings_of_sessions(&*txn, &p.id, &found).await? {
            by_session.entry(b.session_id.clone()).or_default().push(b);
        }
        let mut books: BTreeMap<String, SessionBookings> = sessions
            .into_iter()
            .map(|x| {
                let bs = by_session.remove(&x.id).unwrap_or_default();
                (x.id.clone(), SessionBookings::new(x, bs))
            })
            .collect();
        let was_delivered: BTreeSet<String> = books
            .values()
            .filter(|b| b.session.status == SessionStatus::Delivered)
            .map(|b| b.session.id.clone())
            .collect();
        let window = if rows
            .iter()
            .flatten()
            .any(|r| r.status == BookingStatus::Cancelled)
        {
            store::get_policy(&*txn, &p.id)
                .await?
                .cancellation_window_days
        } else {
            0
        };
        let act_for = |i: usize, agency: &str| -> Result<(), Status> {
            claims.require_agency_write(agency).map_err(|e| match e {
                Error::PermissionDenied(m) => {
                    Status::from(Error::permission_denied(format!("delegates[{i}]: {m}")))
                }
                e => Status::from(e),
            })
        };
        // The row's field for each kind of refusal.
        let field = |i: usize, f: Fault| {
            let name = match f {
                Fault::Session | Fault::Full => "session_id",
                Fault::AlreadyBooked | Fault::NoBooking | Fault::Booking => "delegate_ref",
                Fault::Agency => "agency",
                Fault::Date => "cancelled_on",
                Fault::Status => "status",
            };
            format!("delegates[{i}].{name}")
        };

        // Bookings and cancellations, in request order (BookPlace, CancelBooking).
        let mut at: Vec<Option<usize>> = vec![None; rows.len()];
        let mut seen = BTreeSet::new();
        let mut promoted = 0;
        for (i, r) in rows.iter().enumerate() {
            let Some(r) = r else { continue };
            let f = |x: &str| format!("delegates[{i}].{x}");
            let Some(book) = books.get_mut(&r.session_id) else {
                v.add(
                    f("session_id"),
                    format!("session '{}' not found", r.session_id),
                );
                continue;
            };
            if !seen.insert((r.session_id.as_str(), r.delegate_ref.as_str())) {
                v.add(
                    f("delegate_ref"),
                    format!(
                        "'{}' appears twice for session '{}'",
                        r.delegate_ref, r.session_id
                    ),
                );
                continue;
            }
            let existing = book.position(&r.delegate_ref);
            let ix = match existing {
                Some(ix) => ix,
                None if r.status == BookingStatus::WalkIn => continue,
                None => {
                    if !agency_field(&mut v, &f("agency"), p, &r.agency, Some(book.session.date)) {
                        continue;
                    }
                    act_for(i, &r.agency)?;
                    match book.book(
                        uuid::Uuid::new_v4().to_string(),
                        &r.delegate_ref,
                        &r.agency,
                        &r.role,
                    ) {
                        Ok(ix) => ix,
                        Err(e) => {
                            refused(&mut v, e, |x| field(i, x));
                            continue;
                        }
                    }
                }
            };
            if existing.is_some() && r.status == BookingStatus::Booked {
                refused(
                    &mut v,
                    domain::Refusal {
                        fault: Fault::AlreadyBooked,
                        reason: format!(
                            "delegate '{}' already has a booking for this session",
                            r.delegate_ref
                        ),
                    },
                    |x| field(i, x),
                );
                continue;
            }
            at[i] = Some(ix);
            if r.status != BookingStatus::Cancelled {
                continue;
            }
            let b = &book.bookings[ix];
            if existing.is_some() {
                if !r.agency.is_empty() && r.agency != b.agency {
                    v.add(
                        f("agency"),
                        format!("the booking is for agency '{}'", b.agency),
                    );
                    continue;
                }
                act_for(i, &b.agency)?;
            }
            match book.cancel(ix, r.cancelled_on.unwrap_or_default(), window) {
                Ok(up) => promoted += up.len(),
                Err(es) => {
                    for e in es {
                        refused(&mut v, e, |x| field(i, x));
                    }
                }
            }
        }

        // Then attendance, in request order (RecordAttendance).
        let mut attended_sessions = BTreeSet::new();
        for (i, r) in rows.iter().enumerate() {
            let Some(r) = r else { continue };
            if !r.status.is_attendance_outcome() {
                continue;
            }
            let Some(book) = books.get_mut(&r.session_id) else {
                continue;
            };
            if r.status != BookingStatus::WalkIn && at[i].is_none() {
                continue; // refused above
            }
            if r.status == BookingStatus::WalkIn && book.position(&r.delegate_ref).is_none() {
                if !agency_field(
                    &mut v,
                    &format!("delegates[{i}].agency"),
                    p,
                    &r.agency,
                    Some(book.session.date),
                ) {
                    continue;
                }
                act_for(i, &r.agency)?;
            }
            match book.record_outcome(
                || uuid::Uuid::new_v4().to_string(),
                &r.delegate_ref,
                &r.agency,
                &r.role,
                r.status,
            ) {
                Ok(ix) => {
                    act_for(i, &book.bookings[ix].agency)?;
                    at[i] = Some(ix);
                    attended_sessions.insert(r.session_id.clone());
                }
                Err(e) => refused(&mut v, e, |x| field(i, x)),
            }
        }
        v.into_result()?;
        for id in &attended_sessions {
            if let Some(book) = books.get_mut(id) {
                book.deliver();
            }
        }
        store::save_bookings(&*txn, &p.id, books.values()).await?;

        let mut resp = pb::RecordDelegatesResponse {
            recorded: rows.len() as u32,
            sessions: books.len() as u32,
            sessions_delivered: attended_sessions
                .iter()
                .filter(|x| !was_delivered.contains(*x))
                .count() as u32,
            bookings_created: books
                .values()
                .map(|b| b.new_bookings().len())
                .sum::<usize>() as u32,
            bookings_updated: books
                .values()
                .map(|b| b.changed_bookings().count())
                .sum::<usize>() as u32,
            promoted: promoted as u32,
            bookings_omitted: rows.len() > ECHO_BOOKINGS,
            ..Default::default()
        };
        for (r, ix) in rows.iter().zip(&at) {
            let (Some(r), Some(ix)) = (r, ix) else {
                continue;
            };
            let book = &books[&r.session_id];
            let b = &book.bookings[*ix];
            match b.status {
                BookingStatus::Booked => resp.booked += 1,
                BookingStatus::WaitingList => resp.waiting_list += 1,
                BookingStatus::Attended => resp.attended += 1,
                BookingStatus::PartiallyAttended => resp.partially_attended += 1,
                BookingStatus::DidNotAttend => resp.did_not_attend += 1,
                BookingStatus::Cancelled => resp.cancelled += 1,
                BookingStatus::CancelledLate => resp.cancelled_late += 1,
                BookingStatus::WalkIn => resp.walk_ins += 1,
            }
            if !resp.bookings_omitted {
                resp.bookings.push(booking_pb(b, &book.bookings));
            }
        }
        idempotency::complete(idem.as_ref(), &*txn, &resp).await?;
        txn.commit().await.map_err(Error::from)?;
        Ok(Response::new(resp))
    }

    async fn set_charge_policy(
        &self,
        request: Request<pb::SetChargePolicyRequest>,
    ) -> R<pb::ChargePolicy> {
        let claims = caller(&request)?;
        claims.require_admin()?;
        let p = self.scope(&claims)?;
        let Some(x) = request.into_inner().policy else {
            return Err(Error::invalid("policy", "is required").into());
        };
        let mut v = Violations::new();
        let dna = x.did_not_attend_charge.map_or(0, |m| m.pence);
        let late = x.late_cancellation_charge.map_or(0, |m| m.pence);
        for (field, pence) in [
            ("policy.did_not_attend_charge.pence", dna),
            ("policy.late_cancellation_charge.pence", late),
        ] {
            v.ensure(pence >= 0, field, "must not be negative");
            v.check(field, lscb_platform::fields::check_pence(pence));
        }
        v.ensure(
            x.cancellation_window_days <= 365,
            "policy.cancellation_window_days",
            "must be at most 365",
        );
        for (i, a) in x.exempt_agencies.iter().enumerate() {
            agency_field(&mut v, &format!("policy.exempt_agencies[{i}]"), p, a, None);
        }
        for (i, s) in x.exempt_sectors.iter().enumerate() {
            if lscb_platform::Sector::parse(s).is_none() {
                v.add(
                    format!("policy.exempt_sectors[{i}]"),
                    format!("unknown sector '{s}'"),
                );
            }
        }
        v.into_result()?;
        let policy = domain::ChargePolicy {
            did_not_attend_pence: dna,
            late_cancellation_pence: late,
            cancellation_window_days: x.cancellation_window_days,
            exempt_agencies: x.exempt_agencies,
            exempt_sectors: x.exempt_sectors,
            exempt_statutory: x.exempt_statutory,
        };
        let txn = self.ctx.db.begin_write().await.map_err(Error::from)?;
        store::set_policy(&*txn, &p.id, &policy).await?;
        txn.commit().await.map_err(Error::from)?;
        Ok(Response::new(policy_pb(&policy)))
    }

    async fn get_charge_policy(
        &self,
        request: Request<pb::GetChargePolicyRequest>,
    ) -> R<pb::ChargePolicy> {
        let claims = caller(&request)?;
        let p = self.scope(&claims)?;
        let policy = store::get_policy(self.ctx.db.conn(), &p.id).await?;
        Ok(Response::new(policy_pb(&policy)))
    }

    async fn get_charges(
        &self,
        request: Request<pb::GetChargesRequest>,
    ) -> R<pb::GetChargesResponse> {
        let claims = caller(&request)?;
        let p = self.scope(&claims)?;
        let req = request.into_inner();
        let mut v = Violations::new();
        let period = proto_conv::period(&mut v, "period", req.period.as_ref());
        v.into_result()?;
        let period = period.ok_or_else(|| Error::invalid("period", "is required"))?;
        let c = self.ctx.db.conn();
        let range = Some((period.first_day(), period.last_day()));
        let policy = store::get_policy(c, &p.id).await?;
        let sessions = store::list_sessions(c, &p.id, range).await?;
        let bookings = store::bookings_in_range(c, &p.id, range).await?;
        let info = |code: &str| {
            p.agency(code)
                .map(|a| (a.sector.as_str().to_string(), a.statutory))
                .unwrap_or_else(|| ("other".to_string(), false))
        };
        let mut rows = domain::charges(&policy, &sessions, &bookings, &info);
        if claims.role == Role::Submitter {
            rows.retain(|r| Some(&r.agency) == claims.agency.as_ref());
        }
        let total = lscb_platform::fields::sum_pence(rows.iter().map(|r| r.amount_pence))
            .ok()
            .filter(|_| rows.iter().all(|r| r.amount_pence < i64::MAX))
            .ok_or_else(|| {
                Error::precondition(
                    "OVERFLOW",
                    period.to_string(),
                    "the charges are too large to total: lower the charge policy's amounts",
                )
            })?;
        Ok(Response::new(pb::GetChargesResponse {
            period: Some(proto_conv::period_to_pb(period)),
            policy: Some(policy_pb(&policy)),
            agencies: rows
                .into_iter()
                .map(|r| pb::AgencyCharge {
                    agency: r.agency,
                    sector: r.sector,
                    did_not_attend: r.did_not_attend,
                    cancelled_late: r.cancelled_late,
                    exempt: r.exempt,
                    amount: money(r.amount_pence),
                })
                .collect(),
            total: money(total),
        }))
    }

    async fn record_evaluations(
        &self,
        request: Request<pb::RecordEvaluationsRequest>,
    ) -> R<pb::RecordEvaluationsResponse> {
        let claims = caller(&request)?;
        claims.require_writer()?;
        let p = self.scope(&claims)?;
        let mut req = request.into_inner();
        let idem = Idempotency::of(&p.id, "RecordEvaluations", &mut req, |r| {
            &mut r.idempotency_key
        })?;
        let txn = self.ctx.db.begin_write().await.map_err(Error::from)?;
        if let Some(r) = idempotency::claim(idem.as_ref(), &*txn).await? {
            return Ok(Response::new(r));
        }
        let s = session_or_404(&*txn, &p.id, &req.session_id, false).await?;
        let bookings = store::bookings_of_session(&*txn, &p.id, &s.id).await?;
        let mut v = Violations::new();
        if s.status != SessionStatus::Delivered {
            v.add(
                "session_id",
                format!(
                    "the session is {}: only delivered sessions are evaluated",
                    s.status.as_str()
                ),
            );
        }
        if req.evaluations.is_empty() {
            v.add("evaluations", "at least one evaluation is required");
        }
        let mut out = vec![];
        let mut seen = BTreeSet::new();
        for (i, e) in req.evaluations.iter().enumerate() {
            let f = |x: &str| format!("evaluations[{i}].{x}");
            ref_field(&mut v, &f("delegate_ref"), &e.delegate_ref);
            if !seen.insert(e.delegate_ref.clone()) {
                v.add(
                    f("delegate_ref"),
                    format!("'{}' appears twice", e.delegate_ref),
                );
            }
            for (name, x) in [
                ("confidence_before", e.confidence_before),
                ("confidence_after", e.confidence_after),
                ("satisfaction", e.satisfaction),
            ] {
                if !(1..=5).contains(&x) {
                    v.add(f(name), format!("{x} is outside 1-5"));
                }
            }
            match bookings.iter().find(|b| b.delegate_ref == e.delegate_ref) {
                Some(b) if b.status.attended() => {
                    if claims.role == Role::Submitter && claims.agency.as_ref() != Some(&b.agency) {
                        return Err(Error::permission_denied(format!(
                            "a submitter for {} cannot record evaluations of agency {}'s delegates",
                            claims.agency.as_deref().unwrap_or("(none)"),
                            b.agency
                        ))
                        .into());
                    }
                }
                _ => v.add(
                    f("delegate_ref"),
                    format!("'{}' did not attend this session", e.delegate_ref),
                ),
            }
            out.push(domain::Evaluation {
                session_id: s.id.clone(),
                delegate_ref: e.delegate_ref.clone(),
                confidence_before: e.confidence_before as u8,
                confidence_after: e.confidence_after as u8,
                satisfaction: e.satisfaction as u8,
            });
        }
        v.into_result()?;
        store::upsert_evaluations(&*txn, &p.id, &out).await?;
        let resp = pb::RecordEvaluationsResponse {
            recorded: out.len() as u32,
        };
        idempotency::complete(idem.as_ref(), &*txn, &resp).await?;
        txn.commit().await.map_err(Error::from)?;
        Ok(Response::new(resp))
    }

    async fn upsert_programme(
        &self,
        request: Request<pb::UpsertProgrammeRequest>,
    ) -> R<pb::Programme> {
        let claims = caller(&request)?;
        claims.require_admin()?;
        let p = self.scope(&claims)?;
        let Some(x) = request.into_inner().programme else {
            return Err(Error::invalid("programme", "is required").into());
        };
        let mut v = Violations::new();
        ref_field(&mut v, "programme.code", &x.code);
        if x.name.trim().is_empty() {
            v.add("programme.name", "is required");
        }
        if x.target == 0 {
            v.add("programme.target", "must be at least 1");
        }
        let start = date_field(&mut v, "programme.start_date", &x.start_date);
        let end = date_field(&mut v, "programme.end_date", &x.end_date);
        if let (Some(s), Some(e)) = (start, end)
            && e < s
        {
            v.add("programme.end_date", "must not be before start_date");
        }
        let mut agencies = BTreeSet::new();
        for (i, w) in x.workforce.iter().enumerate() {
            let f = format!("programme.workforce[{i}].agency");
            if agency_field(&mut v, &f, p, &w.agency, None) && !agencies.insert(w.agency.clone()) {
                v.add(f, format!("'{}' appears twice", w.agency));
            }
        }
        v.into_result()?;
        let prog = domain::Programme {
            code: x.code,
            name: x.name.trim().to_string(),
            target: x.target,
            start: start.unwrap_or_default(),
            end: end.unwrap_or_default(),
            workforce: x
                .workforce
                .into_iter()
                .map(|w| (w.agency, w.workforce))
                .collect(),
        };
        let txn = self.ctx.db.begin_write().await.map_err(Error::from)?;
        store::upsert_programme(&*txn, &p.id, &prog).await?;
        txn.commit().await.map_err(Error::from)?;
        Ok(Response::new(programme_pb(&prog)))
    }

    async fn list_programmes(
        &self,
        request: Request<pb::ListProgrammesRequest>,
    ) -> R<pb::ListProgrammesResponse> {
        let claims = caller(&request)?;
        let p = self.scope(&claims)?;
        let programmes = store::list_programmes(self.ctx.db.conn(), &p.id)
            .await?
            .iter()
            .map(programme_pb)
            .collect();
        Ok(Response::new(pb::ListProgrammesResponse { programmes }))
    }

    async fn record_programme_trained(
        &self,
        request: Request<pb::RecordProgrammeTrainedRequest>,
    ) -> R<pb::RecordProgrammeTrainedResponse> {
        let claims = caller(&request)?;
        claims.require_writer()?;
        let p = self.scope(&claims)?;
        let mut req = request.into_inner();
        let idem = Idempotency::of(&p.id, "RecordProgrammeTrained", &mut req, |r| {
            &mut r.idempotency_key
        })?;
        let txn = self.ctx.db.begin_write().await.map_err(Error::from)?;
        if let Some(r) = idempotency::claim(idem.as_ref(), &*txn).await? {
            return Ok(Response::new(r));
        }
        let mut v = Violations::new();
        if !store::list_programmes(&*txn, &p.id)
            .await?
            .iter()
            .any(|x| x.code == req.programme_code)
        {
            v.add(
                "programme_code",
                format!("programme '{}' does not exist", req.programme_code),
            );
        }
        if req.rows.is_empty() {
            v.add("rows", "at least one row is required");
        }
        let mut rows = vec![];
        for (i, r) in req.rows.iter().enumerate() {
            let d = date_field(&mut v, &format!("rows[{i}].date"), &r.date);
            if agency_field(&mut v, &format!("rows[{i}].agency"), p, &r.agency, d) {
                may_act_for(&claims, &r.agency)?;
            }
            if r.trained == 0 {
                v.add(format!("rows[{i}].trained"), "must be at least 1");
            }
            if let Some(d) = d {
                rows.push(domain::TrainedCount {
                    agency: r.agency.clone(),
                    date: d,
                    trained: r.trained,
                });
            }
        }
        v.into_result()?;
        store::insert_trained(&*txn, &p.id, &req.programme_code, &rows).await?;
        let resp = pb::RecordProgrammeTrainedResponse {
            recorded: rows.len() as u32,
        };
        idempotency::complete(idem.as_ref(), &*txn, &resp).await?;
        txn.commit().await.map_err(Error::from)?;
        Ok(Response::new(resp))
    }

    async fn get_reach(&self, request: Request<pb::GetReachRequest>) -> R<pb::ProgrammeReach> {
        let claims = caller(&request)?;
        let p = self.scope(&claims)?;
        let req = request.into_inner();
        let mut v = Violations::new();
        let as_of = optional_date(&mut v, "as_of", &req.as_of).unwrap_or_else(today);
        v.into_result()?;
        let c = self.ctx.db.conn();
        let prog = store::list_programmes(c, &p.id)
            .await?
            .into_iter()
            .find(|x| x.code == req.programme_code)
            .ok_or_else(|| {
                Error::not_found(format!("programme '{}' not found", req.programme_code))
            })?;
        Ok(Response::new(reach_of(c, &p.id, &prog, as_of).await?))
    }

    async fn record_trainers(
        &self,
        request: Request<pb::RecordTrainersRequest>,
    ) -> R<pb::RecordTrainersResponse> {
        let claims = caller(&request)?;
        claims.require_writer()?;
        let p = self.scope(&claims)?;
        let mut req = request.into_inner();
        let idem = Idempotency::of(&p.id, "RecordTrainers", &mut req, |r| {
            &mut r.idempotency_key
        })?;
        let txn = self.ctx.db.begin_write().await.map_err(Error::from)?;
        if let Some(r) = idempotency::claim(idem.as_ref(), &*txn).await? {
            return Ok(Response::new(r));
        }
        let mut v = Violations::new();
        if req.trainers.is_empty() {
            v.add("trainers", "at least one trainer is required");
        }
        let programmes: BTreeSet<String> = store::list_programmes(&*txn, &p.id)
            .await?
            .into_iter()
            .map(|x| x.code)
            .collect();
        let mut out = vec![];
        for (i, t) in req.trainers.iter().enumerate() {
            let f = |x: &str| format!("trainers[{i}].{x}");
            ref_field(&mut v, &f("trainer_ref"), &t.trainer_ref);
            let d = date_field(&mut v, &f("accredited_on"), &t.accredited_on);
            if agency_field(&mut v, &f("agency"), p, &t.agency, d) {
                may_act_for(&claims, &t.agency)?;
            }
            if !t.programme_code.is_empty() && !programmes.contains(&t.programme_code) {
                v.add(
                    f("programme_code"),
                    format!("programme '{}' does not exist", t.programme_code),
                );
            }
            if let Some(d) = d {
                out.push(domain::Trainer {
                    trainer_ref: t.trainer_ref.clone(),
                    agency: t.agency.clone(),
                    programme_code: t.programme_code.clone(),
                    accredited_on: d,
                });
            }
        }
        v.into_result()?;
        store::upsert_trainers(&*txn, &p.id, &out).await?;
        let resp = pb::RecordTrainersResponse {
            recorded: out.len() as u32,
        };
        idempotency::complete(idem.as_ref(), &*txn, &resp).await?;
        txn.commit().await.map_err(Error::from)?;
        Ok(Response::new(resp))
    }

    async fn list_trainers(
        &self,
        request: Request<pb::ListTrainersRequest>,
    ) -> R<pb::ListTrainersResponse> {
        let claims = caller(&request)?;
        let p = self.scope(&claims)?;
        let req = request.into_inner();
        let mut v = Violations::new();
        let period = match &req.period {
            None => None,
            Some(_) => proto_conv::period(&mut v, "period", req.period.as_ref()),
        };
        v.into_result()?;
        let trainers = store::list_trainers(self.ctx.db.conn(), &p.id)
            .await?
            .iter()
            .filter(|t| req.agency.is_empty() || t.agency == req.agency)
            .filter(|t| period.is_none_or(|x| x.contains_date(t.accredited_on)))
            .map(trainer_pb)
            .collect();
        Ok(Response::new(pb::ListTrainersResponse { trainers }))
    }

    async fn record_year_totals(
        &self,
        request: Request<pb::RecordYearTotalsRequest>,
    ) -> R<pb::YearTotals> {
        let claims = caller(&request)?;
        claims.require_admin()?;
        let p = self.scope(&claims)?;
        let mut req = request.into_inner();
        let idem = Idempotency::of(&p.id, "RecordYearTotals", &mut req, |r| {
            &mut r.idempotency_key
        })?;
        let Some(t) = req.totals.clone() else {
            return Err(Error::invalid("totals", "is required").into());
        };
        let mut v = Violations::new();
        let year = proto_conv::period(&mut v, "totals.year", t.year.as_ref());
        if let Some(y) = year
            && y.granularity() != lscb_platform::Granularity::Year
        {
            v.add(
                "totals.year",
                "must be a financial year such as \"2010-11\"",
            );
        }
        if t.places_taken > t.places_offered.saturating_add(t.walk_ins) {
            v.add(
                "totals.places_taken",
                format!(
                    "{} is more than the {} places offered plus {} walk-ins",
                    t.places_taken, t.places_offered, t.walk_ins
                ),
            );
        }
        if t.did_not_attend.saturating_add(t.cancelled) > t.registered && t.registered > 0 {
            v.add(
                "totals.registered",
                "must be at least did_not_attend + cancelled",
            );
        }
        v.into_result()?;
        let start_year = year.map(|y| y.financial_year_start()).unwrap_or_default();
        let totals = domain::YearTotals {
            courses_run: t.courses_run,
            sessions_cancelled: t.sessions_cancelled,
            places_offered: t.places_offered,
            places_taken: t.places_taken,
            registered: t.registered,
            did_not_attend: t.did_not_attend,
            cancelled: t.cancelled,
            walk_ins: t.walk_ins,
        };
        let txn = self.ctx.db.begin_write().await.map_err(Error::from)?;
        if let Some(r) = idempotency::claim(idem.as_ref(), &*txn).await? {
            return Ok(Response::new(r));
        }
        store::upsert_year_totals(&*txn, &p.id, start_year, &totals).await?;
        let resp = year_totals_pb(start_year, &totals);
        idempotency::complete(idem.as_ref(), &*txn, &resp).await?;
        txn.commit().await.map_err(Error::from)?;
        Ok(Response::new(resp))
    }

    async fn get_training_summary(
        &self,
        request: Request<pb::GetTrainingSummaryRequest>,
    ) -> R<pb::TrainingSummary> {
        let claims = caller(&request)?;
        let p = self.scope(&claims)?;
        let req = request.into_inner();
        let mut v = Violations::new();
        let range = range_of(&mut v, req.period.as_ref(), &req.from, &req.to);
        let series_years = match req.series_years {
            0 => 6,
            n if n > 20 => {
                v.add("series_years", "must be at most 20");
                20
            }
            n => n,
        };
        v.into_result()?;
        let (from, to, period) = range.ok_or_else(|| Error::invalid("period", "is required"))?;
        let c = self.ctx.db.conn();
        let recorded = store::year_totals(c, &p.id).await?;
        let whole_year = period.filter(|x| x.granularity() == lscb_platform::Granularity::Year);

        // Figures of one financial year: recorded totals win, else its sessions.
        let year_figures = async |start_year: i32| -> Result<domain::Delivery, Error> {
            if let Some(t) = recorded.get(&start_year) {
                return Ok(domain::Delivery::recorded(t));
            }
            let y = Period::year(start_year);
            let r = Some((y.first_day(), y.last_day()));
            let s = store::list_sessions(c, &p.id, r).await?;
            let b = store::bookings_in_range(c, &p.id, r).await?;
            Ok(domain::Delivery::from_sessions(&s, &b))
        };

        let sessions = store::list_sessions(c, &p.id, Some((from, to))).await?;
        let bookings = store::bookings_in_range(c, &p.id, Some((from, to))).await?;
        let figures = match whole_year {
            Some(y) => year_figures(y.financial_year_start()).await?,
            None => domain::Delivery::from_sessions(&sessions, &bookings),
        };

        // Attendance by agency and sector (sessions only).
        let delivered: BTreeSet<&str> = sessions
            .iter()
            .filter(|s| s.status == SessionStatus::Delivered)
            .map(|s| s.id.as_str())
            .collect();
        let mut by_agency: BTreeMap<String, (u32, u32, u32)> = BTreeMap::new();
        for b in bookings
            .iter()
            .filter(|b| delivered.contains(b.session_id.as_str()))
        {
            let e = by_agency.entry(b.agency.clone()).or_default();
            if b.status.attended() {
                e.0 += 1;
            } else if b.status == BookingStatus::DidNotAttend {
                e.1 += 1;
            } else if b.status.cancelled() {
                e.2 += 1;
            }
        }
        let sector_of = |a: &str| {
            p.agency(a)
                .map(|x| x.sector.as_str().to_string())
                .unwrap_or_else(|| "other".into())
        };
        let mut by_sector: BTreeMap<String, (u32, u32, u32)> = BTreeMap::new();
        for (a, (x, y, z)) in &by_agency {
            let e = by_sector.entry(sector_of(a)).or_default();
            e.0 += x;
            e.1 += y;
            e.2 += z;
        }

        // Change on the previous year.
        let change = match whole_year {
            Some(y) => {
                let prev = y.financial_year_start() - 1;
                let pf = year_figures(prev).await?;
                let cr = i64::from(figures.totals.courses_run) - i64::from(pf.totals.courses_run);
                let pt = i64::from(figures.totals.places_taken) - i64::from(pf.totals.places_taken);
                let util_points = match (figures.utilisation(), pf.utilisation()) {
                    (Some(a), Some(b)) => Some(a - b),
                    _ => None,
                };
                Some(pb::Change {
                    previous_period: Some(proto_conv::period_to_pb(Period::year(prev))),
                    previous: Some(figures_pb(&pf)),
                    courses_run_change: cr,
                    places_taken_change: pt,
                    courses_run_change_percent: dec(domain::percent(
                        cr,
                        i64::from(pf.totals.courses_run),
                        1,
                    )),
                    places_taken_change_percent: dec(domain::percent(
                        pt,
                        i64::from(pf.totals.places_taken),
                        1,
                    )),
                    utilisation_change_points: dec(util_points),
                })
            }
            None => None,
        };

        // Reach of every programme at the end of the range.
        let mut reach = vec![];
        for prog in store::list_programmes(c, &p.id).await? {
            reach.push(reach_of(c, &p.id, &prog, to).await?);
        }

        // Evaluations.
        let evals = store::evaluations_in_range(c, &p.id, from, to).await?;
        let overall = domain::evaluation_figures(&evals);
        let courses = store::list_courses(c, &p.id).await?;
        let course_of_session: BTreeMap<&str, &str> = sessions
            .iter()
            .map(|s| (s.id.as_str(), s.course_code.as_str()))
            .collect();
        let mut per_course: BTreeMap<&str, Vec<&domain::Evaluation>> = BTreeMap::new();
        for e in &evals {
            if let Some(cc) = course_of_session.get(e.session_id.as_str()) {
                per_course.entry(cc).or_default().push(e);
            }
        }
        let by_course = per_course
            .into_iter()
            .map(|(code, es)| {
                let f = domain::evaluation_figures(es);
                pb::CourseUplift {
                    course_code: code.to_string(),
                    title: courses
                        .iter()
                        .find(|x| x.code == code)
                        .map(|x| x.title.clone())
                        .unwrap_or_default(),
                    evaluations: f.count,
                    knowledge_uplift_percent: dec(f.uplift_percent),
                    mean_satisfaction: dec(f.mean_satisfaction),
                }
            })
            .collect();

        // Trainers.
        let trainers = store::list_trainers(c, &p.id).await?;
        let mut t_by_agency: BTreeMap<String, u32> = BTreeMap::new();
        let mut in_period = 0;
        let mut total = 0;
        let mut people = BTreeSet::new();
        for t in &trainers {
            if t.accredited_on <= to && people.insert((&t.agency, &t.trainer_ref)) {
                total += 1;
                if t.accredited_on >= from {
                    in_period += 1;
                    *t_by_agency.entry(t.agency.clone()).or_default() += 1;
                }
            }
        }

        // Yearly series ending with the summary's year.
        let last = Period::financial_year_of(to).financial_year_start();
        let mut series = vec![];
        for y in (last - series_years as i32 + 1)..=last {
            let f = year_figures(y).await?;
            series.push(pb::YearPoint {
                year: Some(proto_conv::period_to_pb(Period::year(y))),
                figures: Some(figures_pb(&f)),
            });
        }

        let rec = domain::reconcile(&figures.totals);
        Ok(Response::new(pb::TrainingSummary {
            period: period.map(proto_conv::period_to_pb),
            from: from.to_string(),
            to: to.to_string(),
            figures: Some(figures_pb(&figures)),
            by_agency: by_agency
                .into_iter()
                .map(|(a, (x, y, z))| pb::AgencyAttendance {
                    sector: sector_of(&a),
                    agency: a,
                    attended: x,
                    did_not_attend: y,
                    cancelled: z,
                })
                .collect(),
            by_sector: by_sector
                .into_iter()
                .map(|(s, (x, y, z))| pb::SectorAttendance {
                    sector: s,
                    attended: x,
                    did_not_attend: y,
                    cancelled: z,
                })
                .collect(),
            change,
            reach,
            evaluation: Some(pb::EvaluationSummary {
                evaluations: overall.count,
                knowledge_uplift_percent: dec(overall.uplift_percent),
                mean_satisfaction: dec(overall.mean_satisfaction),
                satisfied_percent: dec(overall.satisfied_percent),
                by_course,
            }),
            trainers: Some(pb::TrainersAccredited {
                in_period,
                total,
                by_agency: t_by_agency
                    .into_iter()
                    .map(|(agency, count)| pb::AgencyCount { agency, count })
                    .collect(),
            }),
            series,
            reconciliation: Some(pb::Reconciliation {
                registered: rec.registered,
                did_not_attend: rec.did_not_attend,
                cancelled: rec.cancelled,
                walk_ins: rec.walk_ins,
                expected_attended: rec.expected_attended,
                attended: rec.attended,
                balanced: rec.balanced,
                explanation: rec.explanation,
            }),
            detail: Some(
                crate::delivery_grpc::detail_pb(
                    c, &p.id, &sessions, &bookings, &courses, &trainers, to,
                )
                .await?,
            ),
        }))
    }
}

async fn reach_of<C: ConnectionTrait>(
    c: &C,
    p: &str,
    prog: &domain::Programme,
    as_of: NaiveDate,
) -> Result<pb::ProgrammeReach, Error> {
    let courses: BTreeSet<String> = store::list_courses(c, p)
        .await?
        .into_iter()
        .filter(|x| x.programme_code == prog.code)
        .map(|x| x.code)
        .collect();
    let range = Some((prog.start, as_of.max(prog.start)));
    let sessions = store::list_sessions(c, p, range).await?;
    let bookings = store::bookings_in_range(c, p, range).await?;
    let counts = store::trained_counts(c, p, &prog.code).await?;
    let r = domain::reach(prog, as_of, &courses, &sessions, &bookings, &counts);
    Ok(pb::ProgrammeReach {
        programme_code: prog.code.clone(),
        name: prog.name.clone(),
        as_of: as_of.to_string(),
        trained: r.trained,
        target: prog.target,
        percent: dec(r.percent),
        by_agency: r
            .by_agency
            .into_iter()
            .map(|(agency, trained, workforce, pc)| pb::AgencyReach {
                agency,
                trained,
                workforce,
                percent: dec(pc),
            })
            .collect(),
    })
}
