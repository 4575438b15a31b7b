//! Builds the weak references to nginx's symbols, checks the layouts the
//! bridge relies on against a configured nginx when one is named, and
//! generates the C header with cbindgen.

use std::env;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

#[allow(dead_code)]
mod layout {
    include!("src/nginx/layout.rs");
}

fn main() {
    println!("cargo:rerun-if-changed=src/nginx/weak.c");
    println!("cargo:rerun-if-changed=src/nginx/layout.rs");
    println!("cargo:rerun-if-changed=src/nginx/layout_check.c");
    println!("cargo:rerun-if-changed=cbindgen.toml");
    println!("cargo:rerun-if-changed=src/abi.rs");
    println!("cargo:rerun-if-changed=src/exports.rs");
    for var in [
        "NGINX_BUILD_DIR",
        "NGINX_SOURCE_DIR",
        "NGX_CHANNEL_HEADER_OUT",
    ] {
        println!("cargo:rerun-if-env-changed={var}");
    }

    // The shared library's soname: libngx_channel.so.MAJOR.  (Its symbol
    // versions come from ngx_channel.map when make links the installed
    // library from the archive: rustc's own version script for a cdylib
    // would override them.)
    let major = env::var("CARGO_PKG_VERSION_MAJOR").expect("CARGO_PKG_VERSION_MAJOR");
    println!("cargo:rustc-cdylib-link-arg=-Wl,-soname,libngx_channel.so.{major}");

    let version = env::var("CARGO_PKG_VERSION").expect("CARGO_PKG_VERSION");
    cc::Build::new()
        .file("src/nginx/weak.c")
        .define("NGX_CHANNEL_VERSION", format!("\"{version}\"").as_str())
        .warnings(true)
        .extra_warnings(true)
        .flag("-fvisibility=hidden")
        .compile("ngx_channel_weak");

    let mut debug = env::var_os("CARGO_FEATURE_NGINX_DEBUG").is_some();
    if let Some(tree) = nginx_tree() {
        debug |= check_layout(&tree);
    }
    if debug {
        println!("cargo:rustc-cfg=ngx_channel_debug");
    }

    if let Some(out) = env::var_os("NGX_CHANNEL_HEADER_OUT") {
        generate_header(Path::new(&out));
    }
}

#[cfg(not(feature = "header"))]
fn generate_header(_: &Path) {
    panic!("ngx-channel: NGX_CHANNEL_HEADER_OUT needs the `header` feature (make header)");
}

/// A configured nginx: its source root and its `objs/` directory.
struct NginxTree {
    source: PathBuf,
    objs: PathBuf,
}

/// nginx-sys's convention: NGINX_BUILD_DIR names a configured `objs/`,
/// NGINX_SOURCE_DIR the source tree (its `objs/` unless both are given).
fn nginx_tree() -> Option<NginxTree> {
    let build = env::var_os("NGINX_BUILD_DIR").map(PathBuf::from);
    let source = env::var_os("NGINX_SOURCE_DIR").map(PathBuf::from);
    let (source, objs) = match (source, build) {
        (None, None) => return None,
        (Some(s), Some(b)) => (s, b),
        (Some(s), None) => (s.clone(), s.join("objs")),
        (None, Some(b)) => {
            let parent = b.parent().map(Path::to_path_buf).unwrap_or_default();
            (parent, b)
        }
    };
    let tree = NginxTree {
        source: absolute(&source, "NGINX_SOURCE_DIR"),
        objs: absolute(&objs, "NGINX_BUILD_DIR"),
    };
    for (file, var) in [
        (tree.objs.join("ngx_auto_config.h"), "NGINX_BUILD_DIR"),
        (tree.objs.join("Makefile"), "NGINX_BUILD_DIR"),
        (tree.source.join("src/core/ngx_core.h"), "NGINX_SOURCE_DIR"),
    ] {
        if !file.is_file() {
            panic!(
                "ngx-channel: {} not found: set {var} to a configured nginx \
                 (NGINX_BUILD_DIR = its objs/ directory after ./configure, \
                 NGINX_SOURCE_DIR = its source tree)",
                file.display()
            );
        }
    }
    println!(
        "cargo:rerun-if-changed={}",
        tree.objs.join("ngx_auto_config.h").display()
    );
    Some(tree)
}

fn absolute(p: &Path, var: &str) -> PathBuf {
    fs::canonicalize(p).unwrap_or_else(|e| {
        panic!("ngx-channel: {var}={}: {e}", p.display());
    })
}

