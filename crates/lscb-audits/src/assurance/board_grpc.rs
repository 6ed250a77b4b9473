//! `lscb.audits.v1.BoardService`: the board's own record of a year — business plan and its
//! progress, governance register, child death reviews. Writes are admin-only, validated
//! whole (every bad field named, nothing stored), replace the year's record in one
//! transaction and replay by idempotency key as part 2's other writes do.

use std::collections::{BTreeMap, HashSet};

use chrono::NaiveDate;
use lscb_platform::idempotency::{self, Idempotency};
use lscb_platform::{Error, Partnership, Period, ServiceContext, Violations, caller, proto_conv};
use lscb_proto::audits::v1 as pb;
use lscb_proto::audits::v1::board_service_server::BoardService;
use lscb_proto::common::v1 as cpb;
use prost::Message;
use rust_decimal::Decimal;
use sea_orm::ConnectionTrait;
use tonic::{Request, Response, Status};

use super::board_domain::{
    self as bd, BUSINESS_PLAN, CHILD_DEATH_REVIEWS, GOVERNANCE_REGISTER, Gender, Plan, Rag,
    Register,
};
use super::board_store as bs;
use super::grpc::{code, date, db, fin_year, known_agency, opt_date};
use super::store;

type Reply<T> = Result<Response<T>, Status>;

/// The board record service.
#[derive(Debug, Clone)]
pub(crate) struct BoardApi {
    ctx: ServiceContext,
}

impl BoardApi {
    pub(crate) fn new(ctx: ServiceContext) -> Self {
        Self { ctx }
    }

    fn scope<T>(&self, r: &Request<T>, admin: bool) -> Result<Partnership, Status> {
        let claims = caller(r)?;
        if admin {
            claims.require_admin()?;
        }
        Ok(self.ctx.partnership(&claims)?.clone())
    }

    /// Stores `doc` under `kind` and `year` with the reply, or returns the first reply of
    /// a replayed key.
    async fn write<T: serde::Serialize, R: Message + Default>(
        &self,
        p: &Partnership,
        idem: Option<&Idempotency>,
        kind: &str,
        year: Period,
        check: impl AsyncFnOnce(&sea_orm::DatabaseTransaction) -> Result<(T, R), Status>,
    ) -> Reply<R> {
        let txn = self.ctx.db.begin_write().await.map_err(db)?;
        if let Some(r) = idempotency::claim(idem, &*txn).await? {
            return Ok(Response::new(r));
        }
        let (doc, reply) = check(&*txn).await?;
        bs::put_record(&*txn, &p.id, kind, &year.to_string(), &doc)
            .await
            .map_err(db)?;
        idempotency::complete(idem, &*txn, &reply).await?;
        txn.commit().await.map_err(db)?;
        Ok(Response::new(reply))
    }
}

fn pct(d: Option<Decimal>) -> Option<cpb::Decimal> {
    d.map(proto_conv::decimal_to_pb)
}

fn year_pb(y: Period) -> Option<cpb::Period> {
    Some(proto_conv::period_to_pb(y))
}

fn texts(v: &mut Violations, field: &str, items: &[String]) -> Vec<String> {
    for (i, t) in items.iter().enumerate() {
        if t.trim().is_empty() || t.len() > 2000 {
            v.add(format!("{field}[{i}]"), "must be 1 to 2,000 characters");
        }
    }
    items.iter().map(|t| t.trim().to_string()).collect()
}

fn not_found(what: &str, y: Period) -> Status {
    Error::NotFound(format!("no {what} is recorded for {y}")).into()
}

// ------------------------------------------------------------------------ business plan

