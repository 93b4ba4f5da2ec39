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
    pub unlock_plain_key: &'static str,
    pub locked_notice: &'static str,
    pub idle_notice: &'static str,
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
    pub how_known: &'static str,
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
    pub reply_status_label: &'static str,
    pub reply_status_hint: &'static str,
    pub reply_status_none: &'static str,
    pub reply_status_unknown: &'static str,
    pub receivers_heading: &'static str,
    pub receivers_introduction: &'static str,
    pub receivers_has_key: &'static str,
    pub receivers_no_key: &'static str,
    pub receivers_set_heading: &'static str,
    pub receivers_set_hint: &'static str,
    pub receivers_name_label: &'static str,
    pub receivers_key_label: &'static str,
    pub receivers_note_label: &'static str,
    pub receivers_set_button: &'static str,
    pub receivers_remove_button: &'static str,
    pub handover_heading: &'static str,
    pub handover_hint: &'static str,
    pub handover_no_receivers: &'static str,
    pub handover_to: &'static str,
    pub handover_leave_out: &'static str,
    pub handover_leave_out_when: &'static str,
    pub handover_leave_out_text: &'static str,
    pub handover_passages: &'static str,
    pub handover_passages_hint: &'static str,
    pub handover_preview_button: &'static str,
    pub handover_seal_button: &'static str,
    pub handover_choose_receiver: &'static str,
    pub handover_unknown_field: &'static str,
    pub handover_preview_title: &'static str,
    pub handover_preview_intro: &'static str,
    pub handover_back: &'static str,
    pub notes_heading: &'static str,
    pub history_heading: &'static str,
    pub assigned_to: &'static str,
    pub no_notes: &'static str,
    pub back_to_tips: &'static str,
    pub statistics_link: &'static str,
    pub statistics_title: &'static str,
    pub statistics_introduction: &'static str,
    pub statistics_chart: &'static str,
    pub statistics_download: &'static str,
    pub settings_link: &'static str,
    pub role_filter: &'static str,
    pub from_label: &'static str,
    pub to_label: &'static str,
    pub search_label: &'static str,
    pub search_hint: &'static str,
    pub search_forgotten: &'static str,
    pub period_hint: &'static str,
    pub not_a_date: &'static str,
    pub pull_button: &'static str,
    pub pull_title: &'static str,
    pub pull_started: &'static str,
    pub pull_answers_running: &'static str,
    pub pull_failed: &'static str,
    pub pull_no_new_tips: &'static str,
    pub pull_no_new_answers: &'static str,
    pub pull_quarantined: &'static str,
    pub pull_idle: &'static str,
    pub reply_heading: &'static str,
    pub reply_label: &'static str,
    pub reply_hint: &'static str,
    pub reply_button: &'static str,
    pub reply_sent: &'static str,
    pub export_heading: &'static str,
    pub export_pdf: &'static str,
    pub export_hint: &'static str,
    pub export_leave_out: &'static str,
    pub export_leave_out_contact: &'static str,
    pub export_leave_out_place: &'static str,
    pub export_leave_out_notes: &'static str,
    pub settings_title: &'static str,
    pub connection_heading: &'static str,
    pub connection_address: &'static str,
    pub connection_none: &'static str,
    pub connection_check_button: &'static str,
    pub connection_works: &'static str,
    pub connection_set_heading: &'static str,
    pub connection_set_hint: &'static str,
    pub connection_token: &'static str,
    pub connection_save_button: &'static str,
    pub connection_saved: &'static str,
    pub keys_heading: &'static str,
    pub keys_introduction: &'static str,
    pub key_this_computer: &'static str,
    pub backup_heading: &'static str,
    pub backup_introduction: &'static str,
    pub backup_label: &'static str,
    pub backup_button: &'static str,
    pub backup_not_a_key: &'static str,
    pub backup_opens_everything: &'static str,
    pub backup_does_not_open: &'static str,
    pub backup_notes: &'static str,
    pub setup_title: &'static str,
    pub setup_introduction: &'static str,
    pub setup_passphrase_hint: &'static str,
    pub new_passphrase_label: &'static str,
    pub new_passphrase_again_label: &'static str,
    pub setup_button: &'static str,
    pub setup_too_short: &'static str,
    pub setup_differ: &'static str,
    pub new_key_made: &'static str,
    pub new_key_next: &'static str,
    pub key_add_heading: &'static str,
    pub key_add_hint: &'static str,
    pub key_public_label: &'static str,
    pub key_name_label: &'static str,
    pub key_add_button: &'static str,
    pub key_remove_button: &'static str,
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
    unlock_plain_key: "Deze sleutel is niet met een wachtzin beschermd (zo is een reservesleutel \
        vaak gemaakt). Wie het sleutelbestand heeft, kan alles openen: houd het offline en \
        berg het na gebruik weer op.",
    locked_notice: "De werkplek is vergrendeld.",
    idle_notice: "De werkplek is vergrendeld omdat hij een tijd niet is gebruikt. Laad de pagina \
        opnieuw (F5) en typ uw wachtzin om verder te gaan.",
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
    no_tips: "Er zijn nog geen meldingen. Haal ze op met de knop hierboven.",
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
    how_known: "Hoe weet de melder dit",
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
    reply_possible: "De melder kan een anoniem antwoord ontvangen met de meldcode.",
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
    reply_status_label: "Status voor de melder (niet verplicht)",
    reply_status_hint: "De melder ziet dit in de eigen taal bij het nakijken met de meldcode. \
                        Met een status mag het bericht leeg blijven.",
    reply_status_none: "niet veranderen",
    reply_status_unknown: "Die status bestaat niet. Kies er een uit de lijst.",
    receivers_heading: "Ontvangers van overdrachten",
    receivers_introduction: "De organisaties waaraan u meldingen versleuteld overdraagt. Elke \
                             organisatie geeft u haar openbare age-sleutel (age1…).",
    receivers_has_key: "sleutel ingesteld",
    receivers_no_key: "nog geen sleutel",
    receivers_set_heading: "Een ontvanger toevoegen of de sleutel instellen",
    receivers_set_hint: "Gebruik de naam uit de lijst om de sleutel of notitie van een bestaande \
                         ontvanger te wijzigen. Laat de sleutel leeg om alleen de notitie te \
                         wijzigen.",
    receivers_name_label: "Naam",
    receivers_key_label: "Openbare sleutel (age1…)",
    receivers_note_label: "Notitie (hoe u hen bereikt)",
    receivers_set_button: "Ontvanger bewaren",
    receivers_remove_button: "Uit het boek halen",
    handover_heading: "Versleuteld overdragen",
    handover_hint: "Aan een organisatie uit het ontvangersboek, alleen voor hun sleutel versleuteld. \
                    U kiest wat meegaat en ziet eerst precies wat zij lezen. Het anonieme \
                    postvak gaat nooit mee. De overdracht komt bij de melding.",
    handover_no_receivers: "Er is nog geen ontvanger met een sleutel. Vraag de organisatie om hun \
                            openbare age-sleutel en zet die erin met fluister-inbox receivers set.",
    handover_to: "Aan",
    handover_leave_out: "Weglaten",
    handover_leave_out_when: "wanneer het gebeurde",
    handover_leave_out_text: "de hele beschrijving van de melder",
    handover_passages: "Passages uit de tekst van de melder om weg te laten",
    handover_passages_hint: "Eén per regel, precies zoals ze er staan, bijvoorbeeld de eigen naam \
                             van de melder. Ze worden […].",
    handover_preview_button: "Eerst bekijken",
    handover_seal_button: "Versleuteld bestand maken en overdragen",
    handover_choose_receiver: "Kies aan wie u overdraagt.",
    handover_unknown_field: "Dit formulier kent die keuze niet. Laad de pagina opnieuw.",
    handover_preview_title: "Wat de ontvanger leest",
    handover_preview_intro: "Dit is precies wat er versleuteld meegaat (er is nog niets gemaakt of \
                             vastgelegd). Ontvanger:",
    handover_back: "Terug naar de melding",
    notes_heading: "Notities",
    history_heading: "Wat het team deed",
    assigned_to: "Behandeld door:",
    no_notes: "Nog geen notities.",
    back_to_tips: "Terug naar de meldingen",
    statistics_link: "Statistieken",
    statistics_title: "Statistieken",
    statistics_introduction: "Het aantal meldingen per gemeente, soort uitbuiting en kwartaal. \
        Alleen die drie gegevens worden geteld, nooit de inhoud.",
    statistics_chart: "Staafdiagram van het aantal meldingen per gemeente en soort uitbuiting. \
        De cijfers staan ook in het CSV-bestand.",
    statistics_download: "Download de cijfers als CSV-bestand (opent in Excel)",
    settings_link: "Instellingen",
    role_filter: "Wie meldt",
    from_label: "Ontvangen vanaf",
    to_label: "Ontvangen tot en met",
    search_label: "Zoeken in de tekst",
    search_hint: "Zoekt in wat er gebeurde, de plaats en het contact. Hoofdletters maken niet uit.",
    search_forgotten: "Deze zoekopdracht is niet meer bewaard (de werkplek vergeet zoekwoorden \
        bij het vergrendelen). Zoek opnieuw.",
    period_hint: "Datum als 2026-03-31.",
    not_a_date: "Dit is geen datum. Schrijf een datum als 2026-03-31.",
    pull_button: "Nieuwe meldingen en antwoorden ophalen",
    pull_title: "Ophalen",
    pull_started: "Bezig met ophalen van de meldingen…",
    pull_answers_running: "De meldingen zijn binnen. Bezig met ophalen van de antwoorden…",
    pull_failed: "Het ophalen is gestopt. Wat al binnen was, is bewaard; probeer het later opnieuw.",
    pull_no_new_tips: "Geen nieuwe meldingen.",
    pull_no_new_answers: "Geen nieuwe antwoorden van melders.",
    pull_quarantined: "Sommige meldingen konden niet worden geopend en staan apart (in quarantaine). \
        Er is niets verloren; zie fluister-inbox quarantine.",
    pull_idle: "Er wordt nu niets opgehaald.",
    reply_heading: "Antwoord aan de melder",
    reply_label: "Bericht aan de melder",
    reply_hint: "De melder leest dit alleen met de meldcode. Schrijf niets dat de melder in gevaar \
        brengt als iemand anders meeleest.",
    reply_button: "Versturen",
    reply_sent: "Uw bericht is verstuurd. De melder ziet het als die de meldcode invoert.",
    export_heading: "Overdragen",
    export_pdf: "PDF downloaden",
    export_hint: "Het PDF-bestand is niet versleuteld. Bewaar en verstuur het alleen zoals uw \
        organisatie dat voorschrijft, bijvoorbeeld met beveiligde e-mail, en verwijder het daarna.",
    export_leave_out: "Laat weg uit het bestand",
    export_leave_out_contact: "het contact dat de melder gaf",
    export_leave_out_place: "de plaats",
    export_leave_out_notes: "uw notities",
    settings_title: "Instellingen",
    connection_heading: "Verbinding met de Fluister-server",
    connection_address: "Adres",
    connection_none: "Er is nog geen verbinding ingesteld.",
    connection_check_button: "Verbinding controleren",
    connection_works: "De verbinding werkt.",
    connection_set_heading: "Verbinding instellen",
    connection_set_hint: "Het adres en de toegangscode krijgt u van de beheerder van de server.",
    connection_token: "Toegangscode",
    connection_save_button: "Verbinding opslaan",
    connection_saved: "De verbinding is opgeslagen.",
    keys_heading: "Sleutels",
    keys_introduction: "Statussen, notities en berichten worden versleuteld voor al deze sleutels. \
        Een sleutel toevoegen of verwijderen kan met fluister-inbox keys add en keys remove.",
    key_this_computer: "de sleutel van deze werkplek",
    backup_heading: "Reservesleutel controleren",
    backup_introduction: "Plak hier de reservesleutel: de regel die begint met AGE-SECRET-KEY-1. \
        De werkplek controleert of die sleutel elke melding, de statussen en notities en elk \
        bericht opent. De sleutel wordt niet bewaard.",
    backup_label: "Reservesleutel",
    backup_button: "Controleren",
    backup_not_a_key: "Dit is geen sleutel. Een sleutel is één regel die begint met AGE-SECRET-KEY-1.",
    backup_opens_everything: "De reservesleutel opent alles.",
    backup_does_not_open: "De reservesleutel opent niet alles. Niet te openen:",
    backup_notes: "de statussen en notities",
    key_add_heading: "Een sleutel toevoegen",
    key_add_hint: "Bijvoorbeeld uw reservesleutel of die van een opvolger: de openbare sleutel, \
        die begint met age1. Geef nooit de geheime sleutel (AGE-SECRET-KEY-1…).",
    key_public_label: "Openbare sleutel",
    key_name_label: "Naam (bijvoorbeeld: reservesleutel in de kluis)",
    key_add_button: "Sleutel toevoegen",
    key_remove_button: "Uit de set halen",
    setup_title: "Uw sleutel maken",
    setup_introduction: "De werkplek start voor het eerst op deze computer. Maak eerst uw \
        sleutel: daarmee opent de werkplek de meldingen, alleen op deze computer. Een wachtzin \
        die u nu kiest, beschermt de sleutel. Vergeet u de wachtzin, dan opent alleen de \
        reservesleutel de meldingen nog.",
    setup_passphrase_hint: "Minstens 10 tekens. Vier losse woorden die niet bij elkaar horen, \
        werken goed. Schrijf de wachtzin niet op een briefje bij de computer.",
    new_passphrase_label: "Nieuwe wachtzin",
    new_passphrase_again_label: "Nogmaals de nieuwe wachtzin",
    setup_button: "Sleutel maken",
    setup_too_short: "De wachtzin is te kort: kies er een van minstens 10 tekens.",
    setup_differ: "De twee wachtzinnen zijn niet gelijk. Typ ze allebei opnieuw.",
    new_key_made: "Uw sleutel is gemaakt. Dit is uw openbare sleutel. Hij is niet geheim: geef \
        hem aan de beheerder van de server, en lees hem samen na, teken voor teken, bijvoorbeeld \
        door de telefoon.",
    new_key_next: "Stel hieronder de verbinding met de server in. Maak daarna een \
        reservesleutel en bewaar die offline; de handleiding legt uit hoe (De eerste dag, stap 3).",
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
    unlock_plain_key: "This key is not protected by a passphrase (a backup key often is made \
        that way). Whoever has the key file can open everything: keep it offline, and put it \
        away again after use.",
    locked_notice: "The workspace is locked.",
    idle_notice: "The workspace has locked because it was not used for a while. Reload the page \
        (F5) and type your passphrase to go on.",
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
    no_tips: "There are no tips yet. Fetch them with the button above.",
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
    how_known: "How the reporter knows",
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
    reply_possible: "The reporter can receive an anonymous reply with the report code.",
    reply_not_possible: "The reporter has no report code: a reply is not possible.",
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
    reply_status_label: "Status for the reporter (optional)",
    reply_status_hint: "The reporter sees it in their own language when they check with their \
                        report code. With a status, the message may stay empty.",
    reply_status_none: "do not change",
    reply_status_unknown: "There is no such status. Choose one from the list.",
    receivers_heading: "Receivers of hand-overs",
    receivers_introduction: "The agencies you hand tips over to, sealed. Each agency gives you \
                             its public age key (age1…).",
    receivers_has_key: "key set",
    receivers_no_key: "no key yet",
    receivers_set_heading: "Add a receiver or set its key",
    receivers_set_hint: "Use a name from the list to change an existing receiver's key or note. \
                         Leave the key empty to change only the note.",
    receivers_name_label: "Name",
    receivers_key_label: "Public key (age1…)",
    receivers_note_label: "Note (how to reach them)",
    receivers_set_button: "Save the receiver",
    receivers_remove_button: "Remove from the book",
    handover_heading: "Hand over, sealed",
    handover_hint: "To an agency in the receivers' book, sealed to their key alone. You choose \
                    what goes and see exactly what they will read first. The anonymous reply \
                    address never goes. The hand-over is recorded on the case.",
    handover_no_receivers: "No receiver has a key yet. Ask the agency for their public age key \
                            and set it with fluister-inbox receivers set.",
    handover_to: "To",
    handover_leave_out: "Leave out",
    handover_leave_out_when: "when it happened",
    handover_leave_out_text: "the reporter's whole description",
    handover_passages: "Passages of the reporter's text to leave out",
    handover_passages_hint: "One a line, exactly as written, for example the reporter's own name. \
                             They become […].",
    handover_preview_button: "Look first",
    handover_seal_button: "Make the sealed file and hand over",
    handover_choose_receiver: "Choose whom to hand over to.",
    handover_unknown_field: "This form does not know that choice. Reload the page.",
    handover_preview_title: "What the receiver reads",
    handover_preview_intro: "This is exactly what goes, sealed (nothing was made or recorded \
                             yet). Receiver:",
    handover_back: "Back to the tip",
    notes_heading: "Notes",
    history_heading: "What the team did",
    assigned_to: "Handled by:",
    no_notes: "No notes yet.",
    back_to_tips: "Back to the tips",
    statistics_link: "Statistics",
    statistics_title: "Statistics",
    statistics_introduction: "The number of tips per municipality, kind of exploitation and \
        quarter. Only those three facts are counted, never the content.",
    statistics_chart: "Bar chart of the number of tips per municipality and kind of \
        exploitation. The numbers are also in the CSV file.",
    statistics_download: "Download the numbers as a CSV file (opens in Excel)",
    settings_link: "Settings",
    role_filter: "Who reports",
    from_label: "Received from",
    to_label: "Received up to and including",
    search_label: "Search the text",
    search_hint: "Searches what happened, the place and the contact. Capitals do not matter.",
    search_forgotten: "This search is no longer kept (the workspace forgets search words when it \
        locks). Search again.",
    period_hint: "A date like 2026-03-31.",
    not_a_date: "This is not a date. Write a date like 2026-03-31.",
    pull_button: "Fetch new tips and answers",
    pull_title: "Fetching",
    pull_started: "Fetching the tips…",
    pull_answers_running: "The tips are in. Fetching the answers…",
    pull_failed: "Fetching stopped. What came in is kept; try again later.",
    pull_no_new_tips: "No new tips.",
    pull_no_new_answers: "No new answers from reporters.",
    pull_quarantined: "Some tips could not be opened and are kept apart (in quarantine). \
        Nothing is lost; see fluister-inbox quarantine.",
    pull_idle: "Nothing is being fetched now.",
    reply_heading: "Reply to the reporter",
    reply_label: "Message to the reporter",
    reply_hint: "The reporter reads this only with the report code. Write nothing that puts the \
        reporter in danger if someone else reads along.",
    reply_button: "Send",
    reply_sent: "Your message was sent. The reporter sees it when they enter the report code.",
    export_heading: "Hand over",
    export_pdf: "Download the PDF",
    export_hint: "The PDF file is not encrypted. Keep and send it only as your organisation \
        prescribes, for example by secure e-mail, and delete it afterwards.",
    export_leave_out: "Leave out of the file",
    export_leave_out_contact: "the contact the reporter gave",
    export_leave_out_place: "the place",
    export_leave_out_notes: "your notes",
    settings_title: "Settings",
    connection_heading: "Connection to the Fluister server",
    connection_address: "Address",
    connection_none: "No connection has been set up yet.",
    connection_check_button: "Check the connection",
    connection_works: "The connection works.",
    connection_set_heading: "Set up the connection",
    connection_set_hint: "The server's administrator gives you the address and the access code.",
    connection_token: "Access code",
    connection_save_button: "Save the connection",
    connection_saved: "The connection was saved.",
    keys_heading: "Keys",
    keys_introduction: "Statuses, notes and messages are encrypted to all of these keys. Add or \
        remove a key with fluister-inbox keys add and keys remove.",
    key_this_computer: "this workspace's key",
    backup_heading: "Check the backup key",
    backup_introduction: "Paste the backup key here: the line that starts with AGE-SECRET-KEY-1. \
        The workspace checks that this key opens every tip, the statuses and notes and every \
        message. The key is not kept.",
    backup_label: "Backup key",
    backup_button: "Check",
    backup_not_a_key: "This is not a key. A key is one line that starts with AGE-SECRET-KEY-1.",
    backup_opens_everything: "The backup key opens everything.",
    backup_does_not_open: "The backup key does not open everything. It cannot open:",
    backup_notes: "the statuses and notes",
    key_add_heading: "Add a key",
    key_add_hint: "For example your backup key or a successor's: the public key, which starts \
        with age1. Never give the secret key (AGE-SECRET-KEY-1…).",
    key_public_label: "Public key",
    key_name_label: "Name (for example: backup key in the safe)",
    key_add_button: "Add the key",
    key_remove_button: "Take out of the set",
    setup_title: "Make your key",
    setup_introduction: "The workspace starts for the first time on this computer. First make \
        your key: with it the workspace opens the tips, on this computer only. A passphrase you \
        choose now protects the key. If you forget the passphrase, only the backup key still \
        opens the tips.",
    setup_passphrase_hint: "At least 10 characters. Four unrelated words work well. Do not write \
        the passphrase on a note next to the computer.",
    new_passphrase_label: "New passphrase",
    new_passphrase_again_label: "The new passphrase again",
    setup_button: "Make the key",
    setup_too_short: "The passphrase is too short: choose one of at least 10 characters.",
    setup_differ: "The two passphrases are not the same. Type both again.",
    new_key_made: "Your key was made. This is your public key. It is not secret: give it to the \
        server's administrator, and read it back together, character by character, for example \
        by phone.",
    new_key_next: "Set up the connection to the server below. Then make a backup key and keep \
        it offline; the guide explains how (First day, step 3).",
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

