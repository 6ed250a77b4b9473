//! The only module of part 2 that knows sea-orm: reads and writes of the assurance tables.
//! Every function takes the connection to use (`ctx.db.conn()` for reads, `&*txn` inside a
//! write transaction) and the caller's partnership, which scopes every query.

use std::collections::HashMap;

use chrono::NaiveDate;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DbErr, EntityTrait, PaginatorTrait,
    QueryFilter, QueryOrder, QuerySelect, Set,
};

use super::domain::{
    Attendance, Member, Rating, ReturnStatus, Section175Return, Standard, StandardRating,
    SurveyQuestion,
};
use super::entity::*;

fn json<T: serde::Serialize>(v: &T) -> Result<String, DbErr> {
    serde_json::to_string(v).map_err(|e| DbErr::Custom(format!("encoding json: {e}")))
}

fn from_json<T: serde::de::DeserializeOwned>(s: &str) -> Result<T, DbErr> {
    serde_json::from_str(s).map_err(|e| DbErr::Custom(format!("decoding stored json: {e}")))
}

// ----------------------------------------------------------------------------- Section 11

/// One version of a catalogue.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Catalogue {
    pub version: u32,
    pub standards: Vec<Standard>,
    pub created_by: String,
    pub created_at: String,
}

/// The given version of the cycle's catalogue; version 0 = the latest.
pub async fn catalogue<C: ConnectionTrait>(
    c: &C,
    partnership: &str,
    cycle: &str,
    version: u32,
) -> Result<Option<Catalogue>, DbErr> {
    use s11_catalogue::Column as K;
    let mut q = s11_catalogue::Entity::find()
        .filter(K::Partnership.eq(partnership))
        .filter(K::Cycle.eq(cycle));
    if version > 0 {
        q = q.filter(K::Version.eq(version as i32));
    }
    let Some(m) = q.order_by_desc(K::Version).one(c).await? else {
        return Ok(None);
    };
    Ok(Some(Catalogue {
        version: m.version as u32,
        standards: from_json(&m.standards_json)?,
        created_by: m.created_by,
        created_at: m.created_at,
    }))
}

/// Stores a new version of the cycle's catalogue and returns it.
pub async fn insert_catalogue<C: ConnectionTrait>(
    c: &C,
    partnership: &str,
    cycle: &str,
    standards: &[Standard],
    actor: &str,
) -> Result<Catalogue, DbErr> {
    let version = catalogue(c, partnership, cycle, 0)
        .await?
        .map_or(1, |c| c.version + 1);
    let created_at = chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
    s11_catalogue::ActiveModel {
        partnership: Set(partnership.into()),
        cycle: Set(cycle.into()),
        version: Set(version as i32),
        standards_json: Set(json(&standards)?),
        created_by: Set(actor.into()),
        created_at: Set(created_at.clone()),
        ..Default::default()
    }
    .insert(c)
    .await?;
    Ok(Catalogue {
        version,
        standards: standards.to_vec(),
        created_by: actor.into(),
        created_at,
    })
}

/// One revision of a Section 11 return.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReturnRecord {
    pub cycle: String,
    pub agency: String,
    pub revision: u32,
    pub status: ReturnStatus,
    pub regional_body: String,
    pub catalogue_version: u32,
    pub ratings: Vec<StandardRating>,
    pub submitted_by: String,
    pub submitted_at: String,
}

fn return_record(m: s11_return::Model) -> Result<ReturnRecord, DbErr> {
    Ok(ReturnRecord {
        status: ReturnStatus::parse(&m.status)
            .ok_or_else(|| DbErr::Custom(format!("stored return status '{}'", m.status)))?,
        ratings: from_json(&m.ratings_json)?,
        cycle: m.cycle,
        agency: m.agency,
        revision: m.revision as u32,
        regional_body: m.regional_body,
        catalogue_version: m.catalogue_version as u32,
        submitted_by: m.submitted_by,
        submitted_at: m.submitted_at,
    })
}

