//! `lscb.report.v1.AnalysisService`: the only analysis module that knows proto types.
//! Requests become domain values (every bad field named), the store and the pure analysis
//! do the rest.

use chrono::{NaiveDate, Utc};
use lscb_platform::idempotency::{self, Idempotency};
use lscb_platform::{Error, ServiceContext, Violations, caller, proto_conv};
use lscb_proto::report::v1 as pb;
use lscb_proto::report::v1::analysis_service_server::AnalysisService;
use tonic::{Request, Response, Status};

use super::domain::*;
use super::facts::{Facts, SourceRef};
use super::narrative;
use super::rules::{DEFAULT_RULES_TOML, QuestionKey, Rules};
use super::store::Store;

/// The analysis API.
#[derive(Debug, Clone)]
pub struct AnalysisApi {
    ctx: ServiceContext,
    /// The report assembly, for checking the stored narrative against the stored data.
    reports: Option<std::sync::Arc<crate::report::grpc::ReportApi>>,
    store: Store,
    rules: Rules,
    rules_toml: String,
}

impl AnalysisApi {
    /// The API judging with `rules` (the shipped defaults unless a deployment loads its own).
    pub fn new(ctx: ServiceContext, rules: Rules) -> Self {
        let rules_toml = if rules == Rules::default_rules() {
            DEFAULT_RULES_TOML.to_string()
        } else {
            toml::to_string(&rules).unwrap_or_default()
        };
        Self {
            store: Store::new(ctx.db.clone()),
            ctx,
            reports: None,
            rules,
            rules_toml,
        }
    }

    /// The API also checking stored narrative: `reports` assembles a year from the services.
    pub fn with_reports(mut self, reports: crate::report::grpc::ReportApi) -> Self {
        self.reports = Some(std::sync::Arc::new(reports));
        self
    }

    /// Runs `write` in one write transaction behind the request's idempotency key (claimed
    /// first): a replay gets the first answer, and nothing is stored twice.
    async fn keyed<T: prost::Message + Default>(
        &self,
        idem: Option<&Idempotency>,
        write: impl AsyncFnOnce(&sea_orm::DatabaseTransaction) -> Result<T, Error>,
    ) -> Result<Response<T>, Status> {
        let txn = self.ctx.db.begin_write().await.map_err(Error::from)?;
        if let Some(r) = idempotency::claim(idem, &*txn).await? {
            return Ok(Response::new(r));
        }
        let answer = write(&txn).await?;
        idempotency::complete(idem, &*txn, &answer).await?;
        txn.commit().await.map_err(Error::from)?;
        Ok(Response::new(answer))
    }
}

fn source_pb(s: &SourceRef) -> pb::SourceRef {
    pb::SourceRef {
        service: s.service.clone(),
        record: s.record.clone(),
        period: s.period.clone(),
    }
}

fn evidence_pb(e: &Evidence) -> pb::Evidence {
    pb::Evidence {
        id: e.id.clone(),
        question: e.question.as_str().into(),
        rule: e.rule.clone(),
        stance: match e.stance {
            Stance::For => "for".into(),
            Stance::Against => "against".into(),
        },
        reason: e.reason.clone(),
        weight: e.weight,
        yardstick: e.yardstick.as_str().into(),
        source: Some(source_pb(&e.source)),
    }
}

fn override_pb(id: i64, o: &Override) -> pb::JudgementOverride {
    pb::JudgementOverride {
        id,
        year: o.year.clone(),
        question: o.question.map(|q| q.as_str()).unwrap_or("overall").into(),
        judgement: o.judgement.as_str().into(),
        rationale: o.rationale.clone(),
        author: o.author.clone(),
        decided_on: o.decided_on.to_string(),
    }
}

fn challenge_pb(c: &Challenge) -> pb::Challenge {
    pb::Challenge {
        id: c.id,
        year: c.year.clone(),
        number: c.number,
        text: c.text.clone(),
        evidence_ids: c.evidence_ids.clone(),
        author: c.author.clone(),
        progress: c
            .progress
            .iter()
            .map(|p| pb::ChallengeProgress {
                year: p.year.clone(),
                status: p.status.as_str().into(),
                note: p.note.clone(),
                author: p.author.clone(),
                recorded_on: p.recorded_on.to_string(),
            })
            .collect(),
    }
}

