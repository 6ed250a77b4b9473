//! The only part of the report module that knows sea-orm: narrative versions, published
//! reports and the glossary over [`lscb_platform::Db`].

use lscb_platform::idempotency::{Claim, Idempotency};
use lscb_platform::{Db, Error};
use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder,
};

use super::entity::{glossary, narrative, published};

/// The RPC name publications are keyed under.
pub const PUBLISH_RPC: &str = "PublishReport";

/// A stored narrative version.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NarrativeRow {
    pub year: String,
    pub section: String,
    pub version: u32,
    pub markdown: String,
    pub placeholders: Vec<String>,
    pub author: String,
    pub created_at: String,
}

impl From<narrative::Model> for NarrativeRow {
    fn from(m: narrative::Model) -> Self {
        NarrativeRow {
            year: m.year,
            section: m.section,
            version: m.version as u32,
            markdown: m.markdown,
            placeholders: serde_json::from_str(&m.placeholders).unwrap_or_default(),
            author: m.author,
            created_at: m.created_at,
        }
    }
}

/// A published report version.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PublishedRow {
    pub year: String,
    pub version: u32,
    pub content_hash: String,
    pub complete: bool,
    pub failed_sources: Vec<String>,
    pub model_json: String,
    pub markdown: String,
    pub html: String,
    pub published_by: String,
    pub published_at: String,
    pub idempotency_key: String,
    pub request_hash: String,
}

impl From<published::Model> for PublishedRow {
    fn from(m: published::Model) -> Self {
        PublishedRow {
            year: m.year,
            version: m.version as u32,
            content_hash: m.content_hash,
            complete: m.complete,
            failed_sources: serde_json::from_str(&m.failed_sources).unwrap_or_default(),
            model_json: m.model_json,
            markdown: m.markdown,
            html: m.html,
            published_by: m.published_by,
            published_at: m.published_at,
            idempotency_key: m.idempotency_key,
            request_hash: m.request_hash,
        }
    }
}

/// A glossary term: `own` when the partnership's rather than the shipped one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Term {
    pub acronym: String,
    pub meaning: String,
    pub own: bool,
}

/// Store of the report module.
#[derive(Debug, Clone)]
pub struct Store {
    db: Db,
}

fn is_unique_violation(e: &sea_orm::DbErr) -> bool {
    let s = e.to_string().to_lowercase();
    s.contains("unique") || s.contains("duplicate key")
}

impl Store {
    pub fn new(db: Db) -> Self {
        Self { db }
    }

    async fn latest_narrative(
        &self,
        conn: &impl ConnectionTrait,
        partnership: &str,
        year: &str,
        section: &str,
    ) -> Result<Option<narrative::Model>, Error> {
        Ok(narrative::Entity::find()
            .filter(narrative::Column::Partnership.eq(partnership))
            .filter(narrative::Column::Year.eq(year))
            .filter(narrative::Column::Section.eq(section))
            .order_by_desc(narrative::Column::Version)
            .one(conn)
            .await?)
    }

    /// Stores a new version; `expected` guards against lost updates (0: no version yet).
    pub async fn put_narrative(
        &self,
        partnership: &str,
        row: NarrativeRow,
        expected: Option<u32>,
    ) -> Result<NarrativeRow, Error> {
        let txn = self.db.begin_write().await?;
        let latest = self
            .latest_narrative(&*txn, partnership, &row.year, &row.section)
            .await?
            .map(|m| m.version as u32)
            .unwrap_or(0);
        if let Some(e) = expected
            && e != latest
        {
            return Err(Error::precondition(
                "STALE_VERSION",
                format!("{}/{}", row.year, row.section),
                format!(
                    "expected_version is {e} but the latest version of {} for {} is {latest}; \
                     read it again and re-apply your change",
                    row.section, row.year
                ),
            ));
        }
        let version = latest + 1;
        let am = narrative::ActiveModel {
            id: Set(uuid::Uuid::new_v4().to_string()),
            partnership: Set(partnership.to_string()),
            year: Set(row.year.clone()),
            section: Set(row.section.clone()),
            version: Set(version as i64),
            markdown: Set(row.markdown.clone()),
            placeholders: Set(serde_json::to_string(&row.placeholders).unwrap_or_default()),
            author: Set(row.author.clone()),
            created_at: Set(row.created_at.clone()),
        };
        narrative::Entity::insert(am)
            .exec(&*txn)
            .await
            .map_err(|e| {
                if is_unique_violation(&e) {
                    Error::Conflict(format!(
                        "{} of {} was changed at the same time; try again",
                        row.section, row.year
                    ))
                } else {
                    Error::Db(e)
                }
            })?;
        txn.commit().await?;
        Ok(NarrativeRow { version, ..row })
    }