/// An agency's return for a cycle: the given revision, or the latest when 0.
pub async fn section11_return<C: ConnectionTrait>(
    c: &C,
    partnership: &str,
    cycle: &str,
    agency: &str,
    revision: u32,
) -> Result<Option<ReturnRecord>, DbErr> {
    use s11_return::Column as K;
    let mut q = s11_return::Entity::find()
        .filter(K::Partnership.eq(partnership))
        .filter(K::Cycle.eq(cycle))
        .filter(K::Agency.eq(agency));
    if revision > 0 {
        q = q.filter(K::Revision.eq(revision as i32));
    }
    q.order_by_desc(K::Revision)
        .one(c)
        .await?
        .map(return_record)
        .transpose()
}

/// Stores a new revision (the next number) of an agency's return.
pub async fn insert_return<C: ConnectionTrait>(
    c: &C,
    partnership: &str,
    mut r: ReturnRecord,
) -> Result<ReturnRecord, DbErr> {
    r.revision = section11_return(c, partnership, &r.cycle, &r.agency, 0)
        .await?
        .map_or(1, |x| x.revision + 1);
    r.submitted_at = chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
    s11_return::ActiveModel {
        partnership: Set(partnership.into()),
        cycle: Set(r.cycle.clone()),
        agency: Set(r.agency.clone()),
        revision: Set(r.revision as i32),
        status: Set(r.status.as_str().into()),
        regional_body: Set(r.regional_body.clone()),
        catalogue_version: Set(r.catalogue_version as i32),
        ratings_json: Set(json(&r.ratings)?),
        submitted_by: Set(r.submitted_by.clone()),
        submitted_at: Set(r.submitted_at.clone()),
        ..Default::default()
    }
    .insert(c)
    .await?;
    Ok(r)
}

/// The latest revision of every agency's return for a cycle, by agency code.
pub async fn latest_returns<C: ConnectionTrait>(
    c: &C,
    partnership: &str,
    cycle: &str,
) -> Result<Vec<ReturnRecord>, DbErr> {
    use s11_return::Column as K;
    let rows = s11_return::Entity::find()
        .filter(K::Partnership.eq(partnership))
        .filter(K::Cycle.eq(cycle))
        .order_by_asc(K::Agency)
        .order_by_asc(K::Revision)
        .all(c)
        .await?;
    let mut out: Vec<ReturnRecord> = Vec::new();
    for m in rows {
        let r = return_record(m)?;
        match out.last_mut() {
            Some(last) if last.agency == r.agency => *last = r,
            _ => out.push(r),
        }
    }
    Ok(out)
}

/// A moderated rating.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ModerationRecord {
    pub agency: String,
    pub standard_code: String,
    pub rating: Rating,
    pub note: String,
}

/// The moderations of a cycle, optionally of one agency.
pub async fn moderations<C: ConnectionTrait>(
    c: &C,
    partnership: &str,
    cycle: &str,
    agency: Option<&str>,
) -> Result<Vec<ModerationRecord>, DbErr> {
    use s11_moderation::Column as K;
    let mut q = s11_moderation::Entity::find()
        .filter(K::Partnership.eq(partnership))
        .filter(K::Cycle.eq(cycle));
    if let Some(a) = agency {
        q = q.filter(K::Agency.eq(a));
    }
    q.order_by_asc(K::Agency)
        .order_by_asc(K::Id)
        .all(c)
        .await?
        .into_iter()
        .map(|m| {
            Ok(ModerationRecord {
                rating: Rating::parse(&m.moderated_rating).ok_or_else(|| {
                    DbErr::Custom(format!("stored rating '{}'", m.moderated_rating))
                })?,
                agency: m.agency,
                standard_code: m.standard_code,
                note: m.note,
            })
        })
        .collect()
}

