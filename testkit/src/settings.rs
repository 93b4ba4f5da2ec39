//! The relay's configuration file, built in code: a TOML table written with the `toml` crate,
//! so a value is always quoted and escaped the way TOML wants, whatever it holds (a path with a
//! quote, an origin list). The relay itself checks every field name and value when it starts
//! and names the field it refuses, so a test with a typo fails at once and says why.

use std::path::Path;

use toml::{Table, Value};

/// A relay configuration: sections (`server`, `storage`, `limits`, `proof_of_work`,
/// `coordinator`, `widget`) of fields, as in `relay-server example-config`.
#[derive(Clone, Default, PartialEq)]
pub struct SettingsBuilder {
    table: Table,
    /// The coordinator token a [`RelayProcess`](crate::RelayProcess)'s client uses: the first of
    /// [`SettingsBuilder::coordinator_tokens`], or a minted one.
    client_token: Option<String>,
    /// Environment variables the relay process gets, as an operator's service manager would
    /// set them.
    environment: Vec<(String, String)>,
}

impl std::fmt::Debug for SettingsBuilder {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        formatter
            .debug_struct("SettingsBuilder")
            .field("table", &self.table)
            .field(
                "client_token",
                &self.client_token.as_ref().map(|_| "<redacted>"),
            )
            .field("environment", &self.environment)
            .finish()
    }
}

impl SettingsBuilder {
    /// No fields at all: the relay's own defaults.
    pub fn empty() -> SettingsBuilder {
        SettingsBuilder::default()
    }

    /// What a test relay starts from: listening on 127.0.0.1 on a port from the OS, logging at
    /// `debug`, proof of work off (difficulty 0: any nonce solves a challenge), and the two
    /// test tokens ([`COORDINATOR_TOKEN`](crate::COORDINATOR_TOKEN),
    /// [`SECOND_COORDINATOR_TOKEN`](crate::SECOND_COORDINATOR_TOKEN)) accepted.
    /// [`RelayProcess::start`](crate::RelayProcess::start) adds a temporary data directory.
    pub fn for_tests() -> SettingsBuilder {
        SettingsBuilder::empty()
            .server("listen", "127.0.0.1:0")
            .server("log_level", "debug")
            .proof_of_work("difficulty", 0)
            .coordinator_tokens(&[crate::COORDINATOR_TOKEN, crate::SECOND_COORDINATOR_TOKEN])
    }

    /// Sets `section.field`, replacing what it was.
    pub fn set(mut self, section: &str, field: &str, value: impl Into<Value>) -> SettingsBuilder {
        self.section_mut(section)
            .insert(field.to_owned(), value.into());
        self
    }

    /// Removes `section.field`, so the relay uses its default.
    pub fn without(mut self, section: &str, field: &str) -> SettingsBuilder {
        self.section_mut(section).remove(field);
        self
    }

    /// The value of `section.field`, if set.
    pub fn get(&self, section: &str, field: &str) -> Option<&Value> {
        self.table.get(section)?.get(field)
    }

    /// Gives the relay process the environment variable `name` (e.g. `FLUISTER_LOG_FORMAT`).
    pub fn environment(mut self, name: &str, value: impl Into<String>) -> SettingsBuilder {
        self.environment.push((name.to_owned(), value.into()));
        self
    }

    /// The environment variables the relay process gets, in the order they were given.
    pub fn environment_variables(&self) -> &[(String, String)] {
        &self.environment
    }

    /// Sets a field of `[server]`.
    pub fn server(self, field: &str, value: impl Into<Value>) -> SettingsBuilder {
        self.set("server", field, value)
    }

    /// Sets a field of `[storage]`.
    pub fn storage(self, field: &str, value: impl Into<Value>) -> SettingsBuilder {
        self.set("storage", field, value)
    }

    /// Sets a field of `[limits]`.
    pub fn limits(self, field: &str, value: impl Into<Value>) -> SettingsBuilder {
        self.set("limits", field, value)
    }

    /// Sets a field of `[proof_of_work]`.
    pub fn proof_of_work(self, field: &str, value: impl Into<Value>) -> SettingsBuilder {
        self.set("proof_of_work", field, value)
    }

    /// Sets a field of `[coordinator]`.
    pub fn coordinator(self, field: &str, value: impl Into<Value>) -> SettingsBuilder {
        self.set("coordinator", field, value)
    }

    /// Sets a field of `[widget]`.
    pub fn widget(self, field: &str, value: impl Into<Value>) -> SettingsBuilder {
        self.set("widget", field, value)
    }

