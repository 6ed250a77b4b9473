//! Storage of what the board authors for Part 4: overrides, challenges with their progress,
//! and pledges. The only analysis module that knows sea-orm. Nothing is updated in place:
//! overrides and progress are appended, the latest wins.

use chrono::{NaiveDate, Utc};
use lscb_platform::{Db, Error, Result, db::is_unique_violation};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseTransaction, EntityTrait, QueryFilter,
    QueryOrder, Set,
};

use super::domain::{
    Authored, Challenge, ChallengeProgress, ChallengeStatus, Judgement, Override, Pledge,
};
use super::entity::{challenge, challenge_progress, judgement_override, pledge};
use super::rules::QuestionKey;

/// The analysis store over the aggregator's database.
#[derive(Debug, Clone)]
pub struct Store {
    db: Db,
}

fn now() -> String {
    Utc::now().to_rfc3339()
}

fn corrupt(what: &str) -> Error {
    Error::Internal(anyhow::anyhow!("stored {what} is not readable"))
}

fn parse_date(s: &str) -> Result<NaiveDate> {
    NaiveDate::parse_from_str(s, "%Y-%m-%d").map_err(|_| corrupt("date"))
}

fn override_from(m: judgement_override::Model) -> Result<(i64, Override)> {
    let question = if m.question == "overall" {
        None
    } else {
        Some(QuestionKey::parse(&m.question).ok_or_else(|| corrupt("question"))?)
    };
    Ok((
        m.id,
        Override {
            year: m.year,
            question,
            judgement: Judgement::parse(&m.judgement).ok_or_else(|| corrupt("judgement"))?,
            rationale: m.rationale,
            author: m.author,
            decided_on: parse_date(&m.decided_on)?,
        },
    ))
}

fn pledge_from(m: pledge::Model) -> Result<Pledge> {
    Ok(Pledge {
        id: m.id,
        plan_year: m.plan_year,
        priority: m.priority,
        number: m.number as u32,
        text: m.text,
        targets: serde_json::from_str(&m.targets).map_err(|_| corrupt("pledge targets"))?,
        author: m.author,
    })
}

/// One challenge of the partnership with its progress, read on `c`; `NOT_FOUND` otherwise.
async fn challenge_on<C: ConnectionTrait>(c: &C, partnership: &str, id: i64) -> Result<Challenge> {
    let m = challenge::Entity::find_by_id(id)
        .filter(challenge::Column::Partnership.eq(partnership))
        .one(c)
        .await?
        .ok_or_else(|| Error::not_found(format!("challenge {id} not found")))?;
    let mut v = with_progress(c, vec![m]).await?;
    v.pop().ok_or_else(|| corrupt("challenge"))
}

async fn with_progress<C: ConnectionTrait>(
    c: &C,
    ms: Vec<challenge::Model>,
) -> Result<Vec<Challenge>> {
    let ids: Vec<i64> = ms.iter().map(|m| m.id).collect();
    let progress = if ids.is_empty() {
        vec![]
    } else {
        challenge_progress::Entity::find()
            .filter(challenge_progress::Column::ChallengeId.is_in(ids))
            .order_by_asc(challenge_progress::Column::Id)
            .all(c)
            .await?
    };
    ms.into_iter()
        .map(|m| {
            let progress = progress
                .iter()
                .filter(|p| p.challenge_id == m.id)
                .map(|p| {
                    Ok(ChallengeProgress {
                        year: p.year.clone(),
                        status: ChallengeStatus::parse(&p.status)
                            .ok_or_else(|| corrupt("status"))?,
                        note: p.note.clone(),
                        author: p.author.clone(),
                        recorded_on: parse_date(&p.recorded_on)?,
                    })
                })
                .collect::<Result<Vec<_>>>()?;
            Ok(Challenge {
                id: m.id,
                year: m.year,
                number: m.number as u32,
                text: m.text,
                evidence_ids: serde_json::from_str(&m.evidence_ids)
                    .map_err(|_| corrupt("evidence ids"))?,
                author: m.author,
                progress,
            })
        })
        .collect()
}

impl Store {
    pub fn new(db: Db) -> Self {
        Self { db }
    }

    /// Records an override; earlier ones for the same question are kept.
    pub async fn add_override(&self, partnership: &str, o: &Override) -> Result<(i64, Override)> {
        let txn = self.db.begin_write().await?;
        let r = self.insert_override(&txn, partnership, o).await?;
        txn.commit().await?;
        Ok(r)
    }

