//! Builds the C side of the nginx bridge (weak references, the ELF note),
//! writes the layout of nginx's structures the bridge uses (measured from a
//! configured nginx when one is named, nginx 1.28.3's otherwise), and
//! generates the C header with cbindgen.

use std::env;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

/// nginx 1.28.3's layout, the committed default (a generated file).
#[allow(dead_code)]
mod defaults {
    include!("src/nginx/layout.rs");
}

/// What the layout file holds: name, Rust type, what it is (doc), hex.
const LAYOUT: &[(&str, &str, &str, bool)] = &[
    (
        "LOG_LEVEL",
        "usize",
        "`offsetof(ngx_log_t, log_level)`",
        false,
    ),
    (
        "CYCLE_POOL",
        "usize",
        "`offsetof(ngx_cycle_t, pool)`",
        false,
    ),
    ("CYCLE_LOG", "usize", "`offsetof(ngx_cycle_t, log)`", false),
    (
        "CONN_READ",
        "usize",
        "`offsetof(ngx_connection_t, read)`",
        false,
    ),
    (
        "CONN_WRITE",
        "usize",
        "`offsetof(ngx_connection_t, write)`",
        false,
    ),
    (
        "CONN_POOL",
        "usize",
        "`offsetof(ngx_connection_t, pool)`",
        false,
    ),
    (
        "EV_HANDLER",
        "usize",
        "`offsetof(ngx_event_t, handler)`",
        false,
    ),
    ("EV_LOG", "usize", "`offsetof(ngx_event_t, log)`", false),
    (
        "EV_CHANNEL_BYTE",
        "usize",
        "The byte of `ngx_event_t` that holds its `channel:1` bit field",
        false,
    ),
    (
        "EV_CHANNEL_MASK",
        "u8",
        "The mask of the `channel` bit within that byte",
        true,
    ),
    (
        "ACTIONS_ADD",
        "usize",
        "`offsetof(ngx_event_actions_t, add)`",
        false,
    ),
    (
        "ACTIONS_ADD_CONN",
        "usize",
        "`offsetof(ngx_event_actions_t, add_conn)`",
        false,
    ),
    ("READ_EVENT", "isize", "`NGX_READ_EVENT`", true),
    ("USE_EPOLL_EVENT", "usize", "`NGX_USE_EPOLL_EVENT`", true),
    ("LOG_ALERT", "usize", "`NGX_LOG_ALERT`", false),
    ("LOG_DEBUG", "usize", "`NGX_LOG_DEBUG`", false),
    ("LOG_DEBUG_CORE", "usize", "`NGX_LOG_DEBUG_CORE`", true),
    (
        "LOG_SRC_FILE",
        "bool",
        "Whether `ngx_log_error_core` takes the caller's source file name after the log (Angie)",
        false,
    ),
];

