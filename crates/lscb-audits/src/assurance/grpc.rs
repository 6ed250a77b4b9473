//! The gRPC handlers of part 2 — the only module that knows the proto types. Each handler
//! checks the caller, turns the request into domain values (every bad field is reported at
//! once), then reads or writes through `store` in one transaction.

use std::collections::{BTreeMap, HashMap, HashSet};

use chrono::NaiveDate;
use lscb_platform::idempotency::{self, Idempotency};
use lscb_platform::{
    Claims, Error, Granularity, Partnership, Period, ServiceContext, Violations, caller, proto_conv,
};
use lscb_proto::audits::v1 as pb;
use lscb_proto::common::v1 as cpb;
use rust_decimal::Decimal;
use sea_orm::DbErr;
use tonic::{Request, Response, Status};

use super::domain::{self, Rating, ReturnStatus};
use super::store;

type Reply<T> = Result<Response<T>, Status>;

/// The four services of part 2 over one shared context.
#[derive(Debug, Clone)]
pub(crate) struct AssuranceApi {
    ctx: ServiceContext,
}

impl AssuranceApi {
    pub(crate) fn new(ctx: ServiceContext) -> Self {
        Self { ctx }
    }

    fn scope<T>(&self, request: &Request<T>) -> Result<(Claims, Partnership), Status> {
        let claims = caller(request)?;
        let p = self.ctx.partnership(&claims)?.clone();
        Ok((claims, p))
    }
}

/// Database errors are internal, except a unique-key clash: two concurrent requests wrote
/// the same record (e.g. the same revision of a return), and the loser may retry.
pub(super) fn db(e: DbErr) -> Status {
    if lscb_platform::db::is_unique_violation(&e) {
        return Error::Conflict(
            "a concurrent request wrote the same record; retry the request".into(),
        )
        .into();
    }
    Status::from(Error::Db(e))
}

// ----------------------------------------------------------------------------- helpers

pub(super) fn fin_year(v: &mut Violations, field: &str, p: Option<&cpb::Period>) -> Option<Period> {
    let p = proto_conv::period(v, field, p)?;
    if p.granularity() != Granularity::Year {
        v.add(
            field,
            format!("'{p}' is not a financial year: write e.g. 2015-16"),
        );
        return None;
    }
    Some(p)
}

pub(super) fn date(v: &mut Violations, field: &str, s: &str) -> Option<NaiveDate> {
    if s.trim().is_empty() {
        v.add(field, "is required: write YYYY-MM-DD");
        return None;
    }
    opt_date(v, field, s).flatten()
}

pub(super) fn opt_date(v: &mut Violations, field: &str, s: &str) -> Option<Option<NaiveDate>> {
    if s.trim().is_empty() {
        return Some(None);
    }
    match lscb_platform::fields::parse_date(s.trim()) {
        Ok(d) => Some(Some(d)),
        Err(e) => {
            v.add(field, e);
            None
        }
    }
}

fn date_str(d: Option<NaiveDate>) -> String {
    d.map(|d| d.to_string()).unwrap_or_default()
}

pub(super) fn code(v: &mut Violations, field: &str, s: &str) {
    if !domain::valid_code(s) {
        if s.is_empty() {
            v.add(field, "is required");
        } else {
            v.add(
                field,
                format!("'{s}' is not a code: use letters, digits, '-', '_' or '.'"),
            );
        }
    }
}

pub(super) fn known_agency(v: &mut Violations, field: &str, p: &Partnership, code: &str) -> bool {
    if code.is_empty() {
        v.add(field, "is required");
        return false;
    }
    if p.agency(code).is_none() {
        v.add(
            field,
            format!("'{code}' is not an agency of partnership {}", p.id),
        );
        return false;
    }
    true
}

/// A statutory agency of the partnership valid at some point of `year`.
fn statutory_agency(
    v: &mut Violations,
    field: &str,
    p: &Partnership,
    code: &str,
    year: Option<Period>,
) {
    if !known_agency(v, field, p, code) {
        return;
    }
    let Some(a) = p.agency(code) else { return };
    if !a.statutory {
        v.add(field, format!("'{code}' is not a statutory agency"));
    } else if let Some(y) = year
        && !a.valid_during(y.first_day(), y.last_day())
    {
        v.add(field, format!("agency '{code}' did not exist during {y}"));
    }
}

fn statutory_in(p: &Partnership, year: Period) -> Vec<&lscb_platform::Agency> {
    p.statutory_agencies_during(year.first_day(), year.last_day())
        .collect()
}

fn dec(d: Option<Decimal>) -> Option<cpb::Decimal> {
    d.map(proto_conv::decimal_to_pb)
}

fn period_pb(p: Period) -> Option<cpb::Period> {
    Some(proto_conv::period_to_pb(p))
}

// ----------------------------------------------------------------------------- Section 11

fn rating_from_pb(v: &mut Violations, field: &str, r: i32) -> Option<Rating> {
    match pb::Section11Rating::try_from(r) {
        Ok(pb::Section11Rating::Red) => Some(Rating::Red),
        Ok(pb::Section11Rating::Amber) => Some(Rating::Amber),
        Ok(pb::Section11Rating::Green) => Some(Rating::Green),
        _ => {
            v.add(field, "is required: RED, AMBER or GREEN");
            None
        }
    }
}

fn rating_pb(r: Rating) -> i32 {
    (match r {
        Rating::Red => pb::Section11Rating::Red,
        Rating::Amber => pb::Section11Rating::Amber,
        Rating::Green => pb::Section11Rating::Green,
    }) as i32
}

fn status_pb(s: ReturnStatus) -> i32 {
    (match s {
        ReturnStatus::Submitted => pb::Section11ReturnStatus::Submitted,
        ReturnStatus::Regional => pb::Section11ReturnStatus::Regional,
        ReturnStatus::NotSubmitted => pb::Section11ReturnStatus::NotSubmitted,
    }) as i32
}

fn catalogue_pb(cycle: Period, c: store::Catalogue) -> pb::Section11Catalogue {
    pb::Section11Catalogue {
        cycle: period_pb(cycle),
        version: c.version,
        standards: c
            .standards
            .into_iter()
            .map(|s| pb::Section11Standard {
                code: s.code,
                title: s.title,
                statutory: s.statutory,
                description: s.description,
            })
            .collect(),
        created_by: c.created_by,
        created_at: c.created_at,
    }
}

fn gap_pb(g: store::GapActionRecord) -> pb::Section11GapAction {
    pb::Section11GapAction {
        standard_code: g.standard_code,
        description: g.description,
        owner_agency: g.owner_agency,
        due_date: g.due_date.to_string(),
        action_id: g.action_id,
        status: g.status,
        agency: g.agency,
    }
}

fn return_pb(
    cycle: Period,
    r: store::ReturnRecord,
    moderations: &[store::ModerationRecord],
    gaps: Vec<store::GapActionRecord>,
) -> pb::Section11Return {
    let own: HashMap<&str, Rating> = r
        .ratings
        .iter()
        .map(|x| (x.standard_code.as_str(), x.rating))
        .collect();
    let moderations = moderations
        .iter()
        .filter(|m| m.agency == r.agency)
        .map(|m| pb::Section11Moderation {
            standard_code: m.standard_code.clone(),
            moderated_rating: rating_pb(m.rating),
            note: m.note.clone(),
            self_rating: own
                .get(m.standard_code.as_str())
                .map_or(0, |r| rating_pb(*r)),
        })
        .collect();
    pb::Section11Return {
        cycle: period_pb(cycle),
        agency: r.agency.clone(),
        revision: r.revision,
        status: status_pb(r.status),
        regional_body: r.regional_body,
        catalogue_version: r.catalogue_version,
        ratings: r
            .ratings
            .into_iter()
            .map(|x| pb::Section11StandardRating {
                standard_code: x.standard_code,
                rating: rating_pb(x.rating),
                evidence: x.evidence,
            })
            .collect(),
        moderations,
        gap_actions: gaps
            .into_iter()
            .filter(|g| g.agency == r.agency)
            .map(gap_pb)
            .collect(),
        submitted_by: r.submitted_by,
        submitted_at: r.submitted_at,
    }
}