    /// [`Store::add_override`] inside the caller's write transaction.
    pub async fn insert_override(
        &self,
        txn: &DatabaseTransaction,
        partnership: &str,
        o: &Override,
    ) -> Result<(i64, Override)> {
        let m = judgement_override::ActiveModel {
            partnership: Set(partnership.to_string()),
            year: Set(o.year.clone()),
            question: Set(o
                .question
                .map(|q| q.as_str())
                .unwrap_or("overall")
                .to_string()),
            judgement: Set(o.judgement.as_str().to_string()),
            rationale: Set(o.rationale.clone()),
            author: Set(o.author.clone()),
            decided_on: Set(o.decided_on.to_string()),
            created_at: Set(now()),
            ..Default::default()
        }
        .insert(txn)
        .await?;
        Ok((m.id, o.clone()))
    }

    /// A year's overrides, oldest first.
    pub async fn overrides(&self, partnership: &str, year: &str) -> Result<Vec<(i64, Override)>> {
        judgement_override::Entity::find()
            .filter(judgement_override::Column::Partnership.eq(partnership))
            .filter(judgement_override::Column::Year.eq(year))
            .order_by_asc(judgement_override::Column::Id)
            .all(self.db.conn())
            .await?
            .into_iter()
            .map(override_from)
            .collect()
    }

    /// Adds a challenge; `number` 0 takes the next free number. A taken number is
    /// `ALREADY_EXISTS`.
    pub async fn add_challenge(
        &self,
        partnership: &str,
        year: &str,
        number: u32,
        text: &str,
        evidence_ids: &[String],
        author: &str,
    ) -> Result<Challenge> {
        let txn = self.db.begin_write().await?;
        let c = self
            .insert_challenge(&txn, partnership, year, number, text, evidence_ids, author)
            .await?;
        txn.commit().await?;
        Ok(c)
    }

    /// [`Store::add_challenge`] inside the caller's write transaction.
    #[allow(clippy::too_many_arguments)]
    pub async fn insert_challenge(
        &self,
        txn: &DatabaseTransaction,
        partnership: &str,
        year: &str,
        number: u32,
        text: &str,
        evidence_ids: &[String],
        author: &str,
    ) -> Result<Challenge> {
        let number = if number == 0 {
            let last = challenge::Entity::find()
                .filter(challenge::Column::Partnership.eq(partnership))
                .filter(challenge::Column::Year.eq(year))
                .order_by_desc(challenge::Column::Number)
                .one(txn)
                .await?;
            last.map(|c| c.number + 1).unwrap_or(1)
        } else {
            number as i32
        };
        let m = challenge::ActiveModel {
            partnership: Set(partnership.to_string()),
            year: Set(year.to_string()),
            number: Set(number),
            text: Set(text.to_string()),
            evidence_ids: Set(serde_json::to_string(evidence_ids).map_err(anyhow::Error::from)?),
            author: Set(author.to_string()),
            created_at: Set(now()),
            ..Default::default()
        }
        .insert(txn)
        .await
        .map_err(|e| {
            if is_unique_violation(&e) {
                Error::Conflict(format!("challenge {number} of {year} already exists"))
            } else {
                e.into()
            }
        })?;
        challenge_on(txn, partnership, m.id).await
    }

    /// One challenge of the partnership with its progress; `NOT_FOUND` otherwise.
    pub async fn challenge(&self, partnership: &str, id: i64) -> Result<Challenge> {
        challenge_on(self.db.conn(), partnership, id).await
    }

    /// Appends progress to a challenge. The progress year must come after the year that set
    /// the challenge (`FAILED_PRECONDITION` otherwise).
    pub async fn add_progress(
        &self,
        partnership: &str,
        id: i64,
        p: &ChallengeProgress,
    ) -> Result<Challenge> {
        let txn = self.db.begin_write().await?;
        let c = self.insert_progress(&txn, partnership, id, p).await?;
        txn.commit().await?;
        Ok(c)
    }

    /// [`Store::add_progress`] inside the caller's write transaction.
    pub async fn insert_progress(
        &self,
        txn: &DatabaseTransaction,
        partnership: &str,
        id: i64,
        p: &ChallengeProgress,
    ) -> Result<Challenge> {
        let c = challenge_on(txn, partnership, id).await?;
        if p.year <= c.year {
            return Err(Error::precondition(
                "CHALLENGE_YEAR",
                format!("challenge/{id}"),
                format!(
                    "challenge {} was set in {} for the following year; report its progress in a later year than {}",
                    c.number, c.year, c.year
                ),
            ));
        }
        challenge_progress::ActiveModel {
            challenge_id: Set(id),
            year: Set(p.year.clone()),
            status: Set(p.status.as_str().to_string()),
            note: Set(p.note.clone()),
            author: Set(p.author.clone()),
            recorded_on: Set(p.recorded_on.to_string()),
            created_at: Set(now()),
            ..Default::default()
        }
        .insert(txn)
        .await?;
        challenge_on(txn, partnership, id).await
    }

