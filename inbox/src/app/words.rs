//! The app's own words, one table per language. The tip vocabulary (kinds, roles, signals,
//! municipalities) comes from [`crate::vocabulary`] and the statuses from
//! [`crate::triage::TriageStatus::label`], as on the command line; these are the words around
//! them. Kept here rather than in the command line's message catalogue: they are the pages'
//! texts, and a page is read in one language at a time.

use crate::vocabulary::Language;

/// Every fixed text of the app's pages.
#[derive(Debug)]
pub struct Words {
    pub app_name: &'static str,
    pub skip_link: &'static str,
    pub navigation_label: &'static str,
    pub tips_link: &'static str,
    pub lock_button: &'static str,
    pub other_language_button: &'static str,
    pub other_language: Language,
    pub other_language_code: &'static str,
    pub unlock_title: &'static str,
    pub unlock_introduction: &'static str,
    pub passphrase_label: &'static str,
    pub unlock_button: &'static str,
    pub unlock_failed: &'static str,
    pub locked_notice: &'static str,
    pub no_access_title: &'static str,
    pub no_access_text: &'static str,
    pub not_found_title: &'static str,
    pub not_found_text: &'static str,
    pub bad_request_title: &'static str,
    pub failure_title: &'static str,
    pub tips_title: &'static str,
    pub filter_heading: &'static str,
    pub all: &'static str,
    pub filter_button: &'static str,
    pub number_column: &'static str,
    pub received_column: &'static str,
    pub municipality_column: &'static str,
    pub kind_column: &'static str,
    pub reporter_column: &'static str,
    pub status_column: &'static str,
    pub no_tips: &'static str,
    pub no_matching_tips: &'static str,
    pub not_opened: &'static str,
    pub previous_page: &'static str,
    pub next_page: &'static str,
    pub pages_label: &'static str,
    pub tip: &'static str,
    pub received: &'static str,
    pub dutch_time: &'static str,
    pub status: &'static str,
    pub kind: &'static str,
    pub role: &'static str,
    pub municipality: &'static str,
    pub place: &'static str,
    pub when: &'static str,
    pub ongoing: &'static str,
    pub signals: &'static str,
    pub unknown_signals: &'static str,
    pub description: &'static str,
    pub contact: &'static str,
    pub contact_warning: &'static str,
    pub reply_possible: &'static str,
    pub reply_not_possible: &'static str,
    pub unknown_fields: &'static str,
    pub not_given: &'static str,
    pub tip_not_opened: &'static str,
    pub conversation_heading: &'static str,
    pub conversation_you: &'static str,
    pub conversation_reporter: &'static str,
    pub conversation_unreadable: &'static str,
    pub conversation_empty: &'static str,
    pub triage_heading: &'static str,
    pub handed_over_to_label: &'static str,
    pub handed_over_to_hint: &'static str,
    pub note_label: &'static str,
    pub save_button: &'static str,
    pub saved: &'static str,
    pub notes_heading: &'static str,
    pub no_notes: &'static str,
    pub back_to_tips: &'static str,
    pub statistics_link: &'static str,
    pub statistics_title: &'static str,
    pub statistics_introduction: &'static str,
    pub statistics_chart: &'static str,
    pub statistics_download: &'static str,
}

