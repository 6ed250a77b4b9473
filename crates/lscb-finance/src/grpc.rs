//! `lscb.finance.v1.FinanceService`: the only module that knows the proto types. Converts
//! requests into domain values (every bad field named), checks the caller, and calls the
//! store inside one transaction per write.

use lscb_platform::idempotency::{self, Idempotency};
use lscb_platform::{
    Claims, Error, Partnership, Period, Result, ServiceContext, Violations, caller, proto_conv,
};
use lscb_proto::common::v1 as common;
use lscb_proto::finance::v1 as pb;
use lscb_proto::finance::v1::finance_service_server::FinanceService;
use tonic::{Request, Response, Status};

use crate::domain::{
    self, CarryForwardSource, Category, Change, Contribution, Direction, Expenditure, InKind,
    Income, Ledger, PlannedChange, YearStatus, check_agency, check_amount, check_date, check_text,
};
use crate::store;

/// The finance API.
#[derive(Debug, Clone)]
pub struct FinanceApi {
    ctx: ServiceContext,
}

impl FinanceApi {
    pub fn new(ctx: ServiceContext) -> Self {
        Self { ctx }
    }

    /// The caller and its partnership; any role of the partnership may read.
    fn reader<T>(&self, request: &Request<T>) -> Result<(Claims, Partnership), Status> {
        let claims = caller(request)?;
        let p = self.ctx.partnership(&claims)?.clone();
        Ok((claims, p))
    }

    /// The caller and its partnership; only an admin may write.
    fn admin<T>(&self, request: &Request<T>) -> Result<(Claims, Partnership), Status> {
        let claims = caller(request)?;
        let p = self.ctx.partnership(&claims)?.clone();
        claims.require_admin()?;
        Ok((claims, p))
    }

    async fn expenditure_categories(&self, partnership: &str) -> Result<Vec<Category>> {
        let stored = store::stored_categories(self.ctx.db.conn(), partnership).await?;
        Ok(domain::merge_expenditure_categories(&stored))
    }

    /// Applies a Put* call: idempotency, open-year check, records and history, in one
    /// transaction.
    async fn put_records<R: store::Stored>(
        &self,
        claims: &Claims,
        start_year: i32,
        changes: Vec<Change<R>>,
        idem: Option<&Idempotency>,
    ) -> Result<pb::PutSummary, Status> {
        let partnership = claims.partnership.as_str();
        let actor = claims.actor();
        let txn = self.ctx.db.begin_write().await.map_err(Error::from)?;
        // The key first: a concurrent request with it waits here for this one's answer.
        if let Some(stored) = idempotency::claim(idem, &*txn).await? {
            return Ok(stored);
        }
        let status = store::lock_year_for_write(&*txn, partnership, start_year, &actor).await?;
        store::ensure_open(status, start_year)?;
        let s = store::put(&*txn, partnership, start_year, &actor, changes).await?;
        let summary = pb::PutSummary {
            created: s.created,
            updated: s.updated,
            unchanged: s.unchanged,
            removed: s.removed,
        };
        idempotency::complete(idem, &*txn, &summary).await?;
        txn.commit().await.map_err(Error::from)?;
        Ok(summary)
    }
}

/// Parses the `year` field: a financial year.
fn year_field(v: &mut Violations, p: Option<&common::Period>) -> Option<Period> {
    let parsed = proto_conv::period(v, "year", p);
    domain::check_year(v, "year", parsed)
}

fn check_rows(v: &mut Violations, field: &str, n: usize) {
    if n == 0 {
        v.add(field, "must hold at least one row");
    } else if n > domain::MAX_ROWS {
        v.add(
            field,
            format!("holds {n} rows; at most {} per call", domain::MAX_ROWS),
        );
    }
}

fn period_pb(start_year: i32) -> Option<common::Period> {
    Some(proto_conv::period_to_pb(Period::year(start_year)))
}

/// A percentage with exactly two decimal places ("51.90").
fn pct(d: Option<rust_decimal::Decimal>) -> Option<common::Decimal> {
    d.map(|d| common::Decimal {
        value: format!("{:.2}", d.round_dp(2)),
    })
}

fn date_text(d: Option<chrono::NaiveDate>) -> String {
    d.map(|d| d.to_string()).unwrap_or_default()
}

