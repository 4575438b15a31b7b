//! Builds the C side of the nginx bridge (weak references, the ELF note),
//! writes the layout of nginx's structures the bridge uses (measured from a
//! configured nginx when one is named, nginx 1.28.3's otherwise), and
//! generates the C header with cbindgen.

use std::env;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

/// nginx 1.28.3's layout, the default: the layout lines of the record
/// build.rs writes for nginx-src's nginx (`make layout`).
const DEFAULT_LAYOUT: &str = "src/nginx/nginx-1.28.3.layout";

fn main() {
    println!("cargo:rerun-if-changed=src/nginx/weak.c");
    println!("cargo:rerun-if-changed={DEFAULT_LAYOUT}");
    println!("cargo:rerun-if-changed=src/nginx/layout_probe.c");
    println!("cargo:rerun-if-changed=cbindgen.toml");
    println!("cargo:rerun-if-changed=src/abi.rs");
    println!("cargo:rerun-if-changed=src/exports.rs");
    for var in [
        "NGINX_BUILD_DIR",
        "NGINX_SOURCE_DIR",
        "NGX_CHANNEL_HEADER_OUT",
        "NGX_CHANNEL_RECORD",
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

    // the layout the library uses: nginx 1.28.3's, or the one measured in
    // the nginx at NGINX_BUILD_DIR, whose record goes to NGX_CHANNEL_RECORD
    let out = PathBuf::from(env::var_os("OUT_DIR").expect("OUT_DIR")).join("layout.rs");
    let mut debug = env::var_os("CARGO_FEATURE_NGINX_DEBUG").is_some();
    let layout = match nginx_tree() {
        Some(tree) => {
            let record = record(&tree);
            debug |= record.contains("\nNGX_DEBUG=1\n");
            if let Some(path) = env::var_os("NGX_CHANNEL_RECORD") {
                write_file(Path::new(&path), &record);
            }
            record
        }
        None => default_layout(),
    };
    write_file(&out, &layout_module(&layout));
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

/// `objs/Makefile` of a configured nginx: the one place in ngx-channel
/// that reads it.  Its variables have their continuation lines joined.
struct Makefile(String);

impl Makefile {
    fn read(tree: &NginxTree) -> Self {
        let text = fs::read_to_string(tree.objs.join("Makefile")).expect("read objs/Makefile");
        Makefile(text.replace("\\\n", " "))
    }

    /// The value of variable `name` (`CC`, `CFLAGS`, `CORE_INCS`).
    fn var(&self, name: &str) -> String {
        self.0
            .lines()
            .find_map(|l| {
                let (k, v) = l.split_once('=')?;
                (k.trim() == name).then(|| v.trim().to_string())
            })
            .unwrap_or_else(|| panic!("ngx-channel: no {name} in objs/Makefile (NGINX_BUILD_DIR)"))
    }

    /// The prerequisite of the rule for `target` (`binary`: objs/nginx,
    /// objs/angie in Angie).
    fn rule(&self, target: &str) -> String {
        self.0
            .lines()
            .find_map(|l| l.strip_prefix(target)?.strip_prefix(':'))
            .map(|v| v.trim().to_string())
            .unwrap_or_else(|| panic!("ngx-channel: no {target} rule in objs/Makefile"))
    }

    /// The `-l` and `-pthread` flags of the line that links the binary.
    fn libs(&self, binary: &str) -> String {
        let link = self
            .0
            .lines()
            .skip_while(|l| !l.starts_with(&format!("{binary}:")))
            .find(|l| l.contains("$(LINK)"))
            .unwrap_or_default();
        let libs: Vec<&str> = link
            .split_whitespace()
            .filter(|w| w.starts_with("-l") || *w == "-pthread")
            .collect();
        libs.join(" ")
    }
}

/// The `-I` flags of nginx's core and event code (CORE_INCS), made
/// absolute (nginx runs its make in the source root).
fn include_flags(tree: &NginxTree, core_incs: &str) -> Vec<String> {
    let words: Vec<&str> = core_incs.split_whitespace().collect();
    let mut flags = Vec::new();
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
            flags.push(format!("-I{}", tree.source.join(d).display()));
        }
        i += 1;
    }
    flags
}