fn target_pb(t: &PledgeTarget) -> pb::PledgeTarget {
    let (expectation, target) = match &t.expectation {
        Expectation::Increase => ("increase", None),
        Expectation::Decrease => ("decrease", None),
        Expectation::AtLeast(d) => ("at_least", Some(proto_conv::decimal_to_pb(*d))),
        Expectation::AtMost(d) => ("at_most", Some(proto_conv::decimal_to_pb(*d))),
    };
    pb::PledgeTarget {
        indicator_code: t.indicator.clone(),
        expectation: expectation.into(),
        target,
    }
}

fn pledge_pb(p: &Pledge) -> pb::Pledge {
    pb::Pledge {
        id: p.id,
        plan_year: p.plan_year.clone(),
        priority: p.priority.clone(),
        number: p.number,
        text: p.text.clone(),
        targets: p.targets.iter().map(target_pb).collect(),
        author: p.author.clone(),
    }
}

/// Part 4 as the proto message.
pub fn analysis_pb(p: &Part4) -> pb::Analysis {
    pb::Analysis {
        year: p.year.clone(),
        rules_version: p.rules_version.clone(),
        answers: p
            .answers
            .iter()
            .map(|a| pb::Answer {
                question: a.question.as_str().into(),
                title: a.title.clone(),
                derived: a.derived.as_str().into(),
                judgement: a.judgement.as_str().into(),
                board_override: a.override_.as_ref().map(|o| override_pb(0, o)),
                weight_for: a.weight_for,
                weight_against: a.weight_against,
                summary: a.summary.clone(),
                evidence: a.evidence.iter().map(evidence_pb).collect(),
            })
            .collect(),
        overall_derived: p.overall_derived.as_str().into(),
        overall_override: p.overall_override.as_ref().map(|o| override_pb(0, o)),
        overall: p.overall.as_str().into(),
        statement: p.statement.clone(),
        evidence: p.evidence.iter().map(evidence_pb).collect(),
        challenges: p.challenges.iter().map(challenge_pb).collect(),
        challenge_reviews: p
            .challenge_reviews
            .iter()
            .map(|r| pb::ChallengeReview {
                challenge: Some(challenge_pb(&r.challenge)),
                evidence_now: r
                    .evidence_now
                    .iter()
                    .map(|(id, still)| pb::EvidenceStatus {
                        evidence_id: id.clone(),
                        still_against: *still,
                    })
                    .collect(),
                summary: r.summary.clone(),
            })
            .collect(),
        pledges_evaluated: p
            .pledges_evaluated
            .iter()
            .map(|e| pb::PledgeEvaluation {
                pledge: Some(pledge_pb(&e.pledge)),
                outcome: e.outcome.as_str().into(),
                why: e.why.clone(),
                targets: e
                    .targets
                    .iter()
                    .map(|t| pb::TargetOutcome {
                        target: Some(target_pb(&t.target)),
                        outcome: t.outcome.as_str().into(),
                        why: t.why.clone(),
                        source: t.source.as_ref().map(source_pb),
                    })
                    .collect(),
            })
            .collect(),
        next_pledges: p.next_pledges.iter().map(pledge_pb).collect(),
    }
}

fn year(
    v: &mut Violations,
    field: &str,
    p: Option<&lscb_proto::common::v1::Period>,
) -> Option<String> {
    let period = proto_conv::period(v, field, p)?;
    if period != period.financial_year() {
        v.add(
            field,
            format!("must be a financial year such as \"2015-16\", not '{period}'"),
        );
        return None;
    }
    Some(period.to_string())
}

fn facts(v: &mut Violations, field: &str, json: &str, year: Option<&str>) -> Facts {
    if json.trim().is_empty() {
        return Facts {
            year: year.unwrap_or_default().to_string(),
            ..Default::default()
        };
    }
    match serde_json::from_str::<Facts>(json) {
        Ok(mut f) => {
            if let Some(y) = year {
                if !f.year.is_empty() && f.year != y {
                    v.add(
                        field,
                        format!("facts are for {} but the request is for {y}", f.year),
                    );
                }
                f.year = y.to_string();
            }
            f
        }
        Err(e) => {
            v.add(field, format!("is not analysis facts JSON: {e}"));
            Facts::default()
        }
    }
}

fn date_or_today(v: &mut Violations, field: &str, s: &str) -> NaiveDate {
    if s.trim().is_empty() {
        return Utc::now().date_naive();
    }
    v.check(field, lscb_platform::fields::parse_date(s.trim()))
        .unwrap_or_default()
}