/// Reads the gap actions of a request (prefix `gap_actions`).
fn gap_actions_from_pb(
    v: &mut Violations,
    p: &Partnership,
    list: &[pb::Section11GapAction],
) -> Vec<domain::NewGapAction> {
    let mut out = Vec::new();
    for (i, a) in list.iter().enumerate() {
        let f = format!("gap_actions[{i}]");
        v.ensure(
            !a.standard_code.is_empty(),
            format!("{f}.standard_code"),
            "is required",
        );
        v.ensure(
            !a.description.trim().is_empty(),
            format!("{f}.description"),
            "is required",
        );
        if !a.owner_agency.is_empty() {
            known_agency(v, &format!("{f}.owner_agency"), p, &a.owner_agency);
        }
        if let Some(due) = date(v, &format!("{f}.due_date"), &a.due_date) {
            out.push(domain::NewGapAction {
                standard_code: a.standard_code.clone(),
                description: a.description.trim().to_string(),
                owner_agency: a.owner_agency.clone(),
                due_date: due,
            });
        }
    }
    out
}

/// Whether the same action (standard, description, due date) is already in the plan: a
/// resubmission or a repeated moderation does not duplicate it.
fn already_planned(existing: &[store::GapActionRecord], g: &domain::NewGapAction) -> bool {
    existing.iter().any(|e| {
        e.standard_code == g.standard_code
            && e.description == g.description
            && e.due_date == g.due_date
    })
}

fn standard_title<'a>(cat: &'a [domain::Standard], code: &str) -> &'a str {
    cat.iter()
        .find(|s| s.code == code)
        .map_or("", |s| s.title.as_str())
}

#[tonic::async_trait]
impl pb::section11_service_server::Section11Service for AssuranceApi {
    async fn put_section11_catalogue(
        &self,
        request: Request<pb::PutSection11CatalogueRequest>,
    ) -> Reply<pb::Section11Catalogue> {
        let (claims, p) = self.scope(&request)?;
        claims.require_admin()?;
        let req = request.into_inner();
        let mut v = Violations::new();
        let cycle = fin_year(&mut v, "cycle", req.cycle.as_ref());
        let standards: Vec<domain::Standard> = req
            .standards
            .iter()
            .map(|s| domain::Standard {
                code: s.code.trim().to_string(),
                title: s.title.trim().to_string(),
                statutory: s.statutory,
                description: s.description.clone(),
            })
            .collect();
        v.extend_prefixed("", domain::check_catalogue(&standards));
        v.into_result()?;
        let Some(cycle) = cycle else {
            return Err(Status::internal("internal error"));
        };
        let txn = self.ctx.db.begin_write().await.map_err(db)?;
        let cat = store::insert_catalogue(
            &*txn,
            &p.id,
            &cycle.to_string(),
            &standards,
            &claims.actor(),
        )
        .await
        .map_err(db)?;
        txn.commit().await.map_err(db)?;
        Ok(Response::new(catalogue_pb(cycle, cat)))
    }

    async fn get_section11_catalogue(
        &self,
        request: Request<pb::GetSection11CatalogueRequest>,
    ) -> Reply<pb::Section11Catalogue> {
        let (_, p) = self.scope(&request)?;
        let req = request.into_inner();
        let mut v = Violations::new();
        let cycle = fin_year(&mut v, "cycle", req.cycle.as_ref());
        v.into_result()?;
        let Some(cycle) = cycle else {
            return Err(Status::internal("internal error"));
        };
        let cat = store::catalogue(self.ctx.db.conn(), &p.id, &cycle.to_string(), req.version)
            .await
            .map_err(db)?
            .ok_or_else(|| {
                Error::not_found(format!(
                    "no Section 11 catalogue{} for {cycle}",
                    if req.version > 0 {
                        format!(" version {}", req.version)
                    } else {
                        String::new()
                    }
                ))
            })?;
        Ok(Response::new(catalogue_pb(cycle, cat)))
    }

    async fn submit_section11_return(
        &self,
        request: Request<pb::SubmitSection11ReturnRequest>,
    ) -> Reply<pb::Section11Return> {
        let (claims, p) = self.scope(&request)?;
        let mut req = request.into_inner();
        let idem = Idempotency::of(&p.id, "SubmitSection11Return", &mut req, |r| {
            &mut r.idempotency_key
        })?;
        if req.agency.is_empty() {
            claims.require_writer()?;
        } else {
            claims.require_agency_write(&req.agency)?;
        }
        let mut v = Violations::new();
        let cycle = fin_year(&mut v, "cycle", req.cycle.as_ref());
        statutory_agency(&mut v, "agency", &p, &req.agency, cycle);
        let status = match pb::Section11ReturnStatus::try_from(req.status) {
            Ok(pb::Section11ReturnStatus::Submitted) => Some(ReturnStatus::Submitted),
            Ok(pb::Section11ReturnStatus::Regional) => Some(ReturnStatus::Regional),
            Ok(pb::Section11ReturnStatus::NotSubmitted) => Some(ReturnStatus::NotSubmitted),
            _ => {
                v.add(
                    "status",
                    "is required: SUBMITTED, REGIONAL or NOT_SUBMITTED",
                );
                None
            }
        };
        if status == Some(ReturnStatus::Regional) {
            v.ensure(
                !req.regional_body.trim().is_empty(),
                "regional_body",
                "a regional return needs the body that made it",
            );
        }
        let mut ratings = Vec::new();
        for (i, r) in req.ratings.iter().enumerate() {
            let f = format!("ratings[{i}]");
            v.ensure(
                !r.standard_code.is_empty(),
                format!("{f}.standard_code"),
                "is required",
            );
            if let Some(rating) = rating_from_pb(&mut v, &format!("{f}.rating"), r.rating) {
                ratings.push(domain::StandardRating {
                    standard_code: r.standard_code.clone(),
                    rating,
                    evidence: r.evidence.clone(),
                });
            }
        }
        let gaps = gap_actions_from_pb(&mut v, &p, &req.gap_actions);
        // The catalogue check needs well-formed parts; report those faults first.
        if !v.is_empty() {
            return Err(Error::from(v).into());
        }
        let (Some(cycle), Some(status)) = (cycle, status) else {
            return Err(Status::internal("internal error"));
        };
        let cycle_code = cycle.to_string();
        let txn = self.ctx.db.begin_write().await.map_err(db)?;
        if let Some(r) = idempotency::claim(idem.as_ref(), &*txn).await? {
            return Ok(Response::new(r));
        }
        let cat = store::catalogue(&*txn, &p.id, &cycle_code, 0)
            .await
            .map_err(db)?;
        if cat.is_none() && status == ReturnStatus::Submitted {
            return Err(Error::precondition(
                "NO_CATALOGUE",
                cycle_code,
                format!("there is no Section 11 catalogue for {cycle}: put one first"),
            )
            .into());
        }
        let standards = cat
            .as_ref()
            .map(|c| c.standards.clone())
            .unwrap_or_default();
        let sub = domain::Section11Submission {
            cycle: cycle_code.clone(),
            agency: req.agency.clone(),
            status,
            regional_body: req.regional_body.trim().to_string(),
            ratings,
            gap_actions: gaps,
        };
        domain::check_submission(&sub, &standards).into_result()?;
        let record = store::insert_return(
            &*txn,
            &p.id,
            store::ReturnRecord {
                cycle: cycle_code.clone(),
                agency: sub.agency.clone(),
                revision: 0,
                status,
                regional_body: sub.regional_body.clone(),
                catalogue_version: cat.as_ref().map_or(0, |c| c.version),
                ratings: sub.ratings.clone(),
                submitted_by: claims.actor(),
                submitted_at: String::new(),
            },
        )
        .await
        .map_err(db)?;
        let existing = store::gap_actions(&*txn, &p.id, &cycle_code, Some(&sub.agency))
            .await
            .map_err(db)?;
        for g in sub
            .gap_actions
            .iter()
            .filter(|g| !already_planned(&existing, g))
        {
            let owner = if g.owner_agency.is_empty() {
                sub.agency.as_str()
            } else {
                g.owner_agency.as_str()
            };
            store::insert_gap_action(
                &*txn,
                &p.id,
                &cycle_code,
                &sub.agency,
                &g.standard_code,
                standard_title(&standards, &g.standard_code),
                &g.description,
                owner,
                g.due_date,
            )
            .await
            .map_err(db)?;
        }
        let mods = store::moderations(&*txn, &p.id, &cycle_code, Some(&sub.agency))
            .await
            .map_err(db)?;
        let gaps = store::gap_actions(&*txn, &p.id, &cycle_code, Some(&sub.agency))
            .await
            .map_err(db)?;
        let reply = return_pb(cycle, record, &mods, gaps);
        idempotency::complete(idem.as_ref(), &*txn, &reply).await?;
        txn.commit().await.map_err(db)?;
        Ok(Response::new(reply))
    }

