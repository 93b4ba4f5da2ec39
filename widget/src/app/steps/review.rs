//! The review: every answer once more, each with a way back to its step, and the send button.

use fluister_envelope::tip::vocabulary::Role;
use leptos::prelude::*;

use crate::app::context::{WidgetContext, focus_soon};
use crate::form::Step;

use super::questions::require_description;
use super::step_buttons;
use super::{chunk_status, progress_indicator};

/// The review's answers, as text in the language in use ("not filled in" for blanks).
fn review_answers(context: WidgetContext) -> Vec<(&'static str, String, Step)> {
    let answers = context.answers.snapshot();
    let document = answers.to_tip_document();
    // "How do you know this?" is not asked when the report is about the reporter.
    let asked_how_known = answers.role != Some(Role::AboutMe);
    let mut rows = context.with_translations(|translations| {
        let join = |parts: Vec<String>, separator: &str| {
            let parts: Vec<String> = parts
                .into_iter()
                .filter(|part| !part.trim().is_empty())
                .collect();
            if parts.is_empty() {
                translations.text("not_answered")
            } else {
                parts.join(separator)
            }
        };
        let kinds = document
            .kinds
            .iter()
            .map(|kind| translations.kind_label(kind.as_str()))
            .collect();
        let role = document
            .role
            .as_ref()
            .map(|role| translations.role_label(role.as_str()));
        let how_known = document
            .how_known
            .as_ref()
            .map(|how| translations.how_known_label(how.as_str()));
        let about_me = answers.is_about_the_reporter();
        let signals = document
            .signals
            .iter()
            .map(|id| {
                if about_me {
                    translations.signal_about_me(id).label
                } else {
                    translations.signal(id).label
                }
            })
            .collect();
        let municipality = document
            .municipality
            .as_ref()
            .map(|municipality| context.municipality_label(municipality));
        let place = municipality
            .into_iter()
            .chain(document.place.clone())
            .collect();
        let time = document
            .when
            .as_ref()
            .map(|when| {
                let mut parts: Vec<String> = when.date.clone().into_iter().collect();
                if when.ongoing {
                    parts.push(translations.text("ongoing_label"));
                }
                parts.extend(when.text.clone());
                parts
            })
            .unwrap_or_default();
        vec![
            ("review_kind", join(kinds, "; "), Step::Kind),
            (
                "review_role",
                join(role.into_iter().collect(), ""),
                Step::Role,
            ),
            (
                "review_how_known",
                join(how_known.into_iter().collect(), ""),
                Step::Role,
            ),
            ("review_signals", join(signals, "; "), Step::Signals),
            ("review_place", join(place, ", "), Step::Place),
            ("review_time", join(time, ", "), Step::Time),
            (
                "review_description",
                join(vec![answers.description.clone()], ""),
                Step::Description,
            ),
            (
                "review_contact",
                join(document.contact.clone().into_iter().collect(), ""),
                Step::Contact,
            ),
        ]
    });
    if !asked_how_known {
        rows.retain(|(question_key, _, _)| *question_key != "review_how_known");
    }
    rows
}

pub(crate) fn review_step(context: WidgetContext) -> impl IntoView {
    let rows = review_answers(context)
        .into_iter()
        .map(|(question_key, answer, step)| {
            let question = context.text(question_key);
            view! {
                <div class="review-row">
                    <dt>{question.clone()}</dt>
                    <dd>
                        <span class="review-answer" translate="no" dir="auto">{answer}</span>
                        " "
                        <button type="button" class="button-link" on:click=move |_| context.go_to(step)>
                            {context.text("change")}
                            <span class="visually-hidden">": " {question}</span>
                        </button>
                    </dd>
                </div>
            }
        })
        .collect_view();
    let on_send = move || {
        if require_description(context) {
            context.start_sending();
        } else {
            focus_soon("review-error");
        }
    };
    let missing = context.description_missing;
    view! {
        <form class="step" novalidate>
            {progress_indicator(context, Step::Review)}
            <h2 id="step-heading" tabindex="-1">{context.text("review_heading")}</h2>
            <p class="hint">{context.text("review_hint")}</p>
            <p class="error-message" id="review-error" tabindex="-1" hidden=move || !missing.get()>
                {context.text("description_missing")} " "
                <button type="button" class="button-link" on:click=move |_| context.go_to(Step::Description)>
                    {context.text("description_go_to")}
                </button>
            </p>
            <dl class="review">{rows}</dl>
            <p class="hint">{context.text("review_encryption")}</p>
            {step_buttons(context, "send", on_send)}
            {chunk_status(context)}
        </form>
    }
}