fn targets(v: &mut Violations, ts: &[pb::PledgeTarget]) -> Vec<PledgeTarget> {
    let mut out = vec![];
    for (i, t) in ts.iter().enumerate() {
        let f = |x: &str| format!("targets[{i}].{x}");
        if t.indicator_code.trim().is_empty() {
            v.add(f("indicator_code"), "is required");
        }
        let exp = match t.expectation.as_str() {
            "increase" => Some(Expectation::Increase),
            "decrease" => Some(Expectation::Decrease),
            "at_least" | "at_most" => {
                let d = proto_conv::decimal(v, &f("target"), t.target.as_ref());
                d.map(|d| {
                    if t.expectation == "at_least" {
                        Expectation::AtLeast(d)
                    } else {
                        Expectation::AtMost(d)
                    }
                })
            }
            other => {
                v.add(
                    f("expectation"),
                    format!("'{other}' is not one of increase, decrease, at_least, at_most"),
                );
                None
            }
        };
        if let Some(expectation) = exp {
            out.push(PledgeTarget {
                indicator: t.indicator_code.trim().to_string(),
                expectation,
            });
        }
    }
    out
}

#[tonic::async_trait]
impl AnalysisService for AnalysisApi {
    async fn get_analysis(
        &self,
        request: Request<pb::GetAnalysisRequest>,
    ) -> Result<Response<pb::Analysis>, Status> {
        let claims = caller(&request)?;
        let p = self.ctx.partnership(&claims)?;
        let req = request.into_inner();
        let mut v = Violations::new();
        let y = year(&mut v, "year", req.year.as_ref());
        let facts = facts(&mut v, "facts_json", &req.facts_json, y.as_deref());
        v.into_result()?;
        let period = facts
            .year
            .parse::<lscb_platform::Period>()
            .map_err(|e| Error::invalid("year", e.to_string()))?;
        let authored = self.store.authored(&p.id, period).await?;
        let part = analyse_facts(&facts, &self.rules, &authored);
        Ok(Response::new(analysis_pb(&part)))
    }

    async fn get_rules(
        &self,
        request: Request<pb::GetRulesRequest>,
    ) -> Result<Response<pb::GetRulesResponse>, Status> {
        let claims = caller(&request)?;
        self.ctx.partnership(&claims)?;
        Ok(Response::new(pb::GetRulesResponse {
            version: self.rules.version.clone(),
            toml: self.rules_toml.clone(),
        }))
    }

    async fn set_override(
        &self,
        request: Request<pb::SetOverrideRequest>,
    ) -> Result<Response<pb::JudgementOverride>, Status> {
        let claims = caller(&request)?;
        let p = self.ctx.partnership(&claims)?;
        claims.require_admin()?;
        let mut req = request.into_inner();
        let idem = Idempotency::of(&p.id, "SetOverride", &mut req, |r| &mut r.idempotency_key)?;
        let mut v = Violations::new();
        let y = year(&mut v, "year", req.year.as_ref());
        let question = match req.question.as_str() {
            "overall" => Some(None),
            q => match QuestionKey::parse(q) {
                Some(k) => Some(Some(k)),
                None => {
                    v.add(
                        "question",
                        format!(
                            "'{q}' is not one of {}, overall",
                            QuestionKey::ALL.map(|k| k.as_str()).join(", ")
                        ),
                    );
                    None
                }
            },
        };
        let judgement = Judgement::parse(&req.judgement);
        if judgement.is_none() {
            v.add(
                "judgement",
                format!(
                    "'{}' is not one of {}",
                    req.judgement,
                    Judgement::ALL.map(|j| j.as_str()).join(", ")
                ),
            );
        }
        v.ensure(
            !req.rationale.trim().is_empty(),
            "rationale",
            "is required: the board may override a judgement only with a recorded rationale",
        );
        let decided_on = date_or_today(&mut v, "decided_on", &req.decided_on);
        v.into_result()?;
        let (Some(y), Some(question), Some(judgement)) = (y, question, judgement) else {
            return Err(Error::invalid("question", "is required").into());
        };
        let o = Override {
            year: y,
            question,
            judgement,
            rationale: req.rationale.trim().to_string(),
            author: claims.sub.clone(),
            decided_on,
        };
        self.keyed(idem.as_ref(), async |txn| {
            let (id, o) = self.store.insert_override(txn, &p.id, &o).await?;
            Ok(override_pb(id, &o))
        })
        .await
    }

    async fn list_overrides(
        &self,
        request: Request<pb::ListOverridesRequest>,
    ) -> Result<Response<pb::ListOverridesResponse>, Status> {
        let claims = caller(&request)?;
        let p = self.ctx.partnership(&claims)?;
        let mut v = Violations::new();
        let y = year(&mut v, "year", request.get_ref().year.as_ref());
        v.into_result()?;
        let list = self.store.overrides(&p.id, &y.unwrap_or_default()).await?;
        Ok(Response::new(pb::ListOverridesResponse {
            overrides: list.iter().map(|(id, o)| override_pb(*id, o)).collect(),
        }))
    }