    async fn get_section11_return(
        &self,
        request: Request<pb::GetSection11ReturnRequest>,
    ) -> Reply<pb::Section11Return> {
        let (_, p) = self.scope(&request)?;
        let req = request.into_inner();
        let mut v = Violations::new();
        let cycle = fin_year(&mut v, "cycle", req.cycle.as_ref());
        known_agency(&mut v, "agency", &p, &req.agency);
        v.into_result()?;
        let Some(cycle) = cycle else {
            return Err(Status::internal("internal error"));
        };
        let c = self.ctx.db.conn();
        let cy = cycle.to_string();
        let r = store::section11_return(c, &p.id, &cy, &req.agency, req.revision)
            .await
            .map_err(db)?
            .ok_or_else(|| {
                Error::not_found(format!(
                    "no Section 11 return of {} for {cycle}",
                    req.agency
                ))
            })?;
        let mods = store::moderations(c, &p.id, &cy, Some(&req.agency))
            .await
            .map_err(db)?;
        let gaps = store::gap_actions(c, &p.id, &cy, Some(&req.agency))
            .await
            .map_err(db)?;
        Ok(Response::new(return_pb(cycle, r, &mods, gaps)))
    }

    async fn list_section11_returns(
        &self,
        request: Request<pb::ListSection11ReturnsRequest>,
    ) -> Reply<pb::ListSection11ReturnsResponse> {
        let (_, p) = self.scope(&request)?;
        let req = request.into_inner();
        let mut v = Violations::new();
        let cycle = fin_year(&mut v, "cycle", req.cycle.as_ref());
        v.into_result()?;
        let Some(cycle) = cycle else {
            return Err(Status::internal("internal error"));
        };
        let c = self.ctx.db.conn();
        let cy = cycle.to_string();
        let returns = store::latest_returns(c, &p.id, &cy).await.map_err(db)?;
        let mods = store::moderations(c, &p.id, &cy, None).await.map_err(db)?;
        let gaps = store::gap_actions(c, &p.id, &cy, None).await.map_err(db)?;
        Ok(Response::new(pb::ListSection11ReturnsResponse {
            returns: returns
                .into_iter()
                .map(|r| return_pb(cycle, r, &mods, gaps.clone()))
                .collect(),
        }))
    }

    async fn moderate_section11_return(
        &self,
        request: Request<pb::ModerateSection11ReturnRequest>,
    ) -> Reply<pb::Section11Return> {
        let (claims, p) = self.scope(&request)?;
        claims.require_admin()?;
        let req = request.into_inner();
        let mut v = Violations::new();
        let cycle = fin_year(&mut v, "cycle", req.cycle.as_ref());
        known_agency(&mut v, "agency", &p, &req.agency);
        v.ensure(
            !req.moderations.is_empty(),
            "moderations",
            "at least one moderation is needed",
        );
        let mut mods = Vec::new();
        let mut seen = HashSet::new();
        for (i, m) in req.moderations.iter().enumerate() {
            let f = format!("moderations[{i}]");
            if m.standard_code.is_empty() {
                v.add(format!("{f}.standard_code"), "is required");
            } else if !seen.insert(m.standard_code.as_str()) {
                v.add(
                    format!("{f}.standard_code"),
                    format!("standard '{}' is moderated twice", m.standard_code),
                );
            }
            if let Some(r) =
                rating_from_pb(&mut v, &format!("{f}.moderated_rating"), m.moderated_rating)
            {
                mods.push(store::ModerationRecord {
                    agency: req.agency.clone(),
                    standard_code: m.standard_code.clone(),
                    rating: r,
                    note: m.note.clone(),
                });
            }
        }
        let gaps = gap_actions_from_pb(&mut v, &p, &req.gap_actions);
        if !v.is_empty() {
            return Err(Error::from(v).into());
        }
        let Some(cycle) = cycle else {
            return Err(Status::internal("internal error"));
        };
        let cy = cycle.to_string();
        let txn = self.ctx.db.begin_write().await.map_err(db)?;
        let ret = store::section11_return(&*txn, &p.id, &cy, &req.agency, 0)
            .await
            .map_err(db)?
            .ok_or_else(|| {
                Error::not_found(format!(
                    "no Section 11 return of {} for {cycle}",
                    req.agency
                ))
            })?;
        if ret.status != ReturnStatus::Submitted {
            return Err(Error::precondition(
                "NOT_SUBMITTED",
                format!("{cy}/{}", req.agency),
                format!(
                    "the return of {} for {cycle} is {}: only a submitted return can be moderated",
                    req.agency,
                    ret.status.as_str()
                ),
            )
            .into());
        }
        let rated: HashSet<&str> = ret
            .ratings
            .iter()
            .map(|r| r.standard_code.as_str())
            .collect();
        let existing = store::gap_actions(&*txn, &p.id, &cy, Some(&req.agency))
            .await
            .map_err(db)?;
        let mut planned: HashSet<&str> =
            existing.iter().map(|g| g.standard_code.as_str()).collect();
        planned.extend(gaps.iter().map(|g| g.standard_code.as_str()));
        for (i, m) in mods.iter().enumerate() {
            if !rated.contains(m.standard_code.as_str()) {
                v.add(
                    format!("moderations[{i}].standard_code"),
                    format!("'{}' is not rated in the return", m.standard_code),
                );
            } else if m.rating != Rating::Green && !planned.contains(m.standard_code.as_str()) {
                v.add(
                    format!("moderations[{i}].moderated_rating"),
                    format!(
                        "standard '{}' is moderated to {}: add a gap action for it",
                        m.standard_code,
                        m.rating.as_str()
                    ),
                );
            }
        }
        for (i, g) in gaps.iter().enumerate() {
            if !rated.contains(g.standard_code.as_str()) {
                v.add(
                    format!("gap_actions[{i}].standard_code"),
                    format!("'{}' is not rated in the return", g.standard_code),
                );
            }
        }
        v.into_result()?;
        let cat = store::catalogue(&*txn, &p.id, &cy, ret.catalogue_version)
            .await
            .map_err(db)?
            .map(|c| c.standards)
            .unwrap_or_default();
        for m in &mods {
            store::put_moderation(&*txn, &p.id, &cy, m, &claims.actor())
                .await
                .map_err(db)?;
        }
        for g in gaps.iter().filter(|g| !already_planned(&existing, g)) {
            let owner = if g.owner_agency.is_empty() {
                req.agency.as_str()
            } else {
                g.owner_agency.as_str()
            };
            store::insert_gap_action(
                &*txn,
                &p.id,
                &cy,
                &req.agency,
                &g.standard_code,
                standard_title(&cat, &g.standard_code),
                &g.description,
                owner,
                g.due_date,
            )
            .await
            .map_err(db)?;
        }
        let all_mods = store::moderations(&*txn, &p.id, &cy, Some(&req.agency))
            .await
            .map_err(db)?;
        let all_gaps = store::gap_actions(&*txn, &p.id, &cy, Some(&req.agency))
            .await
            .map_err(db)?;
        txn.commit().await.map_err(db)?;
        Ok(Response::new(return_pb(cycle, ret, &all_mods, all_gaps)))
    }

