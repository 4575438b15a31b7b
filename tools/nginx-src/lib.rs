//! Never compiled by the project's own targets: this package exists so that
//! `cargo metadata` downloads and locates the pinned `nginx-src` crate.
