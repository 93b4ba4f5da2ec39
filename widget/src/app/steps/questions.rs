//! The question steps: kind, role, signals, place, time, description and contact.

use fluister_envelope::tip::vocabulary::Municipality;
use leptos::prelude::*;

use crate::app::context::{WidgetContext, focus_soon};
use crate::form::DESCRIPTION_MAX_CHARS;
use crate::form::Step;

use super::{next_step, progress_indicator, step_buttons, text_field};

/// A radio group for one question: `options` are identifiers with their labels.
pub(crate) fn radio_step(
    context: WidgetContext,
    step: Step,
    heading_key: &'static str,
    name: &'static str,
    options: Vec<(&'static str, String)>,
    selected: Option<String>,
    on_select: impl Fn(&str) + Copy + 'static,
) -> impl IntoView {
    let radios = options
        .into_iter()
        .map(|(value, label)| {
            let id = format!("{name}-{value}");
            view! {
                <div class="choice">
                    <input
                        type="radio"
                        id=id.clone()
                        name=name
                        value=value
                        prop:checked=selected.as_deref() == Some(value)
                        on:change=move |_| on_select(value)
                    />
                    <label for=id>{label}</label>
                </div>
            }
        })
        .collect_view();
    view! {
        <form class="step" novalidate>
            {progress_indicator(context, step)}
            <fieldset>
                <legend>
                    <h2 id="step-heading" tabindex="-1">{context.text(heading_key)}</h2>
                </legend>
                <p class="hint">{context.text("may_skip")}</p>
                {radios}
            </fieldset>
            {step_buttons(context, "next", next_step(context))}
        </form>
    }
}

pub(crate) fn signals_step(context: WidgetContext) -> impl IntoView {
    let groups = crate::form::signal_groups_for_kind(context.answers.kind.get_untracked().as_ref());
    let ticked = context.answers.signals.get_untracked();
    let fieldsets = groups
        .into_iter()
        .map(|group| {
            let checkboxes = group
                .signal_ids
                .iter()
                .map(|signal_id| {
                    let signal_id: &'static str = signal_id;
                    let id = format!("signal-{}", signal_id.replace('.', "-"));
                    let explanation_id = format!("{id}-explanation");
                    let text = context.with_translations(|translations| translations.signal(signal_id));
                    let checked = ticked.iter().any(|signal| signal == signal_id);
                    view! {
                        <div class="choice">
                            <input
                                type="checkbox"
                                id=id.clone()
                                aria-describedby=explanation_id.clone()
                                prop:checked=checked
                                on:change=move |event| {
                                    let checked = event_target_checked(&event);
                                    context
                                        .answers
                                        .signals
                                        .update(|signals| {
                                            signals.retain(|signal| signal != signal_id);
                                            if checked {
                                                signals.push(signal_id.to_owned());
                                            }
                                        });
                                }
                            />
                            <label for=id>{text.label}</label>
                            <p class="explanation" id=explanation_id>{text.explanation}</p>
                        </div>
                    }
                })
                .collect_view();
            view! {
                <fieldset class="signal-group">
                    <legend>
                        {context.with_translations(|translations| translations.signal_group_label(group.group_id))}
                    </legend>
                    {checkboxes}
                </fieldset>
            }
        })
        .collect_view();
    view! {
        <form class="step" novalidate>
            {progress_indicator(context, Step::Signals)}
            <h2 id="step-heading" tabindex="-1">{context.text("signals_heading")}</h2>
            <p class="hint">{context.text("signals_hint")}</p>
            {fieldsets}
            {step_buttons(context, "next", next_step(context))}
        </form>
    }
}

pub(crate) fn place_step(context: WidgetContext) -> impl IntoView {
    let municipality = context.answers.municipality;
    let choices = context.municipality_choices();
    // A municipality the host page named that the relay does not list is no answer.
    let current = municipality
        .get_untracked()
        .filter(|current| choices.iter().any(|(choice, _)| choice == current));
    if current.is_none() {
        municipality.set(None);
    }
    let options = choices
        .into_iter()
        .map(|(option, label)| {
            let selected = current.as_ref() == Some(&option);
            view! {
                <option value=option.as_str().to_owned() selected=selected>
                    {label}
                </option>
            }
        })
        .collect_view();
    view! {
        <form class="step" novalidate>
            {progress_indicator(context, Step::Place)}
            <h2 id="step-heading" tabindex="-1">{context.text("place_heading")}</h2>
            <p class="hint">{context.text("may_skip")}</p>
            <div class="field">
                <label for="municipality">{context.text("municipality_label")}</label>
                <select
                    id="municipality"
                    on:change=move |event| {
                        let id = event_target_value(&event);
                        municipality.set((!id.is_empty()).then(|| Municipality::from_id(&id)));
                    }
                >
                    <option value="" selected=current.is_none()>
                        {context.text("municipality_none")}
                    </option>
                    {options}
                </select>
            </div>
            {text_field(
                context,
                "place",
                "place_label",
                "place_hint",
                fluister_envelope::tip::MAX_PLACE_CHARS,
                context.answers.place,
            )}
            {step_buttons(context, "next", next_step(context))}
        </form>
    }
}

pub(crate) fn time_step(context: WidgetContext) -> impl IntoView {
    let answers = context.answers;
    view! {
        <form class="step" novalidate>
            {progress_indicator(context, Step::Time)}
            <h2 id="step-heading" tabindex="-1">{context.text("time_heading")}</h2>
            <p class="hint">{context.text("may_skip")}</p>
            <div class="field">
                <label for="date">{context.text("date_label")}</label>
                <input
                    type="date"
                    id="date"
                    autocomplete="off"
                    prop:value=answers.date.get_untracked()
                    on:input=move |event| answers.date.set(event_target_value(&event))
                />
            </div>
            <div class="choice">
                <input
                    type="checkbox"
                    id="ongoing"
                    prop:checked=answers.ongoing.get_untracked()
                    on:change=move |event| answers.ongoing.set(event_target_checked(&event))
                />
                <label for="ongoing">{context.text("ongoing_label")}</label>
            </div>
            {text_field(
                context,
                "when-text",
                "when_text_label",
                "when_text_hint",
                fluister_envelope::tip::MAX_WHEN_TEXT_CHARS,
                answers.when_text,
            )}
            {step_buttons(context, "next", next_step(context))}
        </form>
    }
}

/// Checks the one required answer and shows the error when it is missing.
pub(crate) fn require_description(context: WidgetContext) -> bool {
    let present = context
        .answers
        .description
        .with_untracked(|text| !text.trim().is_empty());
    context.description_missing.set(!present);
    present
}

pub(crate) fn description_step(context: WidgetContext) -> impl IntoView {
    let on_next = move || {
        if require_description(context) {
            context.go_to(Step::Contact);
        } else {
            focus_soon("description");
        }
    };
    let missing = context.description_missing;
    view! {
        <form class="step" novalidate>
            {progress_indicator(context, Step::Description)}
            <h2 id="step-heading" tabindex="-1">{context.text("description_heading")}</h2>
            <div class="field" class:field-error=move || missing.get()>
                <label for="description">
                    {context.text("description_label")} " "
                    <span class="required">{context.text("required")}</span>
                </label>
                <p class="hint" id="description-hint">{context.text("description_hint")}</p>
                <p class="error-message" id="description-error" hidden=move || !missing.get()>
                    {context.text("description_missing")}
                </p>
                <textarea
                    id="description"
                    rows="8"
                    required
                    aria-invalid=move || if missing.get() { "true" } else { "false" }
                    aria-describedby=move || {
                        if missing.get() { "description-hint description-error" } else { "description-hint" }
                    }
                    maxlength=DESCRIPTION_MAX_CHARS.to_string()
                    dir="auto"
                    autocomplete="off"
                    spellcheck="false"
                    prop:value=context.answers.description.get_untracked()
                    on:input=move |event| {
                        context.answers.description.set(event_target_value(&event));
                        if missing.get_untracked() {
                            missing.set(false);
                        }
                    }
                ></textarea>
            </div>
            {step_buttons(context, "next", on_next)}
        </form>
    }
}

pub(crate) fn contact_step(context: WidgetContext) -> impl IntoView {
    let contact = context.answers.contact;
    view! {
        <form class="step" novalidate>
            {progress_indicator(context, Step::Contact)}
            <h2 id="step-heading" tabindex="-1">{context.text("contact_heading")}</h2>
            <p class="hint">{context.text("may_skip")}</p>
            <p class="warning" id="contact-warning">{context.text("contact_warning")}</p>
            <div class="field">
                <label for="contact">{context.text("contact_label")}</label>
                <p class="hint" id="contact-hint">{context.text("contact_hint")}</p>
                <textarea
                    id="contact"
                    rows="3"
                    aria-describedby="contact-warning contact-hint"
                    maxlength=fluister_envelope::tip::MAX_CONTACT_CHARS.to_string()
                    dir="auto"
                    autocomplete="off"
                    spellcheck="false"
                    prop:value=contact.get_untracked()
                    on:input=move |event| contact.set(event_target_value(&event))
                ></textarea>
            </div>
            {step_buttons(context, "next", next_step(context))}
        </form>
    }
}