    async fn add_challenge(
        &self,
        request: Request<pb::AddChallengeRequest>,
    ) -> Result<Response<pb::Challenge>, Status> {
        let claims = caller(&request)?;
        let p = self.ctx.partnership(&claims)?;
        claims.require_admin()?;
        let mut req = request.into_inner();
        let idem = Idempotency::of(&p.id, "AddChallenge", &mut req, |r| &mut r.idempotency_key)?;
        let mut v = Violations::new();
        let y = year(&mut v, "year", req.year.as_ref());
        v.ensure(!req.text.trim().is_empty(), "text", "is required");
        for (i, id) in req.evidence_ids.iter().enumerate() {
            v.ensure(
                id.contains(':') && id.contains('/'),
                format!("evidence_ids[{i}]"),
                format!("'{id}' is not an evidence id (rule:service/record, as GetAnalysis gives)"),
            );
        }
        v.into_result()?;
        self.keyed(idem.as_ref(), async |txn| {
            let c = self
                .store
                .insert_challenge(
                    txn,
                    &p.id,
                    &y.unwrap_or_default(),
                    req.number,
                    req.text.trim(),
                    &req.evidence_ids,
                    &claims.sub,
                )
                .await?;
            Ok(challenge_pb(&c))
        })
        .await
    }

    async fn record_challenge_progress(
        &self,
        request: Request<pb::RecordChallengeProgressRequest>,
    ) -> Result<Response<pb::Challenge>, Status> {
        let claims = caller(&request)?;
        let p = self.ctx.partnership(&claims)?;
        claims.require_admin()?;
        let mut req = request.into_inner();
        let idem = Idempotency::of(&p.id, "RecordChallengeProgress", &mut req, |r| {
            &mut r.idempotency_key
        })?;
        let mut v = Violations::new();
        v.ensure(req.challenge_id > 0, "challenge_id", "is required");
        let y = year(&mut v, "year", req.year.as_ref());
        let status = ChallengeStatus::parse(&req.status);
        if status.is_none() {
            v.add(
                "status",
                format!(
                    "'{}' is not one of {}",
                    req.status,
                    ChallengeStatus::ALL.map(|s| s.as_str()).join(", ")
                ),
            );
        }
        v.ensure(
            !req.note.trim().is_empty(),
            "note",
            "is required: say what changed",
        );
        let recorded_on = date_or_today(&mut v, "recorded_on", &req.recorded_on);
        v.into_result()?;
        let (Some(y), Some(status)) = (y, status) else {
            return Err(Error::invalid("status", "is required").into());
        };
        let progress = ChallengeProgress {
            year: y,
            status,
            note: req.note.trim().to_string(),
            author: claims.sub.clone(),
            recorded_on,
        };
        self.keyed(idem.as_ref(), async |txn| {
            let c = self
                .store
                .insert_progress(txn, &p.id, req.challenge_id, &progress)
                .await?;
            Ok(challenge_pb(&c))
        })
        .await
    }

    async fn list_challenges(
        &self,
        request: Request<pb::ListChallengesRequest>,
    ) -> Result<Response<pb::ListChallengesResponse>, Status> {
        let claims = caller(&request)?;
        let p = self.ctx.partnership(&claims)?;
        let mut v = Violations::new();
        let y = year(&mut v, "year", request.get_ref().year.as_ref());
        v.into_result()?;
        let list = self.store.challenges(&p.id, &y.unwrap_or_default()).await?;
        Ok(Response::new(pb::ListChallengesResponse {
            challenges: list.iter().map(challenge_pb).collect(),
        }))
    }

    async fn add_pledge(
        &self,
        request: Request<pb::AddPledgeRequest>,
    ) -> Result<Response<pb::Pledge>, Status> {
        let claims = caller(&request)?;
        let p = self.ctx.partnership(&claims)?;
        claims.require_admin()?;
        let mut req = request.into_inner();
        let idem = Idempotency::of(&p.id, "AddPledge", &mut req, |r| &mut r.idempotency_key)?;
        let mut v = Violations::new();
        let y = year(&mut v, "plan_year", req.plan_year.as_ref());
        v.ensure(!req.priority.trim().is_empty(), "priority", "is required");
        v.ensure(!req.text.trim().is_empty(), "text", "is required");
        let ts = targets(&mut v, &req.targets);
        v.into_result()?;
        let pledge = Pledge {
            id: 0,
            plan_year: y.unwrap_or_default(),
            priority: req.priority.trim().to_string(),
            number: req.number,
            text: req.text.trim().to_string(),
            targets: ts,
            author: claims.sub.clone(),
        };
        self.keyed(idem.as_ref(), async |txn| {
            let stored = self.store.insert_pledge(txn, &p.id, &pledge).await?;
            Ok(pledge_pb(&stored))
        })
        .await
    }