fn source_pb(s: CarryForwardSource) -> i32 {
    (match s {
        CarryForwardSource::None => pb::CarryForwardSource::None,
        CarryForwardSource::PreviousYearClosed => pb::CarryForwardSource::PreviousYearClosed,
        CarryForwardSource::PreviousYearProvisional => {
            pb::CarryForwardSource::PreviousYearProvisional
        }
        CarryForwardSource::Override => pb::CarryForwardSource::Override,
    }) as i32
}

fn direction_pb(d: Direction) -> i32 {
    (match d {
        Direction::Reduction => pb::ChangeDirection::Reduction,
        Direction::Increase => pb::ChangeDirection::Increase,
    }) as i32
}

fn budget_year_pb(ledger: &Ledger, start_year: i32) -> Result<pb::BudgetYear> {
    let y = ledger.years.get(&start_year).ok_or_else(|| {
        Error::not_found(format!(
            "budget year {} does not exist",
            Period::year(start_year)
        ))
    })?;
    let t = ledger.totals(start_year);
    Ok(pb::BudgetYear {
        year: period_pb(start_year),
        status: match y.status {
            YearStatus::Open => pb::YearStatus::Open,
            YearStatus::Closed => pb::YearStatus::Closed,
        } as i32,
        carry_forward: Some(pb::CarryForward {
            amount_pence: t.carry_forward.amount_pence,
            source: source_pb(t.carry_forward.source),
            override_reason: t.carry_forward.override_reason.clone(),
            computed_pence: t.carry_forward.computed_pence,
        }),
        total_budget_pence: t.total_budget_pence,
        outturn_pence: t.outturn_pence,
        closing_balance_pence: t.closing_pence,
        closed_at: y.closed_at.clone(),
        closed_by: y.closed_by.clone(),
    })
}

fn category_pb(kind: pb::CategoryKind, c: &Category) -> pb::Category {
    pb::Category {
        kind: kind as i32,
        code: c.code.clone(),
        name: c.name.clone(),
        retired: c.retired,
    }
}

fn statement_pb(p: &Partnership, s: domain::Statement, year: pb::BudgetYear) -> pb::Statement {
    let t = &s.totals;
    pb::Statement {
        partnership: p.id.clone(),
        year: Some(year),
        contributions_total_pence: t.contributions_pence,
        carry_forward_pence: t.carry_forward.amount_pence,
        income_total_pence: t.income_pence,
        total_budget_pence: t.total_budget_pence,
        contributions: s
            .contributions
            .iter()
            .map(|r| pb::ContributionLine {
                agency_code: r.agency_code.clone(),
                agency_name: r.agency_name.clone(),
                sector: r.sector.clone(),
                statutory: r.statutory,
                recorded: r.recorded,
                pays_nothing: r.recorded && r.contribution.agreed_pence == 0,
                agreed_pence: r.contribution.agreed_pence,
                invoiced_pence: r.contribution.invoiced_pence,
                invoiced_on: date_text(r.contribution.invoiced_on),
                received_pence: r.contribution.received_pence,
                received_on: date_text(r.contribution.received_on),
                outstanding_pence: r.contribution.outstanding_pence(),
                share_of_contributions_percent: pct(r.share_of_contributions),
                share_of_total_budget_percent: pct(r.share_of_total_budget),
                note: r.contribution.note.clone(),
            })
            .collect(),
        contributions_invoiced_pence: s.contributions_invoiced_pence,
        contributions_received_pence: s.contributions_received_pence,
        contributions_outstanding_pence: s.contributions_outstanding_pence,
        income: s
            .income
            .iter()
            .map(|i| pb::IncomeLine {
                category: i.category.clone(),
                description: i.description.clone(),
                amount_pence: i.amount_pence,
            })
            .collect(),
        income_by_category: s
            .income_by_category
            .iter()
            .map(|(code, name, total)| pb::CategoryTotal {
                category: code.clone(),
                category_name: name.clone(),
                amount_pence: *total,
            })
            .collect(),
        expenditure: s
            .expenditure
            .iter()
            .map(|e| pb::ExpenditureLine {
                category: e.category.clone(),
                category_name: e.category_name.clone(),
                budget_pence: e.line.budget_pence,
                actual_pence: e.line.actual_pence,
                variance_pence: e.variance_pence,
                note: e.line.note.clone(),
            })
            .collect(),
        expenditure_budget_pence: s.expenditure_budget_pence,
        expenditure_actual_pence: s.expenditure_actual_pence,
        expenditure_variance_pence: s.expenditure_variance_pence,
        outturn_pence: t.outturn_pence,
        closing_balance_pence: t.closing_pence,
        in_deficit: t.closing_pence < 0,
        in_kind: s
            .in_kind
            .iter()
            .map(|(k, name)| pb::InKindLine {
                agency_code: k.agency_code.clone(),
                agency_name: name.clone(),
                description: k.description.clone(),
                estimated_value_pence: k.estimated_value_pence,
            })
            .collect(),
        in_kind_estimated_total_pence: s.in_kind_estimated_total_pence,
        next_year: Some(proto_conv::period_to_pb(s.next_year)),
        planned_changes: s
            .planned
            .iter()
            .map(|c| pb::PlannedChange {
                description: c.description.clone(),
                direction: direction_pb(c.direction),
                amount_pence: c.amount_pence,
                reason: c.reason.clone(),
            })
            .collect(),
        planned_net_change_pence: s.planned_net_change_pence,
        previous_year: s.previous.map(|c| pb::PreviousYearComparison {
            previous_year: Some(proto_conv::period_to_pb(c.previous_year)),
            previous_total_budget_pence: c.previous_total_budget_pence,
            total_budget_change_pence: c.total_budget_change_pence,
            total_budget_change_percent: pct(c.total_budget_change_percent),
            previous_contributions_pence: c.previous_contributions_pence,
            contributions_change_pence: c.contributions_change_pence,
            previous_income_pence: c.previous_income_pence,
            income_change_pence: c.income_change_pence,
            previous_outturn_pence: c.previous_outturn_pence,
            outturn_change_pence: c.outturn_change_pence,
        }),
    }
}

