//! Serves the widget: the loader `/embed.js` and the iframe's files under `/w/`, from the
//! configured assets directory, or a placeholder until the widget is built.
//!
//! Files whose names carry a content hash (a `-` or `.` separated part of at least 8 hex digits,
//! as in `widget-3f2a9c1d0b7e4a55_bg.wasm`) never change, so they are cached for a year and
//! marked immutable. Everything else is revalidated.
//!
//! `cargo xtask widget` writes a brotli copy next to each file (`<name>.br`); a browser that
//! accepts brotli gets that copy with `Content-Encoding: br`, so the widget's first load is
//! small without a compressing proxy.
//!
//! A revalidated file carries an `ETag` (a hash of the bytes sent), and a browser that already
//! has those bytes gets `304 Not Modified`: a returning reporter on a slow line downloads the
//! form's page and loader again only when they changed.
//!
//! This stays hand-written rather than `tower-http`'s `ServeDir`: measured against 0.6.11, that
//! would add six crates to the relay and still need layers for the per-file `Cache-Control`,
//! the placeholder and the JSON 404, and it sends neither `ETag` nor `Vary: Accept-Encoding`
//! with its precompressed files.

use std::path::{Component, Path, PathBuf};

use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use sha2::{Digest, Sha256};

use crate::error::ApiError;

/// The widget's files on disk, or none.
#[derive(Debug, Clone)]
pub struct Assets {
    directory: Option<PathBuf>,
}

const PLACEHOLDER_SCRIPT: &str = "/* Fluister loader placeholder: the widget has not been built \
into this relay's assets directory yet (see widget.assets_dir in the operator guide). */\n";

const PLACEHOLDER_PAGE: &str = "<!doctype html>\n<html lang=\"nl\"><head><meta charset=\"utf-8\">\
<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
<title>Fluister</title></head><body><main><h1>Fluister</h1>\
<p>Het meldformulier is hier nog niet ge\u{ef}nstalleerd. In gevaar? Bel 112. \
Anoniem melden kan ook bij Meld Misdaad Anoniem: 0800-7000.</p>\
<p lang=\"en\">The report form is not installed here yet. In danger? Call 112.</p>\
</main></body></html>\n";

impl Assets {
    /// Serves from `directory`, or placeholders when it is `None`.
    pub fn new(directory: Option<PathBuf>) -> Self {
        Self { directory }
    }

    /// The SHA-256 (standard base64) of the style sheet the built iframe documents carry inline,
    /// from `asset-manifest.json`, for the widget's Content-Security-Policy; `None` without
    /// built assets or with a manifest that names none (an older build, whose documents link
    /// their style sheet). Read once, when the relay starts: replacing the assets means a
    /// restart, as the operator guide says.
    pub fn inline_style_sha256(&self) -> Option<String> {
        self.manifest_sha256(
            "inline_style_sha256",
            "the widget will show without its style",
        )
    }

    /// The SHA-256 of the start script the built iframe documents carry inline (so the start
    /// screen's exit works without a round trip for a script), as [`Self::inline_style_sha256`];
    /// `None` for an older build, whose documents load it from a file.
    pub fn inline_script_sha256(&self) -> Option<String> {
        self.manifest_sha256(
            "inline_script_sha256",
            "the widget's start screen will not work before its form is fetched",
        )
    }

    /// A SHA-256 that `asset-manifest.json` names under `field`, if it is one: it goes into a
    /// header, so nothing else may.
    fn manifest_sha256(&self, field: &str, without_it: &str) -> Option<String> {
        let directory = self.directory.as_ref()?;
        let manifest = std::fs::read(directory.join("asset-manifest.json")).ok()?;
        let manifest: serde_json::Value = serde_json::from_slice(&manifest).ok()?;
        let hash = manifest.get(field)?.as_str()?;
        // 32 bytes in standard base64 are 44 characters ending in one `=`.
        let well_formed = hash.len() == 44
            && hash.ends_with('=')
            && hash[..43]
                .bytes()
                .all(|byte| byte.is_ascii_alphanumeric() || byte == b'+' || byte == b'/');
        if !well_formed {
            tracing::warn!("asset-manifest.json names no well-formed {field}: {without_it}");
            return None;
        }
        Some(hash.to_owned())
    }