/// What a finished pull brought: "3 nieuwe meldingen: nummer 4 tot en met 6." and the like.
pub fn pulled_tips(language: Language, numbers: &[u64]) -> String {
    match (language, numbers.first(), numbers.last()) {
        (Language::Nl, Some(first), Some(last)) if first == last => {
            format!("1 nieuwe melding: nummer {first}.")
        }
        (Language::Nl, Some(first), Some(last)) => format!(
            "{} nieuwe meldingen: nummer {first} tot en met {last}.",
            numbers.len()
        ),
        (Language::En, Some(first), Some(last)) if first == last => {
            format!("1 new tip: number {first}.")
        }
        (Language::En, Some(first), Some(last)) => {
            format!("{} new tips: numbers {first} to {last}.", numbers.len())
        }
        _ => words(language).pull_no_new_tips.to_owned(),
    }
}

/// "2 nieuwe antwoorden, bij melding 3 en 5." and the like.
pub fn pulled_answers(language: Language, count: usize, tip_numbers: &[u64]) -> String {
    let numbers: Vec<String> = tip_numbers.iter().map(u64::to_string).collect();
    let numbers = numbers.join(", ");
    match (language, count) {
        (_, 0) => words(language).pull_no_new_answers.to_owned(),
        (Language::Nl, 1) => format!("1 nieuw antwoord, bij melding {numbers}."),
        (Language::Nl, count) => format!("{count} nieuwe antwoorden, bij melding {numbers}."),
        (Language::En, 1) => format!("1 new answer, on tip {numbers}."),
        (Language::En, count) => format!("{count} new answers, on tips {numbers}."),
    }
}