#[tonic::async_trait]
impl FinanceService for FinanceApi {
    async fn create_budget_year(
        &self,
        request: Request<pb::CreateBudgetYearRequest>,
    ) -> Result<Response<pb::BudgetYear>, Status> {
        let (claims, _p) = self.admin(&request)?;
        let req = request.into_inner();
        let mut v = Violations::new();
        let year = year_field(&mut v, req.year.as_ref());
        v.into_result()?;
        let Some(year) = year else {
            return Err(Error::invalid("year", "is required").into());
        };
        let start = year.financial_year_start();
        let txn = self.ctx.db.begin_write().await.map_err(Error::from)?;
        store::create_year(&*txn, &claims.partnership, start, &claims.actor()).await?;
        let ledger = store::ledger(&*txn, &claims.partnership).await?;
        txn.commit().await.map_err(Error::from)?;
        Ok(Response::new(budget_year_pb(&ledger, start)?))
    }

    async fn list_budget_years(
        &self,
        request: Request<pb::ListBudgetYearsRequest>,
    ) -> Result<Response<pb::ListBudgetYearsResponse>, Status> {
        let (claims, _p) = self.reader(&request)?;
        let ledger = store::ledger(self.ctx.db.conn(), &claims.partnership).await?;
        let years = ledger
            .years
            .keys()
            .map(|y| budget_year_pb(&ledger, *y))
            .collect::<Result<Vec<_>>>()?;
        Ok(Response::new(pb::ListBudgetYearsResponse { years }))
    }

    async fn put_contributions(
        &self,
        request: Request<pb::PutContributionsRequest>,
    ) -> Result<Response<pb::PutContributionsResponse>, Status> {
        let (claims, p) = self.admin(&request)?;
        let mut req = request.into_inner();
        let idem = Idempotency::of(&claims.partnership, "PutContributions", &mut req, |r| {
            &mut r.idempotency_key
        })?;
        let mut v = Violations::new();
        let year = year_field(&mut v, req.year.as_ref());
        check_rows(&mut v, "contributions", req.contributions.len());
        let mut changes = Vec::new();
        for (i, c) in req.contributions.iter().enumerate() {
            let f = |name: &str| format!("contributions[{i}].{name}");
            check_agency(&mut v, &f("agency_code"), &p, year, &c.agency_code);
            let row = Contribution {
                agency_code: c.agency_code.trim().to_string(),
                agreed_pence: check_amount(&mut v, &f("agreed_pence"), c.agreed_pence),
                invoiced_pence: check_amount(&mut v, &f("invoiced_pence"), c.invoiced_pence),
                invoiced_on: check_date(&mut v, &f("invoiced_on"), &c.invoiced_on),
                received_pence: check_amount(&mut v, &f("received_pence"), c.received_pence),
                received_on: check_date(&mut v, &f("received_on"), &c.received_on),
                note: check_text(&mut v, &f("note"), &c.note, false),
            };
            changes.push((f("agency_code"), Change::Upsert(row)));
        }
        domain::check_unique_keys(&mut v, &changes, "agency");
        v.into_result()?;
        let Some(year) = year else {
            return Err(Error::invalid("year", "is required").into());
        };
        let changes = changes.into_iter().map(|(_, c)| c).collect();
        let s = self
            .put_records(&claims, year.financial_year_start(), changes, idem.as_ref())
            .await?;
        Ok(Response::new(pb::PutContributionsResponse {
            summary: Some(s),
        }))
    }