    async fn get_section11_summary(
        &self,
        request: Request<pb::GetSection11SummaryRequest>,
    ) -> Reply<pb::Section11Summary> {
        let (_, p) = self.scope(&request)?;
        let req = request.into_inner();
        let mut v = Violations::new();
        let cycle = fin_year(&mut v, "cycle", req.cycle.as_ref());
        v.into_result()?;
        let Some(cycle) = cycle else {
            return Err(Status::internal("internal error"));
        };
        let previous = cycle.previous();
        let (cy, py) = (cycle.to_string(), previous.to_string());
        let c = self.ctx.db.conn();
        let catalogue = store::catalogue(c, &p.id, &cy, 0)
            .await
            .map_err(db)?
            .map(|c| c.standards)
            .unwrap_or_default();
        let views = |returns: Vec<store::ReturnRecord>, mods: &[store::ModerationRecord]| {
            returns
                .into_iter()
                .map(|r| domain::ReturnView {
                    moderations: mods
                        .iter()
                        .filter(|m| m.agency == r.agency)
                        .map(|m| (m.standard_code.clone(), (m.rating, m.note.clone())))
                        .collect(),
                    agency: r.agency,
                    status: r.status,
                    regional_body: r.regional_body,
                    ratings: r.ratings,
                })
                .collect::<Vec<_>>()
        };
        let cur_mods = store::moderations(c, &p.id, &cy, None).await.map_err(db)?;
        let prev_mods = store::moderations(c, &p.id, &py, None).await.map_err(db)?;
        let current = views(
            store::latest_returns(c, &p.id, &cy).await.map_err(db)?,
            &cur_mods,
        );
        let prev = views(
            store::latest_returns(c, &p.id, &py).await.map_err(db)?,
            &prev_mods,
        );
        let by_agency: HashMap<&str, &domain::ReturnView> =
            current.iter().map(|r| (r.agency.as_str(), r)).collect();
        let statutory = statutory_in(&p, cycle);
        let mut out = pb::Section11Summary {
            cycle: period_pb(cycle),
            previous_cycle: period_pb(previous),
            statutory_agencies: statutory.len() as u32,
            ..Default::default()
        };
        for a in &statutory {
            let r = by_agency.get(a.code.as_str());
            let status = r.map_or(ReturnStatus::NotSubmitted, |r| r.status);
            match status {
                ReturnStatus::Submitted => out.submitted += 1,
                ReturnStatus::Regional => {
                    out.regional += 1;
                    out.covered_regionally.push(a.code.clone());
                }
                ReturnStatus::NotSubmitted => {
                    out.not_submitted += 1;
                    out.not_returned.push(a.code.clone());
                }
            }
            out.agencies.push(pb::Section11AgencyStatus {
                agency: a.code.clone(),
                agency_name: a.name.clone(),
                status: status_pb(status),
                regional_body: r.map(|r| r.regional_body.clone()).unwrap_or_default(),
            });
        }
        out.completion = dec(domain::percent(
            (out.submitted + out.regional) as u64,
            out.statutory_agencies as u64,
        ));
        let counts = |c: domain::RatingCounts| pb::Section11RatingCounts {
            red: c.red,
            amber: c.amber,
            green: c.green,
        };
        out.standards = domain::standard_summaries(&catalogue, &current, &prev)
            .into_iter()
            .map(|s| pb::Section11StandardSummary {
                green_share: dec(s.counts.green_share()),
                previous_green_share: dec(s.previous_counts.green_share()),
                standard_code: s.standard.code,
                title: s.standard.title,
                statutory: s.standard.statutory,
                counts: Some(counts(s.counts)),
                self_counts: Some(counts(s.self_counts)),
                previous_counts: Some(counts(s.previous_counts)),
                agencies_improved: s.agencies_improved,
                agencies_declined: s.agencies_declined,
                trend: match s.trend {
                    domain::Trend::Improved => pb::Section11Trend::Improved,
                    domain::Trend::Declined => pb::Section11Trend::Declined,
                    domain::Trend::Unchanged => pb::Section11Trend::Unchanged,
                    domain::Trend::NoPrevious => pb::Section11Trend::NoPrevious,
                } as i32,
            })
            .collect();
        for r in &current {
            for x in &r.ratings {
                if let Some((m, note)) = r.moderations.get(&x.standard_code)
                    && *m != x.rating
                {
                    out.moderation_changes.push(pb::Section11ModerationChange {
                        agency: r.agency.clone(),
                        standard_code: x.standard_code.clone(),
                        self_rating: rating_pb(x.rating),
                        moderated_rating: rating_pb(*m),
                        note: note.clone(),
                    });
                }
            }
        }
        out.open_gap_actions = store::gap_actions(c, &p.id, &cy, None)
            .await
            .map_err(db)?
            .into_iter()
            .filter(|g| g.status == "open" || g.status == "in_progress")
            .map(gap_pb)
            .collect();
        Ok(Response::new(out))
    }
}

// ----------------------------------------------------------------------------- Section 175

fn kind_from_pb(t: i32) -> Option<&'static str> {
    use pb::EstablishmentType as T;
    Some(match T::try_from(t).ok()? {
        T::Unspecified => return None,
        T::EarlyYears => "early_years",
        T::Primary => "primary",
        T::Secondary => "secondary",
        T::Special => "special",
        T::Independent => "independent",
        T::Academy => "academy",
        T::FurtherEducation => "further_education",
        T::ChildrensCentre => "childrens_centre",
    })
}

fn kind_pb(k: &str) -> i32 {
    use pb::EstablishmentType as T;
    (match k {
        "early_years" => T::EarlyYears,
        "primary" => T::Primary,
        "secondary" => T::Secondary,
        "special" => T::Special,
        "independent" => T::Independent,
        "academy" => T::Academy,
        "further_education" => T::FurtherEducation,
        "childrens_centre" => T::ChildrensCentre,
        _ => T::Unspecified,
    }) as i32
}

const KIND_HELP: &str = "is required: EARLY_YEARS, PRIMARY, SECONDARY, SPECIAL, INDEPENDENT, ACADEMY, FURTHER_EDUCATION or CHILDRENS_CENTRE";

fn type_completion(kind: &str, c: &domain::Completion) -> pb::Section175TypeCompletion {
    pb::Section175TypeCompletion {
        r#type: kind_pb(kind),
        expected: c.expected,
        completed: c.completed,
        rate: dec(c.rate()),
        reported_to_governors: c.reported_to_governors,
        items_compliant_share: dec(c.items_share()),
    }
}