/// The record of a configured nginx: what its `objs/Makefile` says
/// (compiler, CFLAGS, include flags, libraries, binary), the read path
/// the library is built with, and what `layout_probe.c` measures (version,
/// NGX_DEBUG, the layout), as `KEY=value` lines that sh sources and the
/// tests read.  Compiled with the tree's own compiler and CFLAGS (so
/// `--with-cc-opt` counts).
fn record(tree: &NginxTree) -> String {
    let makefile = Makefile::read(tree);
    let (cc, cflags) = (makefile.var("CC"), makefile.var("CFLAGS"));
    let incs = include_flags(tree, &makefile.var("CORE_INCS"));
    let binary = makefile.rule("binary");
    let upstream_next = env::var_os("CARGO_FEATURE_UPSTREAM_NEXT").is_some();
    let mut record = format!(
        "# What ngx-channel's build.rs learned of the nginx built here: read by\n\
         # make, the tests and the addon's guard.  Written by each build.\n\
         CC={}\nCFLAGS={}\nINCS={}\nLIBS={}\nBINARY={}\nREAD_PATH={}\n",
        quoted(&cc),
        quoted(&cflags),
        quoted(&incs.join(" ")),
        quoted(&makefile.libs(&binary)),
        quoted(&tree.source.join(&binary).display().to_string()),
        if upstream_next {
            "upstream-next"
        } else {
            "nginx-1.28"
        },
    );

    let out = PathBuf::from(env::var_os("OUT_DIR").expect("OUT_DIR"));
    let exe = out.join("layout_probe");
    let words: Vec<String> = cc
        .split_whitespace()
        .chain(cflags.split_whitespace())
        .map(String::from)
        .chain(incs)
        .collect();
    let default = default_layout();
    compile_probe(tree, &words, &exe);
    // a cross build runs the probe where the host runs the target's programs
    // (binfmt_misc and qemu-user); elsewhere it checks at compile time that
    // the tree has the default layout
    let run = match Command::new(&exe).output() {
        Ok(run) => run,
        Err(e) if env::var("HOST") != env::var("TARGET") => {
            let mut expect = words.clone();
            expect.push("-DNGX_CHANNEL_EXPECT=1".into());
            expect.extend(layout_lines(&default).map(|(n, _, v, _)| format!("-DEXP_{n}={v}")));
            expect.push("-c".into());
            compile_probe(tree, &expect, &exe);
            println!(
                "cargo:warning=cross build, the probe cannot run here ({e}): the nginx at {} \
                 was checked to have nginx 1.28.3's layout at compile time; its `channel` bit \
                 and NGX_DEBUG could not be measured",
                tree.objs.display()
            );
            let debug = fs::read_to_string(tree.objs.join("ngx_auto_config.h"))
                .map(|h| h.contains("#define NGX_DEBUG  1"))
                .unwrap_or(false);
            return record + &format!("NGX_DEBUG={}\n", u8::from(debug)) + &default;
        }
        Err(e) => panic!("ngx-channel: run layout_probe: {e}"),
    };
    let report = String::from_utf8_lossy(&run.stdout);
    if !run.status.success() {
        panic!(
            "ngx-channel: measuring the nginx at NGINX_BUILD_DIR={} failed:\n{report}{}",
            tree.objs.display(),
            String::from_utf8_lossy(&run.stderr)
        );
    }
    record += &report;
    record
}

/// Compiles `src/nginx/layout_probe.c` with `words` (nginx's compiler,
/// CFLAGS, include flags, more) into `exe`, in the tree.
fn compile_probe(tree: &NginxTree, words: &[String], exe: &Path) {
    let probe = Path::new(&env::var("CARGO_MANIFEST_DIR").expect("CARGO_MANIFEST_DIR"))
        .join("src/nginx/layout_probe.c");
    let status = Command::new(&words[0])
        .args(&words[1..])
        .arg(&probe)
        .arg("-o")
        .arg(exe)
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
}

/// The text of the default layout.
fn default_layout() -> String {
    let dir = env::var("CARGO_MANIFEST_DIR").expect("CARGO_MANIFEST_DIR");
    fs::read_to_string(Path::new(&dir).join(DEFAULT_LAYOUT))
        .unwrap_or_else(|e| panic!("ngx-channel: read {DEFAULT_LAYOUT}: {e}"))
}

/// `s` quoted for sh.
fn quoted(s: &str) -> String {
    format!("'{}'", s.replace('\'', "'\\''"))
}

/// The layout lines of a record: `NAME=value # type: what`.
fn layout_lines(record: &str) -> impl Iterator<Item = (&str, &str, &str, &str)> {
    record.lines().filter_map(|l| {
        let (name, rest) = l.split_once('=')?;
        let (value, rest) = rest.split_once(" # ")?;
        let (ty, what) = rest.split_once(": ")?;
        Some((name, ty, value, what))
    })
}

/// The library's layout module, from the layout lines of a record.
fn layout_module(record: &str) -> String {
    let mut s = String::from(
        "// The parts of nginx's structures, and the constants, that the nginx\n\
         // bridge uses (generated by build.rs from src/nginx/layout_probe.c's list).\n",
    );
    for (name, ty, value, what) in layout_lines(record) {
        let value = match ty {
            "bool" => (value != "0").to_string(),
            _ => value.to_string(),
        };
        s += &format!("\n/// `{what}`.\npub(crate) const {name}: {ty} = {value};\n");
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