    async fn put_income(
        &self,
        request: Request<pb::PutIncomeRequest>,
    ) -> Result<Response<pb::PutIncomeResponse>, Status> {
        let (claims, _p) = self.admin(&request)?;
        let mut req = request.into_inner();
        let idem = Idempotency::of(&claims.partnership, "PutIncome", &mut req, |r| {
            &mut r.idempotency_key
        })?;
        let mut v = Violations::new();
        let year = year_field(&mut v, req.year.as_ref());
        check_rows(&mut v, "lines", req.lines.len());
        let cats = domain::income_categories();
        let mut changes = Vec::new();
        for (i, l) in req.lines.iter().enumerate() {
            let f = |name: &str| format!("lines[{i}].{name}");
            let category = l.category.trim().to_string();
            domain::check_category(&mut v, &f("category"), &cats, &category, true);
            let description = check_text(&mut v, &f("description"), &l.description, true);
            let change = if l.remove {
                Change::Remove(domain::income_key(&category, &description))
            } else {
                Change::Upsert(Income {
                    category,
                    description,
                    amount_pence: check_amount(&mut v, &f("amount_pence"), l.amount_pence),
                })
            };
            changes.push((f("description"), change));
        }
        domain::check_unique_keys(&mut v, &changes, "income line");
        v.into_result()?;
        let Some(year) = year else {
            return Err(Error::invalid("year", "is required").into());
        };
        let changes = changes.into_iter().map(|(_, c)| c).collect();
        let s = self
            .put_records(&claims, year.financial_year_start(), changes, idem.as_ref())
            .await?;
        Ok(Response::new(pb::PutIncomeResponse { summary: Some(s) }))
    }

    async fn put_expenditure(
        &self,
        request: Request<pb::PutExpenditureRequest>,
    ) -> Result<Response<pb::PutExpenditureResponse>, Status> {
        let (claims, _p) = self.admin(&request)?;
        let cats = self.expenditure_categories(&claims.partnership).await?;
        let mut req = request.into_inner();
        let idem = Idempotency::of(&claims.partnership, "PutExpenditure", &mut req, |r| {
            &mut r.idempotency_key
        })?;
        let mut v = Violations::new();
        let year = year_field(&mut v, req.year.as_ref());
        check_rows(&mut v, "lines", req.lines.len());
        let mut changes = Vec::new();
        for (i, l) in req.lines.iter().enumerate() {
            let f = |name: &str| format!("lines[{i}].{name}");
            let category = l.category.trim().to_string();
            domain::check_category(&mut v, &f("category"), &cats, &category, true);
            let row = Expenditure {
                category,
                budget_pence: check_amount(&mut v, &f("budget_pence"), l.budget_pence),
                actual_pence: check_amount(&mut v, &f("actual_pence"), l.actual_pence),
                note: check_text(&mut v, &f("note"), &l.note, false),
            };
            changes.push((f("category"), Change::Upsert(row)));
        }
        domain::check_unique_keys(&mut v, &changes, "category");
        v.into_result()?;
        let Some(year) = year else {
            return Err(Error::invalid("year", "is required").into());
        };
        let changes = changes.into_iter().map(|(_, c)| c).collect();
        let s = self
            .put_records(&claims, year.financial_year_start(), changes, idem.as_ref())
            .await?;
        Ok(Response::new(pb::PutExpenditureResponse {
            summary: Some(s),
        }))
    }

