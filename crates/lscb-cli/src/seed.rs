//! `lscbctl seed`: loads the reference dataset (`deploy/reference-data/2015-16/`) or the
//! default indicator catalogue (`deploy/catalogue/default.toml`) through the gRPC API into a
//! running stack. Every write is an upsert, carries an idempotency key derived from the
//! files' content, or is skipped when the stored record already says the same: rerunning the
//! seed changes nothing.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use anyhow::Context as _;
use lscb_proto::audits::v1 as au;
use lscb_proto::common::v1::{PageRequest, Period};
use lscb_proto::indicators::v1 as ind;
use lscb_proto::report::v1 as rp;
use lscb_proto::training::v1 as tr;
use serde::Deserialize;

use crate::csvio::{CsvFile, Row, RowError, sha256_hex, split_list};
use crate::import::{self, Delegate};
use crate::seed_clients::Clients;

mod board;
mod plan;

/// Arguments of `lscbctl seed`.
#[derive(Debug, Clone, clap::Args)]
pub struct SeedArgs {
    /// The reference dataset directory.
    #[arg(long, default_value = "deploy/reference-data/2015-16")]
    pub data_dir: PathBuf,
    /// The default indicator catalogue.
    #[arg(long, default_value = "deploy/catalogue/default.toml")]
    pub catalogue: PathBuf,
    /// Load only the default indicator catalogue (for a new partnership).
    #[arg(long)]
    pub catalogue_only: bool,
    /// Also load the catalogue together with the reference dataset.
    #[arg(long)]
    pub with_catalogue: bool,
    /// No progress output.
    #[arg(long)]
    pub quiet: bool,
}

/// What a seed did, per part.
#[derive(Debug, Default, Clone)]
pub struct SeedReport {
    pub lines: Vec<(String, usize)>,
}

impl SeedReport {
    fn add(&mut self, what: &str, n: usize) {
        self.lines.push((what.to_string(), n));
    }
}

fn p(code: &str) -> Option<Period> {
    Some(Period {
        code: code.to_string(),
    })
}

fn fail(file: &str, errors: Vec<RowError>) -> anyhow::Error {
    anyhow::anyhow!(
        "{file}:\n{}",
        errors
            .iter()
            .map(|e| format!("  {e}"))
            .collect::<Vec<_>>()
            .join("\n")
    )
}

fn read(dir: &Path, name: &str) -> anyhow::Result<CsvFile> {
    CsvFile::read(&dir.join(name))
}

/// Parses every row with `f`, failing with all errors at once.
fn parse_all<T>(
    file: &CsvFile,
    mut f: impl FnMut(&Row, &mut Vec<RowError>) -> T,
) -> anyhow::Result<Vec<(u64, T)>> {
    let (mut out, mut errs) = (Vec::new(), Vec::new());
    for row in &file.rows {
        let v = f(row, &mut errs);
        out.push((row.line, v));
    }
    if errs.is_empty() {
        Ok(out)
    } else {
        Err(fail(&file.name, errs))
    }
}

fn say(quiet: bool, msg: &str) {
    if !quiet {
        eprintln!("seed: {msg}");
    }
}

/// Runs the seed.
pub async fn run(clients: &Clients, args: &SeedArgs) -> anyhow::Result<SeedReport> {
    let mut report = SeedReport::default();
    if args.catalogue_only || args.with_catalogue {
        let n = seed_catalogue(clients, &args.catalogue, args.quiet).await?;
        report.add("catalogue indicators", n);
        if args.catalogue_only {
            return Ok(report);
        }
    }
    let dir = &args.data_dir;
    let q = args.quiet;
    say(q, "indicators");
    seed_indicators(clients, dir, q, &mut report).await?;
    say(q, "audits, inspections and learning reviews");
    seed_quality_assurance(clients, dir, &mut report).await?;
    say(
        q,
        "Section 11, Section 175, assurance letters, attendance and surveys",
    );
    seed_assurance(clients, dir, &mut report).await?;
    say(q, "training");
    seed_training(clients, &dir.join("training"), q, &mut report).await?;
    say(q, "finance");
    seed_finance(clients, dir, &mut report).await?;
    say(q, "glossary and narrative");
    seed_report_texts(clients, dir, &mut report).await?;
    plan::seed_plan(clients, dir, &mut report).await?;
    board::seed_board(clients, dir, &mut report).await?;
    Ok(report)
}

// ---------------------------------------------------------------------------------------
// Catalogue
// ---------------------------------------------------------------------------------------

#[derive(Debug, Deserialize)]
struct Catalogue {
    theme: Vec<CatalogueTheme>,
}

#[derive(Debug, Deserialize)]
struct CatalogueTheme {
    area: String,
    #[allow(dead_code)]
    title: String,
    indicator: Vec<CatalogueIndicator>,
}

#[derive(Debug, Deserialize)]
struct CatalogueIndicator {
    code: String,
    title: String,
    #[serde(default)]
    description: String,
    unit: String,
    polarity: String,
    #[serde(default)]
    priorities: Vec<String>,
    #[serde(default)]
    question: String,
    #[serde(default)]
    themes: Vec<String>,
    frequency: String,
    aggregation: String,
    #[serde(default)]
    rate: Option<CatalogueRate>,
    #[serde(default)]
    target: Option<CatalogueTarget>,
    #[serde(default)]
    breakdown: Option<CatalogueBreakdown>,
    #[serde(default)]
    tolerance: String,
}

#[derive(Debug, Deserialize)]
struct CatalogueRate {
    multiplier: String,
    #[serde(default)]
    numerator: String,
    #[serde(default)]
    denominator: String,
}

#[derive(Debug, Deserialize)]
struct CatalogueTarget {
    #[serde(default)]
    value: String,
    #[serde(default)]
    low: String,
    #[serde(default)]
    high: String,
    #[serde(default)]
    amber: String,
}

#[derive(Debug, Deserialize)]
struct CatalogueBreakdown {
    dimension: String,
    label: String,
    values: Vec<String>,
    #[serde(default)]
    overlapping: bool,
}

