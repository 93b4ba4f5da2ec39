//! Fluister's reporting form, compiled to wasm and shown in a cross-origin iframe on municipal
//! pages (see `ARCHITECTURE.md`, "widget/").
//!
//! The iframe document (`web/index.html`, written by `cargo xtask widget`) has one host element,
//! `#fluister-widget`, whose data attributes name the translation tables and the worker script.
//! `web/start.js` calls [`mount_widget`]. Sealing, receipt codes and the proof of work run in the
//! crypto worker (`web/worker.js` with the `widget/worker` crate; see [`crypto_worker`]), so this
//! module carries no cryptography. What the reporter types stays in the browser's memory until
//! the worker has sealed it.

pub mod api;
pub mod app;
pub mod crypto_worker;
pub mod embedding;
pub mod form;
pub mod i18n;
pub mod plural;

/// Reads one `name=value` parameter from a URL query string (`?lang=nl&municipality=assen`).
/// Only identifiers are expected, so no percent-decoding is needed; anything else is ignored.
pub fn query_parameter(query: &str, name: &str) -> Option<String> {
    query
        .trim_start_matches('?')
        .split('&')
        .filter_map(|pair| pair.split_once('='))
        .find(|(key, _)| *key == name)
        .map(|(_, value)| value.to_owned())
        .filter(|value| fluister_envelope::tip::vocabulary::is_well_formed_identifier(value))
}

/// The pin of the recipients (`recipients=`, the embed tag's `data-recipients`) in the frame's
/// query, if there is one at all. Unlike [`query_parameter`], a malformed value is kept, not
/// dropped: a damaged pin must make the worker refuse to seal, never turn into "no pin". It is
/// only ever compared, never shown.
pub fn pinned_recipients(query: &str) -> Option<String> {
    const LONGEST: usize = 128;
    query
        .trim_start_matches('?')
        .split('&')
        .find_map(|pair| match pair.split_once('=') {
            Some(("recipients", value)) => Some(value),
            None if pair == "recipients" => Some(""),
            _ => None,
        })
        .map(|value| {
            if value.len() > LONGEST {
                "invalid".to_owned()
            } else {
                value.to_owned()
            }
        })
}

#[cfg(target_arch = "wasm32")]
mod browser {
    use fluister_envelope::tip::vocabulary::Municipality;
    use js_sys::{Object, Reflect};
    use leptos::prelude::*;
    use wasm_bindgen::prelude::*;

    use crate::app::{StartupSettings, pressed_before_start, widget_view};
    use crate::embedding;
    use crate::i18n::{self, Translations};

    /// Starts the widget: reads its settings, takes the table of the language in use, and
    /// mounts the form onto `#fluister-widget`. `table_file` and `table` are a table `start.js`
    /// fetched with the wasm (`data-table`, the document's language); the form fetches its own
    /// when that is another language's. `config` is the body of `GET /api/v1/config` as
    /// `start.js` fetched it for the start screen, if it arrived, `config_age` milliseconds ago;
    /// the form fetches its own when there is none or it is older than
    /// [`crate::app::CONFIG_MAX_AGE_MILLISECONDS`].
    /// Fails (and mounts nothing) when the table cannot be fetched or the document has no
    /// widget; `start.js` then tries again later.
    #[wasm_bindgen]
    pub async fn mount_widget(
        table_file: String,
        table: String,
        config: Option<String>,
        config_age: f64,
    ) -> Result<(), JsValue> {
        // Runs on wasm-bindgen's executor: Leptos' exists only once `mount_to` has run.
        let settings = startup_settings(&table_file, table)
            .await
            .ok_or_else(|| JsValue::from_str("the widget's settings or table are missing"))?;
        let host = document()
            .get_element_by_id("fluister-widget")
            .and_then(|element| element.dyn_into::<web_sys::HtmlElement>().ok())
            .ok_or_else(|| JsValue::from_str("the document has no #fluister-widget"))?;
        // A press of "start" or "check for an answer" on the document's own start screen, which
        // `start.js` remembered while the wasm was on its way.
        let pressed = host
            .get_attribute("data-pressed")
            .and_then(|pressed| pressed_before_start(&pressed));
        let settings = StartupSettings {
            first_step: pressed,
            config: config
                .filter(|_| (0.0..=crate::app::CONFIG_MAX_AGE_MILLISECONDS).contains(&config_age))
                .and_then(|text| crate::api::parse_config(&text).ok())
                .map(|config| (config, js_sys::Date::now() - config_age)),
            ..settings
        };
        // The document's start screen goes, the form's own takes its place in the same task (no
        // frame is painted between): the same markup, so nothing moves.
        host.set_inner_html("");
        leptos::mount::mount_to(host, move || widget_view(settings)).forget();
        listen_to_loader();
        keep_focus_clear_of_safety_bar();
        embedding::announce_ready();
        Ok(())
    }