    /// The challenges set in `year`, by number.
    pub async fn challenges(&self, partnership: &str, year: &str) -> Result<Vec<Challenge>> {
        let ms = challenge::Entity::find()
            .filter(challenge::Column::Partnership.eq(partnership))
            .filter(challenge::Column::Year.eq(year))
            .order_by_asc(challenge::Column::Number)
            .all(self.db.conn())
            .await?;
        with_progress(self.db.conn(), ms).await
    }

    /// Adds a pledge; `number` 0 takes the next free number within its priority.
    pub async fn add_pledge(&self, partnership: &str, p: &Pledge) -> Result<Pledge> {
        let txn = self.db.begin_write().await?;
        let r = self.insert_pledge(&txn, partnership, p).await?;
        txn.commit().await?;
        Ok(r)
    }

    /// [`Store::add_pledge`] inside the caller's write transaction.
    pub async fn insert_pledge(
        &self,
        txn: &DatabaseTransaction,
        partnership: &str,
        p: &Pledge,
    ) -> Result<Pledge> {
        let number = if p.number == 0 {
            let last = pledge::Entity::find()
                .filter(pledge::Column::Partnership.eq(partnership))
                .filter(pledge::Column::PlanYear.eq(&p.plan_year))
                .filter(pledge::Column::Priority.eq(&p.priority))
                .order_by_desc(pledge::Column::Number)
                .one(txn)
                .await?;
            last.map(|c| c.number + 1).unwrap_or(1)
        } else {
            p.number as i32
        };
        let m = pledge::ActiveModel {
            partnership: Set(partnership.to_string()),
            plan_year: Set(p.plan_year.clone()),
            priority: Set(p.priority.clone()),
            number: Set(number),
            text: Set(p.text.clone()),
            targets: Set(serde_json::to_string(&p.targets).map_err(anyhow::Error::from)?),
            author: Set(p.author.clone()),
            created_at: Set(now()),
            ..Default::default()
        }
        .insert(txn)
        .await
        .map_err(|e| {
            if is_unique_violation(&e) {
                Error::Conflict(format!(
                    "pledge {number} of '{}' in {} already exists",
                    p.priority, p.plan_year
                ))
            } else {
                e.into()
            }
        })?;
        pledge_from(m)
    }

    /// The pledges of a plan year, by priority (as first added) and number.
    pub async fn pledges(&self, partnership: &str, plan_year: &str) -> Result<Vec<Pledge>> {
        let mut v: Vec<Pledge> = pledge::Entity::find()
            .filter(pledge::Column::Partnership.eq(partnership))
            .filter(pledge::Column::PlanYear.eq(plan_year))
            .order_by_asc(pledge::Column::Id)
            .all(self.db.conn())
            .await?
            .into_iter()
            .map(pledge_from)
            .collect::<Result<_>>()?;
        let mut order: Vec<String> = vec![];
        for p in &v {
            if !order.contains(&p.priority) {
                order.push(p.priority.clone());
            }
        }
        v.sort_by_key(|p| (order.iter().position(|o| *o == p.priority), p.number));
        Ok(v)
    }

    /// Everything authored that Part 4 of `year` shows: the year's overrides, the challenges
    /// set this year and last, and the pledges for this year and next.
    pub async fn authored(
        &self,
        partnership: &str,
        year: lscb_platform::Period,
    ) -> Result<Authored> {
        let y = year.financial_year();
        let (this, prev, next) = (
            y.to_string(),
            y.previous().to_string(),
            y.next().to_string(),
        );
        let mut challenges = self.challenges(partnership, &prev).await?;
        challenges.extend(self.challenges(partnership, &this).await?);
        let mut pledges = self.pledges(partnership, &this).await?;
        pledges.extend(self.pledges(partnership, &next).await?);
        Ok(Authored {
            overrides: self
                .overrides(partnership, &this)
                .await?
                .into_iter()
                .map(|(_, o)| o)
                .collect(),
            challenges,
            pledges,
        })
    }
}

#[cfg(test)]
#[path = "store_tests.rs"]
mod tests;