    /// `storage.data_dir`.
    pub fn data_dir(self, directory: &Path) -> SettingsBuilder {
        self.storage("data_dir", path_value(directory))
    }

    /// `widget.assets_dir`: the built widget to serve.
    pub fn assets_dir(self, directory: &Path) -> SettingsBuilder {
        self.widget("assets_dir", path_value(directory))
    }

    /// `coordinator.recipients`: the age recipients (`age1…`) tips are sealed to.
    pub fn recipients<R: ToString>(
        self,
        recipients: impl IntoIterator<Item = R>,
    ) -> SettingsBuilder {
        self.coordinator("recipients", strings(recipients))
    }

    /// `coordinator.token_sha256`: the hashes of exactly these tokens. The first is the one a
    /// [`RelayProcess`](crate::RelayProcess)'s client uses.
    pub fn coordinator_tokens(self, tokens: &[&str]) -> SettingsBuilder {
        let mut settings =
            self.coordinator_token_hashes(tokens.iter().map(|token| crate::token_hash(token)));
        settings.client_token = tokens.first().map(|token| (*token).to_owned());
        settings
    }

    /// `coordinator.token_sha256`: only the hash `relay-server mint-token` printed for `minted`,
    /// which a [`RelayProcess`](crate::RelayProcess)'s client then uses.
    pub fn minted_token(self, minted: &crate::process::MintedToken) -> SettingsBuilder {
        let mut settings = self.coordinator_token_hashes([&minted.token_sha256]);
        settings.client_token = Some(minted.token.clone());
        settings
    }

    /// The token a relay's client uses, if the settings name one.
    pub fn client_token(&self) -> Option<&str> {
        self.client_token.as_deref()
    }

    /// `coordinator.token_sha256`: these hex SHA-256 hashes, e.g. as `relay-server mint-token`
    /// prints one.
    pub fn coordinator_token_hashes<H: ToString>(
        self,
        hashes: impl IntoIterator<Item = H>,
    ) -> SettingsBuilder {
        self.coordinator("token_sha256", strings(hashes))
    }

    /// `metrics.token_sha256`: the hashes of exactly these tokens, which open `/metrics`.
    pub fn metrics_tokens(self, tokens: &[&str]) -> SettingsBuilder {
        self.set(
            "metrics",
            "token_sha256",
            strings(tokens.iter().map(|token| crate::token_hash(token))),
        )
    }

    /// Adds one `[[coordinator.members]]`: a team member's label and token hash, as
    /// `relay-server mint-token --label` prints them.
    pub fn member(self, label: &str, token_sha256: &str) -> SettingsBuilder {
        self.append_table(
            "coordinator",
            "members",
            [("label", label), ("token_sha256", token_sha256)],
        )
    }

    /// `widget.embedding_origins`: the host pages allowed to frame the widget.
    pub fn embedding_origins<O: ToString>(
        self,
        origins: impl IntoIterator<Item = O>,
    ) -> SettingsBuilder {
        self.widget("embedding_origins", strings(origins))
    }

    /// Adds one `[[widget.municipalities]]`.
    pub fn municipality(self, id: &str, name: &str) -> SettingsBuilder {
        self.append_table("widget", "municipalities", [("id", id), ("name", name)])
    }

    /// Adds one `[[widget.phone_numbers]]`.
    pub fn phone_number(self, label: &str, number: &str) -> SettingsBuilder {
        self.append_table(
            "widget",
            "phone_numbers",
            [("label", label), ("number", number)],
        )
    }

    /// Sets every field of a JSON object of sections, `{"limits": {"max_tip_bytes": 8192}}`,
    /// over what is set already. A JSON integer becomes a TOML integer and any other number a
    /// float; `null` is refused (TOML has none).
    pub fn merge_json(mut self, json: &serde_json::Value) -> Result<SettingsBuilder, String> {
        let serde_json::Value::Object(sections) = json else {
            return Err("the settings must be a JSON object of sections".to_owned());
        };
        for (section, fields) in sections {
            let serde_json::Value::Object(fields) = fields else {
                return Err(format!("`{section}` must be an object of fields"));
            };
            for (field, value) in fields {
                let value =
                    toml_value(value).map_err(|problem| format!("{section}.{field}: {problem}"))?;
                self = self.set(section, field, value);
            }
        }
        Ok(self)
    }

    /// The config file's text.
    pub fn to_toml(&self) -> String {
        toml::to_string(&self.table).expect("a TOML table always serialises")
    }