/// Records (replacing) the moderation of one standard.
pub async fn put_moderation<C: ConnectionTrait>(
    c: &C,
    partnership: &str,
    cycle: &str,
    m: &ModerationRecord,
    actor: &str,
) -> Result<(), DbErr> {
    use s11_moderation::Column as K;
    s11_moderation::Entity::delete_many()
        .filter(K::Partnership.eq(partnership))
        .filter(K::Cycle.eq(cycle))
        .filter(K::Agency.eq(&m.agency))
        .filter(K::StandardCode.eq(&m.standard_code))
        .exec(c)
        .await?;
    s11_moderation::ActiveModel {
        partnership: Set(partnership.into()),
        cycle: Set(cycle.into()),
        agency: Set(m.agency.clone()),
        standard_code: Set(m.standard_code.clone()),
        moderated_rating: Set(m.rating.as_str().into()),
        note: Set(m.note.clone()),
        moderated_by: Set(actor.into()),
        ..Default::default()
    }
    .insert(c)
    .await?;
    Ok(())
}

/// A gap action with its status in part 1's action register.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GapActionRecord {
    pub agency: String,
    pub standard_code: String,
    pub action_id: i64,
    pub description: String,
    pub owner_agency: String,
    pub due_date: NaiveDate,
    pub status: String,
}

/// Creates the action in part 1's register (source kind "section11", source id
/// "CYCLE/AGENCY") and links it to the standard.
#[allow(clippy::too_many_arguments)]
pub async fn insert_gap_action<C: ConnectionTrait>(
    c: &C,
    partnership: &str,
    cycle: &str,
    agency: &str,
    standard_code: &str,
    standard_title: &str,
    description: &str,
    owner_agency: &str,
    due_date: NaiveDate,
) -> Result<i64, DbErr> {
    let id = crate::qa::actions::insert_action(
        c,
        partnership,
        crate::qa::actions::NewAction {
            source_kind: "section11".into(),
            source_id: format!("{cycle}/{agency}"),
            recommendation: format!("Section 11 standard {standard_code}: {standard_title}"),
            description: description.into(),
            owner_agency: owner_agency.into(),
            due_date,
        },
    )
    .await?;
    s11_gap_action::ActiveModel {
        partnership: Set(partnership.into()),
        cycle: Set(cycle.into()),
        agency: Set(agency.into()),
        standard_code: Set(standard_code.into()),
        action_id: Set(id),
        description: Set(description.into()),
        owner_agency: Set(owner_agency.into()),
        due_date: Set(due_date),
        ..Default::default()
    }
    .insert(c)
    .await?;
    Ok(id)
}

/// The gap actions of a cycle (optionally of one agency) with their current status.
pub async fn gap_actions<C: ConnectionTrait>(
    c: &C,
    partnership: &str,
    cycle: &str,
    agency: Option<&str>,
) -> Result<Vec<GapActionRecord>, DbErr> {
    use s11_gap_action::Column as K;
    let mut q = s11_gap_action::Entity::find()
        .filter(K::Partnership.eq(partnership))
        .filter(K::Cycle.eq(cycle));
    if let Some(a) = agency {
        q = q.filter(K::Agency.eq(a));
    }
    let links = q
        .order_by_asc(K::Agency)
        .order_by_asc(K::ActionId)
        .all(c)
        .await?;
    let ids: Vec<i64> = links.iter().map(|l| l.action_id).collect();
    let mut status: HashMap<i64, String> = HashMap::new();
    for chunk in ids.chunks(500) {
        use crate::qa::entity::action;
        for a in action::Entity::find()
            .filter(action::Column::Partnership.eq(partnership))
            .filter(action::Column::Id.is_in(chunk.to_vec()))
            .all(c)
            .await?
        {
            status.insert(a.id, a.status);
        }
    }
    Ok(links
        .into_iter()
        .map(|l| GapActionRecord {
            status: status.get(&l.action_id).cloned().unwrap_or_default(),
            agency: l.agency,
            standard_code: l.standard_code,
            action_id: l.action_id,
            description: l.description,
            owner_agency: l.owner_agency,
            due_date: l.due_date,
        })
        .collect())
}