    /// `GET /embed.js`: the loader. Its name has no hash (municipal pages link to it), so it is
    /// cached briefly; pages can pin it with Subresource Integrity (over the decoded bytes, so
    /// the brotli copy matches too).
    pub async fn embed_script(&self, request: &HeaderMap) -> Response {
        match self.read_encoded("embed.js", accepts_brotli(request)).await {
            Some(file) => readable_by_any_page(file_response(
                request,
                file,
                "text/javascript; charset=utf-8",
                "public, max-age=300",
            )),
            None if self.directory.is_none() => file_response(
                request,
                EncodedFile::identity(PLACEHOLDER_SCRIPT.as_bytes().to_vec()),
                "text/javascript; charset=utf-8",
                "no-cache",
            ),
            None => ApiError::NotFound.into_response(),
        }
    }

    /// `GET /w/{path}`: a file of the widget.
    pub async fn widget_file(&self, relative_path: &str, request: &HeaderMap) -> Response {
        let relative_path = if relative_path.is_empty() || relative_path.ends_with('/') {
            format!("{relative_path}index.html")
        } else {
            relative_path.to_owned()
        };
        let Some(safe_path) = safe_relative_path(&relative_path) else {
            return ApiError::NotFound.into_response();
        };
        let on_disk = Path::new("w").join(&safe_path);
        match self
            .read_encoded(&on_disk.to_string_lossy(), accepts_brotli(request))
            .await
        {
            Some(file) => {
                let file_name = safe_path
                    .file_name()
                    .map(|name| name.to_string_lossy().into_owned())
                    .unwrap_or_default();
                let cache_control = if has_content_hash(&file_name) {
                    "public, max-age=31536000, immutable"
                } else {
                    "no-cache"
                };
                let response =
                    file_response(request, file, content_type(&file_name), cache_control);
                if is_versioned_loader(&safe_path) {
                    readable_by_any_page(response)
                } else {
                    response
                }
            }
            None if self.directory.is_none() && relative_path == "index.html" => file_response(
                request,
                EncodedFile::identity(PLACEHOLDER_PAGE.as_bytes().to_vec()),
                "text/html; charset=utf-8",
                "no-cache",
            ),
            None => ApiError::NotFound.into_response(),
        }
    }

    /// `GET /w/`: the iframe document in the language the query asks for (`?lang=pl` serves
    /// `index-pl.html`, which `cargo xtask widget` writes with the start screen in Polish), or
    /// the default `index.html` for a language there is no document for.
    pub async fn widget_document(&self, query: Option<&str>, request: &HeaderMap) -> Response {
        if let Some(language) = query.and_then(requested_language) {
            let name = format!("index-{language}.html");
            if self.read(&format!("w/{name}")).await.is_some() {
                return self.widget_file(&name, request).await;
            }
        }
        self.widget_file("index.html", request).await
    }

    /// The file, as its brotli copy when the browser accepts brotli and the copy exists.
    async fn read_encoded(&self, relative_path: &str, accepts_brotli: bool) -> Option<EncodedFile> {
        if accepts_brotli && let Some(bytes) = self.read(&format!("{relative_path}.br")).await {
            return Some(EncodedFile {
                bytes,
                brotli: true,
            });
        }
        self.read(relative_path).await.map(EncodedFile::identity)
    }

    async fn read(&self, relative_path: &str) -> Option<Vec<u8>> {
        let directory = self.directory.as_ref()?;
        let path = directory.join(relative_path);
        let metadata = tokio::fs::metadata(&path).await.ok()?;
        if !metadata.is_file() {
            return None;
        }
        tokio::fs::read(&path).await.ok()
    }
}

