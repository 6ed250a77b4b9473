//! `lscb.report.v1.ReportService`: narrative, assembly, publishing and the glossary. The only
//! part of the report module that knows the report API's protobuf types.

use std::collections::BTreeMap;
use std::sync::Arc;

use lscb_platform::idempotency::{Idempotency, key_reused, request_hash};
use lscb_platform::{Claims, Error, Period, ServiceContext, Violations, caller};
use lscb_proto::report::v1 as pb;
use lscb_proto::report::v1::report_service_server::ReportService;
use sha2::{Digest, Sha256};
use tonic::{Request, Response, Status};

use super::assemble::{self, Inputs};
use super::model::{NarrativeSection, PartnershipInfo, Report};
use super::placeholder;
use super::store::{NarrativeRow, PublishedRow, Store};
use super::upstream::{self, CallCtx, Clients, ResolveError, Resolved};

/// The RPC name publishing's idempotency keys are scoped to (the store claims under it too).
const PUBLISH_RPC: &str = super::store::PUBLISH_RPC;
use super::{doc, layout, render, young};

/// Section keys narrative may be written for (plus `subgroup.<name>`).
pub const SECTIONS: &[&str] = &[
    "foreword",
    "introduction",
    "context",
    "strategic_plan",
    "priority.voice_of_the_child",
    "priority.early_help",
    "priority.safe_systems",
    "priority.voice_of_the_child.learning",
    "priority.early_help.learning",
    "priority.safe_systems.learning",
    "inspections",
    "section11",
    "section175",
    "vulnerable_groups",
    "governance",
    "business_plan",
    "finance",
    "training",
    "learning_reviews",
    "conclusion",
    "looking_ahead",
];

/// Largest narrative section, in bytes.
const MAX_NARRATIVE: usize = 200 * 1024;

fn valid_section(s: &str) -> bool {
    SECTIONS.contains(&s)
        || doc::authored::is_key(s)
        || s.strip_prefix("subgroup.").is_some_and(|n| {
            !n.is_empty()
                && n.len() <= 64
                && n.chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
        })
}

/// The report API.
#[derive(Debug, Clone)]
pub struct ReportApi {
    ctx: ServiceContext,
    store: Store,
    clients: Arc<Clients>,
}

/// An assembled report with its renderings.
#[derive(Debug, Clone)]
pub struct Assembled {
    pub report: Report,
    pub markdown: String,
    pub html: String,
    pub json: String,
    pub content_hash: String,
}

fn now() -> String {
    chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}

fn year_field(v: &mut Violations, field: &str, s: &str) -> Option<Period> {
    let p = lscb_platform::proto_conv::period_code(v, field, s)?;
    if p.granularity() != lscb_platform::Granularity::Year {
        v.add(
            field,
            format!("'{s}' is not a financial year: write e.g. 2015-16"),
        );
        return None;
    }
    Some(p)
}

/// Hex SHA-256 of the model's JSON with the assembly time blanked, so the same data gives
/// the same hash.
pub fn content_hash(r: &Report) -> String {
    let mut r = r.clone();
    r.generated_at = String::new();
    let bytes = serde_json::to_vec(&r).unwrap_or_default();
    hex::encode(Sha256::digest(bytes))
}

fn format_of(v: &mut Violations, f: i32) -> pb::ReportFormat {
    match pb::ReportFormat::try_from(f) {
        Ok(pb::ReportFormat::Unspecified) | Err(_) => {
            v.add(
                "format",
                "is required: REPORT_FORMAT_MARKDOWN, REPORT_FORMAT_HTML or REPORT_FORMAT_JSON",
            );
            pb::ReportFormat::Unspecified
        }
        Ok(f) => f,
    }
}

fn edition_of(v: &mut Violations, e: i32) -> pb::ReportEdition {
    pb::ReportEdition::try_from(e).unwrap_or_else(|_| {
        v.add(
            "edition",
            "is not an edition: REPORT_EDITION_FULL or REPORT_EDITION_YOUNG_PEOPLE",
        );
        pb::ReportEdition::Unspecified
    })
}