impl AssuranceApi {
    /// A year's completion by kind, from its returns if it has any, else its totals.
    async fn completion_of(
        &self,
        p: &str,
        year: &str,
        kinds: &HashMap<String, store::Establishment>,
    ) -> Result<
        Option<(
            BTreeMap<usize, (String, domain::Completion)>,
            &'static str,
            Vec<String>,
        )>,
        Status,
    > {
        let c = self.ctx.db.conn();
        let order = |k: &str| {
            domain::ESTABLISHMENT_TYPES
                .iter()
                .position(|t| *t == k)
                .unwrap_or(usize::MAX)
        };
        let returns = store::section175_returns(c, p, year).await.map_err(db)?;
        let mut by: BTreeMap<usize, (String, domain::Completion)> = BTreeMap::new();
        if !returns.is_empty() {
            let mut missing = Vec::new();
            for r in &returns {
                let kind = kinds
                    .get(&r.establishment_code)
                    .map_or("unknown", |e| e.kind.as_str());
                by.entry(order(kind))
                    .or_insert_with(|| (kind.to_string(), domain::Completion::default()))
                    .1
                    .add_return(r);
                if !r.submitted {
                    missing.push(r.establishment_code.clone());
                }
            }
            return Ok(Some((by, "returns", missing)));
        }
        let totals = store::section175_totals(c, p, year).await.map_err(db)?;
        if totals.is_empty() {
            return Ok(None);
        }
        for (kind, expected, completed) in totals {
            by.insert(
                order(&kind),
                (
                    kind,
                    domain::Completion {
                        expected,
                        completed,
                        ..Default::default()
                    },
                ),
            );
        }
        Ok(Some((by, "totals", vec![])))
    }
}

#[tonic::async_trait]
impl pb::section175_service_server::Section175Service for AssuranceApi {
    async fn put_section175_establishments(
        &self,
        request: Request<pb::PutSection175EstablishmentsRequest>,
    ) -> Reply<pb::PutSection175EstablishmentsResponse> {
        let (claims, p) = self.scope(&request)?;
        claims.require_admin()?;
        let req = request.into_inner();
        let mut v = Violations::new();
        v.ensure(
            !req.establishments.is_empty(),
            "establishments",
            "at least one establishment is needed",
        );
        let mut seen = HashSet::new();
        let mut list = Vec::new();
        for (i, e) in req.establishments.iter().enumerate() {
            let f = format!("establishments[{i}]");
            code(&mut v, &format!("{f}.code"), &e.code);
            if !e.code.is_empty() && !seen.insert(e.code.as_str()) {
                v.add(format!("{f}.code"), format!("'{}' appears twice", e.code));
            }
            v.ensure(
                !e.name.trim().is_empty(),
                format!("{f}.name"),
                "is required",
            );
            match kind_from_pb(e.r#type) {
                Some(k) => list.push(store::Establishment {
                    code: e.code.clone(),
                    name: e.name.trim().to_string(),
                    kind: k.to_string(),
                }),
                None => v.add(format!("{f}.type"), KIND_HELP),
            }
        }
        v.into_result()?;
        let txn = self.ctx.db.begin_write().await.map_err(db)?;
        let (inserted, updated) = store::put_establishments(&*txn, &p.id, &list)
            .await
            .map_err(db)?;
        txn.commit().await.map_err(db)?;
        Ok(Response::new(pb::PutSection175EstablishmentsResponse {
            inserted,
            updated,
        }))
    }

    async fn list_section175_establishments(
        &self,
        request: Request<pb::ListSection175EstablishmentsRequest>,
    ) -> Reply<pb::ListSection175EstablishmentsResponse> {
        let (_, p) = self.scope(&request)?;
        let req = request.into_inner();
        let mut v = Violations::new();
        let kind = if req.r#type == 0 {
            None
        } else {
            let k = kind_from_pb(req.r#type);
            if k.is_none() {
                v.add("type", "is not an establishment type");
            }
            k
        };
        let (offset, limit) = proto_conv::page(&mut v, "page", req.page.as_ref());
        v.into_result()?;
        let (list, total) =
            store::list_establishments(self.ctx.db.conn(), &p.id, kind, offset, limit)
                .await
                .map_err(db)?;
        let page = proto_conv::page_response(offset, list.len(), total);
        Ok(Response::new(pb::ListSection175EstablishmentsResponse {
            establishments: list
                .into_iter()
                .map(|e| pb::Section175Establishment {
                    r#type: kind_pb(&e.kind),
                    code: e.code,
                    name: e.name,
                })
                .collect(),
            page: Some(page),
        }))
    }

    async fn submit_section175_returns(
        &self,
        request: Request<pb::SubmitSection175ReturnsRequest>,
    ) -> Reply<pb::SubmitSection175ReturnsResponse> {
        let (claims, p) = self.scope(&request)?;
        claims.require_admin()?;
        let mut req = request.into_inner();
        let idem = Idempotency::of(&p.id, "SubmitSection175Returns", &mut req, |r| {
            &mut r.idempotency_key
        })?;
        let mut v = Violations::new();
        let year = fin_year(&mut v, "year", req.year.as_ref());
        v.ensure(
            !req.returns.is_empty(),
            "returns",
            "at least one return is needed",
        );
        let known = store::establishments_by_code(self.ctx.db.conn(), &p.id)
            .await
            .map_err(db)?;
        let mut seen = HashSet::new();
        let mut list = Vec::new();
        for (i, r) in req.returns.iter().enumerate() {
            let f = format!("returns[{i}]");
            if !known.contains_key(&r.establishment_code) {
                v.add(
                    format!("{f}.establishment_code"),
                    format!(
                        "'{}' is not a registered establishment (PutSection175Establishments first)",
                        r.establishment_code
                    ),
                );
            } else if !seen.insert(r.establishment_code.as_str()) {
                v.add(
                    format!("{f}.establishment_code"),
                    format!("'{}' appears twice", r.establishment_code),
                );
            }
            let Some(on) = opt_date(&mut v, &format!("{f}.submitted_on"), &r.submitted_on) else {
                continue;
            };
            let ret = domain::Section175Return {
                establishment_code: r.establishment_code.clone(),
                submitted: r.submitted,
                reported_to_governors: r.reported_to_governors,
                items_compliant: r.items_compliant,
                items_total: r.items_total,
                submitted_on: on,
            };
            domain::check_section175_return(&ret, &mut v, &f);
            list.push(ret);
        }
        v.into_result()?;
        let Some(year) = year else {
            return Err(Status::internal("internal error"));
        };
        let txn = self.ctx.db.begin_write().await.map_err(db)?;
        if let Some(r) = idempotency::claim(idem.as_ref(), &*txn).await? {
            return Ok(Response::new(r));
        }
        store::put_section175_returns(&*txn, &p.id, &year.to_string(), &list)
            .await
            .map_err(db)?;
        let reply = pb::SubmitSection175ReturnsResponse {
            stored: list.len() as u32,
        };
        idempotency::complete(idem.as_ref(), &*txn, &reply).await?;
        txn.commit().await.map_err(db)?;
        Ok(Response::new(reply))
    }

    async fn put_section175_year_totals(
        &self,
        request: Request<pb::PutSection175YearTotalsRequest>,
    ) -> Reply<pb::PutSection175YearTotalsResponse> {
        let (claims, p) = self.scope(&request)?;
        claims.require_admin()?;
        let req = request.into_inner();
        let mut v = Violations::new();
        let year = fin_year(&mut v, "year", req.year.as_ref());
        v.ensure(
            !req.totals.is_empty(),
            "totals",
            "at least one total is needed",
        );
        let mut seen = HashSet::new();
        let mut list = Vec::new();
        for (i, t) in req.totals.iter().enumerate() {
            let f = format!("totals[{i}]");
            match kind_from_pb(t.r#type) {
                Some(k) if !seen.insert(k) => {
                    v.add(format!("{f}.type"), format!("{k} appears twice"));
                }
                Some(k) => list.push((k.to_string(), t.expected, t.completed)),
                None => v.add(format!("{f}.type"), KIND_HELP),
            }
            v.ensure(
                t.completed <= t.expected,
                format!("{f}.completed"),
                format!(
                    "{} completed is more than the {} expected",
                    t.completed, t.expected
                ),
            );
            v.ensure(
                t.expected > 0,
                format!("{f}.expected"),
                "must be at least 1",
            );
        }
        v.into_result()?;
        let Some(year) = year else {
            return Err(Status::internal("internal error"));
        };
        let txn = self.ctx.db.begin_write().await.map_err(db)?;
        store::put_section175_totals(&*txn, &p.id, &year.to_string(), &list)
            .await
            .map_err(db)?;
        txn.commit().await.map_err(db)?;
        Ok(Response::new(pb::PutSection175YearTotalsResponse {
            stored: list.len() as u32,
        }))
    }