// ----------------------------------------------------------------------------- Section 175

/// An education establishment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Establishment {
    pub code: String,
    pub name: String,
    pub kind: String,
}

/// Inserts or updates establishments by code; returns (inserted, updated).
pub async fn put_establishments<C: ConnectionTrait>(
    c: &C,
    partnership: &str,
    list: &[Establishment],
) -> Result<(u32, u32), DbErr> {
    use s175_establishment::Column as K;
    let existing = establishments_by_code(c, partnership).await?;
    let (mut ins, mut upd) = (0, 0);
    let mut new = Vec::new();
    for e in list {
        if existing.contains_key(&e.code) {
            s175_establishment::Entity::update_many()
                .col_expr(K::Name, sea_orm::sea_query::Expr::value(e.name.clone()))
                .col_expr(K::Kind, sea_orm::sea_query::Expr::value(e.kind.clone()))
                .filter(K::Partnership.eq(partnership))
                .filter(K::Code.eq(&e.code))
                .exec(c)
                .await?;
            upd += 1;
        } else {
            new.push(s175_establishment::ActiveModel {
                partnership: Set(partnership.into()),
                code: Set(e.code.clone()),
                name: Set(e.name.clone()),
                kind: Set(e.kind.clone()),
                ..Default::default()
            });
            ins += 1;
        }
    }
    for chunk in new.chunks(500) {
        s175_establishment::Entity::insert_many(chunk.to_vec())
            .exec(c)
            .await?;
    }
    Ok((ins, upd))
}

/// Every establishment of the partnership, by code.
pub async fn establishments_by_code<C: ConnectionTrait>(
    c: &C,
    partnership: &str,
) -> Result<HashMap<String, Establishment>, DbErr> {
    use s175_establishment::Column as K;
    Ok(s175_establishment::Entity::find()
        .filter(K::Partnership.eq(partnership))
        .all(c)
        .await?
        .into_iter()
        .map(|m| {
            (
                m.code.clone(),
                Establishment {
                    code: m.code,
                    name: m.name,
                    kind: m.kind,
                },
            )
        })
        .collect())
}

/// A page of establishments (optionally of one kind), ordered by code, and the total.
pub async fn list_establishments<C: ConnectionTrait>(
    c: &C,
    partnership: &str,
    kind: Option<&str>,
    offset: u64,
    limit: u64,
) -> Result<(Vec<Establishment>, u64), DbErr> {
    use s175_establishment::Column as K;
    let mut q = s175_establishment::Entity::find().filter(K::Partnership.eq(partnership));
    if let Some(k) = kind {
        q = q.filter(K::Kind.eq(k));
    }
    let total = q.clone().count(c).await?;
    let rows = q
        .order_by_asc(K::Code)
        .offset(offset)
        .limit(limit)
        .all(c)
        .await?;
    Ok((
        rows.into_iter()
            .map(|m| Establishment {
                code: m.code,
                name: m.name,
                kind: m.kind,
            })
            .collect(),
        total,
    ))
}

/// Replaces the year's return of each named establishment.
pub async fn put_section175_returns<C: ConnectionTrait>(
    c: &C,
    partnership: &str,
    year: &str,
    returns: &[Section175Return],
) -> Result<(), DbErr> {
    use s175_return::Column as K;
    let codes: Vec<String> = returns
        .iter()
        .map(|r| r.establishment_code.clone())
        .collect();
    for chunk in codes.chunks(500) {
        s175_return::Entity::delete_many()
            .filter(K::Partnership.eq(partnership))
            .filter(K::Year.eq(year))
            .filter(K::EstablishmentCode.is_in(chunk.to_vec()))
            .exec(c)
            .await?;
    }
    let rows: Vec<_> = returns
        .iter()
        .map(|r| s175_return::ActiveModel {
            partnership: Set(partnership.into()),
            year: Set(year.into()),
            establishment_code: Set(r.establishment_code.clone()),
            submitted: Set(r.submitted),
            reported_to_governors: Set(r.reported_to_governors),
            items_compliant: Set(r.items_compliant as i32),
            items_total: Set(r.items_total as i32),
            submitted_on: Set(r.submitted_on),
            ..Default::default()
        })
        .collect();
    for chunk in rows.chunks(500) {
        s175_return::Entity::insert_many(chunk.to_vec())
            .exec(c)
            .await?;
    }
    Ok(())
}