/// "12 van 40 meldingen" while a pull runs.
pub fn pull_progress(language: Language, done: usize, total: usize) -> String {
    match language {
        Language::Nl => format!("{done} van {total}"),
        Language::En => format!("{done} of {total}"),
    }
}

/// What a backup check opened: "Gecontroleerd: 12 meldingen en 1 bericht."
pub fn backup_checked(language: Language, tips: usize, messages: usize) -> String {
    let messages = match (language, messages) {
        (Language::Nl, 1) => "1 bericht".to_owned(),
        (Language::Nl, count) => format!("{count} berichten"),
        (Language::En, 1) => "1 message".to_owned(),
        (Language::En, count) => format!("{count} messages"),
    };
    match language {
        Language::Nl => format!(
            "Gecontroleerd: {} en {messages}.",
            tip_count(language, tips)
        ),
        Language::En => format!("Checked: {} and {messages}.", tip_count(language, tips)),
    }
}

/// One thing the backup key does not open: "melding 7" / "bericht bij melding 7".
pub fn backup_missing_tip(language: Language, number: u64) -> String {
    match language {
        Language::Nl => format!("melding {number}"),
        Language::En => format!("tip {number}"),
    }
}

/// A message of tip `number` the backup key does not open.
pub fn backup_missing_message(language: Language, number: u64) -> String {
    match language {
        Language::Nl => format!("een bericht bij melding {number}"),
        Language::En => format!("a message of tip {number}"),
    }
}