const DUTCH: Words = Words {
    app_name: "Fluister-werkplek",
    skip_link: "Naar de inhoud",
    navigation_label: "Hoofdmenu",
    tips_link: "Meldingen",
    lock_button: "Vergrendelen",
    other_language_button: "English",
    other_language: Language::En,
    other_language_code: "en",
    unlock_title: "Ontgrendelen",
    unlock_introduction: "Typ de wachtzin van uw sleutel. Met de sleutel opent de werkplek de \
        meldingen, alleen op deze computer. Na een tijd zonder gebruik vergrendelt de werkplek \
        zichzelf.",
    passphrase_label: "Wachtzin",
    unlock_button: "Ontgrendelen",
    unlock_failed: "Ontgrendelen lukte niet. Controleer de wachtzin (let op Caps Lock en de \
        toetsenbordindeling) en probeer het opnieuw.",
    locked_notice: "De werkplek is vergrendeld.",
    no_access_title: "Geen toegang",
    no_access_text: "Open de werkplek met het adres dat fluister-inbox app liet zien. Werkt dat \
        adres niet meer (het werkt maar één keer), stop het programma dan (Ctrl+C) en start het \
        opnieuw.",
    not_found_title: "Niet gevonden",
    not_found_text: "Deze pagina bestaat niet.",
    bad_request_title: "Dit lukte niet",
    failure_title: "Er ging iets mis",
    tips_title: "Meldingen",
    filter_heading: "Filteren",
    all: "Alle",
    filter_button: "Toon",
    number_column: "Nr.",
    received_column: "Ontvangen",
    municipality_column: "Gemeente",
    kind_column: "Soort",
    reporter_column: "Melder",
    status_column: "Status",
    no_tips: "Er zijn nog geen meldingen. Haal ze op met: fluister-inbox pull",
    no_matching_tips: "Geen meldingen met deze filters.",
    not_opened: "kan niet worden geopend",
    previous_page: "Vorige pagina",
    next_page: "Volgende pagina",
    pages_label: "Pagina's",
    tip: "Melding",
    received: "Ontvangen",
    dutch_time: "Nederlandse tijd",
    status: "Status",
    kind: "Soort uitbuiting",
    role: "Wie meldt",
    municipality: "Gemeente",
    place: "Waar",
    when: "Wanneer",
    ongoing: "gaat nog door",
    signals: "Signalen",
    unknown_signals: "Signalen die deze versie niet kent",
    description: "Wat er gebeurde",
    contact: "Contact",
    contact_warning: "De melder wil contact. Dit kan de anonimiteit opheffen.",
    reply_possible: "De melder kan een anoniem antwoord ontvangen via de relay.",
    reply_not_possible: "De melder heeft geen meldcode: een antwoord is niet mogelijk.",
    unknown_fields: "Velden van een nieuwere widget",
    not_given: "niet ingevuld",
    tip_not_opened: "Deze melding kan niet worden geopend met uw sleutel, of het bestand is \
        beschadigd. Er is niets veranderd.",
    conversation_heading: "Gesprek met de melder",
    conversation_you: "U",
    conversation_reporter: "Melder",
    conversation_unreadable: "Dit bericht kan niet worden geopend met uw sleutel.",
    conversation_empty: "Nog geen berichten.",
    triage_heading: "Status en notities",
    handed_over_to_label: "Overgedragen aan",
    handed_over_to_hint: "Alleen bij de status overgedragen, bijvoorbeeld: Politie Drenthe, AVIM.",
    note_label: "Nieuwe notitie",
    save_button: "Opslaan",
    saved: "Opgeslagen.",
    notes_heading: "Notities",
    no_notes: "Nog geen notities.",
    back_to_tips: "Terug naar de meldingen",
    statistics_link: "Statistieken",
    statistics_title: "Statistieken",
    statistics_introduction: "Het aantal meldingen per gemeente, soort uitbuiting en kwartaal. \
        Alleen die drie gegevens worden geteld, nooit de inhoud.",
    statistics_chart: "Staafdiagram van het aantal meldingen per gemeente en soort uitbuiting. \
        De cijfers staan ook in het CSV-bestand.",
    statistics_download: "Download de cijfers als CSV-bestand (opent in Excel)",
};