/// The `-I` directories of nginx's core and event code, from `objs/Makefile`
/// (relative ones are relative to the source root, where nginx runs make).
fn include_dirs(tree: &NginxTree) -> Vec<PathBuf> {
    let makefile = fs::read_to_string(tree.objs.join("Makefile")).expect("read objs/Makefile");
    let joined = makefile.replace("\\\n", " ");
    let line = joined
        .lines()
        .find(|l| l.starts_with("CORE_INCS"))
        .unwrap_or_else(|| {
            panic!(
                "ngx-channel: no CORE_INCS in {}/Makefile (NGINX_BUILD_DIR)",
                tree.objs.display()
            )
        });
    let words: Vec<&str> = line.split_whitespace().collect();
    let mut dirs = Vec::new();
    let mut i = 0;
    while i < words.len() {
        let dir = match words[i] {
            "-I" => {
                i += 1;
                words.get(i).copied()
            }
            w => w.strip_prefix("-I"),
        };
        if let Some(d) = dir.filter(|d| !d.is_empty()) {
            let p = Path::new(d);
            dirs.push(if p.is_absolute() {
                p.to_path_buf()
            } else {
                tree.source.join(p)
            });
        }
        i += 1;
    }
    dirs
}

/// Compiles and runs `layout_check.c` against the nginx tree, with the
/// values of `src/nginx/layout.rs`; fails the build on any difference.
/// Returns whether that nginx was configured `--with-debug`.
fn check_layout(tree: &NginxTree) -> bool {
    use layout::*;
    let out = PathBuf::from(env::var_os("OUT_DIR").expect("OUT_DIR"));
    let exe = out.join("layout_check");
    let compiler = cc::Build::new().get_compiler();
    let mut cmd = compiler.to_command();
    for d in include_dirs(tree) {
        cmd.arg("-I").arg(d);
    }
    let defines = [
        ("EXP_LOG_LEVEL", LOG_LEVEL.to_string()),
        ("EXP_CYCLE_POOL", CYCLE_POOL.to_string()),
        ("EXP_CYCLE_LOG", CYCLE_LOG.to_string()),
        ("EXP_CONN_READ", CONN_READ.to_string()),
        ("EXP_CONN_WRITE", CONN_WRITE.to_string()),
        ("EXP_CONN_POOL", CONN_POOL.to_string()),
        ("EXP_EV_HANDLER", EV_HANDLER.to_string()),
        ("EXP_EV_LOG", EV_LOG.to_string()),
        ("EXP_EV_CHANNEL_BYTE", EV_CHANNEL_BYTE.to_string()),
        ("EXP_EV_CHANNEL_MASK", EV_CHANNEL_MASK.to_string()),
        ("EXP_ACTIONS_ADD", ACTIONS_ADD.to_string()),
        ("EXP_ACTIONS_ADD_CONN", ACTIONS_ADD_CONN.to_string()),
        ("EXP_READ_EVENT", READ_EVENT.to_string()),
        ("EXP_USE_EPOLL_EVENT", USE_EPOLL_EVENT.to_string()),
    ];
    for (k, v) in defines {
        cmd.arg(format!("-D{k}={v}"));
    }
    cmd.arg("src/nginx/layout_check.c").arg("-o").arg(&exe);
    let status = cmd.status().expect("run the C compiler");
    if !status.success() {
        panic!(
            "ngx-channel: the nginx at NGINX_BUILD_DIR={} does not match the \
             structure layout ngx-channel was written for (see the \
             _Static_assert above and src/nginx/layout.rs); refusing to build \
             a library that would corrupt its memory",
            tree.objs.display()
        );
    }
    if env::var("HOST") != env::var("TARGET") {
        println!(
            "cargo:warning=cross-compiling: the layout of nginx at {} was \
             checked at compile time, but the `channel` bit and NGX_DEBUG were not run",
            tree.objs.display()
        );
        return fs::read_to_string(tree.objs.join("ngx_auto_config.h"))
            .map(|h| h.contains("#define NGX_DEBUG  1"))
            .unwrap_or(false);
    }
    let run = Command::new(&exe).output().expect("run layout_check");
    let report = String::from_utf8_lossy(&run.stdout);
    if !run.status.success() {
        panic!(
            "ngx-channel: nginx at NGINX_BUILD_DIR={} differs from \
             src/nginx/layout.rs:\n{report}{}",
            tree.objs.display(),
            String::from_utf8_lossy(&run.stderr)
        );
    }
    report.lines().any(|l| l.trim() == "NGX_DEBUG 1")
}

/// Writes the C header that cbindgen makes of the exported API to `out`.
#[cfg(feature = "header")]
fn generate_header(out: &Path) {
    let crate_dir = env::var("CARGO_MANIFEST_DIR").expect("CARGO_MANIFEST_DIR");
    let config = cbindgen::Config::from_file(Path::new(&crate_dir).join("cbindgen.toml"))
        .expect("read cbindgen.toml");
    cbindgen::Builder::new()
        .with_crate(&crate_dir)
        .with_config(config)
        .generate()
        .expect("cbindgen: generate include/ngx_channel.h")
        .write_to_file(out);
}