/// "melding 7" / "tip 7", naming a tip in an explanation.
pub fn tip_numbered(language: Language, number: u64) -> String {
    backup_missing_tip(language, number)
}

/// What adding a key to the own set did, and what to ask the relay's operator.
pub fn key_added(language: Language, recipient: &str, added: bool) -> String {
    match (language, added) {
        (Language::Nl, true) => format!(
            "{recipient} staat nu in uw eigen sleutelset: de notities en statussen gaan er ook \
             mee open. Vraag de beheerder van de server deze sleutel ook als ontvanger in te \
             stellen, zodat nieuwe meldingen ervoor worden versleuteld; Verbinding controleren \
             laat zien of dat is gebeurd."
        ),
        (Language::Nl, false) => format!(
            "{recipient} stond al in uw eigen sleutelset. De notities en statussen zijn opnieuw \
             versleuteld voor de hele set."
        ),
        (Language::En, true) => format!(
            "{recipient} is now in your own set of keys: the notes and statuses open with it too. \
             Ask the server's administrator to add this key as a recipient as well, so that new \
             tips are encrypted to it; Check the connection shows whether that was done."
        ),
        (Language::En, false) => format!(
            "{recipient} was already in your own set of keys. The notes and statuses were \
             encrypted again to the whole set."
        ),
    }
}

