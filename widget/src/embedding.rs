//! The widget's side of the conversation with the loader (`web/embed.js`) on the host page.
//!
//! Only three kinds of messages ever cross the frame boundary, and none carries anything the
//! reporter typed or chose: `ready` (the widget has started) and `exit` (leave now), from the
//! widget; `theme` (an allowlisted set of NL Design System values), from the loader. The widget
//! learns the host page's origin from the loader's `theme` message and addresses everything
//! after `ready` to that origin only.
//!
//! The widget never tells the loader its height: the loader gives the frame one height of its
//! own (from the host window's size only), and the form scrolls inside it. A height that
//! followed the form would tell the host page's scripts which kind's signals are listed and how
//! long the description is.

use std::cell::RefCell;

/// Where the widget goes itself on exit when no loader does it (opened outside a frame).
pub const NEUTRAL_EXIT_URL: &str = "https://www.weeronline.nl/";

/// How long three Shift presses may take to count as "exit", in milliseconds.
pub const SHIFT_EXIT_WINDOW_MILLISECONDS: f64 = 5_000.0;

/// How many Shift presses make an exit.
pub const SHIFT_PRESSES_TO_EXIT: usize = 3;

/// The theme values the widget accepts from the host page, by the name of its own CSS custom
/// property (`--fluister-<slot>`). The loader fills each slot from the first NL Design System
/// token that the host page defines (see `docs/embedding-guide.md`).
pub const THEME_SLOTS: &[&str] = &[
    "font-family",
    "text-color",
    "background-color",
    "primary-background-color",
    "primary-text-color",
    "link-color",
    "focus-color",
    "border-radius",
];

/// Whether a theme value is plain enough to use: short, and without anything that could fetch
/// (`url(`), escape the declaration (`;`, braces), or smuggle markup.
pub fn is_safe_theme_value(value: &str) -> bool {
    let lower = value.to_ascii_lowercase();
    !value.trim().is_empty()
        && value.len() <= 200
        && !lower.contains("url(")
        && !lower.contains("image")
        && !lower.contains("expression")
        && value.chars().all(|character| {
            character.is_alphanumeric()
                || matches!(
                    character,
                    ' ' | '#' | '%' | '.' | ',' | '(' | ')' | '-' | '_' | '"' | '\'' | '/' | '+'
                )
        })
}

/// Counts Shift presses for the keyboard exit, forgetting presses older than the window.
#[derive(Debug, Default)]
pub struct ShiftPressCounter {
    press_times: Vec<f64>,
}

impl ShiftPressCounter {
    /// Records a press at `now_milliseconds`; returns how many presses are inside the window.
    pub fn press(&mut self, now_milliseconds: f64) -> usize {
        self.press_times
            .retain(|time| now_milliseconds - time <= SHIFT_EXIT_WINDOW_MILLISECONDS);
        self.press_times.push(now_milliseconds);
        self.press_times.len()
    }

    /// Forgets every press (after an exit, or when another key is pressed).
    pub fn reset(&mut self) {
        self.press_times.clear();
    }
}

thread_local! {
    /// The host page's origin, once the loader has introduced itself.
    static HOST_ORIGIN: RefCell<Option<String>> = const { RefCell::new(None) };
}

/// Whether the widget runs inside a frame.
pub fn is_embedded() -> bool {
    let Some(window) = web_sys::window() else {
        return false;
    };
    match window.parent() {
        Ok(Some(parent)) => parent != window,
        _ => false,
    }
}

/// Remembers the host page's origin (from the loader's first message).
pub fn remember_host_origin(origin: &str) {
    HOST_ORIGIN.with(|host| {
        let mut host = host.borrow_mut();
        if host.is_none() {
            *host = Some(origin.to_owned());
        }
    });
}

/// The host page's origin, if known.
pub fn host_origin() -> Option<String> {
    HOST_ORIGIN.with(|host| host.borrow().clone())
}

#[cfg(target_arch = "wasm32")]
mod browser {
    use js_sys::{Object, Reflect};

    use super::*;

    fn post_to_parent(message: &Object, target_origin: &str) {
        let Some(window) = web_sys::window() else {
            return;
        };
        if let Ok(Some(parent)) = window.parent() {
            let _ = parent.post_message(message, target_origin);
        }
    }

    fn message(kind: &str) -> Object {
        let message = Object::new();
        let _ = Reflect::set(&message, &"type".into(), &kind.into());
        message
    }

    /// Tells the loader the widget has started. The message holds nothing but its type, so it
    /// may go to any origin: the loader answers with the theme, which tells us the host origin.
    pub fn announce_ready() {
        if is_embedded() {
            post_to_parent(&message("ready"), "*");
        }
    }

    /// Leaves: asks the loader to replace the host page with a neutral one, or does it itself
    /// when there is no loader to ask.
    pub fn leave_now() {
        let Some(window) = web_sys::window() else {
            return;
        };
        if is_embedded() {
            if let Some(origin) = host_origin() {
                post_to_parent(&message("exit"), &origin);
                return;
            }
            // No loader answered: try the top window directly (allowed on a user gesture).
            if let Ok(Some(top)) = window.top() {
                let _ = top.location().replace(NEUTRAL_EXIT_URL);
            }
            return;
        }
        let _ = window.location().replace(NEUTRAL_EXIT_URL);
    }
}

#[cfg(target_arch = "wasm32")]
pub use browser::{announce_ready, leave_now};

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn theme_values_that_could_fetch_or_escape_are_refused() {
        assert!(is_safe_theme_value("#01689b"));
        assert!(is_safe_theme_value(
            "\"Rijksoverheid Sans\", Verdana, sans-serif"
        ));
        assert!(is_safe_theme_value("rgb(1, 104, 155)"));
        assert!(is_safe_theme_value("0.25rem"));
        assert!(!is_safe_theme_value("url(https://tracker.example/x.png)"));
        assert!(!is_safe_theme_value("red; background: red"));
        assert!(!is_safe_theme_value("red}body{display:none"));
        assert!(!is_safe_theme_value("image-set(\"x.png\" 1x)"));
        assert!(!is_safe_theme_value(" "));
        assert!(!is_safe_theme_value(&"a".repeat(201)));
    }

    #[test]
    fn three_shift_presses_within_the_window_count_and_older_ones_do_not() {
        let mut counter = ShiftPressCounter::default();
        assert_eq!(counter.press(0.0), 1);
        assert_eq!(counter.press(1_000.0), 2);
        assert_eq!(counter.press(7_000.0), 1);
        assert_eq!(counter.press(8_000.0), 2);
        assert_eq!(counter.press(9_000.0), 3);
        counter.reset();
        assert_eq!(counter.press(9_500.0), 1);
    }
}