    async fn put_in_kind(
        &self,
        request: Request<pb::PutInKindRequest>,
    ) -> Result<Response<pb::PutInKindResponse>, Status> {
        let (claims, p) = self.admin(&request)?;
        let mut req = request.into_inner();
        let idem = Idempotency::of(&claims.partnership, "PutInKind", &mut req, |r| {
            &mut r.idempotency_key
        })?;
        let mut v = Violations::new();
        let year = year_field(&mut v, req.year.as_ref());
        check_rows(&mut v, "items", req.items.len());
        let mut changes = Vec::new();
        for (i, k) in req.items.iter().enumerate() {
            let f = |name: &str| format!("items[{i}].{name}");
            check_agency(&mut v, &f("agency_code"), &p, year, &k.agency_code);
            let agency = k.agency_code.trim().to_string();
            let description = check_text(&mut v, &f("description"), &k.description, true);
            let change = if k.remove {
                Change::Remove(domain::in_kind_key(&agency, &description))
            } else {
                Change::Upsert(InKind {
                    agency_code: agency,
                    description,
                    estimated_value_pence: k
                        .estimated_value_pence
                        .map(|e| check_amount(&mut v, &f("estimated_value_pence"), e)),
                })
            };
            changes.push((f("description"), change));
        }
        domain::check_unique_keys(&mut v, &changes, "contribution in kind");
        v.into_result()?;
        let Some(year) = year else {
            return Err(Error::invalid("year", "is required").into());
        };
        let changes = changes.into_iter().map(|(_, c)| c).collect();
        let s = self
            .put_records(&claims, year.financial_year_start(), changes, idem.as_ref())
            .await?;
        Ok(Response::new(pb::PutInKindResponse { summary: Some(s) }))
    }

    async fn put_planned_changes(
        &self,
        request: Request<pb::PutPlannedChangesRequest>,
    ) -> Result<Response<pb::PutPlannedChangesResponse>, Status> {
        let (claims, _p) = self.admin(&request)?;
        let mut req = request.into_inner();
        let idem = Idempotency::of(&claims.partnership, "PutPlannedChanges", &mut req, |r| {
            &mut r.idempotency_key
        })?;
        let mut v = Violations::new();
        let year = year_field(&mut v, req.year.as_ref());
        check_rows(&mut v, "changes", req.changes.len());
        let mut changes = Vec::new();
        for (i, c) in req.changes.iter().enumerate() {
            let f = |name: &str| format!("changes[{i}].{name}");
            let description = check_text(&mut v, &f("description"), &c.description, true);
            let change = if c.remove {
                Change::Remove(description)
            } else {
                let direction = match pb::ChangeDirection::try_from(c.direction) {
                    Ok(pb::ChangeDirection::Reduction) => Some(Direction::Reduction),
                    Ok(pb::ChangeDirection::Increase) => Some(Direction::Increase),
                    _ => {
                        v.add(
                            f("direction"),
                            "is required: CHANGE_DIRECTION_REDUCTION or CHANGE_DIRECTION_INCREASE",
                        );
                        None
                    }
                };
                Change::Upsert(PlannedChange {
                    description,
                    direction: direction.unwrap_or(Direction::Reduction),
                    amount_pence: check_amount(&mut v, &f("amount_pence"), c.amount_pence),
                    reason: check_text(&mut v, &f("reason"), &c.reason, true),
                })
            };
            changes.push((f("description"), change));
        }
        domain::check_unique_keys(&mut v, &changes, "planned change");
        v.into_result()?;
        let Some(year) = year else {
            return Err(Error::invalid("year", "is required").into());
        };
        let changes = changes.into_iter().map(|(_, c)| c).collect();
        let s = self
            .put_records(&claims, year.financial_year_start(), changes, idem.as_ref())
            .await?;
        Ok(Response::new(pb::PutPlannedChangesResponse {
            summary: Some(s),
        }))
    }