/// What taking a key out of the own set did.
pub fn key_removed(language: Language, recipient: &str) -> String {
    match language {
        Language::Nl => format!(
            "{recipient} is uit uw eigen sleutelset gehaald: nieuwe notities en statussen gaan er \
             niet meer mee open. Oudere kopieën (bijvoorbeeld in een back-up) wel. Vraag de \
             beheerder van de server de sleutel ook daar weg te halen."
        ),
        Language::En => format!(
            "{recipient} was taken out of your own set of keys: new notes and statuses no longer \
             open with it. Older copies (in a backup, say) still do. Ask the server's \
             administrator to remove the key there too."
        ),
    }
}

/// The words of the registration page ("Signaal registreren") and of the linked cases on the
/// case page.
#[derive(Debug)]
pub struct RegisterWords {
    pub menu_link: &'static str,
    pub title: &'static str,
    pub introduction: &'static str,
    pub team_note: &'static str,
    pub source_label: &'static str,
    pub source_choose: &'static str,
    pub not_known: &'static str,
    pub date_label: &'static str,
    pub date_hint: &'static str,
    pub ongoing_label: &'static str,
    pub when_text_label: &'static str,
    pub when_text_hint: &'static str,
    pub place_label: &'static str,
    pub text_label: &'static str,
    pub text_hint: &'static str,
    pub contact_label: &'static str,
    pub contact_hint: &'static str,
    pub signals_legend: &'static str,
    pub button: &'static str,
    pub error_heading: &'static str,
    pub source_fact: &'static str,
    pub linked_heading: &'static str,
    pub linked_none: &'static str,
    pub suggestions_heading: &'static str,
    pub suggestions_hint: &'static str,
    pub link_button: &'static str,
    pub link_number_label: &'static str,
    pub link_number_button: &'static str,
    pub link_not_a_number: &'static str,
}

