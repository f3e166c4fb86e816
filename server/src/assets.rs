//! The browser bundle's files under `/pkg/`: which build made them and how long a browser may
//! keep them.
//!
//! A release build (`scripts/build.sh`) names the script, the wasm and the stylesheet by a hash
//! of their content and writes the hashes to `hash.txt` beside the server binary; Leptos reads
//! that file to link them. A name that changes with the content can be kept for a year; a
//! development build's fixed names must be asked again each time.

use std::path::PathBuf;

use leptos::config::LeptosOptions;

/// `Cache-Control` for a file of the bundle: a year and immutable for a hashed name, else
/// stored but checked again before use.
pub fn cache_control(path: &str) -> &'static str {
    if is_hashed(path) {
        "public, max-age=31536000, immutable"
    } else {
        "no-cache"
    }
}

/// Whether the file name carries a content hash: `name.HASH.ext`, with cargo-leptos' hash (an
/// MD5 in unpadded base64url: 22 characters).
fn is_hashed(path: &str) -> bool {
    let name = path.rsplit('/').next().unwrap_or_default();
    let mut parts = name.rsplit('.');
    let (_ext, hash) = (parts.next(), parts.next());
    parts.next().is_some()
        && hash.is_some_and(|hash| {
            hash.len() == 22
                && hash
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
        })
}

/// Where the build's hashes are: `hash.txt` beside the running binary.
fn hash_file(options: &LeptosOptions) -> Option<PathBuf> {
    let exe = std::env::current_exe().ok()?;
    Some(exe.parent()?.join(options.hash_file.as_ref()))
}

/// Whether the bundle's names are hashed: `LEPTOS_HASH_FILES` when set, else whether the
/// build wrote its hashes beside this binary (so the release binary links its hashed files
/// however it is started).
pub fn hashed_build(options: &LeptosOptions) -> bool {
    match std::env::var("LEPTOS_HASH_FILES") {
        Ok(value) => value == "true",
        Err(_) => hash_file(options).is_some_and(|path| path.is_file()),
    }
}

/// The stylesheet's address, hashed as the build named it (for pages Leptos does not render).
pub fn stylesheet_href(options: &LeptosOptions) -> String {
    let hash = options
        .hash_files
        .then(|| hash_file(options))
        .flatten()
        .and_then(|path| std::fs::read_to_string(path).ok())
        .and_then(|hashes| {
            hashes.lines().find_map(|line| {
                let (file, hash) = line.split_once(':')?;
                (file.trim() == "css").then(|| format!(".{}", hash.trim()))
            })
        })
        .unwrap_or_default();
    format!(
        "/{}/{}{hash}.css",
        options.site_pkg_dir, options.output_name
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_hashed_names_are_kept_for_a_year() {
        for hashed in [
            "/pkg/switchyard.4f3Q9wX_kLm2-aBcDeFgHi.wasm",
            "/pkg/switchyard.4f3Q9wX_kLm2-aBcDeFgHi.js",
            "/pkg/switchyard.4f3Q9wX_kLm2-aBcDeFgHi.css",
        ] {
            assert_eq!(
                cache_control(hashed),
                "public, max-age=31536000, immutable",
                "{hashed}"
            );
        }
        for plain in [
            "/pkg/switchyard.wasm",
            "/pkg/switchyard.css",
            "/pkg/4f3Q9wX_kLm2-aBcDeFgHi.css",
            "/pkg/switchyard.4f3Q9wX_kLm2-aBcDeFg.js",
            "/pkg/switchyard.4f3Q9wX_kLm2+aBcDeFgHi.js",
            "/pkg/",
        ] {
            assert_eq!(cache_control(plain), "no-cache", "{plain}");
        }
    }
}