    fn section_mut(&mut self, section: &str) -> &mut Table {
        let entry = self
            .table
            .entry(section.to_owned())
            .or_insert_with(|| Value::Table(Table::new()));
        match entry {
            Value::Table(table) => table,
            other => panic!("`{section}` is a section, not {other}"),
        }
    }

    fn append_table<const N: usize>(
        mut self,
        section: &str,
        field: &str,
        entries: [(&str, &str); N],
    ) -> SettingsBuilder {
        let table: Table = entries
            .into_iter()
            .map(|(key, value)| (key.to_owned(), Value::from(value)))
            .collect();
        let list = self
            .section_mut(section)
            .entry(field.to_owned())
            .or_insert_with(|| Value::Array(Vec::new()));
        match list {
            Value::Array(items) => items.push(Value::Table(table)),
            other => panic!("`{section}.{field}` is a list, not {other}"),
        }
        self
    }
}

fn path_value(path: &Path) -> Value {
    Value::String(path.to_str().expect("a UTF-8 path").to_owned())
}

fn strings<S: ToString>(items: impl IntoIterator<Item = S>) -> Value {
    Value::Array(
        items
            .into_iter()
            .map(|item| Value::String(item.to_string()))
            .collect(),
    )
}

fn toml_value(json: &serde_json::Value) -> Result<Value, String> {
    Ok(match json {
        serde_json::Value::Null => return Err("TOML has no null".to_owned()),
        serde_json::Value::Bool(value) => Value::Boolean(*value),
        serde_json::Value::Number(number) => match number.as_i64() {
            Some(integer) => Value::Integer(integer),
            None => Value::Float(number.as_f64().ok_or("a number out of range")?),
        },
        serde_json::Value::String(text) => Value::String(text.clone()),
        serde_json::Value::Array(items) => {
            Value::Array(items.iter().map(toml_value).collect::<Result<_, _>>()?)
        }
        serde_json::Value::Object(fields) => Value::Table(
            fields
                .iter()
                .map(|(key, value)| Ok((key.clone(), toml_value(value)?)))
                .collect::<Result<_, String>>()?,
        ),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn writes_sections_lists_and_tables_of_lists_as_toml() {
        let settings = SettingsBuilder::empty()
            .server("listen", "127.0.0.1:0")
            .limits("max_tip_bytes", 8192)
            .limits("submissions_per_second", 0.5)
            .data_dir(Path::new("/tmp/with \"quote\""))
            .recipients(["age1a", "age1b"])
            .municipality("assen", "Assen")
            .municipality("emmen", "Emmen");
        let text = settings.to_toml();
        let parsed: Table = text.parse().unwrap();
        assert_eq!(parsed["server"]["listen"].as_str(), Some("127.0.0.1:0"));
        assert_eq!(parsed["limits"]["max_tip_bytes"].as_integer(), Some(8192));
        assert_eq!(
            parsed["limits"]["submissions_per_second"].as_float(),
            Some(0.5)
        );
        assert_eq!(
            parsed["storage"]["data_dir"].as_str(),
            Some("/tmp/with \"quote\"")
        );
        assert_eq!(
            parsed["coordinator"]["recipients"][1].as_str(),
            Some("age1b")
        );
        assert_eq!(
            parsed["widget"]["municipalities"][1]["name"].as_str(),
            Some("Emmen")
        );
        assert!(text.contains("[[widget.municipalities]]"), "{text}");
    }

    #[test]
    fn json_sections_merge_over_the_fields_set() {
        let json = serde_json::json!({
            "proof_of_work": {"difficulty": 8, "flood_baseline": 1000000},
            "limits": {"mailbox_requests_per_minute": 0.01},
            "widget": {"embedding_origins": ["http://127.0.0.1:5000"]},
        });
        let settings = SettingsBuilder::for_tests().merge_json(&json).unwrap();
        assert_eq!(
            settings.get("proof_of_work", "difficulty"),
            Some(&Value::Integer(8))
        );
        assert_eq!(
            settings.get("limits", "mailbox_requests_per_minute"),
            Some(&Value::Float(0.01))
        );
        assert_eq!(
            settings.get("server", "listen").and_then(Value::as_str),
            Some("127.0.0.1:0")
        );
        let refused =
            SettingsBuilder::empty().merge_json(&serde_json::json!({"limits": {"x": null}}));
        assert_eq!(refused.unwrap_err(), "limits.x: TOML has no null");
        assert!(
            SettingsBuilder::empty()
                .merge_json(&serde_json::json!([1]))
                .is_err()
        );
    }
}