const DUTCH_REGISTER: RegisterWords = RegisterWords {
    menu_link: "Signaal registreren",
    title: "Signaal registreren",
    introduction: "Kwam een signaal binnen via de telefoon, het ZVHD, de politie, de GGD, de \
        gemeente of een ander kanaal? Leg het hier vast, met dezelfde velden als een melding. Het \
        wordt versleuteld bewaard zoals een opgehaalde melding, krijgt het volgende nummer en \
        telt mee in de lijst en de statistieken.",
    team_note: "Werkt u in een team? Uw collega's krijgen een geregistreerd signaal niet via de \
        server: het staat alleen op deze computer.",
    source_label: "Binnengekomen via",
    source_choose: "Kies het kanaal",
    not_known: "Niet bekend",
    date_label: "Datum waarop het gebeurde",
    date_hint: "Leeg laten als u het niet weet.",
    ongoing_label: "Het is nog gaande",
    when_text_label: "Wanneer, in woorden",
    when_text_hint: "Bijvoorbeeld: elk weekend, sinds de zomer.",
    place_label: "Waar",
    text_label: "Wat er gebeurde",
    text_hint: "Verplicht. Schrijf op wat u hoorde, zo letterlijk als kan.",
    contact_label: "Hoe is degene die het vertelde bereikbaar?",
    contact_hint: "Leeg laten als dat niet bekend is of niet mag worden bewaard.",
    signals_legend: "Signalen",
    button: "Registreren",
    error_heading: "Het signaal is niet geregistreerd",
    source_fact: "Binnengekomen via",
    linked_heading: "Gekoppelde meldingen",
    linked_none: "Deze melding is aan geen andere gekoppeld.",
    suggestions_heading: "Mogelijk dezelfde situatie",
    suggestions_hint: "Meldingen met dezelfde gemeente en vorm die binnen 90 dagen van elkaar \
        binnenkwamen. Alleen een voorstel: koppel ze als het om dezelfde situatie gaat.",
    link_button: "Koppel aan melding",
    link_number_label: "Koppel aan melding nummer",
    link_number_button: "Koppelen",
    link_not_a_number: "Geef het nummer van een andere melding, bijvoorbeeld 7.",
};