/// The returns of a year.
pub async fn section175_returns<C: ConnectionTrait>(
    c: &C,
    partnership: &str,
    year: &str,
) -> Result<Vec<Section175Return>, DbErr> {
    use s175_return::Column as K;
    Ok(s175_return::Entity::find()
        .filter(K::Partnership.eq(partnership))
        .filter(K::Year.eq(year))
        .order_by_asc(K::EstablishmentCode)
        .all(c)
        .await?
        .into_iter()
        .map(|m| Section175Return {
            establishment_code: m.establishment_code,
            submitted: m.submitted,
            reported_to_governors: m.reported_to_governors,
            items_compliant: m.items_compliant.max(0) as u32,
            items_total: m.items_total.max(0) as u32,
            submitted_on: m.submitted_on,
        })
        .collect())
}

/// The years with per-establishment returns and the years with totals.
pub async fn section175_years<C: ConnectionTrait>(
    c: &C,
    partnership: &str,
) -> Result<(Vec<String>, Vec<String>), DbErr> {
    let with_returns: Vec<String> = s175_return::Entity::find()
        .select_only()
        .column(s175_return::Column::Year)
        .distinct()
        .filter(s175_return::Column::Partnership.eq(partnership))
        .into_tuple()
        .all(c)
        .await?;
    let with_totals: Vec<String> = s175_total::Entity::find()
        .select_only()
        .column(s175_total::Column::Year)
        .distinct()
        .filter(s175_total::Column::Partnership.eq(partnership))
        .into_tuple()
        .all(c)
        .await?;
    Ok((with_returns, with_totals))
}

/// (kind, expected, completed) totals of a year.
pub async fn section175_totals<C: ConnectionTrait>(
    c: &C,
    partnership: &str,
    year: &str,
) -> Result<Vec<(String, u32, u32)>, DbErr> {
    use s175_total::Column as K;
    Ok(s175_total::Entity::find()
        .filter(K::Partnership.eq(partnership))
        .filter(K::Year.eq(year))
        .order_by_asc(K::Kind)
        .all(c)
        .await?
        .into_iter()
        .map(|m| (m.kind, m.expected.max(0) as u32, m.completed.max(0) as u32))
        .collect())
}

/// Replaces the totals of a year.
pub async fn put_section175_totals<C: ConnectionTrait>(
    c: &C,
    partnership: &str,
    year: &str,
    totals: &[(String, u32, u32)],
) -> Result<(), DbErr> {
    use s175_total::Column as K;
    s175_total::Entity::delete_many()
        .filter(K::Partnership.eq(partnership))
        .filter(K::Year.eq(year))
        .exec(c)
        .await?;
    for (kind, expected, completed) in totals {
        s175_total::ActiveModel {
            partnership: Set(partnership.into()),
            year: Set(year.into()),
            kind: Set(kind.clone()),
            expected: Set(*expected as i32),
            completed: Set(*completed as i32),
            ..Default::default()
        }
        .insert(c)
        .await?;
    }
    Ok(())
}

// ----------------------------------------------------------------------------- documents

/// Receipt of an agency's annual report and assurance letter.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Documents {
    pub agency: String,
    pub annual_report_on: Option<NaiveDate>,
    pub letter_on: Option<NaiveDate>,
}