fn plan_of(v: &mut Violations, req: &pb::PutBusinessPlanRequest) -> Plan {
    v.ensure(
        !req.priorities.is_empty(),
        "priorities",
        "at least one priority is needed",
    );
    let (mut codes, mut seen) = (HashSet::new(), BTreeMap::new());
    let mut plan = Plan::default();
    for (i, p) in req.priorities.iter().enumerate() {
        let f = format!("priorities[{i}]");
        code(v, &format!("{f}.code"), &p.code);
        if !p.code.is_empty() && !codes.insert(p.code.clone()) {
            v.add(format!("{f}.code"), format!("'{}' appears twice", p.code));
        }
        v.ensure(
            !p.title.trim().is_empty(),
            format!("{f}.title"),
            "is required",
        );
        let mut objectives = vec![];
        for (j, o) in p.objectives.iter().enumerate() {
            let g = format!("{f}.objectives[{j}]");
            code(v, &format!("{g}.code"), &o.code);
            if !o.code.is_empty() && !codes.insert(o.code.clone()) {
                v.add(format!("{g}.code"), format!("'{}' appears twice", o.code));
            }
            v.ensure(
                !o.title.trim().is_empty(),
                format!("{g}.title"),
                "is required",
            );
            let mut ids = vec![];
            for (k, a) in o.action_ids.iter().enumerate() {
                let h = format!("{g}.action_ids[{k}]");
                match a.trim().parse::<i64>() {
                    Ok(id) if id > 0 => {
                        if let Some(other) = seen.insert(id, o.code.clone()) {
                            v.add(h, format!("action {id} is already in objective '{other}'"));
                        } else {
                            ids.push(id);
                        }
                    }
                    _ => v.add(h, format!("'{a}' is not an action id")),
                }
            }
            objectives.push(bd::Objective {
                code: o.code.clone(),
                title: o.title.trim().to_string(),
                action_ids: ids,
            });
        }
        plan.priorities.push(bd::Priority {
            code: p.code.clone(),
            title: p.title.trim().to_string(),
            objectives,
        });
    }
    plan
}

fn plan_pb(year: Period, plan: &Plan) -> pb::BusinessPlan {
    pb::BusinessPlan {
        year: year_pb(year),
        priorities: plan
            .priorities
            .iter()
            .map(|p| pb::PlanPriority {
                code: p.code.clone(),
                title: p.title.clone(),
                objectives: p
                    .objectives
                    .iter()
                    .map(|o| pb::PlanObjective {
                        code: o.code.clone(),
                        title: o.title.clone(),
                        action_ids: o.action_ids.iter().map(|i| i.to_string()).collect(),
                    })
                    .collect(),
            })
            .collect(),
    }
}

fn progress_pb(p: &bd::Progress) -> Option<pb::PlanProgress> {
    Some(pb::PlanProgress {
        actions: p.actions,
        green: p.green,
        amber: p.amber,
        red: p.red,
        not_accepted: p.not_accepted,
        completed_percent: pct(p.completed_percent),
        rating: match p.rating {
            Some(Rag::Green) => pb::PlanRag::Green,
            Some(Rag::Amber) => pb::PlanRag::Amber,
            Some(Rag::Red) => pb::PlanRag::Red,
            None => pb::PlanRag::Unspecified,
        } as i32,
    })
}

async fn plan_progress<C: ConnectionTrait>(
    c: &C,
    p: &str,
    year: Period,
    plan: &Plan,
    as_of: NaiveDate,
) -> Result<pb::BusinessPlanProgress, Status> {
    let ids: Vec<i64> = plan.action_ids().collect();
    let states = bs::actions(c, p, &ids).await.map_err(db)?;
    let by_id: BTreeMap<i64, &bd::ActionState> = states.iter().map(|a| (a.id, a)).collect();
    let of = |ids: &mut dyn Iterator<Item = i64>| {
        let list: Vec<&bd::ActionState> = ids.filter_map(|i| by_id.get(&i).copied()).collect();
        bd::progress(list, as_of)
    };
    let priorities = plan
        .priorities
        .iter()
        .map(|pr| pb::PriorityProgress {
            code: pr.code.clone(),
            title: pr.title.clone(),
            progress: progress_pb(&of(&mut pr
                .objectives
                .iter()
                .flat_map(|o| o.action_ids.iter().copied()))),
            objectives: pr
                .objectives
                .iter()
                .map(|o| pb::ObjectiveProgress {
                    code: o.code.clone(),
                    title: o.title.clone(),
                    progress: progress_pb(&of(&mut o.action_ids.iter().copied())),
                })
                .collect(),
        })
        .collect();
    let total = bs::count_actions(c, p).await.map_err(db)?;
    Ok(pb::BusinessPlanProgress {
        year: year_pb(year),
        as_of: as_of.to_string(),
        priorities,
        overall: progress_pb(&bd::progress(states.iter(), as_of)),
        unplanned_actions: total.saturating_sub(states.len() as u64) as u32,
    })
}

