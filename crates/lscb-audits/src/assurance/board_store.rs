//! Storage of the board's own record (`as_board_records`): one JSON document per
//! partnership, kind and year, replaced whole; and the reads of actions the business plan
//! rolls up.

use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DbErr, EntityTrait, PaginatorTrait,
    QueryFilter, Set,
};
use serde::Serialize;
use serde::de::DeserializeOwned;

use super::board_domain::ActionState;
use super::entity::board_record;
use crate::qa::entity::action;

/// The stored document of `kind` for `year`, if any.
pub async fn get_record<C: ConnectionTrait, T: DeserializeOwned>(
    c: &C,
    partnership: &str,
    kind: &str,
    year: &str,
) -> Result<Option<T>, DbErr> {
    use board_record::Column as K;
    let Some(m) = board_record::Entity::find()
        .filter(K::Partnership.eq(partnership))
        .filter(K::Kind.eq(kind))
        .filter(K::Year.eq(year))
        .one(c)
        .await?
    else {
        return Ok(None);
    };
    serde_json::from_str(&m.document)
        .map(Some)
        .map_err(|e| DbErr::Custom(format!("decoding stored {kind}: {e}")))
}

/// Replaces the document of `kind` for `year` (call inside the write transaction).
pub async fn put_record<C: ConnectionTrait, T: Serialize>(
    c: &C,
    partnership: &str,
    kind: &str,
    year: &str,
    doc: &T,
) -> Result<(), DbErr> {
    use board_record::Column as K;
    let document =
        serde_json::to_string(doc).map_err(|e| DbErr::Custom(format!("encoding {kind}: {e}")))?;
    board_record::Entity::delete_many()
        .filter(K::Partnership.eq(partnership))
        .filter(K::Kind.eq(kind))
        .filter(K::Year.eq(year))
        .exec(c)
        .await?;
    board_record::ActiveModel {
        partnership: Set(partnership.into()),
        kind: Set(kind.into()),
        year: Set(year.into()),
        document: Set(document),
        ..Default::default()
    }
    .insert(c)
    .await?;
    Ok(())
}

/// The partnership's actions with the given ids (unknown ids are simply absent).
pub async fn actions<C: ConnectionTrait>(
    c: &C,
    partnership: &str,
    ids: &[i64],
) -> Result<Vec<ActionState>, DbErr> {
    use action::Column as K;
    let mut out = Vec::with_capacity(ids.len());
    // Chunked under every backend's bind-parameter limit.
    for chunk in ids.chunks(500) {
        let rows = action::Entity::find()
            .filter(K::Partnership.eq(partnership))
            .filter(K::Id.is_in(chunk.iter().copied()))
            .all(c)
            .await?;
        out.extend(rows.into_iter().map(|m| ActionState {
            id: m.id,
            status: m.status,
            due_date: m.due_date,
        }));
    }
    Ok(out)
}

/// How many actions the partnership has.
pub async fn count_actions<C: ConnectionTrait>(c: &C, partnership: &str) -> Result<u64, DbErr> {
    use action::Column as K;
    action::Entity::find()
        .filter(K::Partnership.eq(partnership))
        .count(c)
        .await
}

#[cfg(test)]
#[path = "board_store_tests.rs"]
mod tests;