const ENGLISH_REGISTER: RegisterWords = RegisterWords {
    menu_link: "Register a signal",
    title: "Register a signal",
    introduction: "Did a signal come in by phone, through the ZVHD, the police, the GGD, the \
        municipality or another channel? Record it here, with the same fields as a tip. It is \
        stored encrypted like a fetched tip, gets the next number and counts in the list and \
        the statistics.",
    team_note: "Working in a team? Your colleagues do not get a registered signal through the \
        server: it is on this computer only.",
    source_label: "Came in through",
    source_choose: "Choose the channel",
    not_known: "Not known",
    date_label: "Date it happened",
    date_hint: "Leave empty if you do not know.",
    ongoing_label: "It is still going on",
    when_text_label: "When, in words",
    when_text_hint: "For example: every weekend, since the summer.",
    place_label: "Where",
    text_label: "What happened",
    text_hint: "Required. Write down what you heard, as literally as you can.",
    contact_label: "How can the person who told it be reached?",
    contact_hint: "Leave empty if that is not known or must not be kept.",
    signals_legend: "Signals",
    button: "Register",
    error_heading: "The signal was not registered",
    source_fact: "Came in through",
    linked_heading: "Linked tips",
    linked_none: "This tip is not linked to any other.",
    suggestions_heading: "Possibly the same situation",
    suggestions_hint: "Tips with the same municipality and kind that arrived within 90 days of \
        each other. A suggestion only: link them if they are about the same situation.",
    link_button: "Link to tip",
    link_number_label: "Link to tip number",
    link_number_button: "Link",
    link_not_a_number: "Give the number of another tip, for example 7.",
};

/// The registration page's words in `language`.
pub fn register_words(language: Language) -> &'static RegisterWords {
    match language {
        Language::Nl => &DUTCH_REGISTER,
        Language::En => &ENGLISH_REGISTER,
    }
}