    async fn list_pledges(
        &self,
        request: Request<pb::ListPledgesRequest>,
    ) -> Result<Response<pb::ListPledgesResponse>, Status> {
        let claims = caller(&request)?;
        let p = self.ctx.partnership(&claims)?;
        let mut v = Violations::new();
        let y = year(&mut v, "plan_year", request.get_ref().plan_year.as_ref());
        v.into_result()?;
        let list = self.store.pledges(&p.id, &y.unwrap_or_default()).await?;
        Ok(Response::new(pb::ListPledgesResponse {
            pledges: list.iter().map(pledge_pb).collect(),
        }))
    }

    async fn check_narrative(
        &self,
        request: Request<pb::CheckNarrativeRequest>,
    ) -> Result<Response<pb::CheckNarrativeResponse>, Status> {
        let claims = caller(&request)?;
        self.ctx.partnership(&claims)?;
        let stored_mode = request.get_ref().sections.is_empty()
            && request.get_ref().facts_json.trim().is_empty()
            && request.get_ref().year.is_some();
        let found = if stored_mode {
            self.check_stored(&claims, &request).await?
        } else {
            let req = request.into_inner();
            let mut v = Violations::new();
            v.ensure(
                !req.sections.is_empty(),
                "sections",
                "is required (or leave sections and facts_json empty and set year to check the stored narrative)",
            );
            v.ensure(
                !req.facts_json.trim().is_empty(),
                "facts_json",
                "is required: the figures to check the text against",
            );
            let facts = facts(&mut v, "facts_json", &req.facts_json, None);
            v.into_result()?;
            let sections: Vec<narrative::Section> = req
                .sections
                .into_iter()
                .map(|s| narrative::Section {
                    title: s.title,
                    markdown: s.markdown,
                    placeholders: vec![],
                })
                .collect();
            narrative::check_narrative(
                &sections,
                &narrative::known_figures(&facts),
                self.rules.narrative_tolerance(),
            )
        };
        Ok(Response::new(checks_pb(&found)))
    }
}

impl AnalysisApi {
    /// The year's stored narrative checked against the data the services hold for it (the
    /// report assembled as `AssembleReport` does, without rendering).
    async fn check_stored(
        &self,
        claims: &lscb_platform::Claims,
        request: &Request<pb::CheckNarrativeRequest>,
    ) -> Result<Vec<narrative::Contradiction>, Error> {
        let mut v = Violations::new();
        let y = year(&mut v, "year", request.get_ref().year.as_ref());
        v.into_result()?;
        let Some(y) = y else {
            return Err(Error::invalid("year", "is required"));
        };
        let period: lscb_platform::Period = y
            .parse()
            .map_err(|e| Error::invalid("year", format!("{e}")))?;
        let Some(reports) = &self.reports else {
            return Err(Error::precondition(
                "NO_DATA_SERVICES",
                "year",
                "this server is not connected to the data services; supply sections and facts_json",
            ));
        };
        let call = crate::report::upstream::CallCtx::from_request(
            request,
            std::time::Duration::from_secs(30),
        );
        let assembled = reports.assemble(claims, &call, &period).await?;
        let part =
            super::from_report::analyse(&assembled.report, &self.rules, &Authored::default());
        Ok(part.narrative_checks)
    }
}

fn checks_pb(found: &[narrative::Contradiction]) -> pb::CheckNarrativeResponse {
    pb::CheckNarrativeResponse {
        contradictions: narrative::contradictions(found)
            .iter()
            .map(|c| pb::Contradiction {
                section: c.section.clone(),
                text: c.text.clone(),
                typed: c.typed.clone(),
                stored: c.stored.clone(),
                subject: c.subject.clone(),
                source: Some(source_pb(&c.source)),
                measure: c.measure.clone(),
            })
            .collect(),
        checks: found
            .iter()
            .map(|c| pb::NarrativeCheck {
                section: c.section.clone(),
                sentence: c.text.clone(),
                typed: c.typed.clone(),
                stored: c.stored.clone(),
                measure: c.measure.clone(),
                verdict: c.verdict.as_str().into(),
                subject: c.subject.clone(),
                source: Some(source_pb(&c.source)),
            })
            .collect(),
    }
}