/// The catalogue's indicators as rows of an indicator definitions file, so that both go
/// through the same validation.
pub fn catalogue_definitions(text: &str) -> anyhow::Result<Vec<(u64, ind::IndicatorDefinition)>> {
    let cat: Catalogue = toml::from_str(text).context("the catalogue is not valid TOML")?;
    let mut out = Vec::new();
    let mut errs = Vec::new();
    let mut seen = BTreeSet::new();
    for theme in cat.theme {
        for (i, c) in theme.indicator.into_iter().enumerate() {
            if !seen.insert(c.code.clone()) {
                anyhow::bail!("catalogue: indicator {} appears twice", c.code);
            }
            let rate = c.rate.as_ref();
            let target = c.target.as_ref();
            let bd = c.breakdown.as_ref();
            let priorities = c.priorities.join(";");
            let themes = c.themes.join(";");
            let values = bd.map(|b| b.values.join(";")).unwrap_or_default();
            let fields: Vec<(&str, &str)> = vec![
                ("code", &c.code),
                ("title", &c.title),
                ("description", &c.description),
                ("unit", &c.unit),
                ("polarity", &c.polarity),
                ("priorities", &priorities),
                ("question", &c.question),
                ("themes", &themes),
                ("framework_area", &theme.area),
                ("frequency", &c.frequency),
                ("aggregation", &c.aggregation),
                (
                    "rate_numerator",
                    rate.map(|r| r.numerator.as_str()).unwrap_or(""),
                ),
                (
                    "rate_denominator",
                    rate.map(|r| r.denominator.as_str()).unwrap_or(""),
                ),
                (
                    "rate_multiplier",
                    rate.map(|r| r.multiplier.as_str()).unwrap_or(""),
                ),
                (
                    "target_value",
                    target.map(|t| t.value.as_str()).unwrap_or(""),
                ),
                ("target_low", target.map(|t| t.low.as_str()).unwrap_or("")),
                ("target_high", target.map(|t| t.high.as_str()).unwrap_or("")),
                (
                    "target_amber",
                    target.map(|t| t.amber.as_str()).unwrap_or(""),
                ),
                (
                    "breakdown_dimension",
                    bd.map(|b| b.dimension.as_str()).unwrap_or(""),
                ),
                (
                    "breakdown_label",
                    bd.map(|b| b.label.as_str()).unwrap_or(""),
                ),
                ("breakdown_values", &values),
                (
                    "breakdown_overlapping",
                    if bd.is_some_and(|b| b.overlapping) {
                        "true"
                    } else {
                        "false"
                    },
                ),
                ("tolerance", &c.tolerance),
            ];
            let row = Row::new(i as u64 + 1, &fields);
            let def = import::parse_indicator(&row, &mut errs);
            if let Some(e) = errs.drain(..).next() {
                anyhow::bail!(
                    "catalogue: indicator {}: {}: {}",
                    c.code,
                    e.field,
                    e.message
                );
            }
            out.push((i as u64 + 1, def));
        }
    }
    Ok(out)
}

async fn seed_catalogue(clients: &Clients, path: &Path, quiet: bool) -> anyhow::Result<usize> {
    let text = std::fs::read_to_string(path)
        .with_context(|| format!("cannot read the catalogue {}", path.display()))?;
    let defs = catalogue_definitions(&text)?;
    let n = defs.len();
    let (_, errors) = import::upsert_indicators(clients, defs, quiet).await?;
    if !errors.is_empty() {
        return Err(fail(&path.display().to_string(), errors));
    }
    Ok(n)
}

// ---------------------------------------------------------------------------------------
// Indicators
// ---------------------------------------------------------------------------------------

async fn seed_indicators(
    clients: &Clients,
    dir: &Path,
    quiet: bool,
    report: &mut SeedReport,
) -> anyhow::Result<()> {
    let defs_file = read(dir, "indicators.csv")?;
    let defs = parse_all(&defs_file, import::parse_indicator)?;
    let n = defs.len();
    let (_, errors) = import::upsert_indicators(clients, defs, quiet).await?;
    if !errors.is_empty() {
        return Err(fail(&defs_file.name, errors));
    }
    report.add("indicator definitions", n);

    let obs_file = read(dir, "observations.csv")?;
    let obs = parse_all(&obs_file, import::parse_observation)?;
    let key = obs_file.key("seed-observations");
    let s = import::stream_observations(clients, obs, key, 1000, quiet)
        .await
        .map_err(|e| fail(&obs_file.name, e))?;
    if s.replayed {
        report.add("observations already stored", s.rows);
    } else {
        report.add("observations", s.rows);
    }

    let bench_file = read(dir, "benchmarks.csv")?;
    let benchmarks = parse_all(&bench_file, |row, errs| ind::Benchmark {
        indicator_code: row.req("indicator", errs),
        period: p(&row.period("period", errs)),
        comparator: row.enumeration(
            "comparator",
            "COMPARATOR",
            "england, statistical_neighbours, region",
            ind::Comparator::from_str_name,
            errs,
        ),
        value: {
            let v = row.decimal("value", errs);
            if v.is_empty() {
                errs.push(row.err("value", "is required"));
            }
            v
        },
        source: row.get("source").to_string(),
        set_by: String::new(),
        set_at: String::new(),
    })?;
    let lines: Vec<u64> = benchmarks.iter().map(|(l, _)| *l).collect();
    let n = benchmarks.len();
    clients
        .indicators
        .clone()
        .set_benchmarks(ind::SetBenchmarksRequest {
            benchmarks: benchmarks.into_iter().map(|(_, b)| b).collect(),
        })
        .await
        .map_err(|s| fail(&bench_file.name, crate::csvio::map_violations(&s, &lines)))?;
    report.add("benchmarks", n);
    Ok(())
}

// ---------------------------------------------------------------------------------------
// Audits, inspections, learning reviews, recommendations and actions
// ---------------------------------------------------------------------------------------

/// A recommendation row of `recommendations.csv`.
#[derive(Debug, Clone)]
struct RecRow {
    recommendation: String,
    action: String,
    owner: String,
    due: String,
    status: String,
    evidence: String,
}