    async fn get_section175_completion(
        &self,
        request: Request<pb::GetSection175CompletionRequest>,
    ) -> Reply<pb::Section175Completion> {
        let (_, p) = self.scope(&request)?;
        let req = request.into_inner();
        let mut v = Violations::new();
        let year = fin_year(&mut v, "year", req.year.as_ref());
        v.into_result()?;
        let Some(year) = year else {
            return Err(Status::internal("internal error"));
        };
        let kinds = store::establishments_by_code(self.ctx.db.conn(), &p.id)
            .await
            .map_err(db)?;
        let Some((by, _, missing)) = self.completion_of(&p.id, &year.to_string(), &kinds).await?
        else {
            return Err(
                Error::not_found(format!("no Section 175 returns or totals for {year}")).into(),
            );
        };
        let mut overall = domain::Completion::default();
        for (_, c) in by.values() {
            overall.merge(c);
        }
        let (with_returns, with_totals) = store::section175_years(self.ctx.db.conn(), &p.id)
            .await
            .map_err(db)?;
        let mut years: Vec<Period> = with_returns
            .iter()
            .chain(with_totals.iter())
            .filter_map(|y| y.parse::<Period>().ok())
            .filter(|y| *y < year)
            .collect();
        years.sort();
        years.dedup();
        if req.earlier_years > 0 && years.len() > req.earlier_years as usize {
            years.drain(..years.len() - req.earlier_years as usize);
        }
        let mut earlier = Vec::new();
        for y in years {
            if let Some((b, source, _)) = self.completion_of(&p.id, &y.to_string(), &kinds).await? {
                let mut all = domain::Completion::default();
                for (_, c) in b.values() {
                    all.merge(c);
                }
                earlier.push((y, all, source));
            }
        }
        let rate = overall.rate();
        let change = |other: Option<&(Period, domain::Completion, &str)>| match (
            rate,
            other.and_then(|o| o.1.rate()),
        ) {
            (Some(a), Some(b)) => dec(Some(a - b)),
            _ => None,
        };
        Ok(Response::new(pb::Section175Completion {
            year: period_pb(year),
            by_type: by.values().map(|(k, c)| type_completion(k, c)).collect(),
            overall: Some(type_completion("", &overall)),
            change_on_previous: change(earlier.last()),
            change_on_earliest: change(earlier.first()),
            earlier: earlier
                .into_iter()
                .map(|(y, c, source)| pb::Section175YearCompletion {
                    year: period_pb(y),
                    expected: c.expected,
                    completed: c.completed,
                    rate: dec(c.rate()),
                    source: source.to_string(),
                })
                .collect(),
            not_submitted: missing,
        }))
    }
}

// ----------------------------------------------------------------------------- governance

fn body_pb(b: store::Body) -> pb::GovernanceBody {
    use pb::GovernanceBodyKind as K;
    pb::GovernanceBody {
        code: b.code,
        name: b.name,
        kind: (match b.kind.as_str() {
            "board" => K::Board,
            "executive" => K::Executive,
            "sub_group" => K::SubGroup,
            _ => K::Unspecified,
        }) as i32,
        position: b.position,
        members: b
            .members
            .into_iter()
            .map(|m| pb::GovernanceMember {
                agency: m.agency,
                named_member: m.named_member,
            })
            .collect(),
    }
}

fn meeting_pb(m: store::Meeting) -> pb::GovernanceMeeting {
    pb::GovernanceMeeting {
        body_code: m.body_code,
        held_on: m.held_on.to_string(),
        attendance: m
            .attendance
            .into_iter()
            .map(|a| pb::MeetingAttendance {
                agency: a.agency,
                capacity: (match a.capacity {
                    domain::Capacity::Named => pb::AttendanceCapacity::Named,
                    domain::Capacity::Nominated => pb::AttendanceCapacity::Nominated,
                }) as i32,
            })
            .collect(),
    }
}

fn docs_pb(
    p: &Partnership,
    code: &str,
    d: Option<&store::Documents>,
) -> pb::AgencyAssuranceDocuments {
    pb::AgencyAssuranceDocuments {
        agency: code.to_string(),
        agency_name: p.agency(code).map(|a| a.name.clone()).unwrap_or_default(),
        annual_report_received: d.is_some_and(|d| d.annual_report_on.is_some()),
        annual_report_received_on: date_str(d.and_then(|d| d.annual_report_on)),
        assurance_letter_received: d.is_some_and(|d| d.letter_on.is_some()),
        assurance_letter_received_on: date_str(d.and_then(|d| d.letter_on)),
    }
}

#[tonic::async_trait]
impl pb::governance_service_server::GovernanceService for AssuranceApi {
    async fn record_assurance_documents(
        &self,
        request: Request<pb::RecordAssuranceDocumentsRequest>,
    ) -> Reply<pb::AgencyAssuranceDocuments> {
        let (claims, p) = self.scope(&request)?;
        let req = request.into_inner();
        if req.agency.is_empty() {
            claims.require_writer()?;
        } else {
            claims.require_agency_write(&req.agency)?;
        }
        let mut v = Violations::new();
        let year = fin_year(&mut v, "year", req.year.as_ref());
        statutory_agency(&mut v, "agency", &p, &req.agency, year);
        let ar = opt_date(
            &mut v,
            "annual_report_received_on",
            &req.annual_report_received_on,
        );
        let letter = opt_date(
            &mut v,
            "assurance_letter_received_on",
            &req.assurance_letter_received_on,
        );
        v.into_result()?;
        let (Some(year), Some(ar), Some(letter)) = (year, ar, letter) else {
            return Err(Status::internal("internal error"));
        };
        let d = store::Documents {
            agency: req.agency.clone(),
            annual_report_on: ar,
            letter_on: letter,
        };
        let txn = self.ctx.db.begin_write().await.map_err(db)?;
        store::put_documents(&*txn, &p.id, &year.to_string(), &d, &claims.actor())
            .await
            .map_err(db)?;
        txn.commit().await.map_err(db)?;
        Ok(Response::new(docs_pb(&p, &req.agency, Some(&d))))
    }

    async fn get_assurance_documents(
        &self,
        request: Request<pb::GetAssuranceDocumentsRequest>,
    ) -> Reply<pb::AssuranceDocumentsSummary> {
        let (_, p) = self.scope(&request)?;
        let req = request.into_inner();
        let mut v = Violations::new();
        let year = fin_year(&mut v, "year", req.year.as_ref());
        v.into_result()?;
        let Some(year) = year else {
            return Err(Status::internal("internal error"));
        };
        let docs = store::documents(self.ctx.db.conn(), &p.id, &year.to_string())
            .await
            .map_err(db)?;
        let agencies: Vec<_> = statutory_in(&p, year)
            .into_iter()
            .map(|a| docs_pb(&p, &a.code, docs.get(&a.code)))
            .collect();
        Ok(Response::new(pb::AssuranceDocumentsSummary {
            year: period_pb(year),
            statutory_agencies: agencies.len() as u32,
            annual_reports_received: agencies.iter().filter(|a| a.annual_report_received).count()
                as u32,
            assurance_letters_received: agencies
                .iter()
                .filter(|a| a.assurance_letter_received)
                .count() as u32,
            agencies,
        }))
    }

