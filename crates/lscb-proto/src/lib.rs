//! Generated protobuf and gRPC code for every lscb package, and the encoded file
//! descriptor set that the servers register for reflection.

#![allow(
    unreachable_pub,
    missing_debug_implementations,
    clippy::all,
    rust_2018_idioms
)]

/// Encoded `FileDescriptorSet` of everything under `proto/`, for server reflection.
pub const FILE_DESCRIPTOR_SET: &[u8] =
    include_bytes!(concat!(env!("OUT_DIR"), "/lscb_descriptor.bin"));

pub mod common {
    pub mod v1 {
        tonic::include_proto!("lscb.common.v1");
    }
}

pub mod indicators {
    pub mod v1 {
        tonic::include_proto!("lscb.indicators.v1");
    }
}

pub mod audits {
    pub mod v1 {
        tonic::include_proto!("lscb.audits.v1");
    }
}

pub mod training {
    pub mod v1 {
        tonic::include_proto!("lscb.training.v1");
    }
}

pub mod finance {
    pub mod v1 {
        tonic::include_proto!("lscb.finance.v1");
    }
}

pub mod report {
    pub mod v1 {
        tonic::include_proto!("lscb.report.v1");
    }
}