/// The report in `format`: the full edition's renderings as given, or the young people's
/// edition written from the same model.
fn edition_content(
    report: &Report,
    edition: pb::ReportEdition,
    format: pb::ReportFormat,
    status: &layout::Status,
    full: impl FnOnce() -> String,
) -> String {
    match (edition, format) {
        (pb::ReportEdition::YoungPeople, pb::ReportFormat::Html) => {
            render::html_as(report, &young::build(report), status)
        }
        (pb::ReportEdition::YoungPeople, pb::ReportFormat::Markdown) => {
            render::markdown(&young::build(report))
        }
        _ => full(),
    }
}

fn content_type(f: pb::ReportFormat) -> &'static str {
    match f {
        pb::ReportFormat::Html => "text/html; charset=utf-8",
        pb::ReportFormat::Json => "application/json",
        _ => "text/markdown; charset=utf-8",
    }
}

fn narrative_pb(r: NarrativeRow) -> pb::NarrativeVersion {
    pb::NarrativeVersion {
        year: r.year,
        section: r.section,
        version: r.version,
        markdown: r.markdown,
        placeholders: r.placeholders,
        author: r.author,
        created_at: r.created_at,
    }
}

fn published_pb(r: &PublishedRow) -> pb::PublishedReportInfo {
    pb::PublishedReportInfo {
        year: r.year.clone(),
        version: r.version,
        content_hash: r.content_hash.clone(),
        complete: r.complete,
        failed_sources: r.failed_sources.clone(),
        published_by: r.published_by.clone(),
        published_at: r.published_at.clone(),
    }
}

impl ReportApi {
    pub fn new(ctx: ServiceContext, upstreams: &lscb_platform::config::Upstreams) -> Self {
        Self {
            store: Store::new(ctx.db.clone()),
            clients: Arc::new(Clients::new(upstreams)),
            ctx,
        }
    }

    /// Assembles the year's report for the caller's partnership.
    pub async fn assemble(
        &self,
        claims: &Claims,
        call: &CallCtx,
        year: &Period,
    ) -> Result<Assembled, Error> {
        let p = self.ctx.partnership(claims)?;
        let agency_names: BTreeMap<String, String> = p
            .agencies
            .iter()
            .map(|a| (a.code.clone(), a.name.clone()))
            .collect();
        let name_of = |code: &str| agency_names.get(code).cloned().unwrap_or(code.to_string());
        let label = assemble::year_label(year);
        let c = &*self.clients;
        let (ind, aud, tra, fin) = tokio::join!(
            upstream::fetch_indicators(c, call, year, &label),
            upstream::fetch_audits(c, call, year, &name_of),
            upstream::fetch_training(c, call, year),
            upstream::fetch_finance(c, call, year),
        );
        let err = |s: tonic::Status| upstream::describe(&s);
        let narrative = self.narrative_for(&claims.partnership, call, year).await?;
        let glossary: Vec<(String, String)> = self
            .store
            .glossary(&claims.partnership)
            .await?
            .into_iter()
            .map(|t| (t.acronym, t.meaning))
            .collect();
        let mut report = assemble::build(Inputs {
            partnership: PartnershipInfo {
                id: p.id.clone(),
                name: p.name.clone(),
                local_authority: p.local_authority.clone(),
                region: p.region.clone(),
                statistical_neighbours: p.statistical_neighbours.clone(),
            },
            year: *year,
            generated_at: now(),
            indicators: ind.map_err(err),
            audits: aud.map_err(err),
            training: tra.map_err(err),
            finance: fin.map_err(err),
            narrative,
            glossary: glossary.clone(),
            agency_names: agency_names.clone(),
        });
        if assemble::no_data_at_all(&report) {
            return Err(Error::precondition(
                "NO_DATA",
                format!("year {year}"),
                format!(
                    "no data service holds data for {year}: there is nothing to report for that year"
                ),
            ));
        }
        report.part4 = self.part4(claims, &report).await;
        // The glossary lists only the acronyms the rest of the report uses.
        let body = render::markdown(&doc::build(&report));
        assemble::fill_glossary(&mut report, &body, &glossary);
        let nodes = doc::build(&report);
        Ok(Assembled {
            markdown: render::markdown(&nodes),
            html: render::html(&report, &nodes),
            json: render::json(&report),
            content_hash: content_hash(&report),
            report,
        })
    }