    async fn startup_settings(table_file: &str, table: String) -> Option<StartupSettings> {
        let host = document().get_element_by_id("fluister-widget")?;
        let languages =
            i18n::parse_language_assets(&host.get_attribute("data-languages").unwrap_or_default());
        let worker_url = host.get_attribute("data-worker")?;
        let worker_files = host.get_attribute("data-worker-files").unwrap_or_default();
        let query = window().location().search().unwrap_or_default();
        let requested_language = crate::query_parameter(&query, "lang");
        let language = i18n::choose_language(requested_language.as_deref(), &languages)?.clone();
        let municipality =
            crate::query_parameter(&query, "municipality").and_then(|id| Municipality::parse(&id));
        let text = if language.file == table_file {
            table
        } else {
            crate::api::fetch_widget_file(&language.file).await.ok()?
        };
        let translations = Translations::from_json(&language.code, &text)?;
        Some(StartupSettings {
            languages,
            language,
            translations,
            municipality,
            worker_url,
            worker_files,
            first_step: None,
            config: None,
            // Taken as it is: the worker refuses to seal to any list whose fingerprint differs,
            // a damaged one included.
            pinned_recipients: crate::pinned_recipients(&query),
        })
    }

    /// Accepts the loader's `theme` message: only from the parent window, only allowlisted slots
    /// with plain values. Its origin becomes the only one the widget ever posts to.
    fn listen_to_loader() {
        let handle = window_event_listener(leptos::ev::message, |event: web_sys::MessageEvent| {
            let from_parent = match (event.source(), window().parent()) {
                (Some(source), Ok(Some(parent))) => JsValue::from(source) == JsValue::from(parent),
                _ => false,
            };
            if !from_parent {
                return;
            }
            let data = event.data();
            let kind = Reflect::get(&data, &"type".into())
                .ok()
                .and_then(|kind| kind.as_string());
            if kind.as_deref() != Some("theme") {
                return;
            }
            embedding::remember_host_origin(&event.origin());
            if let Ok(tokens) = Reflect::get(&data, &"tokens".into())
                && tokens.is_object()
            {
                apply_theme(&Object::from(tokens));
            }
        });
        std::mem::forget(handle);
    }

    fn apply_theme(tokens: &Object) {
        let Some(root) = document()
            .document_element()
            .and_then(|element| element.dyn_into::<web_sys::HtmlElement>().ok())
        else {
            return;
        };
        let style = root.style();
        for slot in embedding::THEME_SLOTS {
            let value = Reflect::get(tokens, &JsValue::from_str(slot))
                .ok()
                .and_then(|value| value.as_string());
            if let Some(value) = value.filter(|value| embedding::is_safe_theme_value(value)) {
                // CSSOM, not a style attribute: allowed by the frame's `style-src 'self'`.
                let _ = style.set_property(&format!("--fluister-{slot}"), value.trim());
            }
        }
    }

    /// The safety bar stays at the top of the frame while the form scrolls under it (the frame
    /// has one height, whatever the step; see `embedding.rs`). A focused field must not hide
    /// behind it, so the document's `scroll-padding-top` (`style.css`) is kept at the bar's
    /// height, which changes with the width and the language: measured whenever the document's
    /// size changes.
    fn keep_focus_clear_of_safety_bar() {
        let measure = || {
            let bar = document()
                .query_selector(".safety-bar")
                .ok()
                .flatten()
                .and_then(|element| element.dyn_into::<web_sys::HtmlElement>().ok());
            let root = document()
                .document_element()
                .and_then(|element| element.dyn_into::<web_sys::HtmlElement>().ok());
            if let (Some(bar), Some(root)) = (bar, root) {
                // CSSOM, not a style attribute: allowed by the frame's `style-src 'self'`.
                let _ = root
                    .style()
                    .set_property("--safety-bar-height", &format!("{}px", bar.offset_height()));
            }
        };
        measure();
        let callback = Closure::<dyn FnMut()>::new(measure);
        if let Ok(observer) = web_sys::ResizeObserver::new(callback.as_ref().unchecked_ref())
            && let Some(body) = document().body()
        {
            observer.observe(&body);
            // Both live as long as the page.
            std::mem::forget(observer);
        }
        callback.forget();
    }
}

#[cfg(target_arch = "wasm32")]
pub use browser::mount_widget;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn query_parameters_are_read_and_anything_but_identifiers_ignored() {
        let query = "?lang=pl&municipality=aa-en-hunze&x=%3Cscript%3E";
        assert_eq!(query_parameter(query, "lang").as_deref(), Some("pl"));
        assert_eq!(
            query_parameter(query, "municipality").as_deref(),
            Some("aa-en-hunze")
        );
        assert_eq!(query_parameter(query, "x"), None);
        assert_eq!(query_parameter("", "lang"), None);
    }

    #[test]
    fn a_pin_is_kept_even_when_damaged_so_it_can_never_mean_no_pin() {
        let pin = "fp1-AbC_dEf-0123456789abcdefghijklmnopqrstuvwx";
        assert_eq!(
            pinned_recipients(&format!("?lang=nl&recipients={pin}")).as_deref(),
            Some(pin)
        );
        assert_eq!(pinned_recipients("?lang=nl"), None);
        assert_eq!(pinned_recipients("?recipients").as_deref(), Some(""));
        assert_eq!(pinned_recipients("?recipients=%3C").as_deref(), Some("%3C"));
        let long = format!("?recipients={}", "a".repeat(500));
        assert_eq!(pinned_recipients(&long).as_deref(), Some("invalid"));
    }
}