fn recommendations(rows: &[RecRow]) -> Vec<au::Recommendation> {
    let mut by_text: BTreeMap<&str, Vec<&RecRow>> = BTreeMap::new();
    let mut order = Vec::new();
    for r in rows {
        if !by_text.contains_key(r.recommendation.as_str()) {
            order.push(r.recommendation.as_str());
        }
        by_text
            .entry(r.recommendation.as_str())
            .or_default()
            .push(r);
    }
    order
        .into_iter()
        .map(|t| au::Recommendation {
            text: t.to_string(),
            actions: by_text[t]
                .iter()
                .map(|r| au::ActionInput {
                    description: r.action.clone(),
                    owner_agency: r.owner.clone(),
                    due_date: r.due.clone(),
                })
                .collect(),
            action_ids: vec![],
            implemented: false,
        })
        .collect()
}

/// Brings the actions of one source to the statuses of the data (only where they differ).
async fn settle_actions(
    clients: &Clients,
    kind: au::SourceKind,
    source_id: &str,
    rows: &[RecRow],
) -> anyhow::Result<usize> {
    let mut c = clients.actions.clone();
    let actions = c
        .list_actions(au::ListActionsRequest {
            source_kind: kind as i32,
            source_id: source_id.to_string(),
            page: Some(PageRequest {
                page_size: 1000,
                page_token: String::new(),
            }),
            ..Default::default()
        })
        .await?
        .into_inner()
        .actions;
    let mut n = 0;
    for a in actions {
        let Some(r) = rows
            .iter()
            .find(|r| r.action == a.description && r.recommendation == a.recommendation)
        else {
            continue;
        };
        let want = match r.status.as_str() {
            "in_progress" => au::ActionStatus::InProgress,
            "completed" => au::ActionStatus::Completed,
            "not_accepted" => au::ActionStatus::NotAccepted,
            _ => au::ActionStatus::Open,
        } as i32;
        if a.status == want {
            continue;
        }
        c.update_action(au::UpdateActionRequest {
            id: a.id.clone(),
            status: want,
            completion_evidence: r.evidence.clone(),
            completed_date: if want == au::ActionStatus::Completed as i32 {
                r.due.clone()
            } else {
                String::new()
            },
            due_date: String::new(),
        })
        .await
        .with_context(|| format!("action '{}'", a.description))?;
        n += 1;
    }
    Ok(n)
}

fn grade_pairs(s: &str) -> Vec<(String, String)> {
    split_list(s)
        .into_iter()
        .filter_map(|x| {
            x.split_once('=')
                .map(|(a, b)| (a.to_string(), b.to_string()))
        })
        .collect()
}

