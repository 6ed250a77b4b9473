//! Part 2's schema migrations (names prefixed `m_as_`). Never edit a published migration.

pub(crate) mod m_as_0001_schema;
pub(crate) mod m_as_0002_board_records;
