//! Compiles every `.proto` file under the workspace's `proto/` directory with protox
//! (pure Rust, so no system `protoc` is needed) and writes the encoded descriptor set
//! to `OUT_DIR` for server reflection.

use std::path::{Path, PathBuf};

fn collect(dir: &Path, out: &mut Vec<PathBuf>) {
    let mut entries: Vec<_> = std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("reading {}: {e}", dir.display()))
        .map(|e| e.expect("directory entry").path())
        .collect();
    entries.sort();
    for path in entries {
        if path.is_dir() {
            collect(&path, out);
        } else if path.extension().is_some_and(|e| e == "proto") {
            out.push(path);
        }
    }
}

fn main() {
    let root = PathBuf::from(std::env::var("CARGO_MANIFEST_DIR").unwrap()).join("../../proto");
    let root = root.canonicalize().expect("proto/ directory");
    println!("cargo:rerun-if-changed={}", root.display());
    let mut files = Vec::new();
    collect(&root, &mut files);
    for f in &files {
        println!("cargo:rerun-if-changed={}", f.display());
    }
    let fds = protox::compile(&files, [&root]).unwrap_or_else(|e| panic!("protobuf error: {e}"));
    let out = PathBuf::from(std::env::var("OUT_DIR").unwrap());
    let bytes = prost::Message::encode_to_vec(&fds);
    std::fs::write(out.join("lscb_descriptor.bin"), bytes).expect("write descriptor set");
    tonic_prost_build::configure()
        .build_client(true)
        .build_server(true)
        .compile_fds(fds)
        .expect("generate Rust code from protobuf");
}