async fn seed_quality_assurance(
    clients: &Clients,
    dir: &Path,
    report: &mut SeedReport,
) -> anyhow::Result<()> {
    let rec_file = read(dir, "recommendations.csv")?;
    let recs = parse_all(&rec_file, |row, errs| {
        (
            row.req("source_kind", errs),
            row.req("source", errs),
            RecRow {
                recommendation: row.req("recommendation", errs),
                action: row.req("action", errs),
                owner: row.req("owner_agency", errs),
                due: row.date("due_date", errs),
                status: row.get("status").to_string(),
                evidence: row.get("completion_evidence").to_string(),
            },
        )
    })?;
    let recs_of = |kind: &str, source: &str| -> Vec<RecRow> {
        recs.iter()
            .filter(|(_, (k, s, _))| k == kind && s == source)
            .map(|(_, (_, _, r))| r.clone())
            .collect()
    };

    // Audits and their case reviews.
    let audits_file = read(dir, "audits.csv")?;
    let audits = parse_all(&audits_file, |row, errs| {
        let kind = row.enumeration(
            "type",
            "AUDIT_TYPE",
            "multi_agency_case_file, single_agency, thematic, front_door_referral, re_referral",
            au::AuditType::from_str_name,
            errs,
        );
        let status = row.get("status").to_string();
        let audit = au::Audit {
            id: String::new(),
            r#type: kind,
            topic: row.get("topic").to_string(),
            title: row.req("title", errs),
            strategic_priority: row.get("strategic_priority").to_string(),
            period: p(&row.period("period", errs)),
            status: au::AuditStatus::InProgress as i32,
            themes: grade_pairs(row.get("themes"))
                .into_iter()
                .map(|(code, title)| au::Theme { code, title })
                .collect(),
            questions: grade_pairs(row.get("questions"))
                .into_iter()
                .map(|(code, text)| au::Question { code, text })
                .collect(),
            programme: row.get("programme").to_string(),
            lead_agency: row.get("lead_agency").to_string(),
            findings: row.list("findings"),
            recommendations: vec![],
            case_count: 0,
        };
        (row.req("code", errs), status, audit)
    })?;
    let cases_file = read(dir, "case_reviews.csv")?;
    let cases = parse_all(&cases_file, import::parse_case_review)?;
    let mut audit_client = clients.audits.clone();
    let (mut n_audits, mut n_cases, mut n_actions) = (0, 0, 0);
    for (_, (code, status, mut audit)) in audits {
        let rows = recs_of("audit", &code);
        audit.recommendations = recommendations(&rows);
        let key = format!(
            "seed-audit-{code}-{}",
            &sha256_hex(format!("{audit:?}").as_bytes())[..24]
        );
        let created = audit_client
            .create_audit(au::CreateAuditRequest {
                audit: Some(audit),
                idempotency_key: key,
            })
            .await
            .with_context(|| format!("audit {code}"))?
            .into_inner();
        n_audits += 1;
        let mine: Vec<(u64, au::CaseReview)> = cases
            .iter()
            .filter(|(_, (a, _))| *a == code)
            .map(|(l, (_, r))| (*l, r.clone()))
            .collect();
        if !mine.is_empty() {
            let key = format!(
                "seed-cases-{code}-{}",
                &sha256_hex(format!("{mine:?}").as_bytes())[..24]
            );
            n_cases += import::submit_case_reviews(clients, &created.id, mine, key)
                .await
                .map_err(|e| fail(&cases_file.name, e))?;
        }
        let want = match status.as_str() {
            "complete" => au::AuditStatus::Complete,
            "planned" => au::AuditStatus::Planned,
            _ => au::AuditStatus::InProgress,
        } as i32;
        let current = audit_client
            .get_audit(au::GetAuditRequest {
                id: created.id.clone(),
            })
            .await?
            .into_inner();
        if current.status != want {
            audit_client
                .update_audit(au::UpdateAuditRequest {
                    id: created.id.clone(),
                    status: want,
                    add_findings: vec![],
                })
                .await
                .with_context(|| format!("audit {code}: status"))?;
        }
        n_actions += settle_actions(clients, au::SourceKind::Audit, &created.id, &rows).await?;
    }
    report.add("audits", n_audits);
    report.add("case reviews", n_cases);

    // Inspections.
    let insp_file = read(dir, "inspections.csv")?;
    let inspections = parse_all(&insp_file, |row, errs| {
        let i = au::Inspection {
            id: String::new(),
            inspectorate: row.enumeration(
                "inspectorate",
                "INSPECTORATE",
                "cqc, hmic, ofsted, other",
                au::Inspectorate::from_str_name,
                errs,
            ),
            inspectorate_name: row.get("inspectorate_name").to_string(),
            agency: row.req("agency", errs),
            title: row.req("title", errs),
            inspection_date: row.date("inspection_date", errs),
            scope: row.get("scope").to_string(),
            judgement: row.get("judgement").to_string(),
            key_findings: row.list("key_findings"),
            recommendations: vec![],
            assurance_date: row.date("assurance_date", errs),
            assurance_note: row.get("assurance_note").to_string(),
        };
        (row.req("code", errs), i)
    })?;
    let mut ic = clients.inspections.clone();
    for (_, (code, mut i)) in inspections.iter().cloned() {
        let rows = recs_of("inspection", &code);
        i.recommendations = recommendations(&rows);
        let key = format!(
            "seed-inspection-{code}-{}",
            &sha256_hex(format!("{i:?}").as_bytes())[..24]
        );
        let created = ic
            .create_inspection(au::CreateInspectionRequest {
                inspection: Some(i),
                idempotency_key: key,
            })
            .await
            .with_context(|| format!("inspection {code}"))?
            .into_inner();
        n_actions +=
            settle_actions(clients, au::SourceKind::Inspection, &created.id, &rows).await?;
    }
    report.add("inspections", inspections.len());

    // Learning reviews.
    let lr_file = read(dir, "learning_reviews.csv")?;
    let reviews = parse_all(&lr_file, |row, errs| {
        au::LearningReview {
        id: String::new(),
        r#type: row.enumeration(
            "type",
            "LEARNING_REVIEW_TYPE",
            "serious_case_review, learning_lessons_review, domestic_homicide_review, child_safeguarding_practice_review, other",
            au::LearningReviewType::from_str_name,
            errs,
        ),
        reference: row.req("reference", errs),
        title: row.req("title", errs),
        commissioned_date: row.date("commissioned_date", errs),
        status: row.enumeration(
            "status",
            "LEARNING_REVIEW_STATUS",
            "commissioned, in_progress, completed, published",
            au::LearningReviewStatus::from_str_name,
            errs,
        ),
        publication_date: row.date("publication_date", errs),
        key_learning: row.list("key_learning"),
        recommendations: vec![],
        agencies: row.list("agencies"),
    }
    })?;
    let mut lc = clients.reviews.clone();
    for (_, mut r) in reviews.iter().cloned() {
        let rows = recs_of("learning_review", &r.reference);
        r.recommendations = recommendations(&rows);
        let reference = r.reference.clone();
        let key = format!(
            "seed-review-{reference}-{}",
            &sha256_hex(format!("{r:?}").as_bytes())[..24]
        );
        let created = lc
            .create_learning_review(au::CreateLearningReviewRequest {
                review: Some(r),
                idempotency_key: key,
            })
            .await
            .with_context(|| format!("learning review {reference}"))?
            .into_inner();
        n_actions +=
            settle_actions(clients, au::SourceKind::LearningReview, &created.id, &rows).await?;
    }
    report.add("learning reviews", reviews.len());
    report.add("action statuses updated", n_actions);
    Ok(())
}

// ---------------------------------------------------------------------------------------
// Assurance: Section 11, Section 175, documents, governance, surveys
// ---------------------------------------------------------------------------------------

fn rating(v: &str) -> i32 {
    crate::csvio::enum_value(v, "SECTION11_RATING", au::Section11Rating::from_str_name).unwrap_or(0)
}

#[derive(Debug, Deserialize)]
struct SurveyFile {
    survey: Vec<SurveyToml>,
}

#[derive(Debug, Deserialize)]
struct SurveyToml {
    code: String,
    series: String,
    title: String,
    year: String,
    conducted_on: String,
    respondents: u32,
    organisations: u32,
    #[serde(default)]
    question: Vec<SurveyQuestionToml>,
}

#[derive(Debug, Deserialize)]
struct SurveyQuestionToml {
    code: String,
    text: String,
    yes_share: String,
}

