use sea_orm::EntityTrait;

use super::*;

fn new(kind: &str) -> NewAction {
    NewAction {
        source_kind: kind.into(),
        source_id: "s11-2016".into(),
        recommendation: "R1".into(),
        description: "Train staff".into(),
        owner_agency: "WMP".into(),
        due_date: chrono::NaiveDate::from_ymd_opt(2016, 9, 30).unwrap(),
    }
}

#[tokio::test]
async fn insert_action_inside_a_transaction_on_both_databases() {
    for (name, db) in lscb_platform::testing::databases().await {
        crate::migrate(&db).await.unwrap();
        let txn = db.begin_write().await.unwrap();
        let id = insert_action(&*txn, "bscb", new("section11"))
            .await
            .unwrap();
        txn.commit().await.unwrap();
        let row = action::Entity::find_by_id(id)
            .one(db.conn())
            .await
            .unwrap()
            .unwrap();
        assert_eq!(row.status, "open", "{name}");
        assert_eq!(row.source_kind, "section11", "{name}");
        assert_eq!(row.owner_agency, "WMP", "{name}");
        assert_eq!(row.due_date.to_string(), "2016-09-30", "{name}");

        // rolled back with its transaction
        let txn = db.begin_write().await.unwrap();
        insert_action(&*txn, "bscb", new("audit")).await.unwrap();
        drop(txn);
        let all = action::Entity::find().all(db.conn()).await.unwrap();
        assert_eq!(all.len(), 1, "{name}");

        let err = insert_action(db.conn(), "bscb", new("gossip"))
            .await
            .unwrap_err();
        assert!(err.to_string().contains("gossip"), "{name}: {err}");
    }
}