fn main() {
    println!("cargo:rerun-if-changed=src/nginx/weak.c");
    println!("cargo:rerun-if-changed=src/nginx/layout.rs");
    println!("cargo:rerun-if-changed=src/nginx/layout_probe.c");
    println!("cargo:rerun-if-changed=cbindgen.toml");
    println!("cargo:rerun-if-changed=src/abi.rs");
    println!("cargo:rerun-if-changed=src/exports.rs");
    for var in [
        "NGINX_BUILD_DIR",
        "NGINX_SOURCE_DIR",
        "NGX_CHANNEL_HEADER_OUT",
        "NGX_CHANNEL_LAYOUT_OUT",
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

    // the layout the library uses: src/nginx/layout.rs (nginx 1.28.3's),
    // or the one measured from the nginx at NGINX_BUILD_DIR
    let out = PathBuf::from(env::var_os("OUT_DIR").expect("OUT_DIR")).join("layout.rs");
    let mut debug = env::var_os("CARGO_FEATURE_NGINX_DEBUG").is_some();
    match nginx_tree() {
        Some(tree) => {
            let measured = measure(&tree);
            debug |= measured.debug;
            write_file(&out, &measured.layout);
            if let Some(copy) = env::var_os("NGX_CHANNEL_LAYOUT_OUT") {
                write_file(Path::new(&copy), &measured.layout);
            }
        }
        None => write_file(
            &out,
            &fs::read_to_string("src/nginx/layout.rs").expect("layout.rs"),
        ),
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
    for file in ["ngx_auto_config.h", "Makefile"] {
        println!("cargo:rerun-if-changed={}", tree.objs.join(file).display());
    }
    Some(tree)
}

fn absolute(p: &Path, var: &str) -> PathBuf {
    fs::canonicalize(p).unwrap_or_else(|e| {
        panic!("ngx-channel: {var}={}: {e}", p.display());
    })
}

/// A variable of `objs/Makefile`, its continuation lines joined.
fn makefile_var(tree: &NginxTree, name: &str) -> String {
    let makefile = fs::read_to_string(tree.objs.join("Makefile")).expect("read objs/Makefile");
    let joined = makefile.replace("\\\n", " ");
    joined
        .lines()
        .find_map(|l| {
            let (k, v) = l.split_once('=')?;
            (k.trim() == name).then(|| v.trim().to_string())
        })
        .unwrap_or_else(|| {
            panic!(
                "ngx-channel: no {name} in {}/Makefile (NGINX_BUILD_DIR)",
                tree.objs.display()
            )
        })
}

/// The `-I` flags of nginx's core and event code (CORE_INCS), relative
/// ones made absolute (nginx runs its make in the source root).
fn include_flags(tree: &NginxTree) -> Vec<String> {
    let words: Vec<String> = makefile_var(tree, "CORE_INCS")
        .split_whitespace()
        .map(String::from)
        .collect();
    let mut flags = Vec::new();
    let mut i = 0;
    while i < words.len() {
        let dir = match words[i].as_str() {
            "-I" => {
                i += 1;
                words.get(i).cloned()
            }
            w => w.strip_prefix("-I").map(String::from),
        };
        if let Some(d) = dir.filter(|d| !d.is_empty()) {
            flags.push(format!("-I{}", tree.source.join(d).display()));
        }
        i += 1;
    }
    flags
}

/// What the probe found in an nginx tree.
struct Measured {
    /// The text of layout.rs for that nginx.
    layout: String,
    /// Whether that nginx was configured `--with-debug`.
    debug: bool,
}

/// Compiles `layout_probe.c` with the tree's own compiler, CFLAGS (so
/// `--with-cc-opt` counts) and include flags, runs it, and writes the
/// layout it prints.  A cross build cannot run it: it checks at compile
/// time that the tree has the default layout instead.
fn measure(tree: &NginxTree) -> Measured {
    let out = PathBuf::from(env::var_os("OUT_DIR").expect("OUT_DIR"));
    let exe = out.join("layout_probe");
    let cc = makefile_var(tree, "CC");
    let cflags = makefile_var(tree, "CFLAGS");
    let mut words: Vec<String> = cc
        .split_whitespace()
        .chain(cflags.split_whitespace())
        .map(String::from)
        .collect();
    let cross = env::var("HOST") != env::var("TARGET");
    if cross {
        words.push("-DNGX_CHANNEL_EXPECT=1".into());
        words.extend(expected_values());
        words.push("-c".into());
    }
    words.extend(include_flags(tree));
    let probe = Path::new(&env::var("CARGO_MANIFEST_DIR").expect("CARGO_MANIFEST_DIR"))
        .join("src/nginx/layout_probe.c");
    let status = Command::new(&words[0])
        .args(&words[1..])
        .arg(&probe)
        .arg("-o")
        .arg(&exe)
        .current_dir(&tree.source)
        .status()
        .unwrap_or_else(|e| panic!("ngx-channel: run nginx's compiler `{}`: {e}", words[0]));
    if !status.success() {
        panic!(
            "ngx-channel: src/nginx/layout_probe.c does not compile against the nginx at \
             NGINX_BUILD_DIR={} (see the error above): this nginx's ABI is not the one \
             ngx-channel implements",
            tree.objs.display()
        );
    }
    if cross {
        println!(
            "cargo:warning=cross build: the nginx at {} was checked to have nginx 1.28.3's \
             layout at compile time; its `channel` bit and NGX_DEBUG could not be measured",
            tree.objs.display()
        );
        let debug = fs::read_to_string(tree.objs.join("ngx_auto_config.h"))
            .map(|h| h.contains("#define NGX_DEBUG  1"))
            .unwrap_or(false);
        let layout = fs::read_to_string("src/nginx/layout.rs").expect("layout.rs");
        return Measured { layout, debug };
    }
    let run = Command::new(&exe).output().expect("run layout_probe");
    let report = String::from_utf8_lossy(&run.stdout).into_owned();
    if !run.status.success() {
        panic!(
            "ngx-channel: measuring the nginx at NGINX_BUILD_DIR={} failed:\n{report}{}",
            tree.objs.display(),
            String::from_utf8_lossy(&run.stderr)
        );
    }
    let value = |name: &str| -> String {
        report
            .lines()
            .find_map(|l| l.strip_prefix(name)?.strip_prefix(' ').map(str::to_string))
            .unwrap_or_else(|| panic!("ngx-channel: layout_probe printed no {name}:\n{report}"))
    };
    let layout = layout_text(&value("NGINX_VERSION"), |name| {
        value(name)
            .parse()
            .unwrap_or_else(|e| panic!("ngx-channel: layout_probe's {name}: {e}"))
    });
    Measured {
        layout,
        debug: value("NGX_DEBUG") == "1",
    }
}

/// The defaults as -DEXP_NAME=value flags, for a cross build's probe.
fn expected_values() -> Vec<String> {
    use defaults::*;
    let values: [(&str, i128); 18] = [
        ("LOG_LEVEL", LOG_LEVEL as i128),
        ("CYCLE_POOL", CYCLE_POOL as i128),
        ("CYCLE_LOG", CYCLE_LOG as i128),
        ("CONN_READ", CONN_READ as i128),
        ("CONN_WRITE", CONN_WRITE as i128),
        ("CONN_POOL", CONN_POOL as i128),
        ("EV_HANDLER", EV_HANDLER as i128),
        ("EV_LOG", EV_LOG as i128),
        ("EV_CHANNEL_BYTE", EV_CHANNEL_BYTE as i128),
        ("EV_CHANNEL_MASK", EV_CHANNEL_MASK as i128),
        ("ACTIONS_ADD", ACTIONS_ADD as i128),
        ("ACTIONS_ADD_CONN", ACTIONS_ADD_CONN as i128),
        ("READ_EVENT", READ_EVENT as i128),
        ("USE_EPOLL_EVENT", USE_EPOLL_EVENT as i128),
        ("LOG_ALERT", LOG_ALERT as i128),
        ("LOG_DEBUG", LOG_DEBUG as i128),
        ("LOG_DEBUG_CORE", LOG_DEBUG_CORE as i128),
        ("LOG_SRC_FILE", LOG_SRC_FILE as i128),
    ];
    values
        .iter()
        .map(|(n, v)| format!("-DEXP_{n}={v}"))
        .collect()
}

/// The text of layout.rs for nginx `version`, each value from `value`.
fn layout_text(version: &str, value: impl Fn(&str) -> i128) -> String {
    let mut s = format!(
        "// The parts of nginx's structures, and the constants, that ngx-channel's\n\
         // nginx bridge uses, as build.rs measured them (src/nginx/layout_probe.c)\n\
         // in nginx {version} on 64-bit Linux.\n\
         //\n\
         // Generated.  Built for a configured nginx (NGINX_BUILD_DIR) the library\n\
         // uses that nginx's own values, measured the same way; without one it uses\n\
         // the ones in src/nginx/layout.rs, nginx 1.28.3's: `make layout` writes\n\
         // them, `make check` fails when they are not what nginx 1.28.3 measures.\n"
    );
    for (name, ty, doc, hex) in LAYOUT {
        let v = value(name);
        let v = match (*ty, *hex) {
            ("bool", _) => (v != 0).to_string(),
            (_, true) => format!("{v:#x}"),
            _ => v.to_string(),
        };
        s += &format!("\n/// {doc}.\npub(crate) const {name}: {ty} = {v};\n");
    }
    s
}

/// Writes `text` to `path` unless it already holds it.
fn write_file(path: &Path, text: &str) {
    if fs::read_to_string(path).ok().as_deref() != Some(text) {
        fs::write(path, text)
            .unwrap_or_else(|e| panic!("ngx-channel: write {}: {e}", path.display()));
    }
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
