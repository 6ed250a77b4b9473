use super::*;
use lscb_platform::testing;

fn row(section: &str, md: &str) -> NarrativeRow {
    NarrativeRow {
        year: "2015-16".into(),
        section: section.into(),
        version: 0,
        markdown: md.into(),
        placeholders: vec![],
        author: "test".into(),
        created_at: "2016-05-01T00:00:00Z".into(),
    }
}

#[tokio::test]
async fn narrative_versions_are_kept_and_guarded() {
    for (name, db) in testing::databases().await {
        crate::migrate(&db).await.unwrap();
        let s = Store::new(db);
        let v1 = s
            .put_narrative("bscb", row("foreword", "one"), Some(0))
            .await
            .unwrap();
        assert_eq!(v1.version, 1, "{name}");
        let v2 = s
            .put_narrative("bscb", row("foreword", "two"), None)
            .await
            .unwrap();
        assert_eq!(v2.version, 2, "{name}");
        let stale = s
            .put_narrative("bscb", row("foreword", "three"), Some(1))
            .await;
        assert!(matches!(stale, Err(Error::Precondition { .. })), "{name}");
        s.put_narrative("bscb", row("introduction", "intro"), None)
            .await
            .unwrap();
        s.put_narrative("other", row("foreword", "theirs"), None)
            .await
            .unwrap();
        let latest = s
            .get_narrative("bscb", "2015-16", "foreword", 0)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(latest.markdown, "two", "{name}");
        let first = s
            .get_narrative("bscb", "2015-16", "foreword", 1)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(first.markdown, "one", "{name}");
        let all = s
            .list_narrative("bscb", "2015-16", Some("foreword"))
            .await
            .unwrap();
        assert_eq!(
            all.iter().map(|r| r.version).collect::<Vec<_>>(),
            [2, 1],
            "{name}"
        );
        let sections = s.list_narrative("bscb", "2015-16", None).await.unwrap();
        assert_eq!(
            sections
                .iter()
                .map(|r| (r.section.as_str(), r.version))
                .collect::<Vec<_>>(),
            [("foreword", 2), ("introduction", 1)],
            "{name}"
        );
    }
}

#[tokio::test]
async fn glossary_is_seeded_and_partnership_terms_override() {
    for (name, db) in testing::databases().await {
        crate::migrate(&db).await.unwrap();
        let s = Store::new(db);
        let g = s.glossary("bscb").await.unwrap();
        assert!(g.len() > 90, "{name}");
        let cse = g.iter().find(|t| t.acronym == "CSE").unwrap();
        assert_eq!(cse.meaning, "Child Sexual Exploitation", "{name}");
        s.put_glossary_term("bscb", "CSE", "Child sexual exploitation (own)", "t", "now")
            .await
            .unwrap();
        s.put_glossary_term("bscb", "ICB", "Integrated Care Board", "t", "now")
            .await
            .unwrap();
        let g = s.glossary("bscb").await.unwrap();
        assert_eq!(
            g.iter().find(|t| t.acronym == "CSE").unwrap().meaning,
            "Child sexual exploitation (own)"
        );
        assert!(g.iter().any(|t| t.acronym == "ICB" && t.own));
        let other = s.glossary("other").await.unwrap();
        assert!(!other.iter().any(|t| t.acronym == "ICB"), "{name}");
    }
}

#[tokio::test]
async fn published_versions_number_per_year() {
    for (name, db) in testing::databases().await {
        crate::migrate(&db).await.unwrap();
        let s = Store::new(db);
        let p = PublishedRow {
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
            idempotency_key: "k1".into(),
            request_hash: "h".into(),
        };
        assert_eq!(
            s.publish("bscb", p.clone()).await.unwrap().version,
            1,
            "{name}"
        );
        let p2 = PublishedRow {
            idempotency_key: String::new(),
            markdown: "# r2".into(),
            ..p
        };
        assert_eq!(s.publish("bscb", p2).await.unwrap().version, 2, "{name}");
        assert_eq!(
            s.get_published("bscb", "2015-16", 1)
                .await
                .unwrap()
                .unwrap()
                .markdown,
            "# r"
        );
        assert_eq!(
            s.get_published("bscb", "2015-16", 0)
                .await
                .unwrap()
                .unwrap()
                .version,
            2
        );
        assert!(
            s.get_published("other", "2015-16", 0)
                .await
                .unwrap()
                .is_none()
        );
        assert_eq!(
            s.published_by_key("bscb", "k1")
                .await
                .unwrap()
                .unwrap()
                .version,
            1
        );
        assert_eq!(s.list_published("bscb", None).await.unwrap().len(), 2);
    }
}