    async fn put_governance_body(
        &self,
        request: Request<pb::PutGovernanceBodyRequest>,
    ) -> Reply<pb::GovernanceBody> {
        let (claims, p) = self.scope(&request)?;
        claims.require_admin()?;
        let req = request.into_inner();
        let mut v = Violations::new();
        let Some(b) = req.body else {
            return Err(Error::invalid("body", "is required").into());
        };
        code(&mut v, "body.code", &b.code);
        v.ensure(!b.name.trim().is_empty(), "body.name", "is required");
        use pb::GovernanceBodyKind as K;
        let kind = match K::try_from(b.kind) {
            Ok(K::Board) => "board",
            Ok(K::Executive) => "executive",
            Ok(K::SubGroup) => "sub_group",
            _ => {
                v.add("body.kind", "is required: BOARD, EXECUTIVE or SUB_GROUP");
                ""
            }
        };
        let mut seen = HashSet::new();
        for (i, m) in b.members.iter().enumerate() {
            let f = format!("body.members[{i}].agency");
            if known_agency(&mut v, &f, &p, &m.agency) && !seen.insert(m.agency.as_str()) {
                v.add(f, format!("'{}' is a member twice", m.agency));
            }
        }
        v.into_result()?;
        let body = store::Body {
            code: b.code.clone(),
            name: b.name.trim().to_string(),
            kind: kind.to_string(),
            position: b.position,
            members: b
                .members
                .iter()
                .map(|m| domain::Member {
                    agency: m.agency.clone(),
                    named_member: m.named_member.trim().to_string(),
                })
                .collect(),
        };
        let txn = self.ctx.db.begin_write().await.map_err(db)?;
        store::put_body(&*txn, &p.id, &body).await.map_err(db)?;
        txn.commit().await.map_err(db)?;
        Ok(Response::new(body_pb(body)))
    }

    async fn list_governance_bodies(
        &self,
        request: Request<pb::ListGovernanceBodiesRequest>,
    ) -> Reply<pb::ListGovernanceBodiesResponse> {
        let (_, p) = self.scope(&request)?;
        let bodies = store::bodies(self.ctx.db.conn(), &p.id).await.map_err(db)?;
        Ok(Response::new(pb::ListGovernanceBodiesResponse {
            bodies: bodies.into_iter().map(body_pb).collect(),
        }))
    }

    async fn record_governance_meeting(
        &self,
        request: Request<pb::RecordGovernanceMeetingRequest>,
    ) -> Reply<pb::GovernanceMeeting> {
        let (claims, p) = self.scope(&request)?;
        claims.require_admin()?;
        let req = request.into_inner();
        let mut v = Violations::new();
        let bodies = store::bodies(self.ctx.db.conn(), &p.id).await.map_err(db)?;
        let body = bodies.iter().find(|b| b.code == req.body_code);
        if body.is_none() {
            v.add(
                "body_code",
                format!(
                    "'{}' is not a governance body (PutGovernanceBody first)",
                    req.body_code
                ),
            );
        }
        let held_on = date(&mut v, "held_on", &req.held_on);
        let mut seen = HashSet::new();
        let mut attendance = Vec::new();
        for (i, a) in req.attendance.iter().enumerate() {
            let f = format!("attendance[{i}]");
            if let Some(b) = body
                && !b.members.iter().any(|m| m.agency == a.agency)
            {
                v.add(
                    format!("{f}.agency"),
                    format!("'{}' is not a member of {}", a.agency, b.code),
                );
            } else if !seen.insert(a.agency.as_str()) {
                v.add(
                    format!("{f}.agency"),
                    format!("'{}' is listed twice", a.agency),
                );
            }
            let capacity = match pb::AttendanceCapacity::try_from(a.capacity) {
                Ok(pb::AttendanceCapacity::Named) => domain::Capacity::Named,
                Ok(pb::AttendanceCapacity::Nominated) => domain::Capacity::Nominated,
                _ => {
                    v.add(format!("{f}.capacity"), "is required: NAMED or NOMINATED");
                    continue;
                }
            };
            attendance.push(domain::Attendance {
                agency: a.agency.clone(),
                capacity,
            });
        }
        v.into_result()?;
        let Some(held_on) = held_on else {
            return Err(Status::internal("internal error"));
        };
        let m = store::Meeting {
            body_code: req.body_code.clone(),
            held_on,
            attendance,
        };
        let txn = self.ctx.db.begin_write().await.map_err(db)?;
        store::put_meeting(&*txn, &p.id, &m).await.map_err(db)?;
        txn.commit().await.map_err(db)?;
        Ok(Response::new(meeting_pb(m)))
    }

    async fn list_governance_meetings(
        &self,
        request: Request<pb::ListGovernanceMeetingsRequest>,
    ) -> Reply<pb::ListGovernanceMeetingsResponse> {
        let (_, p) = self.scope(&request)?;
        let req = request.into_inner();
        let mut v = Violations::new();
        let period = match &req.period {
            None => None,
            Some(x) => proto_conv::period_code(&mut v, "period", &x.code),
        };
        v.into_result()?;
        let (from, to) = match period {
            Some(p) => (p.first_day(), p.last_day()),
            None => (NaiveDate::MIN, NaiveDate::MAX),
        };
        let body = (!req.body_code.is_empty()).then_some(req.body_code.as_str());
        let meetings = store::meetings(self.ctx.db.conn(), &p.id, body, from, to)
            .await
            .map_err(db)?;
        Ok(Response::new(pb::ListGovernanceMeetingsResponse {
            meetings: meetings.into_iter().map(meeting_pb).collect(),
        }))
    }

    async fn get_attendance_matrix(
        &self,
        request: Request<pb::GetAttendanceMatrixRequest>,
    ) -> Reply<pb::AttendanceMatrix> {
        let (_, p) = self.scope(&request)?;
        let req = request.into_inner();
        let mut v = Violations::new();
        let period = proto_conv::period(&mut v, "period", req.period.as_ref());
        v.into_result()?;
        let Some(period) = period else {
            return Err(Status::internal("internal error"));
        };
        let c = self.ctx.db.conn();
        let bodies = store::bodies(c, &p.id).await.map_err(db)?;
        let meetings = store::meetings(c, &p.id, None, period.first_day(), period.last_day())
            .await
            .map_err(db)?;
        let mut by_body: HashMap<&str, Vec<Vec<domain::Attendance>>> = HashMap::new();
        for m in &meetings {
            by_body
                .entry(m.body_code.as_str())
                .or_default()
                .push(m.attendance.clone());
        }
        let mut out = pb::AttendanceMatrix {
            period: period_pb(period),
            ..Default::default()
        };
        // Directory order first, then any member no longer in the directory.
        let mut agencies: Vec<String> = p.agencies.iter().map(|a| a.code.clone()).collect();
        for b in &bodies {
            for m in &b.members {
                if !agencies.contains(&m.agency) {
                    agencies.push(m.agency.clone());
                }
            }
        }
        for code in agencies {
            let mut cells = Vec::new();
            for b in &bodies {
                if !b.members.iter().any(|m| m.agency == code) {
                    continue;
                }
                let held = by_body
                    .get(b.code.as_str())
                    .map_or(&[][..], |m| m.as_slice());
                let t = domain::tally(&code, held);
                let rating = domain::attendance_rating(t.meetings, t.named, t.attended);
                match rating {
                    Some(domain::AttendanceRating::Green) => out.green += 1,
                    Some(domain::AttendanceRating::Blue) => out.blue += 1,
                    Some(domain::AttendanceRating::Red) => out.red += 1,
                    None => {}
                }
                cells.push(pb::AttendanceCell {
                    body_code: b.code.clone(),
                    meetings: t.meetings,
                    named_attended: t.named,
                    attended: t.attended,
                    named_share: dec(domain::percent(t.named as u64, t.meetings as u64)),
                    share: dec(domain::percent(t.attended as u64, t.meetings as u64)),
                    rating: (match rating {
                        Some(domain::AttendanceRating::Green) => pb::AttendanceRating::Green,
                        Some(domain::AttendanceRating::Blue) => pb::AttendanceRating::Blue,
                        Some(domain::AttendanceRating::Red) => pb::AttendanceRating::Red,
                        None => pb::AttendanceRating::Unspecified,
                    }) as i32,
                });
            }
            if !cells.is_empty() {
                out.rows.push(pb::AttendanceRow {
                    agency_name: p.agency(&code).map(|a| a.name.clone()).unwrap_or_default(),
                    agency: code,
                    cells,
                });
            }
        }
        out.bodies = bodies.into_iter().map(body_pb).collect();
        Ok(Response::new(out))
    }
}