// -------------------------------------------------------------------- governance register

fn gender_of(v: &mut Violations, field: &str, g: i32) -> Gender {
    match pb::Gender::try_from(g) {
        Ok(pb::Gender::Female) => Gender::Female,
        Ok(pb::Gender::Male) => Gender::Male,
        Ok(pb::Gender::NotRecorded) => Gender::NotRecorded,
        _ => {
            v.add(
                field,
                "is required: GENDER_FEMALE, GENDER_MALE or GENDER_NOT_RECORDED",
            );
            Gender::NotRecorded
        }
    }
}

fn gender_pb(g: Gender) -> i32 {
    let g = match g {
        Gender::Female => pb::Gender::Female,
        Gender::Male => pb::Gender::Male,
        Gender::NotRecorded => pb::Gender::NotRecorded,
    };
    g as i32
}

fn register_of(
    v: &mut Violations,
    p: &Partnership,
    req: &pb::PutGovernanceRegisterRequest,
    bodies: &[store::Body],
) -> Register {
    let mut reg = Register::default();
    let mut codes = HashSet::new();
    for (i, b) in req.bodies.iter().enumerate() {
        let f = format!("bodies[{i}]");
        code(v, &format!("{f}.body_code"), &b.body_code);
        if !b.body_code.is_empty() && !codes.insert(b.body_code.clone()) {
            v.add(
                format!("{f}.body_code"),
                format!("'{}' appears twice", b.body_code),
            );
        }
        let known = bodies.iter().any(|x| x.code == b.body_code);
        if b.forum {
            v.ensure(
                !b.name.trim().is_empty(),
                format!("{f}.name"),
                "is required for a forum",
            );
            v.ensure(
                !known,
                format!("{f}.forum"),
                format!("'{}' is a governance body, not a forum", b.body_code),
            );
        } else if !b.body_code.is_empty() && !known {
            v.add(
                format!("{f}.body_code"),
                format!(
                    "'{}' is not a governance body: add it with PutGovernanceBody, or mark it a forum",
                    b.body_code
                ),
            );
        }
        reg.bodies.push(bd::RegisterBody {
            code: b.body_code.clone(),
            name: b.name.trim().to_string(),
            forum: b.forum,
            chaired_by: b.chaired_by.trim().to_string(),
            work: texts(v, &format!("{f}.work"), &b.work),
        });
    }
    let mut chairs: BTreeMap<&str, usize> = BTreeMap::new();
    for (i, s) in req.seats.iter().enumerate() {
        let f = format!("seats[{i}]");
        if !codes.contains(&s.body_code) {
            v.add(
                format!("{f}.body_code"),
                format!("'{}' is not one of the register's bodies", s.body_code),
            );
        }
        known_agency(v, &format!("{f}.agency"), p, &s.agency);
        v.ensure(
            !s.role.trim().is_empty() && s.role.len() <= 200,
            format!("{f}.role"),
            "is required (at most 200 characters)",
        );
        if s.chair
            && let Some(first) = chairs.insert(s.body_code.as_str(), i)
        {
            v.add(
                format!("{f}.chair"),
                format!("'{}' already has its chair at seats[{first}]", s.body_code),
            );
        }
        reg.seats.push(bd::Seat {
            body: s.body_code.clone(),
            agency: s.agency.clone(),
            role: s.role.trim().to_string(),
            lay: s.lay_member,
            gender: gender_of(v, &format!("{f}.gender"), s.gender),
            chair: s.chair,
        });
    }
    reg
}