/// A file's bytes as sent: as is, or its brotli copy.
struct EncodedFile {
    bytes: Vec<u8>,
    brotli: bool,
}

impl EncodedFile {
    fn identity(bytes: Vec<u8>) -> Self {
        Self {
            bytes,
            brotli: false,
        }
    }
}

/// Whether the request accepts brotli.
fn accepts_brotli(request: &HeaderMap) -> bool {
    request
        .get(header::ACCEPT_ENCODING)
        .and_then(|value| value.to_str().ok())
        .is_some_and(accepts_brotli_coding)
}

/// Whether an `Accept-Encoding` header value accepts brotli (`br`, not refused with `q=0`).
fn accepts_brotli_coding(accept_encoding: &str) -> bool {
    accept_encoding.split(',').any(|coding| {
        let mut parts = coding.split(';').map(str::trim);
        let name = parts.next().unwrap_or("");
        let refused = parts.any(|parameter| {
            parameter
                .strip_prefix("q=")
                .and_then(|quality| quality.parse::<f32>().ok())
                .is_some_and(|quality| quality <= 0.0)
        });
        name.eq_ignore_ascii_case("br") && !refused
    })
}

/// The file as the response, or `304 Not Modified` when it is revalidated and the request's
/// `If-None-Match` names the bytes it would get.
fn file_response(
    request: &HeaderMap,
    file: EncodedFile,
    content_type: &'static str,
    cache_control: &'static str,
) -> Response {
    let immutable = cache_control.contains("immutable");
    let entity_tag = (!immutable).then(|| entity_tag(&file.bytes));
    if let Some(entity_tag) = &entity_tag
        && if_none_match(request, entity_tag)
    {
        let mut response = StatusCode::NOT_MODIFIED.into_response();
        let headers = response.headers_mut();
        headers.insert(header::ETAG, entity_tag.clone());
        headers.insert(
            header::CACHE_CONTROL,
            HeaderValue::from_static(cache_control),
        );
        headers.insert(header::VARY, HeaderValue::from_static("Accept-Encoding"));
        return response;
    }
    let mut response = (
        StatusCode::OK,
        [
            (header::CONTENT_TYPE, HeaderValue::from_static(content_type)),
            (
                header::CACHE_CONTROL,
                HeaderValue::from_static(cache_control),
            ),
            (header::VARY, HeaderValue::from_static("Accept-Encoding")),
        ],
        file.bytes,
    )
        .into_response();
    if file.brotli {
        response
            .headers_mut()
            .insert(header::CONTENT_ENCODING, HeaderValue::from_static("br"));
    }
    if let Some(entity_tag) = entity_tag {
        response.headers_mut().insert(header::ETAG, entity_tag);
    }
    response
}

/// A strong entity tag for the bytes sent: the first 16 bytes of their SHA-256, in hex (the
/// brotli copy and the plain file differ, and so do their tags).
fn entity_tag(bytes: &[u8]) -> HeaderValue {
    use std::fmt::Write as _;
    let digest = Sha256::digest(bytes);
    let mut tag = String::with_capacity(34);
    tag.push('"');
    for byte in &digest[..16] {
        let _ = write!(tag, "{byte:02x}");
    }
    tag.push('"');
    HeaderValue::from_str(&tag).expect("hex in quotes is a valid header value")
}

/// Whether `If-None-Match` lists `entity_tag` (weak comparison, as RFC 9110 asks for it) or `*`.
fn if_none_match(request: &HeaderMap, entity_tag: &HeaderValue) -> bool {
    let Ok(wanted) = entity_tag.to_str() else {
        return false;
    };
    request
        .get_all(header::IF_NONE_MATCH)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(','))
        .map(str::trim)
        .any(|listed| listed == "*" || listed.trim_start_matches("W/") == wanted)
}

