//! The reusable part of `lscbctl`: CSV import and seeding of the reference dataset through
//! the gRPC API, so that the end-to-end tests seed a `TestApp` with the same code.

pub mod csvio;
pub mod import;
pub mod seed;
pub mod seed_clients;