const ENGLISH: Words = Words {
    app_name: "Fluister workspace",
    skip_link: "Skip to content",
    navigation_label: "Main menu",
    tips_link: "Tips",
    lock_button: "Lock",
    other_language_button: "Nederlands",
    other_language: Language::Nl,
    other_language_code: "nl",
    unlock_title: "Unlock",
    unlock_introduction: "Type your key's passphrase. With the key the workspace opens the \
        tips, on this computer only. After a while without use the workspace locks itself.",
    passphrase_label: "Passphrase",
    unlock_button: "Unlock",
    unlock_failed: "Unlocking did not work. Check the passphrase (mind Caps Lock and the \
        keyboard layout) and try again.",
    locked_notice: "The workspace is locked.",
    no_access_title: "No access",
    no_access_text: "Open the workspace with the address fluister-inbox app showed. If that \
        address no longer works (it works only once), stop the program (Ctrl+C) and start it \
        again.",
    not_found_title: "Not found",
    not_found_text: "This page does not exist.",
    bad_request_title: "That did not work",
    failure_title: "Something went wrong",
    tips_title: "Tips",
    filter_heading: "Filter",
    all: "All",
    filter_button: "Show",
    number_column: "No.",
    received_column: "Received",
    municipality_column: "Municipality",
    kind_column: "Kind",
    reporter_column: "Reporter",
    status_column: "Status",
    no_tips: "There are no tips yet. Fetch them with: fluister-inbox pull",
    no_matching_tips: "No tips match these filters.",
    not_opened: "cannot be opened",
    previous_page: "Previous page",
    next_page: "Next page",
    pages_label: "Pages",
    tip: "Tip",
    received: "Received",
    dutch_time: "Dutch time",
    status: "Status",
    kind: "Kind of exploitation",
    role: "Who reports",
    municipality: "Municipality",
    place: "Where",
    when: "When",
    ongoing: "still going on",
    signals: "Signals",
    unknown_signals: "Signals this version does not know",
    description: "What happened",
    contact: "Contact",
    contact_warning: "The reporter wants contact. This may lift their anonymity.",
    reply_possible: "The reporter can receive an anonymous reply through the relay.",
    reply_not_possible: "The reporter has no receipt code: a reply is not possible.",
    unknown_fields: "Fields from a newer widget",
    not_given: "not given",
    tip_not_opened: "This tip cannot be opened with your key, or the file is damaged. Nothing \
        was changed.",
    conversation_heading: "Conversation with the reporter",
    conversation_you: "You",
    conversation_reporter: "Reporter",
    conversation_unreadable: "This message cannot be opened with your key.",
    conversation_empty: "No messages yet.",
    triage_heading: "Status and notes",
    handed_over_to_label: "Handed over to",
    handed_over_to_hint: "Only with the status handed over, for example: Politie Drenthe, AVIM.",
    note_label: "New note",
    save_button: "Save",
    saved: "Saved.",
    notes_heading: "Notes",
    no_notes: "No notes yet.",
    back_to_tips: "Back to the tips",
    statistics_link: "Statistics",
    statistics_title: "Statistics",
    statistics_introduction: "The number of tips per municipality, kind of exploitation and \
        quarter. Only those three facts are counted, never the content.",
    statistics_chart: "Bar chart of the number of tips per municipality and kind of \
        exploitation. The numbers are also in the CSV file.",
    statistics_download: "Download the numbers as a CSV file (opens in Excel)",
};

/// The table for `language`.
pub fn words(language: Language) -> &'static Words {
    match language {
        Language::Nl => &DUTCH,
        Language::En => &ENGLISH,
    }
}

/// `lang` attribute value of `language`.
pub fn language_code(language: Language) -> &'static str {
    match language {
        Language::Nl => "nl",
        Language::En => "en",
    }
}

/// "12 meldingen" / "12 tips".
pub fn tip_count(language: Language, count: usize) -> String {
    match (language, count) {
        (Language::Nl, 1) => "1 melding".to_owned(),
        (Language::Nl, count) => format!("{count} meldingen"),
        (Language::En, 1) => "1 tip".to_owned(),
        (Language::En, count) => format!("{count} tips"),
    }
}

/// "Pagina 2 van 5" / "Page 2 of 5".
pub fn page_of(language: Language, page: usize, page_count: usize) -> String {
    match language {
        Language::Nl => format!("Pagina {page} van {page_count}"),
        Language::En => format!("Page {page} of {page_count}"),
    }
}

/// Why a form field was refused: it was too long.
pub fn too_long(language: Language, field: &str, maximum_characters: usize) -> String {
    match language {
        Language::Nl => format!("{field}: te lang (hoogstens {maximum_characters} tekens)."),
        Language::En => format!("{field}: too long (at most {maximum_characters} characters)."),
    }
}

/// Why a form was refused: a field held something that is not one of the choices.
pub fn not_a_choice(language: Language, field: &str) -> String {
    match language {
        Language::Nl => format!("{field}: dit is geen van de keuzes."),
        Language::En => format!("{field}: this is not one of the choices."),
    }
}
