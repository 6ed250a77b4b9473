//! End-to-end tests: one binary, the whole stack per test.

mod axe;
mod foundation;
mod golden;
mod paging;
mod print;
mod report;