async fn seed_assurance(
    clients: &Clients,
    dir: &Path,
    report: &mut SeedReport,
) -> anyhow::Result<()> {
    // Section 11 catalogue per cycle (a new version only when it differs).
    let std_file = read(dir, "section11_standards.csv")?;
    let standards = parse_all(&std_file, |row, errs| au::Section11Standard {
        code: row.req("code", errs),
        title: row.req("title", errs),
        statutory: row.boolean("statutory", errs),
        description: row.get("description").to_string(),
    })?;
    let standards: Vec<au::Section11Standard> = standards.into_iter().map(|(_, s)| s).collect();
    let titles: BTreeMap<String, String> = standards
        .iter()
        .map(|s| (s.code.clone(), s.title.clone()))
        .collect();
    let status_file = read(dir, "section11_status.csv")?;
    let statuses = parse_all(&status_file, |row, errs| {
        (
            row.period("cycle", errs),
            row.req("agency", errs),
            row.req("status", errs),
            row.get("regional_body").to_string(),
        )
    })?;
    let ratings_file = read(dir, "section11_ratings.csv")?;
    let ratings = parse_all(&ratings_file, |row, errs| {
        (
            row.period("cycle", errs),
            row.req("agency", errs),
            row.req("standard", errs),
            row.req("self_rating", errs),
            row.get("moderated_rating").to_string(),
        )
    })?;
    let gaps_file = read(dir, "section11_gap_actions.csv")?;
    let gaps = parse_all(&gaps_file, |row, errs| {
        (
            row.period("cycle", errs),
            row.req("agency", errs),
            row.req("standard", errs),
            row.req("description", errs),
            row.date("due_date", errs),
        )
    })?;
    let mut s11 = clients.section11.clone();
    let cycles: BTreeSet<String> = statuses.iter().map(|(_, (c, ..))| c.clone()).collect();
    let mut n_returns = 0;
    for cycle in &cycles {
        let current = s11
            .get_section11_catalogue(au::GetSection11CatalogueRequest {
                cycle: p(cycle),
                version: 0,
            })
            .await;
        let same = match &current {
            Ok(c) => {
                let c = c.get_ref();
                c.standards.len() == standards.len()
                    && c.standards.iter().zip(&standards).all(|(a, b)| {
                        a.code == b.code && a.title == b.title && a.statutory == b.statutory
                    })
            }
            Err(_) => false,
        };
        if !same {
            s11.put_section11_catalogue(au::PutSection11CatalogueRequest {
                cycle: p(cycle),
                standards: standards.clone(),
            })
            .await
            .with_context(|| format!("Section 11 catalogue {cycle}"))?;
        }
        for (_, (_, agency, status, regional)) in statuses.iter().filter(|(_, (c, ..))| c == cycle)
        {
            let mine: Vec<_> = ratings
                .iter()
                .filter(|(_, (c, a, ..))| c == cycle && a == agency)
                .map(|(_, r)| r.clone())
                .collect();
            let gap_for = |std: &str| {
                gaps.iter()
                    .find(|(_, (c, a, s, ..))| c == cycle && a == agency && s == std)
                    .map(|(_, (_, _, s, d, due))| au::Section11GapAction {
                        standard_code: s.clone(),
                        description: d.clone(),
                        owner_agency: String::new(),
                        due_date: due.clone(),
                        ..Default::default()
                    })
            };
            let status_v = crate::csvio::enum_value(
                status,
                "SECTION11_RETURN_STATUS",
                au::Section11ReturnStatus::from_str_name,
            )
            .ok_or_else(|| {
                anyhow::anyhow!("section11_status.csv: '{status}' is not a return status")
            })?;
            let req = au::SubmitSection11ReturnRequest {
                idempotency_key: String::new(),
                cycle: p(cycle),
                agency: agency.clone(),
                status: status_v,
                regional_body: regional.clone(),
                ratings: mine
                    .iter()
                    .map(|(_, _, s, r, _)| au::Section11StandardRating {
                        standard_code: s.clone(),
                        rating: rating(r),
                        evidence: format!(
                            "Self-assessment {cycle}: {}",
                            titles.get(s).cloned().unwrap_or_default()
                        ),
                    })
                    .collect(),
                gap_actions: mine
                    .iter()
                    .filter(|(_, _, _, r, _)| r != "green")
                    .filter_map(|(_, _, s, _, _)| gap_for(s))
                    .collect(),
            };
            let key = format!(
                "seed-s11-{cycle}-{agency}-{}",
                &sha256_hex(format!("{req:?}").as_bytes())[..24]
            );
            let stored = s11
                .submit_section11_return(au::SubmitSection11ReturnRequest {
                    idempotency_key: key,
                    ..req
                })
                .await
                .with_context(|| format!("Section 11 return {cycle} {agency}"))?
                .into_inner();
            n_returns += 1;
            let moderations: Vec<au::Section11Moderation> = mine
                .iter()
                .filter(|(.., m)| !m.is_empty())
                .map(|(_, _, s, _, m)| au::Section11Moderation {
                    standard_code: s.clone(),
                    moderated_rating: rating(m),
                    note: "Peer review challenge event, March 2016".into(),
                    self_rating: 0,
                })
                .collect();
            let done = moderations.iter().all(|m| {
                stored.moderations.iter().any(|x| {
                    x.standard_code == m.standard_code && x.moderated_rating == m.moderated_rating
                })
            });
            if !moderations.is_empty() && !done {
                let gap_actions = mine
                    .iter()
                    .filter(|(_, _, _, r, m)| r == "green" && !m.is_empty() && m != "green")
                    .filter_map(|(_, _, s, _, _)| gap_for(s))
                    .collect();
                s11.moderate_section11_return(au::ModerateSection11ReturnRequest {
                    cycle: p(cycle),
                    agency: agency.clone(),
                    moderations,
                    gap_actions,
                })
                .await
                .with_context(|| format!("Section 11 moderation {cycle} {agency}"))?;
            }
        }
    }
    report.add("Section 11 returns", n_returns);

    // Section 175.
    let est_file = read(dir, "section175_establishments.csv")?;
    let est = parse_all(&est_file, |row, errs| {
        au::Section175Establishment {
        code: row.req("code", errs),
        name: row.req("name", errs),
        r#type: row.enumeration(
            "type",
            "ESTABLISHMENT_TYPE",
            "early_years, primary, secondary, special, independent, academy, further_education, childrens_centre",
            au::EstablishmentType::from_str_name,
            errs,
        ),
    }
    })?;
    let mut s175 = clients.section175.clone();
    s175.put_section175_establishments(au::PutSection175EstablishmentsRequest {
        establishments: est.iter().map(|(_, e)| e.clone()).collect(),
    })
    .await
    .context("Section 175 establishments")?;
    report.add("Section 175 establishments", est.len());
    let ret_file = read(dir, "section175_returns.csv")?;
    let rets = parse_all(&ret_file, |row, errs| {
        (
            row.period("year", errs),
            au::Section175Return {
                establishment_code: row.req("establishment", errs),
                submitted: row.boolean("submitted", errs),
                reported_to_governors: row.boolean("reported_to_governors", errs),
                items_compliant: row.uint("items_compliant", errs),
                items_total: row.uint("items_total", errs),
                submitted_on: row.date("submitted_on", errs),
            },
        )
    })?;
    let mut by_year: BTreeMap<String, Vec<(u64, au::Section175Return)>> = BTreeMap::new();
    for (l, (y, r)) in rets {
        by_year.entry(y).or_default().push((l, r));
    }
    for (year, rows) in by_year {
        let lines: Vec<u64> = rows.iter().map(|(l, _)| *l).collect();
        let n = rows.len();
        s175.submit_section175_returns(au::SubmitSection175ReturnsRequest {
            idempotency_key: ret_file.key(&format!("seed-s175-{year}")),
            year: p(&year),
            returns: rows.into_iter().map(|(_, r)| r).collect(),
        })
        .await
        .map_err(|s| fail(&ret_file.name, crate::csvio::map_violations(&s, &lines)))?;
        report.add(&format!("Section 175 returns {year}"), n);
    }
    let tot_file = read(dir, "section175_year_totals.csv")?;
    let totals = parse_all(&tot_file, |row, errs| {
        (
            row.period("year", errs),
            au::Section175TypeTotal {
                r#type: row.enumeration(
                    "type",
                    "ESTABLISHMENT_TYPE",
                    "early_years, primary, ...",
                    au::EstablishmentType::from_str_name,
                    errs,
                ),
                expected: row.uint("expected", errs),
                completed: row.uint("completed", errs),
            },
        )
    })?;
    let mut tby: BTreeMap<String, Vec<au::Section175TypeTotal>> = BTreeMap::new();
    for (_, (y, t)) in totals {
        tby.entry(y).or_default().push(t);
    }
    for (year, t) in tby {
        s175.put_section175_year_totals(au::PutSection175YearTotalsRequest {
            year: p(&year),
            totals: t,
        })
        .await
        .with_context(|| format!("Section 175 totals {year}"))?;
    }

    // Assurance documents.
    let doc_file = read(dir, "assurance_documents.csv")?;
    let docs = parse_all(&doc_file, |row, errs| au::RecordAssuranceDocumentsRequest {
        year: p(&row.period("year", errs)),
        agency: row.req("agency", errs),
        annual_report_received_on: row.date("annual_report_received_on", errs),
        assurance_letter_received_on: row.date("assurance_letter_received_on", errs),
    })?;
    let mut gov = clients.governance.clone();
    for (_, d) in &docs {
        gov.record_assurance_documents(d.clone())
            .await
            .with_context(|| format!("assurance documents {}", d.agency))?;
    }
    report.add("assurance documents", docs.len());

    // Governance bodies and attendance (figure 29).
    let bodies_file = read(dir, "governance_bodies.csv")?;
    let bodies = parse_all(&bodies_file, |row, errs| au::GovernanceBody {
        code: row.req("code", errs),
        name: row.req("name", errs),
        kind: row.enumeration(
            "kind",
            "GOVERNANCE_BODY_KIND",
            "board, executive, sub_group",
            au::GovernanceBodyKind::from_str_name,
            errs,
        ),
        position: row.uint("position", errs),
        members: row
            .list("members")
            .into_iter()
            .map(|a| au::GovernanceMember {
                named_member: format!("{a} named member"),
                agency: a,
            })
            .collect(),
    })?;
    for (_, b) in &bodies {
        gov.put_governance_body(au::PutGovernanceBodyRequest {
            body: Some(b.clone()),
        })
        .await
        .with_context(|| format!("governance body {}", b.code))?;
    }
    let att_file = read(dir, "governance_attendance.csv")?;
    let att = parse_all(&att_file, |row, errs| {
        (
            row.req("body", errs),
            row.date("held_on", errs),
            row.req("agency", errs),
            row.req("attendance", errs),
        )
    })?;
    let mut meetings: BTreeMap<(String, String), Vec<au::MeetingAttendance>> = BTreeMap::new();
    for (_, (body, date, agency, how)) in att {
        let entry = meetings.entry((body, date)).or_default();
        let capacity = match how.as_str() {
            "named" => au::AttendanceCapacity::Named,
            "nominated" => au::AttendanceCapacity::Nominated,
            _ => continue,
        };
        entry.push(au::MeetingAttendance {
            agency,
            capacity: capacity as i32,
        });
    }
    let nm = meetings.len();
    for ((body, date), attendance) in meetings {
        gov.record_governance_meeting(au::RecordGovernanceMeetingRequest {
            body_code: body.clone(),
            held_on: date.clone(),
            attendance,
        })
        .await
        .with_context(|| format!("meeting {body} {date}"))?;
    }
    report.add("governance meetings", nm);

    // Surveys.
    let text = std::fs::read_to_string(dir.join("survey.toml")).context("survey.toml")?;
    let surveys: SurveyFile = toml::from_str(&text).context("survey.toml is not valid")?;
    let mut sc = clients.surveys.clone();
    for s in &surveys.survey {
        let survey = au::PractitionerSurvey {
            code: s.code.clone(),
            series: s.series.clone(),
            title: s.title.clone(),
            year: p(&s.year),
            conducted_on: s.conducted_on.clone(),
            respondents: s.respondents,
            organisations: s.organisations,
            organisation_names: vec![],
            questions: s
                .question
                .iter()
                .map(|q| au::SurveyQuestion {
                    code: q.code.clone(),
                    text: q.text.clone(),
                    yes_share: Some(lscb_proto::common::v1::Decimal {
                        value: q.yes_share.clone(),
                    }),
                })
                .collect(),
        };
        let key = format!(
            "seed-survey-{}-{}",
            s.code,
            &sha256_hex(format!("{survey:?}").as_bytes())[..24]
        );
        sc.record_survey(au::RecordSurveyRequest {
            idempotency_key: key,
            survey: Some(survey),
        })
        .await
        .with_context(|| format!("survey {}", s.code))?;
    }
    report.add("surveys", surveys.survey.len());
    Ok(())
}