/// Whether `path` (under `/w/`) is the versioned loader, `embed-<hash>.js`, which municipal pages
/// link to with Subresource Integrity.
fn is_versioned_loader(path: &Path) -> bool {
    let name = path.to_str().unwrap_or("");
    name.strip_prefix("embed-")
        .and_then(|rest| rest.strip_suffix(".js"))
        .is_some_and(|hash| hash.len() >= 8 && hash.bytes().all(|byte| byte.is_ascii_hexdigit()))
}

/// Lets any page read the response, as a script with `integrity` and `crossorigin="anonymous"`
/// must be readable to be checked (without it the browser blocks the script and no form
/// appears). Only the loaders get this: they are public code, and the header allows no
/// credentials.
fn readable_by_any_page(mut response: Response) -> Response {
    response.headers_mut().insert(
        header::ACCESS_CONTROL_ALLOW_ORIGIN,
        HeaderValue::from_static("*"),
    );
    response
}

/// Accepts only plain relative paths made of ordinary names: no `..`, no root, no hidden files,
/// no characters outside `[A-Za-z0-9._-]`.
fn safe_relative_path(text: &str) -> Option<PathBuf> {
    let path = Path::new(text);
    let mut safe = PathBuf::new();
    for component in path.components() {
        let Component::Normal(name) = component else {
            return None;
        };
        let name = name.to_str()?;
        let ordinary = !name.starts_with('.')
            && name
                .bytes()
                .all(|byte| byte.is_ascii_alphanumeric() || matches!(byte, b'.' | b'_' | b'-'));
        if !ordinary {
            return None;
        }
        safe.push(name);
    }
    (!safe.as_os_str().is_empty()).then_some(safe)
}

/// The `lang` parameter of a query string, when it is a plain language code (two or three
/// lowercase letters); anything else asks for no language.
fn requested_language(query: &str) -> Option<&str> {
    query
        .split('&')
        .filter_map(|pair| pair.split_once('='))
        .find(|(name, _)| *name == "lang")
        .map(|(_, value)| value)
        .filter(|value| {
            (2..=3).contains(&value.len()) && value.bytes().all(|byte| byte.is_ascii_lowercase())
        })
}

/// Whether a file name carries a content hash: a part of at least 8 hex digits between `-`, `.`
/// or `_` separators.
pub fn has_content_hash(file_name: &str) -> bool {
    let mut parts = file_name.split(['-', '.', '_']);
    // The first part is the base name, never the hash.
    parts.next();
    parts.any(|part| part.len() >= 8 && part.bytes().all(|byte| byte.is_ascii_hexdigit()))
}

