//! The outermost layer: refuses requests for another host (DNS rebinding) and requests another
//! site started (cross-site forgery, embedding), and puts the security headers on every
//! response, refusals included.

use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use super::AppState;

/// The Content Security Policy of every response: nothing but the app's own style sheet, no
/// scripts, forms only to the app, never in a frame.
pub(crate) const CONTENT_SECURITY_POLICY: &str = "default-src 'none'; style-src 'self'; \
     img-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

/// Checks the request, runs it if it passes, and adds the security headers.
pub(crate) async fn guard(State(state): State<AppState>, request: Request, next: Next) -> Response {
    let mut response = if is_allowed(&state, &request) {
        next.run(request).await
    } else {
        refused()
    };
    add_security_headers(response.headers_mut());
    response
}

/// A refusal that tells whoever sent the request nothing about the app: the page that made it
/// may be able to read it (after DNS rebinding it is same-origin with the attacker's name).
fn refused() -> Response {
    (
        StatusCode::FORBIDDEN,
        [(
            header::CONTENT_TYPE,
            HeaderValue::from_static("text/plain; charset=utf-8"),
        )],
        Body::from("refused\n"),
    )
        .into_response()
}

fn is_allowed(state: &AppState, request: &Request) -> bool {
    let headers = request.headers();
    // An absolute request target (`GET http://evil.example/ HTTP/1.1`) names another host.
    if request.uri().authority().is_some() || request.uri().scheme().is_some() {
        return false;
    }
    let mut hosts = headers.get_all(header::HOST).iter();
    let host_is_ours = hosts
        .next()
        .is_some_and(|host| host.as_bytes() == state.host().as_bytes())
        && hosts.next().is_none();
    if !host_is_ours {
        return false;
    }
    // Browsers say who started a request: the app's own pages (same-origin) or the person,
    // typing or opening the address (none). Everything else is another site's doing.
    let fetch_site = single_value(headers, "sec-fetch-site");
    if let Some(site) = &fetch_site
        && !matches!(site.as_deref(), Some("same-origin") | Some("none"))
    {
        return false;
    }
    let origin = single_value(headers, header::ORIGIN.as_str());
    if let Some(origin) = &origin
        && origin.as_deref() != Some(state.origin())
    {
        return false;
    }
    let changes_state = !matches!(*request.method(), Method::GET | Method::HEAD);
    if changes_state {
        let origin_is_ours = matches!(&origin, Some(Some(origin)) if origin == state.origin());
        let fetch_site_is_ours = matches!(&fetch_site, Some(Some(site)) if site == "same-origin");
        if !(origin_is_ours || fetch_site_is_ours) {
            return false;
        }
    }
    true
}

/// `None` if the header is absent; `Some(None)` if it is there but repeated or not text.
fn single_value(headers: &HeaderMap, name: &str) -> Option<Option<String>> {
    let mut values = headers.get_all(name).iter();
    let first = values.next()?;
    if values.next().is_some() {
        return Some(None);
    }
    Some(first.to_str().ok().map(str::to_owned))
}

fn add_security_headers(headers: &mut HeaderMap) {
    headers.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(CONTENT_SECURITY_POLICY),
    );
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    // Not `no-referrer`: with it, browsers send `Origin: null` on the app's own form posts,
    // which the check above must refuse. The app links to no other site, so `same-origin`
    // gives away nothing.
    headers.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("same-origin"),
    );
    headers.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    headers.insert(
        "cross-origin-opener-policy",
        HeaderValue::from_static("same-origin"),
    );
    headers.insert(
        "cross-origin-resource-policy",
        HeaderValue::from_static("same-origin"),
    );
}