// ---------------------------------------------------------------------------------------
// Training
// ---------------------------------------------------------------------------------------

async fn seed_training(
    clients: &Clients,
    dir: &Path,
    quiet: bool,
    report: &mut SeedReport,
) -> anyhow::Result<()> {
    let mut tc = clients.training.clone();
    let pol_file = read(dir, "charge_policy.csv")?;
    let pol = parse_all(&pol_file, |row, errs| tr::ChargePolicy {
        did_not_attend_charge: Some(lscb_proto::common::v1::Money {
            pence: row.pence("did_not_attend_pence", errs).unwrap_or(0),
        }),
        late_cancellation_charge: Some(lscb_proto::common::v1::Money {
            pence: row.pence("late_cancellation_pence", errs).unwrap_or(0),
        }),
        cancellation_window_days: row.uint("cancellation_window_days", errs),
        exempt_agencies: row.list("exempt_agencies"),
        exempt_sectors: row.list("exempt_sectors"),
        exempt_statutory: row.boolean("exempt_statutory", errs),
    })?;
    if let Some((_, policy)) = pol.into_iter().next() {
        tc.set_charge_policy(tr::SetChargePolicyRequest {
            policy: Some(policy),
        })
        .await
        .context("charge policy")?;
    }

    let prog_file = read(dir, "programmes.csv")?;
    let wf_file = read(dir, "programme_workforce.csv")?;
    let wf = parse_all(&wf_file, |row, errs| {
        (
            row.req("programme", errs),
            tr::AgencyWorkforce {
                agency: row.req("agency", errs),
                workforce: row.uint("workforce", errs),
            },
        )
    })?;
    let progs = parse_all(&prog_file, |row, errs| tr::Programme {
        code: row.req("code", errs),
        name: row.req("name", errs),
        target: row.uint("target", errs),
        start_date: row.date("start_date", errs),
        end_date: row.date("end_date", errs),
        workforce: vec![],
    })?;
    for (_, mut prog) in progs {
        prog.workforce = wf
            .iter()
            .filter(|(_, (c, _))| *c == prog.code)
            .map(|(_, (_, w))| w.clone())
            .collect();
        tc.upsert_programme(tr::UpsertProgrammeRequest {
            programme: Some(prog.clone()),
        })
        .await
        .with_context(|| format!("programme {}", prog.code))?;
    }

    let courses_file = read(dir, "courses.csv")?;
    let courses = parse_all(&courses_file, |row, errs| {
        let level = row.get("level");
        let level_v = crate::csvio::enum_value(
            level.trim_start_matches("level_"),
            "COURSE_LEVEL",
            tr::CourseLevel::from_str_name,
        )
        .unwrap_or_else(|| {
            errs.push(row.err(
                "level",
                format!("'{level}' is not one of level_1, level_2, level_3, specialist, briefing"),
            ));
            0
        });
        tr::Course {
            code: row.req("code", errs),
            title: row.req("title", errs),
            level: level_v,
            topics: row.list("topics"),
            multi_agency: row.boolean("multi_agency", errs),
            length_days: Some(lscb_proto::common::v1::Decimal {
                value: row.decimal("length_days", errs),
            }),
            programme_code: row.get("programme").to_string(),
        }
    })?;
    for (_, c) in &courses {
        tc.upsert_course(tr::UpsertCourseRequest {
            course: Some(c.clone()),
        })
        .await
        .with_context(|| format!("course {}", c.code))?;
    }
    report.add("courses", courses.len());

    // Sessions: matched to stored ones by course, date and venue.
    let sess_file = read(dir, "sessions.csv")?;
    let sessions = parse_all(&sess_file, |row, errs| {
        (
            row.req("session", errs),
            tr::CreateSessionRequest {
                course_code: row.req("course", errs),
                date: row.date("date", errs),
                venue: row.get("venue").to_string(),
                online: row.boolean("online", errs),
                capacity: row.uint("capacity", errs),
                trainers: vec![],
            },
        )
    })?;
    let mut stored: BTreeMap<(String, String, String), tr::Session> = BTreeMap::new();
    let mut token = String::new();
    loop {
        let page = tc
            .list_sessions(tr::ListSessionsRequest {
                page: Some(PageRequest {
                    page_size: 1000,
                    page_token: token.clone(),
                }),
                ..Default::default()
            })
            .await
            .context("list sessions")?
            .into_inner();
        for s in page.sessions {
            stored.insert((s.course_code.clone(), s.date.clone(), s.venue.clone()), s);
        }
        token = page.page.map(|p| p.next_page_token).unwrap_or_default();
        if token.is_empty() {
            break;
        }
    }
    let mut ids: BTreeMap<String, tr::Session> = BTreeMap::new();
    for (_, (key, req)) in &sessions {
        let k = (req.course_code.clone(), req.date.clone(), req.venue.clone());
        let s = match stored.get(&k) {
            Some(s) => s.clone(),
            None => tc
                .create_session(req.clone())
                .await
                .with_context(|| format!("session {key}"))?
                .into_inner(),
        };
        ids.insert(key.clone(), s);
    }
    report.add("sessions", ids.len());

    let att_file = read(dir, "attendance.csv")?;
    let mut by_session: BTreeMap<String, Vec<Delegate>> = BTreeMap::new();
    for (_, (s, d)) in parse_all(&att_file, import::parse_delegate)? {
        by_session.entry(s).or_default().push(d);
    }
    let total: usize = by_session.values().map(Vec::len).sum();
    let mut progress = crate::csvio::Progress::new("training attendance", total as u64, quiet);
    let mut work: Vec<(&tr::Session, &[Delegate])> = vec![];
    for (key, ds) in &by_session {
        let session = ids
            .get(key)
            .ok_or_else(|| anyhow::anyhow!("attendance.csv: unknown session {key}"))?;
        work.push((session, ds.as_slice()));
    }
    // Every session's delegates in RecordDelegates batches (one call for the reference year).
    import::apply_attendance(
        clients,
        &work,
        &att_file.key("seed-delegates"),
        false,
        &mut progress,
    )
    .await
    .map_err(|e| fail("training/attendance.csv", e))?;
    progress.finish();
    report.add("delegates", total);

    let ev_file = read(dir, "evaluations.csv")?;
    let evs = parse_all(&ev_file, |row, errs| {
        (
            row.req("session", errs),
            tr::Evaluation {
                delegate_ref: row.req("delegate_ref", errs),
                confidence_before: row.uint("confidence_before", errs),
                confidence_after: row.uint("confidence_after", errs),
                satisfaction: row.uint("satisfaction", errs),
            },
        )
    })?;
    let mut ev_by: BTreeMap<String, Vec<tr::Evaluation>> = BTreeMap::new();
    for (_, (s, e)) in evs {
        ev_by.entry(s).or_default().push(e);
    }
    let mut n_ev = 0;
    for (key, evals) in ev_by {
        let session = ids
            .get(&key)
            .ok_or_else(|| anyhow::anyhow!("evaluations.csv: unknown session {key}"))?;
        n_ev += evals.len();
        tc.record_evaluations(tr::RecordEvaluationsRequest {
            session_id: session.id.clone(),
            evaluations: evals,
            idempotency_key: ev_file.key(&format!("seed-evaluations-{key}")),
        })
        .await
        .with_context(|| format!("evaluations of session {key}"))?;
    }
    report.add("evaluations", n_ev);

    let pt_file = read(dir, "programme_trained.csv")?;
    let pt = parse_all(&pt_file, |row, errs| {
        (
            row.req("programme", errs),
            tr::ProgrammeTrained {
                agency: row.req("agency", errs),
                date: row.date("date", errs),
                trained: row.uint("trained", errs),
            },
        )
    })?;
    let mut pt_by: BTreeMap<String, Vec<tr::ProgrammeTrained>> = BTreeMap::new();
    for (_, (prog, r)) in pt {
        pt_by.entry(prog).or_default().push(r);
    }
    for (prog, rows) in pt_by {
        tc.record_programme_trained(tr::RecordProgrammeTrainedRequest {
            programme_code: prog.clone(),
            rows,
            idempotency_key: pt_file.key(&format!("seed-trained-{prog}")),
        })
        .await
        .with_context(|| format!("trained towards {prog}"))?;
    }

    let tr_file = read(dir, "trainers.csv")?;
    let trainers = parse_all(&tr_file, |row, errs| tr::Trainer {
        trainer_ref: row.req("trainer_ref", errs),
        agency: row.req("agency", errs),
        programme_code: row.get("programme").to_string(),
        accredited_on: row.date("accredited_on", errs),
    })?;
    tc.record_trainers(tr::RecordTrainersRequest {
        trainers: trainers.iter().map(|(_, t)| t.clone()).collect(),
        idempotency_key: tr_file.key("seed-trainers"),
    })
    .await
    .context("trainers")?;
    report.add("trainers", trainers.len());

    let yt_file = read(dir, "year_totals.csv")?;
    let yts = parse_all(&yt_file, |row, errs| tr::YearTotals {
        year: p(&row.period("year", errs)),
        courses_run: row.uint("courses_run", errs),
        sessions_cancelled: row.uint("sessions_cancelled", errs),
        places_offered: row.uint("places_offered", errs),
        places_taken: row.uint("places_taken", errs),
        ..Default::default()
    })?;
    for (_, y) in &yts {
        let code = y.year.as_ref().map(|p| p.code.clone()).unwrap_or_default();
        tc.record_year_totals(tr::RecordYearTotalsRequest {
            totals: Some(y.clone()),
            idempotency_key: yt_file.key(&format!("seed-year-{code}")),
        })
        .await
        .with_context(|| format!("training totals {code}"))?;
    }
    report.add("earlier training years", yts.len());
    Ok(())
}

