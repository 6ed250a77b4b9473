//! The report module's migrations (`m_rep_*`).

pub(crate) mod m_rep_0001_initial;