fn register_pb(year: Period, r: &Register) -> pb::GovernanceRegister {
    pb::GovernanceRegister {
        year: year_pb(year),
        bodies: r
            .bodies
            .iter()
            .map(|b| pb::RegisterBody {
                body_code: b.code.clone(),
                name: b.name.clone(),
                forum: b.forum,
                chaired_by: b.chaired_by.clone(),
                work: b.work.clone(),
            })
            .collect(),
        seats: r
            .seats
            .iter()
            .map(|s| pb::RegisterSeat {
                body_code: s.body.clone(),
                agency: s.agency.clone(),
                role: s.role.clone(),
                lay_member: s.lay,
                gender: gender_pb(s.gender),
                chair: s.chair,
            })
            .collect(),
    }
}

fn register_summary(
    year: Period,
    p: &Partnership,
    r: &Register,
    bodies: &[store::Body],
) -> pb::GovernanceRegisterSummary {
    let order: Vec<String> = p.agencies.iter().map(|a| a.code.clone()).collect();
    let rank = |b: &bd::RegisterBody| {
        bodies
            .iter()
            .position(|x| x.code == b.code && !b.forum)
            .unwrap_or(usize::MAX)
    };
    let mut list: Vec<&bd::RegisterBody> = r.bodies.iter().collect();
    list.sort_by_key(|b| rank(b));
    let out = list
        .into_iter()
        .map(|b| {
            let stored = bodies.iter().find(|x| x.code == b.code && !b.forum);
            let m = bd::membership(&r.seats, &b.code, &order);
            let (chair_agency, chair_role) = m.chair.clone().unwrap_or_default();
            pb::BodyMembership {
                body_code: b.code.clone(),
                name: stored.map_or_else(|| b.name.clone(), |s| s.name.clone()),
                kind: stored.map_or_else(|| "forum".to_string(), |s| s.kind.clone()),
                chaired_by: b.chaired_by.clone(),
                chair_agency,
                chair_role,
                work: b.work.clone(),
                seats: m.seats,
                agencies: m.agencies,
                lay_members: m.lay_members,
                female: m.female,
                male: m.male,
                gender_not_recorded: m.gender_not_recorded,
                female_percent: pct(m.female_percent),
                male_percent: pct(m.male_percent),
                by_agency: m
                    .by_agency
                    .into_iter()
                    .map(|(key, seats)| pb::SeatCount { key, seats })
                    .collect(),
            }
        })
        .collect();
    pb::GovernanceRegisterSummary {
        year: year_pb(year),
        bodies: out,
    }
}

// ------------------------------------------------------------------- child death reviews

fn counts(v: &mut Violations, field: &str, list: &[pb::CategoryCount]) -> Vec<bd::Count> {
    let mut seen = HashSet::new();
    for (i, c) in list.iter().enumerate() {
        code(v, &format!("{field}[{i}].code"), &c.code);
        if !c.code.is_empty() && !seen.insert(c.code.as_str()) {
            v.add(
                format!("{field}[{i}].code"),
                format!("'{}' appears twice", c.code),
            );
        }
        v.ensure(
            !c.label.trim().is_empty(),
            format!("{field}[{i}].label"),
            "is required",
        );
    }
    list.iter()
        .map(|c| bd::Count {
            code: c.code.clone(),
            label: c.label.trim().to_string(),
            count: c.count,
        })
        .collect()
}

