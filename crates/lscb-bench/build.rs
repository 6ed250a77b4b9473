//! Compiles the hello-world baseline's proto (kept in this crate so the shared `proto/` tree
//! and everyone's `lscb-proto` build stay untouched) with protox: no system `protoc`.

fn main() {
    let file = "proto/hello.proto";
    println!("cargo:rerun-if-changed={file}");
    let fds = protox::compile([file], ["proto"]).unwrap_or_else(|e| panic!("protobuf error: {e}"));
    tonic_prost_build::configure()
        .build_client(true)
        .build_server(true)
        .compile_fds(fds)
        .expect("generate Rust code from protobuf");
}
