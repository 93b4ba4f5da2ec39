//! The question steps: kind, role, signals, place, time, description and contact.

use fluister_envelope::tip::vocabulary::{HowKnown, Kind, Municipality, Role, signals};
use leptos::prelude::*;

use crate::app::context::{WidgetContext, focus_soon};
use crate::form::{DESCRIPTION_MAX_CHARS, Step, set_kind};
use crate::i18n::Translations;

use super::{chunk_status, labelled, next_step, progress_indicator, step_buttons, text_field};

/// The radio buttons of one question: `options` are identifiers with their labels.
fn radio_choices(
    name: &'static str,
    options: Vec<(&'static str, String)>,
    selected: Option<String>,
    on_select: impl Fn(&str) + Copy + 'static,
) -> impl IntoView {
    options
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
        .collect_view()
}

/// The kinds of exploitation, as checkboxes (sexual and criminal exploitation often go
/// together), each with its example line.
pub(crate) fn kinds_step(context: WidgetContext) -> impl IntoView {
    let chosen = context.answers.kinds.get_untracked();
    let checkboxes = Kind::ALL
        .iter()
        .map(|kind| {
            let kind_id: &'static str = kind.as_str();
            let id = format!("kind-{kind_id}");
            let example_id = format!("{id}-example");
            let (label, example) = context.with_translations(|translations| {
                (
                    translations.kind_label(kind_id),
                    translations.kind_example(kind_id),
                )
            });
            let checked = chosen.contains(kind);
            view! {
                <div class="choice">
                    <input
                        type="checkbox"
                        id=id.clone()
                        name="kind"
                        value=kind_id
                        aria-describedby=example_id.clone()
                        prop:checked=checked
                        on:change=move |event| {
                            let checked = event_target_checked(&event);
                            context
                                .answers
                                .kinds
                                .update(|kinds| set_kind(kinds, &Kind::from_id(kind_id), checked));
                        }
                    />
                    <label for=id>{label}</label>
                    <p class="explanation" id=example_id>{example}</p>
                </div>
            }
        })
        .collect_view();
    view! {
        <form class="step" novalidate>
            {progress_indicator(context, Step::Kind)}
            <fieldset>
                <legend>
                    <h2 id="step-heading" tabindex="-1">{context.text("kind_heading")}</h2>
                </legend>
                <p class="hint">{context.text("kind_hint")}</p>
                {checkboxes}
            </fieldset>
            {step_buttons(context, "next", next_step(context))}
            {chunk_status(context)}
        </form>
    }
}

/// Who is reporting, and how they know ("I saw it myself", "the person told me", ...). When the
/// report is about the reporter, "how do you know this?" is not asked: its own "it is about me"
/// would only repeat the answer above it, so the question is left out and its answer cleared.
pub(crate) fn role_step(context: WidgetContext) -> impl IntoView {
    let answers = context.answers;
    let roles = radio_choices(
        "role",
        labelled(
            context,
            Role::ALL.iter().map(Role::as_str),
            Translations::role_label,
        ),
        answers
            .role
            .with_untracked(|role| role.as_ref().map(|role| role.as_str().to_owned())),
        move |id| {
            let role = Role::from_id(id);
            if role == Role::AboutMe {
                answers.how_known.set(None);
            }
            answers.role.set(Some(role));
        },
    );
    let about_me = move || answers.role.with(|role| *role == Some(Role::AboutMe));
    // Drawn again each time it shows, with the answer as it stands then.
    let how_known = move || {
        (!about_me()).then(|| {
            let choices = radio_choices(
                "how-known",
                labelled(
                    context,
                    HowKnown::ALL.iter().map(HowKnown::as_str),
                    Translations::how_known_label,
                ),
                answers
                    .how_known
                    .with_untracked(|how| how.as_ref().map(|how| how.as_str().to_owned())),
                move |id| answers.how_known.set(Some(HowKnown::from_id(id))),
            );
            view! {
                <fieldset>
                    <legend>
                        <h3>{context.text("how_known_heading")}</h3>
                    </legend>
                    {choices}
                </fieldset>
            }
        })
    };
    view! {
        <form class="step" novalidate>
            {progress_indicator(context, Step::Role)}
            <fieldset>
                <legend>
                    <h2 id="step-heading" tabindex="-1">{context.text("role_heading")}</h2>
                </legend>
                <p class="hint">{context.text("may_skip")}</p>
                {roles}
            </fieldset>
            {how_known}
            {step_buttons(context, "next", next_step(context))}
        </form>
    }
}

pub(crate) fn signals_step(context: WidgetContext) -> impl IntoView {
    let answers = context.answers.snapshot();
    let about_me = answers.is_about_the_reporter();
    let groups = answers.signal_groups_to_show();
    let ticked = answers.signals;
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
                    let text = context.with_translations(|translations| {
                        if about_me {
                            translations.signal_about_me(signal_id)
                        } else {
                            translations.signal(signal_id)
                        }
                    });
                    let has_explanation = !text.explanation.is_empty();
                    let checked = ticked.iter().any(|signal| signal == signal_id);
                    // Under 18, the form points to Veilig Thuis as soon as this is ticked.
                    let minor_note = (signal_id == signals::GENERAL_UNDER_18).then(|| {
                        let ticked_now = move || {
                            context
                                .answers
                                .signals
                                .with(|signals| signals.iter().any(|signal| signal == signal_id))
                        };
                        view! {
                            <div aria-live="polite">
                                <Show when=ticked_now>
                                    <p class="warning" id="signals-minor-note">
                                        {context.text("signals_minor_note")} " "
                                        <a href="tel:08002000">"0800-2000"</a>
                                    </p>
                                </Show>
                            </div>
                        }
                    });
                    view! {
                        <div class="choice">
                            <input
                                type="checkbox"
                                id=id.clone()
                                aria-describedby=has_explanation.then(|| explanation_id.clone())
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
                            {has_explanation
                                .then(|| {
                                    view! {
                                        <p class="explanation" id=explanation_id>
                                            {text.explanation}
                                        </p>
                                    }
                                })}
                            {minor_note}
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
    let heading = if about_me {
        "signals_heading_me"
    } else {
        "signals_heading"
    };
    view! {
        <form class="step" novalidate>
            {progress_indicator(context, Step::Signals)}
            <h2 id="step-heading" tabindex="-1">{context.text(heading)}</h2>
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