    /// Part 4 from the analysis module, when it provides one for this report.
    async fn part4(&self, _claims: &Claims, report: &Report) -> Option<serde_json::Value> {
        match crate::analysis::part4_for_report(&self.ctx.db, report).await {
            Ok(v) => Some(v),
            Err(e) => {
                tracing::warn!(error = %e, "the analysis could not produce Part 4");
                None
            }
        }
    }

    /// The latest narrative of every section of the year, placeholders resolved.
    async fn narrative_for(
        &self,
        partnership: &str,
        call: &CallCtx,
        year: &Period,
    ) -> Result<Vec<NarrativeSection>, Error> {
        let rows = self
            .store
            .list_narrative(partnership, &year.to_string(), None)
            .await?;
        let mut all: Vec<placeholder::Placeholder> = Vec::new();
        for r in &rows {
            for p in placeholder::parse_all(&r.markdown).0 {
                if !all.iter().any(|q| q.raw == p.raw) {
                    all.push(p);
                }
            }
        }
        let c = &*self.clients;
        let memo = &upstream::ResolveMemo::default();
        let resolved: BTreeMap<String, Option<String>> =
            futures::future::join_all(all.iter().map(|p| async move {
                let v = match upstream::resolve_with(c, call, p, memo).await {
                    Ok(Resolved::Value(v)) => Some(v),
                    Ok(Resolved::NoValue) => Some(format!("[no figure for {}]", p.period)),
                    Err(_) => None,
                };
                (p.raw.clone(), v)
            }))
            .await
            .into_iter()
            .collect();
        Ok(rows
            .into_iter()
            .map(|r| {
                let mut unresolved = Vec::new();
                let md = placeholder::substitute(&r.markdown, |raw| {
                    match resolved.get(raw).cloned().flatten() {
                        Some(v) => v,
                        None => {
                            if !unresolved.iter().any(|u| u == raw) {
                                unresolved.push(raw.to_string());
                            }
                            "[data unavailable]".to_string()
                        }
                    }
                });
                NarrativeSection {
                    section: r.section,
                    version: r.version,
                    markdown: md,
                    placeholders: r.placeholders,
                    unresolved,
                }
            })
            .collect())
    }

    fn call_ctx<T>(&self, req: &Request<T>) -> CallCtx {
        CallCtx::from_request(req, self.clients.timeout)
    }
}