// ----------------------------------------------------------------------------- surveys

fn survey_pb(s: store::Survey) -> pb::PractitionerSurvey {
    pb::PractitionerSurvey {
        year: s.year.parse::<Period>().ok().and_then(period_pb),
        code: s.code,
        series: s.series,
        title: s.title,
        conducted_on: date_str(s.conducted_on),
        respondents: s.respondents,
        organisations: s.organisations,
        organisation_names: s.organisation_names,
        questions: s
            .questions
            .into_iter()
            .map(|q| pb::SurveyQuestion {
                code: q.code,
                text: q.text,
                yes_share: dec(Some(q.yes_share)),
            })
            .collect(),
    }
}

#[tonic::async_trait]
impl pb::survey_service_server::SurveyService for AssuranceApi {
    async fn record_survey(
        &self,
        request: Request<pb::RecordSurveyRequest>,
    ) -> Reply<pb::PractitionerSurvey> {
        let (claims, p) = self.scope(&request)?;
        claims.require_admin()?;
        let mut req = request.into_inner();
        let idem = Idempotency::of(&p.id, "RecordSurvey", &mut req, |r| &mut r.idempotency_key)?;
        let mut v = Violations::new();
        let Some(s) = &req.survey else {
            v.add("survey", "is required");
            return Err(Error::from(v).into());
        };
        code(&mut v, "survey.code", &s.code);
        code(&mut v, "survey.series", &s.series);
        v.ensure(!s.title.trim().is_empty(), "survey.title", "is required");
        let year = fin_year(&mut v, "survey.year", s.year.as_ref());
        let conducted_on = opt_date(&mut v, "survey.conducted_on", &s.conducted_on);
        if let (Some(y), Some(Some(d))) = (year, conducted_on) {
            v.ensure(
                y.contains_date(d),
                "survey.conducted_on",
                format!("{d} is not in {y}"),
            );
        }
        v.ensure(
            s.respondents > 0,
            "survey.respondents",
            "must be at least 1",
        );
        v.ensure(
            s.organisations > 0,
            "survey.organisations",
            "must be at least 1",
        );
        v.ensure(
            s.organisation_names.is_empty()
                || s.organisation_names.len() == s.organisations as usize,
            "survey.organisation_names",
            format!(
                "names {} organisations but organisations is {}",
                s.organisation_names.len(),
                s.organisations
            ),
        );
        v.ensure(
            !s.questions.is_empty(),
            "survey.questions",
            "at least one question is needed",
        );
        let mut seen = HashSet::new();
        let mut questions = Vec::new();
        for (i, q) in s.questions.iter().enumerate() {
            let f = format!("survey.questions[{i}]");
            code(&mut v, &format!("{f}.code"), &q.code);
            if !q.code.is_empty() && !seen.insert(q.code.as_str()) {
                v.add(format!("{f}.code"), format!("'{}' appears twice", q.code));
            }
            v.ensure(
                !q.text.trim().is_empty(),
                format!("{f}.text"),
                "is required",
            );
            let share =
                proto_conv::decimal(&mut v, &format!("{f}.yes_share"), q.yes_share.as_ref());
            if let Some(d) = share {
                if domain::valid_share(d) {
                    questions.push(domain::SurveyQuestion {
                        code: q.code.clone(),
                        text: q.text.trim().to_string(),
                        yes_share: d,
                    });
                } else {
                    v.add(
                        format!("{f}.yes_share"),
                        format!("{d} is not a percentage between 0 and 100"),
                    );
                }
            }
        }
        v.into_result()?;
        let (Some(year), Some(conducted_on)) = (year, conducted_on) else {
            return Err(Status::internal("internal error"));
        };
        let record = store::Survey {
            code: s.code.clone(),
            series: s.series.clone(),
            title: s.title.trim().to_string(),
            year: year.to_string(),
            year_start: year.financial_year_start(),
            conducted_on,
            respondents: s.respondents,
            organisations: s.organisations,
            organisation_names: s.organisation_names.clone(),
            questions,
        };
        let txn = self.ctx.db.begin_write().await.map_err(db)?;
        if let Some(r) = idempotency::claim(idem.as_ref(), &*txn).await? {
            return Ok(Response::new(r));
        }
        store::put_survey(&*txn, &p.id, &record).await.map_err(db)?;
        let reply = survey_pb(record);
        idempotency::complete(idem.as_ref(), &*txn, &reply).await?;
        txn.commit().await.map_err(db)?;
        Ok(Response::new(reply))
    }

    async fn get_survey_results(
        &self,
        request: Request<pb::GetSurveyResultsRequest>,
    ) -> Reply<pb::SurveyResults> {
        let (_, p) = self.scope(&request)?;
        let req = request.into_inner();
        if req.code.is_empty() {
            return Err(Error::invalid("code", "is required").into());
        }
        let c = self.ctx.db.conn();
        let s = store::survey(c, &p.id, &req.code)
            .await
            .map_err(db)?
            .ok_or_else(|| Error::not_found(format!("no survey '{}'", req.code)))?;
        let series = store::surveys(c, &p.id, Some(&s.series), None)
            .await
            .map_err(db)?;
        // Surveys of the series before this one (the list is oldest first).
        let pos = series.iter().position(|x| x.code == s.code).unwrap_or(0);
        let earlier = &series[..pos];
        let questions = s
            .questions
            .iter()
            .map(|q| {
                let prev = earlier.iter().rev().find_map(|e| {
                    e.questions
                        .iter()
                        .find(|x| x.code == q.code)
                        .map(|x| (e, x.yes_share))
                });
                pb::SurveyQuestionResult {
                    code: q.code.clone(),
                    text: q.text.clone(),
                    yes_share: dec(Some(q.yes_share)),
                    previous_survey_code: prev.map(|(e, _)| e.code.clone()).unwrap_or_default(),
                    previous_year: prev
                        .and_then(|(e, _)| e.year.parse::<Period>().ok())
                        .and_then(period_pb),
                    previous_yes_share: dec(prev.map(|(_, d)| d)),
                    change: dec(prev.map(|(_, d)| q.yes_share - d)),
                }
            })
            .collect();
        Ok(Response::new(pb::SurveyResults {
            survey: Some(survey_pb(s)),
            questions,
        }))
    }

    async fn list_surveys(
        &self,
        request: Request<pb::ListSurveysRequest>,
    ) -> Reply<pb::ListSurveysResponse> {
        let (_, p) = self.scope(&request)?;
        let req = request.into_inner();
        let mut v = Violations::new();
        let year = match &req.year {
            None => None,
            Some(_) => fin_year(&mut v, "year", req.year.as_ref()),
        };
        v.into_result()?;
        let series = (!req.series.is_empty()).then_some(req.series.as_str());
        let year = year.map(|y| y.to_string());
        let list = store::surveys(self.ctx.db.conn(), &p.id, series, year.as_deref())
            .await
            .map_err(db)?;
        Ok(Response::new(pb::ListSurveysResponse {
            surveys: list.into_iter().map(survey_pb).collect(),
        }))
    }
}
