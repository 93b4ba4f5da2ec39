//! The region the relay serves and its municipalities, as the relay's `GET /api/v1/config`
//! lists them (the relay's config decides: Drenthe's twelve unless it names another region).
//!
//! `pull` keeps a copy in `region.json` in the inbox folder, so `list`, `show`, `export` and
//! `stats` name municipalities without asking the relay, and keep naming those a relay stopped
//! listing. The names come from the relay, so they are treated like anything else from outside:
//! ill-formed identifiers are dropped and names are cleaned of control and bidirectional
//! characters before they are stored.

use fluister_envelope::tip::vocabulary::is_well_formed_identifier;
use fluister_protocol::bodies::PublicConfig;
use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::home::{InboxHome, replace_file};
use crate::msg;
use crate::render::sanitise;

/// The most municipalities kept (a relay refuses to list more).
const MAX_MUNICIPALITIES: usize = 400;

/// The longest name kept, in characters.
const MAX_NAME_CHARS: usize = 80;

/// The region and its municipalities in the form's order.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Region {
    /// The region's name (`Drenthe`); empty if the relay gave none.
    pub name: String,
    /// The municipalities, in the order the form offers them.
    pub municipalities: Vec<RegionMunicipality>,
}

/// One municipality of the region.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RegionMunicipality {
    /// The identifier a tip carries (`assen`).
    pub id: String,
    /// The name to show (`Assen`).
    pub name: String,
}

/// A name from outside, made safe to print: no control or bidirectional characters, not too long.
fn clean_name(name: &str) -> String {
    sanitise(name.trim(), false)
        .chars()
        .take(MAX_NAME_CHARS)
        .collect()
}

impl Region {
    /// The region as the relay's config lists it, cleaned (see the module documentation).
    pub fn from_config(config: &PublicConfig) -> Self {
        let mut municipalities: Vec<RegionMunicipality> = Vec::new();
        for municipality in &config.municipalities {
            let known = municipalities
                .iter()
                .any(|earlier| earlier.id == municipality.id);
            let name = clean_name(&municipality.name);
            if is_well_formed_identifier(&municipality.id) && !known && !name.is_empty() {
                municipalities.push(RegionMunicipality {
                    id: municipality.id.clone(),
                    name,
                });
            }
            if municipalities.len() == MAX_MUNICIPALITIES {
                break;
            }
        }
        Self {
            name: clean_name(&config.region),
            municipalities,
        }
    }

    /// The copy `pull` keeps, or an empty region before the first pull.
    pub fn load(home: &InboxHome) -> Result<Self> {
        let path = home.region_path();
        match std::fs::read(&path) {
            Ok(bytes) => serde_json::from_slice(&bytes).map_err(|source| Error::Unreadable {
                message: msg!("region.damaged", file = path.display()),
                source,
            }),
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => Ok(Self::default()),
            Err(error) => Err(Error::io(
                msg!("io.cannot_read", file = path.display()),
                error,
            )),
        }
    }

    /// Keeps this region, adding the municipalities of the copy kept before that the relay no
    /// longer lists (tips about them keep their names), and says whether anything changed.
    pub fn save_merged(&self, home: &InboxHome) -> Result<bool> {
        let before = Self::load(home)?;
        let mut merged = self.clone();
        for old in &before.municipalities {
            if merged.municipalities.len() < MAX_MUNICIPALITIES
                && !merged.municipalities.iter().any(|new| new.id == old.id)
            {
                merged.municipalities.push(old.clone());
            }
        }
        if merged.name.is_empty() {
            merged.name = before.name.clone();
        }
        if merged == before {
            return Ok(false);
        }
        let json = serde_json::to_vec_pretty(&merged).expect("a region serialises");
        replace_file(&home.region_path(), &json)?;
        Ok(true)
    }

    /// The name of the municipality `id`, if the region lists it.
    pub fn name_of(&self, id: &str) -> Option<&str> {
        self.municipalities
            .iter()
            .find(|municipality| municipality.id == id)
            .map(|municipality| municipality.name.as_str())
    }
}

#[cfg(test)]
mod tests {
    use fluister_protocol::bodies::{Municipality, ProofOfWorkParameters, PublicLimits};

    use super::*;

    fn config(region: &str, municipalities: &[(&str, &str)]) -> PublicConfig {
        PublicConfig {
            api_version: 1,
            recipients: Vec::new(),
            limits: PublicLimits { max_tip_bytes: 1 },
            proof_of_work: ProofOfWorkParameters {
                difficulty: 1,
                memory_kib: 8,
                challenge_lifetime_seconds: 60,
            },
            region: region.to_owned(),
            municipalities: municipalities
                .iter()
                .map(|(id, name)| Municipality {
                    id: (*id).to_owned(),
                    name: (*name).to_owned(),
                })
                .collect(),
            phone_numbers: Vec::new(),
        }
    }

    #[test]
    fn what_a_relay_sends_is_cleaned_before_it_is_kept() {
        let region = Region::from_config(&config(
            "Dren\u{202e}the\n",
            &[
                ("assen", "Assen"),
                ("assen", "Assen again"),
                ("<script>", "Bad id"),
                ("emmen", "Em\u{1b}[31mmen"),
                ("meppel", "   "),
                ("coevorden", &"C".repeat(500)),
            ],
        ));
        assert_eq!(region.name, "Dren\u{fffd}the");
        let ids: Vec<&str> = region
            .municipalities
            .iter()
            .map(|m| m.id.as_str())
            .collect();
        assert_eq!(ids, ["assen", "emmen", "coevorden"]);
        assert_eq!(region.name_of("assen"), Some("Assen"));
        assert!(!region.name_of("emmen").unwrap().contains('\u{1b}'));
        assert_eq!(region.name_of("coevorden").unwrap().chars().count(), 80);
        assert_eq!(region.name_of("groningen"), None);
    }

    #[test]
    fn a_saved_region_keeps_the_names_of_municipalities_the_relay_dropped() {
        let root = std::env::temp_dir().join(format!("fluister-region-{}", std::process::id()));
        std::fs::create_dir_all(&root).unwrap();
        let home = InboxHome::new(root.clone());
        assert_eq!(Region::load(&home).unwrap(), Region::default());

        let first = Region::from_config(&config(
            "Drenthe",
            &[("assen", "Assen"), ("emmen", "Emmen")],
        ));
        assert!(first.save_merged(&home).unwrap());
        assert!(
            !first.save_merged(&home).unwrap(),
            "nothing new, nothing written"
        );

        let second = Region::from_config(&config("Drenthe", &[("assen", "Assen (gemeente)")]));
        assert!(second.save_merged(&home).unwrap());
        let kept = Region::load(&home).unwrap();
        assert_eq!(kept.name, "Drenthe");
        assert_eq!(kept.name_of("assen"), Some("Assen (gemeente)"));
        assert_eq!(kept.name_of("emmen"), Some("Emmen"));

        std::fs::write(home.region_path(), b"{not json").unwrap();
        // The unit tests run in Dutch, the default language.
        assert!(
            Region::load(&home)
                .unwrap_err()
                .to_string()
                .contains("beschadigd")
        );
        std::fs::remove_dir_all(root).unwrap();
    }
}