pub async fn put_documents<C: ConnectionTrait>(
    c: &C,
    partnership: &str,
    year: &str,
    d: &Documents,
    actor: &str,
) -> Result<(), DbErr> {
    use assurance_doc::Column as K;
    assurance_doc::Entity::delete_many()
        .filter(K::Partnership.eq(partnership))
        .filter(K::Year.eq(year))
        .filter(K::Agency.eq(&d.agency))
        .exec(c)
        .await?;
    assurance_doc::ActiveModel {
        partnership: Set(partnership.into()),
        year: Set(year.into()),
        agency: Set(d.agency.clone()),
        annual_report_on: Set(d.annual_report_on),
        letter_on: Set(d.letter_on),
        recorded_by: Set(actor.into()),
        ..Default::default()
    }
    .insert(c)
    .await?;
    Ok(())
}

pub async fn documents<C: ConnectionTrait>(
    c: &C,
    partnership: &str,
    year: &str,
) -> Result<HashMap<String, Documents>, DbErr> {
    use assurance_doc::Column as K;
    Ok(assurance_doc::Entity::find()
        .filter(K::Partnership.eq(partnership))
        .filter(K::Year.eq(year))
        .all(c)
        .await?
        .into_iter()
        .map(|m| {
            (
                m.agency.clone(),
                Documents {
                    agency: m.agency,
                    annual_report_on: m.annual_report_on,
                    letter_on: m.letter_on,
                },
            )
        })
        .collect())
}

// ----------------------------------------------------------------------------- governance

/// A governance body and its members.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Body {
    pub code: String,
    pub name: String,
    pub kind: String,
    pub position: u32,
    pub members: Vec<Member>,
}

pub async fn put_body<C: ConnectionTrait>(c: &C, partnership: &str, b: &Body) -> Result<(), DbErr> {
    use body::Column as K;
    body::Entity::delete_many()
        .filter(K::Partnership.eq(partnership))
        .filter(K::Code.eq(&b.code))
        .exec(c)
        .await?;
    body::ActiveModel {
        partnership: Set(partnership.into()),
        code: Set(b.code.clone()),
        name: Set(b.name.clone()),
        kind: Set(b.kind.clone()),
        position: Set(b.position as i32),
        members_json: Set(json(&b.members)?),
        ..Default::default()
    }
    .insert(c)
    .await?;
    Ok(())
}

/// The partnership's bodies in column order.
pub async fn bodies<C: ConnectionTrait>(c: &C, partnership: &str) -> Result<Vec<Body>, DbErr> {
    use body::Column as K;
    body::Entity::find()
        .filter(K::Partnership.eq(partnership))
        .order_by_asc(K::Position)
        .order_by_asc(K::Code)
        .all(c)
        .await?
        .into_iter()
        .map(|m| {
            Ok(Body {
                members: from_json(&m.members_json)?,
                code: m.code,
                name: m.name,
                kind: m.kind,
                position: m.position.max(0) as u32,
            })
        })
        .collect()
}

/// A meeting and who attended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Meeting {
    pub body_code: String,
    pub held_on: NaiveDate,
    pub attendance: Vec<Attendance>,
}

/// Records (replacing) a meeting of a body on a date.
pub async fn put_meeting<C: ConnectionTrait>(
    c: &C,
    partnership: &str,
    m: &Meeting,
) -> Result<(), DbErr> {
    use meeting::Column as K;
    meeting::Entity::delete_many()
        .filter(K::Partnership.eq(partnership))
        .filter(K::BodyCode.eq(&m.body_code))
        .filter(K::HeldOn.eq(m.held_on))
        .exec(c)
        .await?;
    meeting::ActiveModel {
        partnership: Set(partnership.into()),
        body_code: Set(m.body_code.clone()),
        held_on: Set(m.held_on),
        attendance_json: Set(json(&m.attendance)?),
        ..Default::default()
    }
    .insert(c)
    .await?;
    Ok(())
}