// ---------------------------------------------------------------------------------------
// Finance, glossary, narrative
// ---------------------------------------------------------------------------------------

async fn seed_finance(
    clients: &Clients,
    dir: &Path,
    report: &mut SeedReport,
) -> anyhow::Result<()> {
    let file = read(dir, "finance.csv")?;
    let mut errors = Vec::new();
    let years = import::parse_finance(&file, &mut errors);
    if !errors.is_empty() {
        return Err(fail(&file.name, errors));
    }
    let key = file.key("seed-finance");
    let mut n = 0;
    for (year, y) in years {
        n += import::put_finance_year(clients, &year, y, &key)
            .await
            .map_err(|e| fail(&file.name, e))?;
    }
    report.add("finance lines", n);
    Ok(())
}

async fn seed_report_texts(
    clients: &Clients,
    dir: &Path,
    report: &mut SeedReport,
) -> anyhow::Result<()> {
    let mut rc = clients.report.clone();
    let g_file = read(dir, "glossary.csv")?;
    let terms = parse_all(&g_file, |row, errs| {
        (row.req("acronym", errs), row.req("meaning", errs))
    })?;
    let existing: BTreeMap<String, String> = rc
        .list_glossary_terms(rp::ListGlossaryTermsRequest::default())
        .await
        .context("glossary")?
        .into_inner()
        .terms
        .into_iter()
        .map(|t| (t.acronym, t.meaning))
        .collect();
    for (_, (acronym, meaning)) in &terms {
        if existing.get(acronym) == Some(meaning) {
            continue;
        }
        rc.put_glossary_term(rp::PutGlossaryTermRequest {
            acronym: acronym.clone(),
            meaning: meaning.clone(),
        })
        .await
        .with_context(|| format!("glossary term {acronym}"))?;
    }
    report.add("glossary terms", terms.len());

    let year = dir
        .file_name()
        .and_then(|n| n.to_str())
        .filter(|n| lscb_platform::Period::parse(n).is_ok())
        .unwrap_or("2015-16")
        .to_string();
    // The latest version of every section of the year (listing avoids NOT_FOUND probes).
    let latest: BTreeMap<String, String> = rc
        .list_narrative_versions(rp::ListNarrativeVersionsRequest {
            year: year.clone(),
            section: String::new(),
        })
        .await
        .context("narrative")?
        .into_inner()
        .versions
        .into_iter()
        .map(|v| (v.section, v.markdown))
        .collect();
    let mut n = 0;
    let narrative = dir.join("narrative");
    let mut files: Vec<_> = std::fs::read_dir(&narrative)
        .map(|d| d.filter_map(Result::ok).map(|e| e.path()).collect())
        .unwrap_or_default();
    files.sort();
    for path in files {
        let Some(section) = path
            .file_stem()
            .and_then(|s| s.to_str())
            .filter(|_| path.extension().is_some_and(|e| e == "md"))
        else {
            continue;
        };
        let markdown = std::fs::read_to_string(&path)?;
        if latest.get(section) == Some(&markdown) {
            n += 1;
            continue;
        }
        rc.put_narrative(rp::PutNarrativeRequest {
            year: year.clone(),
            section: section.to_string(),
            markdown,
            expected_version: None,
        })
        .await
        .with_context(|| format!("narrative {section}"))?;
        n += 1;
    }
    report.add("narrative sections", n);
    Ok(())
}