    async fn set_carry_forward(
        &self,
        request: Request<pb::SetCarryForwardRequest>,
    ) -> Result<Response<pb::BudgetYear>, Status> {
        let (claims, _p) = self.admin(&request)?;
        let req = request.into_inner();
        let mut v = Violations::new();
        let year = year_field(&mut v, req.year.as_ref());
        if let Some(o) = req.override_pence {
            // A carry forward may be negative (a deficit brought forward), but not beyond
            // the accepted range.
            if o.unsigned_abs() > domain::MAX_AMOUNT_PENCE as u64 {
                v.add(
                    "override_pence",
                    format!(
                        "{o} pence is outside the accepted range (±{} pence, £1bn): it would overflow the budget's sums",
                        domain::MAX_AMOUNT_PENCE
                    ),
                );
            }
        }
        let reason = if req.reason.trim().is_empty() {
            v.add(
                "reason",
                "is required: a carry forward is computed from the previous year's closing balance, and overriding it (or clearing an override) must say why",
            );
            String::new()
        } else {
            check_text(&mut v, "reason", &req.reason, true)
        };
        v.into_result()?;
        let Some(year) = year else {
            return Err(Error::invalid("year", "is required").into());
        };
        let start = year.financial_year_start();
        let txn = self.ctx.db.begin_write().await.map_err(Error::from)?;
        store::set_carry_forward(
            &*txn,
            &claims.partnership,
            start,
            req.override_pence,
            &reason,
            &claims.actor(),
        )
        .await?;
        let ledger = store::ledger(&*txn, &claims.partnership).await?;
        txn.commit().await.map_err(Error::from)?;
        Ok(Response::new(budget_year_pb(&ledger, start)?))
    }

    async fn close_year(
        &self,
        request: Request<pb::CloseYearRequest>,
    ) -> Result<Response<pb::BudgetYear>, Status> {
        let (claims, _p) = self.admin(&request)?;
        let req = request.into_inner();
        let mut v = Violations::new();
        let year = year_field(&mut v, req.year.as_ref());
        v.into_result()?;
        let Some(year) = year else {
            return Err(Error::invalid("year", "is required").into());
        };
        let start = year.financial_year_start();
        let txn = self.ctx.db.begin_write().await.map_err(Error::from)?;
        let ledger = store::ledger(&*txn, &claims.partnership).await?;
        if !ledger.years.contains_key(&start) {
            return Err(Error::not_found(format!("budget year {year} does not exist")).into());
        }
        if let Some(why) = ledger.close_blocker(start) {
            let kind = if why.contains("already closed") {
                "YEAR_CLOSED"
            } else {
                "PREVIOUS_YEAR_OPEN"
            };
            return Err(Error::precondition(kind, year.to_string(), why).into());
        }
        let snapshot = ledger.close_snapshot(start);
        store::close_year(
            &*txn,
            &claims.partnership,
            start,
            &snapshot,
            &claims.actor(),
        )
        .await?;
        let ledger = store::ledger(&*txn, &claims.partnership).await?;
        txn.commit().await.map_err(Error::from)?;
        Ok(Response::new(budget_year_pb(&ledger, start)?))
    }

    async fn reopen_year(
        &self,
        request: Request<pb::ReopenYearRequest>,
    ) -> Result<Response<pb::BudgetYear>, Status> {
        let (claims, _p) = self.admin(&request)?;
        let req = request.into_inner();
        let mut v = Violations::new();
        let year = year_field(&mut v, req.year.as_ref());
        let reason = check_text(&mut v, "reason", &req.reason, true);
        v.into_result()?;
        let Some(year) = year else {
            return Err(Error::invalid("year", "is required").into());
        };
        let start = year.financial_year_start();
        let txn = self.ctx.db.begin_write().await.map_err(Error::from)?;
        let ledger = store::ledger(&*txn, &claims.partnership).await?;
        if !ledger.years.contains_key(&start) {
            return Err(Error::not_found(format!("budget year {year} does not exist")).into());
        }
        if let Some(why) = ledger.reopen_blocker(start) {
            let kind = if why.contains("not closed") {
                "YEAR_OPEN"
            } else {
                "NEXT_YEAR_CLOSED"
            };
            return Err(Error::precondition(kind, year.to_string(), why).into());
        }
        store::reopen_year(&*txn, &claims.partnership, start, &reason, &claims.actor()).await?;
        let ledger = store::ledger(&*txn, &claims.partnership).await?;
        txn.commit().await.map_err(Error::from)?;
        Ok(Response::new(budget_year_pb(&ledger, start)?))
    }