/// Meetings held within `[from, to]`, optionally of one body, by body and date.
pub async fn meetings<C: ConnectionTrait>(
    c: &C,
    partnership: &str,
    body_code: Option<&str>,
    from: NaiveDate,
    to: NaiveDate,
) -> Result<Vec<Meeting>, DbErr> {
    use meeting::Column as K;
    let mut q = meeting::Entity::find()
        .filter(K::Partnership.eq(partnership))
        .filter(K::HeldOn.gte(from))
        .filter(K::HeldOn.lte(to));
    if let Some(b) = body_code {
        q = q.filter(K::BodyCode.eq(b));
    }
    q.order_by_asc(K::BodyCode)
        .order_by_asc(K::HeldOn)
        .all(c)
        .await?
        .into_iter()
        .map(|m| {
            Ok(Meeting {
                attendance: from_json(&m.attendance_json)?,
                body_code: m.body_code,
                held_on: m.held_on,
            })
        })
        .collect()
}

// ----------------------------------------------------------------------------- surveys

/// A practitioner survey.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Survey {
    pub code: String,
    pub series: String,
    pub title: String,
    pub year: String,
    pub year_start: i32,
    pub conducted_on: Option<NaiveDate>,
    pub respondents: u32,
    pub organisations: u32,
    pub organisation_names: Vec<String>,
    pub questions: Vec<SurveyQuestion>,
}

fn survey_record(m: survey::Model) -> Result<Survey, DbErr> {
    Ok(Survey {
        organisation_names: from_json(&m.organisation_names_json)?,
        questions: from_json(&m.questions_json)?,
        code: m.code,
        series: m.series,
        title: m.title,
        year: m.year,
        year_start: m.year_start,
        conducted_on: m.conducted_on,
        respondents: m.respondents.max(0) as u32,
        organisations: m.organisations.max(0) as u32,
    })
}

/// Records (replacing by code) a survey.
pub async fn put_survey<C: ConnectionTrait>(
    c: &C,
    partnership: &str,
    s: &Survey,
) -> Result<(), DbErr> {
    use survey::Column as K;
    survey::Entity::delete_many()
        .filter(K::Partnership.eq(partnership))
        .filter(K::Code.eq(&s.code))
        .exec(c)
        .await?;
    survey::ActiveModel {
        partnership: Set(partnership.into()),
        code: Set(s.code.clone()),
        series: Set(s.series.clone()),
        title: Set(s.title.clone()),
        year: Set(s.year.clone()),
        year_start: Set(s.year_start),
        conducted_on: Set(s.conducted_on),
        respondents: Set(s.respondents as i32),
        organisations: Set(s.organisations as i32),
        organisation_names_json: Set(json(&s.organisation_names)?),
        questions_json: Set(json(&s.questions)?),
        ..Default::default()
    }
    .insert(c)
    .await?;
    Ok(())
}

/// Surveys, optionally of one series and year, oldest first.
pub async fn surveys<C: ConnectionTrait>(
    c: &C,
    partnership: &str,
    series: Option<&str>,
    year: Option<&str>,
) -> Result<Vec<Survey>, DbErr> {
    use survey::Column as K;
    let mut q = survey::Entity::find().filter(K::Partnership.eq(partnership));
    if let Some(s) = series {
        q = q.filter(K::Series.eq(s));
    }
    if let Some(y) = year {
        q = q.filter(K::Year.eq(y));
    }
    q.order_by_asc(K::YearStart)
        .order_by_asc(K::ConductedOn)
        .order_by_asc(K::Code)
        .all(c)
        .await?
        .into_iter()
        .map(survey_record)
        .collect()
}

pub async fn survey<C: ConnectionTrait>(
    c: &C,
    partnership: &str,
    code: &str,
) -> Result<Option<Survey>, DbErr> {
    use survey::Column as K;
    survey::Entity::find()
        .filter(K::Partnership.eq(partnership))
        .filter(K::Code.eq(code))
        .one(c)
        .await?
        .map(survey_record)
        .transpose()
}