    /// A version of a section (0: the latest).
    pub async fn get_narrative(
        &self,
        partnership: &str,
        year: &str,
        section: &str,
        version: u32,
    ) -> Result<Option<NarrativeRow>, Error> {
        let conn = self.db.conn();
        if version == 0 {
            return Ok(self
                .latest_narrative(conn, partnership, year, section)
                .await?
                .map(Into::into));
        }
        Ok(narrative::Entity::find()
            .filter(narrative::Column::Partnership.eq(partnership))
            .filter(narrative::Column::Year.eq(year))
            .filter(narrative::Column::Section.eq(section))
            .filter(narrative::Column::Version.eq(version as i64))
            .one(conn)
            .await?
            .map(Into::into))
    }

    /// Every version of a section, newest first; with no section, the latest version of
    /// every section of the year (ordered by section).
    pub async fn list_narrative(
        &self,
        partnership: &str,
        year: &str,
        section: Option<&str>,
    ) -> Result<Vec<NarrativeRow>, Error> {
        let mut q = narrative::Entity::find()
            .filter(narrative::Column::Partnership.eq(partnership))
            .filter(narrative::Column::Year.eq(year));
        if let Some(s) = section {
            q = q.filter(narrative::Column::Section.eq(s));
        }
        let rows = q
            .order_by_asc(narrative::Column::Section)
            .order_by_desc(narrative::Column::Version)
            .all(self.db.conn())
            .await?;
        let mut out: Vec<NarrativeRow> = Vec::new();
        for r in rows {
            if section.is_none() && out.last().is_some_and(|l| l.section == r.section) {
                continue;
            }
            out.push(r.into());
        }
        Ok(out)
    }

    /// The glossary the partnership sees: the shipped terms with its own on top.
    pub async fn glossary(&self, partnership: &str) -> Result<Vec<Term>, Error> {
        let rows = glossary::Entity::find()
            .filter(glossary::Column::Partnership.is_in(["*", partnership]))
            .all(self.db.conn())
            .await?;
        let mut map = std::collections::BTreeMap::new();
        for r in rows.iter().filter(|r| r.partnership == "*") {
            map.insert(
                r.acronym.clone(),
                Term {
                    acronym: r.acronym.clone(),
                    meaning: r.meaning.clone(),
                    own: false,
                },
            );
        }
        for r in rows.iter().filter(|r| r.partnership != "*") {
            map.insert(
                r.acronym.clone(),
                Term {
                    acronym: r.acronym.clone(),
                    meaning: r.meaning.clone(),
                    own: true,
                },
            );
        }
        Ok(map.into_values().collect())
    }

    pub async fn put_glossary_term(
        &self,
        partnership: &str,
        acronym: &str,
        meaning: &str,
        actor: &str,
        now: &str,
    ) -> Result<Term, Error> {
        let txn = self.db.begin_write().await?;
        let id = format!("{partnership}:{acronym}");
        glossary::Entity::delete_by_id(id.clone())
            .exec(&*txn)
            .await?;
        glossary::Entity::insert(glossary::ActiveModel {
            id: Set(id),
            partnership: Set(partnership.to_string()),
            acronym: Set(acronym.to_string()),
            meaning: Set(meaning.to_string()),
            updated_by: Set(actor.to_string()),
            updated_at: Set(now.to_string()),
        })
        .exec(&*txn)
        .await?;
        txn.commit().await?;
        Ok(Term {
            acronym: acronym.to_string(),
            meaning: meaning.to_string(),
            own: true,
        })
    }

    /// The published version stored under an idempotency key, if any.
    pub async fn published_by_key(
        &self,
        partnership: &str,
        key: &str,
    ) -> Result<Option<PublishedRow>, Error> {
        Ok(published::Entity::find()
            .filter(published::Column::Partnership.eq(partnership))
            .filter(published::Column::IdempotencyKey.eq(key))
            .one(self.db.conn())
            .await?
            .map(Into::into))
    }