#[tonic::async_trait]
impl ReportService for ReportApi {
    async fn put_narrative(
        &self,
        request: Request<pb::PutNarrativeRequest>,
    ) -> Result<Response<pb::NarrativeVersion>, Status> {
        let claims = caller(&request)?;
        claims.require_admin()?;
        self.ctx.partnership(&claims)?;
        let call = self.call_ctx(&request);
        let req = request.into_inner();
        let mut v = Violations::new();
        let year = year_field(&mut v, "year", &req.year);
        if !valid_section(&req.section) {
            v.add(
                "section",
                format!(
                    "unknown section '{}': expected one of {} or subgroup.<name>",
                    req.section,
                    SECTIONS
                        .iter()
                        .copied()
                        .chain(doc::authored::keys())
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            );
        }
        if req.markdown.trim().is_empty() {
            v.add("markdown", "is required");
        } else if req.markdown.len() > MAX_NARRATIVE {
            v.add("markdown", format!("is longer than {MAX_NARRATIVE} bytes"));
        }
        let (placeholders, bad) = placeholder::parse_all(&req.markdown);
        for b in &bad {
            v.add(
                "markdown",
                format!("placeholder {{{{{}}}}}: {}", b.raw, b.reason),
            );
        }
        v.into_result()?;
        // Every reference must exist in the data services.
        let c = &*self.clients;
        let call = &call;
        let checks = futures::future::join_all(
            placeholders
                .iter()
                .map(|p| async move { (p, upstream::resolve(c, call, p).await) }),
        )
        .await;
        let mut v = Violations::new();
        for (p, r) in checks {
            match r {
                Ok(_) => {}
                Err(ResolveError::Unknown(why)) => v.add(
                    "markdown",
                    format!("unknown placeholder {{{{{}}}}}: {why}", p.raw),
                ),
                Err(ResolveError::Failed(source, s)) => {
                    return Err(Error::Unavailable(format!(
                        "cannot check placeholder {{{{{}}}}}: the {source} service failed ({})",
                        p.raw,
                        upstream::describe(&s)
                    ))
                    .into());
                }
            }
        }
        v.into_result()?;
        let year = year.map(|y| y.to_string()).unwrap_or_default();
        let row = self
            .store
            .put_narrative(
                &claims.partnership,
                NarrativeRow {
                    year,
                    section: req.section,
                    version: 0,
                    markdown: req.markdown,
                    placeholders: placeholders.iter().map(|p| p.raw.clone()).collect(),
                    author: claims.actor(),
                    created_at: now(),
                },
                req.expected_version,
            )
            .await?;
        Ok(Response::new(narrative_pb(row)))
    }

    async fn get_narrative(
        &self,
        request: Request<pb::GetNarrativeRequest>,
    ) -> Result<Response<pb::NarrativeVersion>, Status> {
        let claims = caller(&request)?;
        self.ctx.partnership(&claims)?;
        let req = request.into_inner();
        let mut v = Violations::new();
        let year = year_field(&mut v, "year", &req.year);
        if !valid_section(&req.section) {
            v.add("section", format!("unknown section '{}'", req.section));
        }
        v.into_result()?;
        let year = year.map(|y| y.to_string()).unwrap_or_default();
        let row = self
            .store
            .get_narrative(&claims.partnership, &year, &req.section, req.version)
            .await?
            .ok_or_else(|| {
                Error::not_found(if req.version == 0 {
                    format!("no narrative for {} in {year}", req.section)
                } else {
                    format!(
                        "no version {} of the narrative for {} in {year}",
                        req.version, req.section
                    )
                })
            })?;
        Ok(Response::new(narrative_pb(row)))
    }

    async fn list_narrative_versions(
        &self,
        request: Request<pb::ListNarrativeVersionsRequest>,
    ) -> Result<Response<pb::ListNarrativeVersionsResponse>, Status> {
        let claims = caller(&request)?;
        self.ctx.partnership(&claims)?;
        let req = request.into_inner();
        let mut v = Violations::new();
        let year = year_field(&mut v, "year", &req.year);
        if !req.section.is_empty() && !valid_section(&req.section) {
            v.add("section", format!("unknown section '{}'", req.section));
        }
        v.into_result()?;
        let year = year.map(|y| y.to_string()).unwrap_or_default();
        let rows = self
            .store
            .list_narrative(
                &claims.partnership,
                &year,
                Some(req.section.as_str()).filter(|s| !s.is_empty()),
            )
            .await?;
        Ok(Response::new(pb::ListNarrativeVersionsResponse {
            versions: rows.into_iter().map(narrative_pb).collect(),
        }))
    }

    async fn assemble_report(
        &self,
        request: Request<pb::AssembleReportRequest>,
    ) -> Result<Response<pb::AssembleReportResponse>, Status> {
        let claims = caller(&request)?;
        self.ctx.partnership(&claims)?;
        let call = self.call_ctx(&request);
        let req = request.into_inner();
        let mut v = Violations::new();
        let year = year_field(&mut v, "year", &req.year);
        let format = format_of(&mut v, req.format);
        let edition = edition_of(&mut v, req.edition);
        v.into_result()?;
        let Some(year) = year else {
            return Err(Error::invalid("year", "is required").into());
        };
        let a = self.assemble(&claims, &call, &year).await?;
        let content =
            edition_content(
                &a.report,
                edition,
                format,
                &layout::Status::Draft,
                || match format {
                    pb::ReportFormat::Html => a.html.clone(),
                    pb::ReportFormat::Json => a.json.clone(),
                    _ => a.markdown.clone(),
                },
            );
        Ok(Response::new(pb::AssembleReportResponse {
            year: year.to_string(),
            format: format as i32,
            content,
            content_type: content_type(format).into(),
            complete: a.report.complete,
            failed_sources: a.report.failed_sources(),
            sources: a
                .report
                .sources
                .iter()
                .map(|s| pb::SourceStatus {
                    source: s.source.clone(),
                    ok: s.ok,
                    error: s.error.clone().unwrap_or_default(),
                })
                .collect(),
            content_hash: a.content_hash,
        }))
    }

    async fn publish_report(
        &self,
        request: Request<pb::PublishReportRequest>,
    ) -> Result<Response<pb::PublishedReportInfo>, Status> {
        let claims = caller(&request)?;
        claims.require_admin()?;
        self.ctx.partnership(&claims)?;
        let call = self.call_ctx(&request);
        let mut req = request.into_inner();
        let mut v = Violations::new();
        let year = year_field(&mut v, "year", &req.year);
        // The platform's idempotency: key scoped to partnership and RPC, hash over the RPC
        // name and the request without its key, at most 128 bytes.
        let idem = match Idempotency::of(&claims.partnership, PUBLISH_RPC, &mut req, |r| {
            &mut r.idempotency_key
        }) {
            Ok(i) => i,
            Err(e) => {
                for f in e.violations() {
                    v.add(f.field.clone(), f.description.clone());
                }
                None
            }
        };
        v.into_result()?;
        let Some(year) = year else {
            return Err(Error::invalid("year", "is required").into());
        };
        // The hash Idempotency::of computed; an unkeyed publication is never replayed, and
        // its row keeps the hash of the same request without a key.
        let request_hash = match &idem {
            Some(i) => i.hash().to_string(),
            None => request_hash(PUBLISH_RPC, &req),
        };
        // A replay is answered before the report is assembled again; the store's claim
        // settles concurrent ones.
        if let Some(i) = &idem
            && let Some(prev) = self
                .store
                .published_by_key(&claims.partnership, i.key())
                .await?
        {
            if prev.request_hash == request_hash {
                return Ok(Response::new(published_pb(&prev)));
            }
            return Err(key_reused(PUBLISH_RPC, i.key()));
        }
        let a = self.assemble(&claims, &call, &year).await?;
        if !a.report.complete && !req.allow_incomplete {
            return Err(Error::precondition(
                "INCOMPLETE",
                year.to_string(),
                format!(
                    "the report for {year} is incomplete ({} unavailable); publish when every \
                     service answers, or set allow_incomplete",
                    a.report.failed_sources().join(", ")
                ),
            )
            .into());
        }
        // The cover and running header name the version, so it is known before storing;
        // the store refuses the row if another version took the number meanwhile.
        let version = self
            .store
            .list_published(&claims.partnership, Some(&year.to_string()))
            .await?
            .iter()
            .map(|r| r.version)
            .max()
            .unwrap_or(0)
            + 1;
        let published_at = now();
        let status = layout::Status::Published {
            version,
            published_at: published_at.clone(),
            content_hash: a.content_hash.clone(),
        };
        let html = render::html_as(&a.report, &doc::build(&a.report), &status);
        let row = self
            .store
            .publish(
                &claims.partnership,
                PublishedRow {
                    year: year.to_string(),
                    version,
                    content_hash: a.content_hash.clone(),
                    complete: a.report.complete,
                    failed_sources: a.report.failed_sources(),
                    model_json: a.json,
                    markdown: a.markdown,
                    html,
                    published_by: claims.actor(),
                    published_at,
                    idempotency_key: req.idempotency_key,
                    request_hash,
                },
            )
            .await
            .map_err(|e| match (&e, &idem) {
                (Error::Conflict(m), Some(i)) if *m == i.reused_message() => {
                    key_reused(PUBLISH_RPC, i.key())
                }
                _ => Status::from(e),
            })?;
        Ok(Response::new(published_pb(&row)))
    }

    async fn list_published(
        &self,
        request: Request<pb::ListPublishedRequest>,
    ) -> Result<Response<pb::ListPublishedResponse>, Status> {
        let claims = caller(&request)?;
        self.ctx.partnership(&claims)?;
        let req = request.into_inner();
        let mut v = Violations::new();
        let year = if req.year.is_empty() {
            None
        } else {
            year_field(&mut v, "year", &req.year)
        };
        v.into_result()?;
        let rows = self
            .store
            .list_published(&claims.partnership, year.map(|y| y.to_string()).as_deref())
            .await?;
        Ok(Response::new(pb::ListPublishedResponse {
            reports: rows.iter().map(published_pb).collect(),
        }))
    }

    async fn get_published(
        &self,
        request: Request<pb::GetPublishedRequest>,
    ) -> Result<Response<pb::GetPublishedResponse>, Status> {
        let claims = caller(&request)?;
        self.ctx.partnership(&claims)?;
        let req = request.into_inner();
        let mut v = Violations::new();
        let year = year_field(&mut v, "year", &req.year);
        let format = format_of(&mut v, req.format);
        let edition = edition_of(&mut v, req.edition);
        v.into_result()?;
        let year = year.map(|y| y.to_string()).unwrap_or_default();
        let row = self
            .store
            .get_published(&claims.partnership, &year, req.version)
            .await?
            .ok_or_else(|| {
                Error::not_found(if req.version == 0 {
                    format!("no report for {year} has been published")
                } else {
                    format!(
                        "version {} of the report for {year} does not exist",
                        req.version
                    )
                })
            })?;
        let full = || match format {
            pb::ReportFormat::Html => row.html.clone(),
            pb::ReportFormat::Json => row.model_json.clone(),
            _ => row.markdown.clone(),
        };
        let content = if edition == pb::ReportEdition::YoungPeople {
            let model: Report = serde_json::from_str(&row.model_json).map_err(|e| {
                Error::Internal(anyhow::anyhow!(
                    "published version {} cannot be read: {e}",
                    row.version
                ))
            })?;
            let status = layout::Status::Published {
                version: row.version,
                published_at: row.published_at.clone(),
                content_hash: row.content_hash.clone(),
            };
            edition_content(&model, edition, format, &status, full)
        } else {
            full()
        };
        Ok(Response::new(pb::GetPublishedResponse {
            info: Some(published_pb(&row)),
            format: format as i32,
            content,
            content_type: content_type(format).into(),
        }))
    }

    async fn list_glossary_terms(
        &self,
        request: Request<pb::ListGlossaryTermsRequest>,
    ) -> Result<Response<pb::ListGlossaryTermsResponse>, Status> {
        let claims = caller(&request)?;
        self.ctx.partnership(&claims)?;
        let terms = self.store.glossary(&claims.partnership).await?;
        Ok(Response::new(pb::ListGlossaryTermsResponse {
            terms: terms
                .into_iter()
                .map(|t| pb::GlossaryTerm {
                    acronym: t.acronym,
                    meaning: t.meaning,
                    own: t.own,
                })
                .collect(),
        }))
    }

    async fn put_glossary_term(
        &self,
        request: Request<pb::PutGlossaryTermRequest>,
    ) -> Result<Response<pb::GlossaryTerm>, Status> {
        let claims = caller(&request)?;
        claims.require_admin()?;
        self.ctx.partnership(&claims)?;
        let req = request.into_inner();
        let mut v = Violations::new();
        let acronym = req.acronym.trim();
        let meaning = req.meaning.trim();
        if acronym.is_empty() || acronym.len() > 32 {
            v.add("acronym", "is required (at most 32 characters)");
        }
        if meaning.is_empty() || meaning.len() > 300 {
            v.add("meaning", "is required (at most 300 characters)");
        }
        v.into_result()?;
        let t = self
            .store
            .put_glossary_term(
                &claims.partnership,
                acronym,
                meaning,
                &claims.actor(),
                &now(),
            )
            .await?;
        Ok(Response::new(pb::GlossaryTerm {
            acronym: t.acronym,
            meaning: t.meaning,
            own: t.own,
        }))
    }
}