    async fn get_statement(
        &self,
        request: Request<pb::GetStatementRequest>,
    ) -> Result<Response<pb::Statement>, Status> {
        let (claims, p) = self.reader(&request)?;
        let req = request.into_inner();
        let mut v = Violations::new();
        let year = year_field(&mut v, req.year.as_ref());
        v.into_result()?;
        let Some(year) = year else {
            return Err(Error::invalid("year", "is required").into());
        };
        let start = year.financial_year_start();
        let cats = self.expenditure_categories(&claims.partnership).await?;
        let ledger = store::ledger(self.ctx.db.conn(), &claims.partnership).await?;
        let by = budget_year_pb(&ledger, start)?;
        let s = domain::statement(&ledger, &p, &cats, start)
            .ok_or_else(|| Error::not_found(format!("budget year {year} does not exist")))?;
        Ok(Response::new(statement_pb(&p, s, by)))
    }

    async fn list_history(
        &self,
        request: Request<pb::ListHistoryRequest>,
    ) -> Result<Response<pb::ListHistoryResponse>, Status> {
        let (claims, _p) = self.reader(&request)?;
        let req = request.into_inner();
        let mut v = Violations::new();
        let year = match &req.year {
            Some(p) if !p.code.trim().is_empty() => {
                let parsed = proto_conv::period_code(&mut v, "year", &p.code);
                domain::check_year(&mut v, "year", parsed)
            }
            _ => None,
        };
        let entity = req.entity.trim();
        const ENTITIES: [&str; 7] = [
            "year",
            "contribution",
            "income",
            "expenditure",
            "in_kind",
            "planned_change",
            "category",
        ];
        if !entity.is_empty() && !ENTITIES.contains(&entity) {
            v.add(
                "entity",
                format!(
                    "unknown entity '{entity}': expected one of {}",
                    ENTITIES.join(", ")
                ),
            );
        }
        let (offset, limit) = proto_conv::page(&mut v, "page", req.page.as_ref());
        v.into_result()?;
        let (rows, total) = store::history(
            self.ctx.db.conn(),
            &claims.partnership,
            year.map(|y| y.financial_year_start()),
            (!entity.is_empty()).then_some(entity),
            offset,
            limit,
        )
        .await?;
        let n = rows.len();
        Ok(Response::new(pb::ListHistoryResponse {
            entries: rows
                .into_iter()
                .map(|h| pb::HistoryEntry {
                    at: h.at,
                    actor: h.actor,
                    year: h.start_year.and_then(period_pb),
                    entity: h.entity,
                    key: h.key,
                    field: h.field,
                    old_value: h.old,
                    new_value: h.new,
                    reason: h.reason,
                })
                .collect(),
            page: Some(proto_conv::page_response(offset, n, total)),
        }))
    }

    async fn list_categories(
        &self,
        request: Request<pb::ListCategoriesRequest>,
    ) -> Result<Response<pb::ListCategoriesResponse>, Status> {
        let (claims, _p) = self.reader(&request)?;
        let cats = self.expenditure_categories(&claims.partnership).await?;
        Ok(Response::new(pb::ListCategoriesResponse {
            income: domain::income_categories()
                .iter()
                .map(|c| category_pb(pb::CategoryKind::Income, c))
                .collect(),
            expenditure: cats
                .iter()
                .map(|c| category_pb(pb::CategoryKind::Expenditure, c))
                .collect(),
        }))
    }

    async fn put_expenditure_category(
        &self,
        request: Request<pb::PutExpenditureCategoryRequest>,
    ) -> Result<Response<pb::Category>, Status> {
        let (claims, _p) = self.admin(&request)?;
        let req = request.into_inner();
        let mut v = Violations::new();
        let code = domain::check_category_code(&mut v, "code", &req.code);
        let name = check_text(&mut v, "name", &req.name, true);
        v.into_result()?;
        let cat = Category {
            code,
            name,
            retired: req.retired,
        };
        let txn = self.ctx.db.begin_write().await.map_err(Error::from)?;
        let stored = store::stored_categories(&*txn, &claims.partnership).await?;
        let merged = domain::merge_expenditure_categories(&stored);
        let old = merged.iter().find(|c| c.code == cat.code);
        store::put_category(&*txn, &claims.partnership, &cat, old, &claims.actor()).await?;
        txn.commit().await.map_err(Error::from)?;
        Ok(Response::new(category_pb(
            pb::CategoryKind::Expenditure,
            &cat,
        )))
    }
}