    /// Stores a new published version (the next number for the year). With an idempotency
    /// key, the key is claimed first (`lscb_platform::idempotency`, RPC `PublishReport`, the
    /// row's `request_hash`): a concurrent or later replay gets the version the first request
    /// stored, and a different request with the key is `ALREADY_EXISTS`.
    pub async fn publish(
        &self,
        partnership: &str,
        row: PublishedRow,
    ) -> Result<PublishedRow, Error> {
        let txn = self.db.begin_write().await?;
        let idem = Idempotency::with_hash(
            partnership,
            PUBLISH_RPC,
            row.idempotency_key.clone(),
            row.request_hash.clone(),
        )?;
        if let Some(i) = &idem {
            match i.try_claim::<String, _>(&*txn).await? {
                Claim::First => {}
                Claim::Replay(id) => {
                    return published::Entity::find_by_id(id)
                        .one(&*txn)
                        .await?
                        .map(Into::into)
                        .ok_or_else(|| {
                            Error::Internal(anyhow::anyhow!("a replayed publication vanished"))
                        });
                }
                Claim::Reused => return Err(Error::Conflict(i.reused_message())),
            }
        }
        let latest = published::Entity::find()
            .filter(published::Column::Partnership.eq(partnership))
            .filter(published::Column::Year.eq(row.year.clone()))
            .order_by_desc(published::Column::Version)
            .one(&*txn)
            .await?
            .map(|m| m.version as u32)
            .unwrap_or(0);
        let version = latest + 1;
        // A row rendered for a given version (its cover names it) is stored as that version
        // or not at all.
        if row.version != 0 && row.version != version {
            return Err(Error::Conflict(format!(
                "another version of {} was published at the same time; try again",
                row.year
            )));
        }
        let id = uuid::Uuid::new_v4().to_string();
        published::Entity::insert(published::ActiveModel {
            id: Set(id.clone()),
            partnership: Set(partnership.to_string()),
            year: Set(row.year.clone()),
            version: Set(version as i64),
            content_hash: Set(row.content_hash.clone()),
            complete: Set(row.complete),
            failed_sources: Set(serde_json::to_string(&row.failed_sources).unwrap_or_default()),
            model_json: Set(row.model_json.clone()),
            markdown: Set(row.markdown.clone()),
            html: Set(row.html.clone()),
            published_by: Set(row.published_by.clone()),
            published_at: Set(row.published_at.clone()),
            idempotency_key: Set(row.idempotency_key.clone()),
            request_hash: Set(row.request_hash.clone()),
        })
        .exec(&*txn)
        .await
        .map_err(|e| {
            if is_unique_violation(&e) {
                Error::Conflict(format!(
                    "another version of {} was published at the same time; try again",
                    row.year
                ))
            } else {
                Error::Db(e)
            }
        })?;
        if let Some(i) = &idem {
            i.try_complete(&*txn, &id).await?;
        }
        txn.commit().await?;
        Ok(PublishedRow { version, ..row })
    }

    /// Published versions (of one year or all), newest first.
    pub async fn list_published(
        &self,
        partnership: &str,
        year: Option<&str>,
    ) -> Result<Vec<PublishedRow>, Error> {
        let mut q =
            published::Entity::find().filter(published::Column::Partnership.eq(partnership));
        if let Some(y) = year {
            q = q.filter(published::Column::Year.eq(y));
        }
        Ok(q.order_by_desc(published::Column::Year)
            .order_by_desc(published::Column::Version)
            .all(self.db.conn())
            .await?
            .into_iter()
            .map(Into::into)
            .collect())
    }

    /// A published version (0: the latest of the year).
    pub async fn get_published(
        &self,
        partnership: &str,
        year: &str,
        version: u32,
    ) -> Result<Option<PublishedRow>, Error> {
        let mut q = published::Entity::find()
            .filter(published::Column::Partnership.eq(partnership))
            .filter(published::Column::Year.eq(year));
        if version > 0 {
            q = q.filter(published::Column::Version.eq(version as i64));
        }
        Ok(q.order_by_desc(published::Column::Version)
            .one(self.db.conn())
            .await?
            .map(Into::into))
    }
}

#[cfg(test)]
#[path = "store_tests.rs"]
mod tests;

#[cfg(test)]
mod idempotency_tests {
    use super::*;

    fn row(key: &str, hash: &str) -> PublishedRow {
        PublishedRow {
            year: "2015-16".into(),
            version: 0,
            content_hash: "abc".into(),
            complete: true,
            failed_sources: vec![],
            model_json: "{}".into(),
            markdown: "# r".into(),
            html: "<html></html>".into(),
            published_by: "t".into(),
            published_at: "now".into(),
            idempotency_key: key.into(),
            request_hash: hash.into(),
        }
    }

    #[tokio::test]
    async fn concurrent_identical_publications_store_one_version() {
        for (name, db) in lscb_platform::testing::databases().await {
            crate::migrate(&db).await.unwrap();
            let s = Store::new(db);
            let mut tasks = vec![];
            for _ in 0..30 {
                let s = s.clone();
                tasks.push(tokio::spawn(async move {
                    s.publish("bscb", row("pub-1", "h")).await
                }));
            }
            let mut versions = vec![];
            for t in tasks {
                versions.push(t.await.unwrap().unwrap().version);
            }
            assert!(versions.iter().all(|v| *v == 1), "{name}: {versions:?}");
            assert_eq!(s.list_published("bscb", None).await.unwrap().len(), 1);
            let e = s.publish("bscb", row("pub-1", "other")).await.unwrap_err();
            assert!(matches!(e, Error::Conflict(_)), "{name}: {e:?}");
            assert!(e.to_string().contains("pub-1"), "{name}: {e}");
            // Without a key every call publishes a new version.
            assert_eq!(s.publish("bscb", row("", "h")).await.unwrap().version, 2);
        }
    }
}
