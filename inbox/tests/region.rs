//! Another region is configuration only: a relay configured for Groningen serves its region and
//! municipalities, and the real inbox names them in `pull`, `list`, `show` and `stats` without a
//! line of code knowing Groningen. A municipality the relay stops listing keeps its name.

mod support;

use fluister_envelope::tip::TipDocument;
use fluister_envelope::tip::vocabulary::{Kind, Municipality};
use fluister_testkit::RelayProcess;
use fluister_testkit::fixtures::sealed_document;
use support::{Inbox, relay_settings};

fn tip_about(municipality: &str, text: &str) -> TipDocument {
    let mut document = TipDocument::new(text);
    document.kinds = vec![Kind::Labour];
    document.municipality = Some(Municipality::from_id(municipality));
    document
}

#[test]
fn a_relay_for_another_region_is_named_by_the_inbox_without_code() {
    let inbox = Inbox::new("region");
    let recipient = inbox.keygen();
    let groningen = |settings: fluister_testkit::SettingsBuilder| {
        settings
            .widget("region", "Groningen")
            .municipality("groningen", "Groningen")
            .municipality("het-hogeland", "Het Hogeland")
    };
    let relay = RelayProcess::start(groningen(relay_settings(std::slice::from_ref(&recipient))));
    let config = relay.client().config();
    assert_eq!(config.region, "Groningen");
    let ids: Vec<&str> = config
        .municipalities
        .iter()
        .map(|m| m.id.as_str())
        .collect();
    assert_eq!(ids, ["groningen", "het-hogeland"]);

    inbox.connect(&relay);
    let recipient_key = recipient.parse().unwrap();
    relay.store_tip(&sealed_document(
        std::slice::from_ref(&recipient_key),
        &tip_about(
            "het-hogeland",
            "Kassen bij Uithuizen, mensen slapen in containers.",
        ),
    ));
    let pulled = inbox.run_ok(&["pull", "--lang", "en"]);
    assert!(
        pulled.contains("Municipalities of Groningen as the relay lists them: 2."),
        "{pulled}"
    );
    let list = inbox.run_ok(&["list"]);
    assert!(list.contains("Het Hogeland"), "{list}");
    let filtered = inbox.run_ok(&["list", "--municipality", "het-hogeland"]);
    assert!(filtered.contains("Het Hogeland"), "{filtered}");
    let refused = inbox.run_failing(&["list", "--municipality", "assen", "--lang", "en"]);
    assert!(
        refused.contains("Use one of: groningen, het-hogeland, other"),
        "{refused}"
    );
    let shown = inbox.run_ok(&["show", "1"]);
    assert!(shown.contains("Het Hogeland"), "{shown}");
    let csv = inbox.run_ok(&["stats", "--csv-style", "comma"]);
    assert!(csv.contains(",het-hogeland,Het Hogeland,labour,"), "{csv}");

    // The relay's operator drops a municipality: tips about it keep their name.
    drop(relay);
    let relay = RelayProcess::start(
        relay_settings(std::slice::from_ref(&recipient))
            .widget("region", "Groningen")
            .municipality("groningen", "Groningen"),
    );
    inbox.connect(&relay);
    relay.store_tip(&sealed_document(
        std::slice::from_ref(&recipient_key),
        &tip_about(
            "groningen",
            "Een nagelsalon waar de meisjes nooit naar buiten gaan.",
        ),
    ));
    inbox.run_ok(&["pull"]);
    let list = inbox.run_ok(&["list"]);
    assert!(
        list.contains("Het Hogeland") && list.contains("Groningen"),
        "{list}"
    );
}
