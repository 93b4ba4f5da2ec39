//! Every JSON example in `docs/api.md` is a body these types read, and reads back to the same
//! JSON: the contract and the code cannot drift apart without this test failing. A new example
//! in the document needs a line in `EXPECTED` below.

use fluister_protocol::bodies::{
    ChallengeResponse, LogAppended, LogPage, MailboxRegistration, MessageList, PublicConfig,
    RelayStatus, TipList,
};
use fluister_protocol::error::ErrorBody;
use serde::Serialize;
use serde::de::DeserializeOwned;

/// Parses `json` as `T` and checks that writing it again gives the same JSON value.
fn parses_as<T: DeserializeOwned + Serialize>(json: &str) -> Result<(), String> {
    let parsed: T = serde_json::from_str(json).map_err(|error| error.to_string())?;
    let original: serde_json::Value = serde_json::from_str(json).map_err(|e| e.to_string())?;
    let written = serde_json::to_value(&parsed).map_err(|error| error.to_string())?;
    if written == original {
        Ok(())
    } else {
        Err(format!("written back differently: {written}"))
    }
}

/// Checks one example against one body type.
type Check = fn(&str) -> Result<(), String>;

/// The type of each ```json block of `docs/api.md`, in order.
const EXPECTED: &[(&str, Check)] = &[
    ("error body", parses_as::<ErrorBody>),
    ("GET /api/v1/config", parses_as::<PublicConfig>),
    ("POST /api/v1/challenges", parses_as::<ChallengeResponse>),
    (
        "POST /api/v1/challenges?version=2",
        parses_as::<ChallengeResponse>,
    ),
    ("GET /api/v1/tips", parses_as::<TipList>),
    ("POST /api/v1/log", parses_as::<LogAppended>),
    ("GET /api/v1/log", parses_as::<LogPage>),
    ("GET /api/v1/status", parses_as::<RelayStatus>),
    ("POST /api/v1/mailboxes", parses_as::<MailboxRegistration>),
    (
        "GET /api/v1/mailboxes/{id}/messages",
        parses_as::<MessageList>,
    ),
];

/// The contents of every fenced ```json block, indented ones included.
fn json_blocks(markdown: &str) -> Vec<String> {
    let mut blocks = Vec::new();
    let mut current: Option<String> = None;
    for line in markdown.lines() {
        let trimmed = line.trim_start();
        match &mut current {
            None if trimmed == "```json" => current = Some(String::new()),
            Some(block) if trimmed == "```" => {
                blocks.push(std::mem::take(block));
                current = None;
            }
            Some(block) => {
                block.push_str(line);
                block.push('\n');
            }
            None => {}
        }
    }
    blocks
}

#[test]
fn every_json_example_in_the_api_document_is_a_protocol_body() {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../docs/api.md");
    let markdown = std::fs::read_to_string(path).expect("docs/api.md");
    let blocks = json_blocks(&markdown);
    assert_eq!(
        blocks.len(),
        EXPECTED.len(),
        "docs/api.md has {} JSON examples; list each one's type in EXPECTED",
        blocks.len()
    );
    for (block, (what, check)) in blocks.iter().zip(EXPECTED) {
        if let Err(problem) = check(block) {
            panic!("the {what} example in docs/api.md is not its body type: {problem}\n{block}");
        }
    }
}