fn cdop_of(
    v: &mut Violations,
    req: &pb::RecordChildDeathReviewsRequest,
) -> Option<bd::ChildDeathReviews> {
    let from = date(v, "deaths_from", &req.deaths_from);
    let to = date(v, "deaths_to", &req.deaths_to);
    if let (Some(a), Some(b)) = (from, to) {
        v.ensure(
            a <= b,
            "deaths_to",
            format!("{b} is before deaths_from {a}"),
        );
    }
    v.ensure(
        !req.by_category.is_empty(),
        "by_category",
        "at least one category is needed",
    );
    let by_category = counts(v, "by_category", &req.by_category);
    let factors = counts(v, "modifiable_factors", &req.modifiable_factors);
    let reviewed: u32 = by_category.iter().map(|c| c.count).sum();
    v.ensure(
        req.with_modifiable_factors <= reviewed,
        "with_modifiable_factors",
        format!(
            "{} is more than the {reviewed} reviews",
            req.with_modifiable_factors
        ),
    );
    for (i, f) in factors.iter().enumerate() {
        v.ensure(
            f.count <= req.with_modifiable_factors,
            format!("modifiable_factors[{i}].count"),
            format!(
                "{} is more than the {} reviews with modifiable factors",
                f.count, req.with_modifiable_factors
            ),
        );
    }
    let themes = texts(v, "themes", &req.themes);
    let actions = texts(v, "actions", &req.actions);
    Some(bd::ChildDeathReviews {
        deaths_from: from?,
        deaths_to: to?,
        by_category,
        with_modifiable_factors: req.with_modifiable_factors,
        modifiable_factors: factors,
        themes,
        actions,
    })
}

fn count_pb(c: &bd::Count) -> pb::CategoryCount {
    pb::CategoryCount {
        code: c.code.clone(),
        label: c.label.clone(),
        count: c.count,
    }
}

fn cdop_pb(year: Period, c: &bd::ChildDeathReviews) -> pb::ChildDeathReviews {
    pb::ChildDeathReviews {
        year: year_pb(year),
        deaths_from: c.deaths_from.to_string(),
        deaths_to: c.deaths_to.to_string(),
        reviewed: c.reviewed(),
        by_category: c.by_category.iter().map(count_pb).collect(),
        with_modifiable_factors: c.with_modifiable_factors,
        modifiable_percent: pct(c.modifiable_percent()),
        modifiable_factors: c.modifiable_factors.iter().map(count_pb).collect(),
        themes: c.themes.clone(),
        actions: c.actions.clone(),
    }
}

#[tonic::async_trait]
impl BoardService for BoardApi {
    async fn put_business_plan(
        &self,
        request: Request<pb::PutBusinessPlanRequest>,
    ) -> Reply<pb::BusinessPlan> {
        let p = self.scope(&request, true)?;
        let mut req = request.into_inner();
        let idem = Idempotency::of(&p.id, "PutBusinessPlan", &mut req, |r| {
            &mut r.idempotency_key
        })?;
        let mut v = Violations::new();
        let year = fin_year(&mut v, "year", req.year.as_ref());
        let plan = plan_of(&mut v, &req);
        v.into_result()?;
        let year = year.ok_or_else(|| Status::internal("internal error"))?;
        self.write(&p, idem.as_ref(), BUSINESS_PLAN, year, async |txn| {
            let ids: Vec<i64> = plan.action_ids().collect();
            let found: HashSet<i64> = bs::actions(txn, &p.id, &ids)
                .await
                .map_err(db)?
                .into_iter()
                .map(|a| a.id)
                .collect();
            let mut v = Violations::new();
            for (i, pr) in plan.priorities.iter().enumerate() {
                for (j, o) in pr.objectives.iter().enumerate() {
                    for (k, id) in o.action_ids.iter().enumerate() {
                        if !found.contains(id) {
                            v.add(
                                format!("priorities[{i}].objectives[{j}].action_ids[{k}]"),
                                format!("action {id} not found"),
                            );
                        }
                    }
                }
            }
            v.into_result()?;
            let reply = plan_pb(year, &plan);
            Ok((plan, reply))
        })
        .await
    }

    async fn get_business_plan_progress(
        &self,
        request: Request<pb::GetBusinessPlanProgressRequest>,
    ) -> Reply<pb::BusinessPlanProgress> {
        let p = self.scope(&request, false)?;
        let req = request.into_inner();
        let mut v = Violations::new();
        let year = fin_year(&mut v, "year", req.year.as_ref());
        let as_of = opt_date(&mut v, "as_of", &req.as_of);
        v.into_result()?;
        let (Some(year), Some(as_of)) = (year, as_of) else {
            return Err(Status::internal("internal error"));
        };
        let c = self.ctx.db.conn();
        let plan: Plan = bs::get_record(c, &p.id, BUSINESS_PLAN, &year.to_string())
            .await
            .map_err(db)?
            .ok_or_else(|| not_found("business plan", year))?;
        let as_of = as_of.unwrap_or(year.last_day());
        Ok(Response::new(
            plan_progress(c, &p.id, year, &plan, as_of).await?,
        ))
    }

