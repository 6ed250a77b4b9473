//! Part 1's migrations. Never edit a published migration: add a new one.

pub(crate) mod m_qa_0001_actions;
pub(crate) mod m_qa_0002_programme;