fn content_type(file_name: &str) -> &'static str {
    let extension = file_name.rsplit('.').next().unwrap_or("");
    match extension {
        "html" => "text/html; charset=utf-8",
        "js" | "mjs" => "text/javascript; charset=utf-8",
        "wasm" => "application/wasm",
        "css" => "text/css; charset=utf-8",
        "json" => "application/json",
        "svg" => "image/svg+xml",
        "png" => "image/png",
        "ico" => "image/x-icon",
        "woff2" => "font/woff2",
        "txt" => "text/plain; charset=utf-8",
        _ => "application/octet-stream",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_that_leave_the_directory_are_refused() {
        assert!(safe_relative_path("../secret").is_none());
        assert!(safe_relative_path("/etc/passwd").is_none());
        assert!(safe_relative_path("a/../../b").is_none());
        assert!(safe_relative_path(".hidden").is_none());
        assert!(safe_relative_path("a/b%2f").is_none());
        assert_eq!(
            safe_relative_path("pkg/widget-0123abcd_bg.wasm"),
            Some(PathBuf::from("pkg/widget-0123abcd_bg.wasm"))
        );
    }

    #[test]
    fn brotli_is_accepted_only_when_offered_and_not_refused() {
        assert!(accepts_brotli_coding("gzip, deflate, br, zstd"));
        assert!(accepts_brotli_coding("BR;q=0.5"));
        assert!(!accepts_brotli_coding("gzip, deflate"));
        assert!(!accepts_brotli_coding("br;q=0, gzip"));
        assert!(!accepts_brotli_coding("brotli"));
        assert!(!accepts_brotli_coding(""));
    }

    #[test]
    fn only_the_versioned_loader_is_recognised_as_one() {
        assert!(is_versioned_loader(Path::new("embed-2f0d543f2eab7c15.js")));
        assert!(!is_versioned_loader(Path::new("embed.js")));
        assert!(!is_versioned_loader(Path::new(
            "embed-2f0d543f2eab7c15.js.map"
        )));
        assert!(!is_versioned_loader(Path::new("start-fa6ff43013fc07e4.js")));
        assert!(!is_versioned_loader(Path::new(
            "sub/embed-2f0d543f2eab7c15.js"
        )));
        assert!(!is_versioned_loader(Path::new("embed-xyz.js")));
    }

    #[test]
    fn only_plain_language_codes_choose_a_document() {
        assert_eq!(requested_language("lang=pl&municipality=assen"), Some("pl"));
        assert_eq!(requested_language("municipality=&lang=bg"), Some("bg"));
        assert_eq!(requested_language("lang=../x"), None);
        assert_eq!(requested_language("lang=PL"), None);
        assert_eq!(requested_language("lang=polish"), None);
        assert_eq!(requested_language("language=pl"), None);
        assert_eq!(requested_language(""), None);
    }

    #[test]
    fn content_hashes_are_recognised() {
        assert!(has_content_hash("widget-3f2a9c1d0b7e4a55_bg.wasm"));
        assert!(has_content_hash("style.0123abcd.css"));
        assert!(!has_content_hash("index.html"));
        assert!(!has_content_hash("deadbeef.js"));
        assert!(!has_content_hash("widget-abc.js"));
    }

    /// A widget directory with one revalidated file and one hashed file, each with a brotli copy.
    fn widget_directory() -> PathBuf {
        let directory = std::env::temp_dir().join(format!(
            "fluister-assets-{}-{:x}",
            std::process::id(),
            crate::encoding::random_bytes::<8>()
                .iter()
                .fold(0u64, |acc, byte| acc << 8 | u64::from(*byte))
        ));
        std::fs::create_dir_all(directory.join("w")).unwrap();
        std::fs::write(directory.join("w/index.html"), "<!doctype html>").unwrap();
        std::fs::write(directory.join("w/index.html.br"), "brotli bytes").unwrap();
        std::fs::write(directory.join("w/app-0123abcd.js"), "hashed").unwrap();
        std::fs::write(
            directory.join("w/index-pl.html"),
            "<!doctype html><html lang=\"pl\">",
        )
        .unwrap();
        directory
    }

    #[test]
    fn the_inline_hashes_are_taken_only_when_they_are_hashes() {
        let directory = widget_directory();
        let assets = Assets::new(Some(directory.clone()));
        assert_eq!(assets.inline_style_sha256(), None, "no manifest");
        assert_eq!(assets.inline_script_sha256(), None, "no manifest");
        let style = "47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=";
        let script = "ypeBEsobvcr6wjGzmiPcTaeG7/gUfE5yuYB3ha/uSLs=";
        let manifest = |style: &str, script: &str| {
            std::fs::write(
                directory.join("asset-manifest.json"),
                serde_json::json!({ "inline_style_sha256": style, "inline_script_sha256": script })
                    .to_string(),
            )
            .unwrap();
        };
        manifest(style, script);
        assert_eq!(assets.inline_style_sha256().as_deref(), Some(style));
        assert_eq!(assets.inline_script_sha256().as_deref(), Some(script));
        for bad in [
            "",
            "47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU",
            "47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuF'=",
            "47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hS; *=",
            "'unsafe-inline'",
        ] {
            manifest(bad, script);
            assert_eq!(assets.inline_style_sha256(), None, "{bad}");
            assert_eq!(assets.inline_script_sha256().as_deref(), Some(script));
            manifest(style, bad);
            assert_eq!(assets.inline_script_sha256(), None, "{bad}");
            assert_eq!(assets.inline_style_sha256().as_deref(), Some(style));
        }
        std::fs::write(directory.join("asset-manifest.json"), "not json").unwrap();
        assert_eq!(assets.inline_style_sha256(), None);
        assert_eq!(assets.inline_script_sha256(), None);
        assert_eq!(Assets::new(None).inline_style_sha256(), None);
        assert_eq!(Assets::new(None).inline_script_sha256(), None);
    }

    fn request(pairs: &[(header::HeaderName, &str)]) -> HeaderMap {
        pairs
            .iter()
            .map(|(name, value)| (name.clone(), HeaderValue::from_str(value).unwrap()))
            .collect()
    }

    #[tokio::test]
    async fn a_revalidated_file_is_not_sent_again_when_the_browser_has_it() {
        let directory = widget_directory();
        let assets = Assets::new(Some(directory.clone()));

        let first = assets.widget_file("index.html", &request(&[])).await;
        assert_eq!(first.status(), StatusCode::OK);
        let tag = first.headers()[header::ETAG].to_str().unwrap().to_owned();
        assert_eq!(tag.len(), 34);

        let again = assets
            .widget_file("index.html", &request(&[(header::IF_NONE_MATCH, &tag)]))
            .await;
        assert_eq!(again.status(), StatusCode::NOT_MODIFIED);
        assert_eq!(again.headers()[header::ETAG], tag.as_str());
        assert_eq!(again.headers()[header::CACHE_CONTROL], "no-cache");
        let body = axum::body::to_bytes(again.into_body(), 1024).await.unwrap();
        assert!(body.is_empty());

        // The brotli copy is other bytes: its tag differs, and the plain file's tag does not
        // make the relay skip it.
        let brotli = assets
            .widget_file(
                "index.html",
                &request(&[
                    (header::ACCEPT_ENCODING, "br"),
                    (header::IF_NONE_MATCH, &tag),
                ]),
            )
            .await;
        assert_eq!(brotli.status(), StatusCode::OK);
        assert_eq!(brotli.headers()[header::CONTENT_ENCODING], "br");
        assert_ne!(brotli.headers()[header::ETAG], tag.as_str());

        // A changed file is sent again.
        std::fs::write(directory.join("w/index.html"), "<!doctype html><p>new").unwrap();
        let changed = assets
            .widget_file("index.html", &request(&[(header::IF_NONE_MATCH, &tag)]))
            .await;
        assert_eq!(changed.status(), StatusCode::OK);

        // Files named by their hash are cached for good and need no tag.
        let hashed = assets.widget_file("app-0123abcd.js", &request(&[])).await;
        assert_eq!(hashed.status(), StatusCode::OK);
        assert!(hashed.headers().get(header::ETAG).is_none());

        std::fs::remove_dir_all(directory).unwrap();
    }

    #[tokio::test]
    async fn the_document_in_the_requested_language_is_served_and_dutch_otherwise() {
        let directory = widget_directory();
        let assets = Assets::new(Some(directory.clone()));
        let body = |response: Response| async {
            let bytes = axum::body::to_bytes(response.into_body(), 1024)
                .await
                .unwrap();
            String::from_utf8(bytes.to_vec()).unwrap()
        };

        let polish = assets
            .widget_document(Some("lang=pl&municipality=assen"), &request(&[]))
            .await;
        assert_eq!(polish.status(), StatusCode::OK);
        assert_eq!(polish.headers()[header::CACHE_CONTROL], "no-cache");
        assert!(body(polish).await.contains("lang=\"pl\""));

        for query in [Some("lang=xx"), Some("lang=../index"), None] {
            let response = assets.widget_document(query, &request(&[])).await;
            assert_eq!(response.status(), StatusCode::OK);
            assert_eq!(body(response).await, "<!doctype html>");
        }

        std::fs::remove_dir_all(directory).unwrap();
    }
}