    async fn put_governance_register(
        &self,
        request: Request<pb::PutGovernanceRegisterRequest>,
    ) -> Reply<pb::GovernanceRegister> {
        let p = self.scope(&request, true)?;
        let mut req = request.into_inner();
        let idem = Idempotency::of(&p.id, "PutGovernanceRegister", &mut req, |r| {
            &mut r.idempotency_key
        })?;
        let bodies = store::bodies(self.ctx.db.conn(), &p.id).await.map_err(db)?;
        let mut v = Violations::new();
        let year = fin_year(&mut v, "year", req.year.as_ref());
        let reg = register_of(&mut v, &p, &req, &bodies);
        v.into_result()?;
        let year = year.ok_or_else(|| Status::internal("internal error"))?;
        let reply = register_pb(year, &reg);
        self.write(&p, idem.as_ref(), GOVERNANCE_REGISTER, year, async |_| {
            Ok((reg, reply))
        })
        .await
    }

    async fn get_governance_register(
        &self,
        request: Request<pb::GetGovernanceRegisterRequest>,
    ) -> Reply<pb::GovernanceRegisterSummary> {
        let p = self.scope(&request, false)?;
        let req = request.into_inner();
        let mut v = Violations::new();
        let year = fin_year(&mut v, "year", req.year.as_ref());
        v.into_result()?;
        let year = year.ok_or_else(|| Status::internal("internal error"))?;
        let c = self.ctx.db.conn();
        let reg: Register = bs::get_record(c, &p.id, GOVERNANCE_REGISTER, &year.to_string())
            .await
            .map_err(db)?
            .ok_or_else(|| not_found("governance register", year))?;
        let bodies = store::bodies(c, &p.id).await.map_err(db)?;
        Ok(Response::new(register_summary(year, &p, &reg, &bodies)))
    }

    async fn record_child_death_reviews(
        &self,
        request: Request<pb::RecordChildDeathReviewsRequest>,
    ) -> Reply<pb::ChildDeathReviews> {
        let p = self.scope(&request, true)?;
        let mut req = request.into_inner();
        let idem = Idempotency::of(&p.id, "RecordChildDeathReviews", &mut req, |r| {
            &mut r.idempotency_key
        })?;
        let mut v = Violations::new();
        let year = fin_year(&mut v, "year", req.year.as_ref());
        let cdop = cdop_of(&mut v, &req);
        v.into_result()?;
        let (Some(year), Some(cdop)) = (year, cdop) else {
            return Err(Status::internal("internal error"));
        };
        let reply = cdop_pb(year, &cdop);
        self.write(&p, idem.as_ref(), CHILD_DEATH_REVIEWS, year, async |_| {
            Ok((cdop, reply))
        })
        .await
    }

    async fn get_child_death_reviews(
        &self,
        request: Request<pb::GetChildDeathReviewsRequest>,
    ) -> Reply<pb::ChildDeathReviews> {
        let p = self.scope(&request, false)?;
        let req = request.into_inner();
        let mut v = Violations::new();
        let year = fin_year(&mut v, "year", req.year.as_ref());
        v.into_result()?;
        let year = year.ok_or_else(|| Status::internal("internal error"))?;
        let c = self.ctx.db.conn();
        let cdop: bd::ChildDeathReviews =
            bs::get_record(c, &p.id, CHILD_DEATH_REVIEWS, &year.to_string())
                .await
                .map_err(db)?
                .ok_or_else(|| not_found("child death review", year))?;
        Ok(Response::new(cdop_pb(year, &cdop)))
    }
}
