//! `cargo xtask demo`: the whole system on this machine, to try by hand.
//!
//! Builds the widget and the relay, makes a demo coordinator key and token under
//! `target/demo/`, starts the relay (embedded SQLite, a light proof of work) on
//! 127.0.0.1:8787 and the example municipal page on 127.0.0.1:8788 (another origin, as on a real
//! municipal site), and prints the address to open and the commands that read the tips.
//! Ctrl-C stops both.

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};

use crate::util::{
    TaskResult, build_relay_and_inbox, have_program, run_command, step, target_dir, workspace_root,
};

const RELAY_ADDRESS: &str = "127.0.0.1:8787";
const PAGE_PORT: &str = "8788";

/// Proof-of-work difficulty for the demo: a fraction of a second, so trying it is quick.
const DEMO_DIFFICULTY: u32 = 32;

pub fn run(arguments: &[String]) -> TaskResult {
    if let Some(unknown) = arguments.first() {
        return Err(format!(
            "`cargo xtask demo` takes no options (got `{unknown}`)"
        ));
    }
    if !have_program("age-keygen", "--version") {
        return Err(
            "`age-keygen` is missing: `apt-get install age` (it makes the demo key)".into(),
        );
    }
    crate::widget::build()?;
    step("The relay and the inbox");
    let binaries = build_relay_and_inbox(false)?;
    let (relay_binary, inbox_binary) = (binaries.relay, binaries.inbox);

    step("Demo coordinator key and token (target/demo)");
    let demo = target_dir().join("demo");
    let _ = std::fs::remove_dir_all(&demo);
    std::fs::create_dir_all(&demo)
        .map_err(|error| format!("could not create {}: {error}", demo.display()))?;
    let key_file = demo.join("coordinator.key");
    run_command(Command::new("age-keygen").arg("-o").arg(&key_file))?;
    let key_text = read(&key_file)?;
    let recipient = key_text
        .lines()
        .find_map(|line| line.strip_prefix("# public key: "))
        .ok_or("age-keygen wrote no public key")?
        .trim()
        .to_owned();
    let minted = Command::new(&relay_binary)
        .arg("mint-token")
        .output()
        .map_err(|error| format!("could not run relay-server mint-token: {error}"))?;
    let minted = String::from_utf8_lossy(&minted.stdout).into_owned();
    let token = minted
        .split_whitespace()
        .find(|word| word.starts_with("fluister-coordinator-"))
        .ok_or("relay-server mint-token printed no token")?
        .to_owned();
    let token_hash_line = minted
        .lines()
        .map(str::trim)
        .find(|line| line.starts_with("token_sha256 = "))
        .ok_or("relay-server mint-token printed no hash line")?
        .to_owned();
    let token_file = demo.join("token.txt");
    write(&token_file, &format!("{token}\n"))?;

    let page_origin = format!("http://127.0.0.1:{PAGE_PORT}");
    let relay_origin = format!("http://{RELAY_ADDRESS}");
    let config_file = demo.join("relay.toml");
    write(
        &config_file,
        &format!(
            "# Written by `cargo xtask demo`: a relay for trying Fluister on this machine only.\n\
             [server]\nlisten = \"{RELAY_ADDRESS}\"\nlog_level = \"info\"\n\n\
             [storage]\ndata_dir = \"{data}\"\n\n\
             [proof_of_work]\ndifficulty = {DEMO_DIFFICULTY}\n\n\
             [coordinator]\nrecipients = [\"{recipient}\"]\n{token_hash_line}\n\n\
             [widget]\nassets_dir = \"{assets}\"\nembedding_origins = [\"{page_origin}\"]\n\
             # No phone_numbers: the form's built-in list, in every language it speaks, with\n\
             # Veilig Thuis and the numbers to call from abroad.\n",
            data = demo.join("relay-data").display(),
            assets = crate::widget::assets_dir().display(),
        ),
    )?;

    step("Starting the relay and the example municipal page");
    let mut relay = Command::new(&relay_binary)
        .arg("--config")
        .arg(&config_file)
        .stdout(Stdio::piped())
        .spawn()
        .map_err(|error| format!("could not start the relay: {error}"))?;
    wait_for_listening(&mut relay)?;
    let mut page = Command::new("node")
        .arg(workspace_root().join("tests/tools/static-server.mjs"))
        .arg(workspace_root().join("examples/municipal-page"))
        .arg(&relay_origin)
        .arg(PAGE_PORT)
        .stdout(Stdio::piped())
        .spawn()
        .map_err(|error| format!("could not start the example page's server: {error}"))?;
    if let Err(error) = wait_for_listening(&mut page) {
        let _ = relay.kill();
        return Err(error);
    }

    let inbox_home = demo.join("inbox");
    println!(
        "\nFluister demo is running.\n\n\
         Open the example municipal page:  {page_origin}/\n\
         (the relay is {relay_origin}; Ctrl-C stops both)\n\n\
         Read the tips that arrive, with curl and the reference age tool:\n\
         \x20 curl -s -H 'Authorization: Bearer {token}' {relay_origin}/api/v1/tips\n\
         \x20 curl -s -H 'Authorization: Bearer {token}' {relay_origin}/api/v1/tips/<id> -o tip.age\n\
         \x20 age -d -i {key} tip.age\n\n\
         or with the coordinator's inbox:\n\
         \x20 {inbox} --home {home} --identity {key} connect --relay {relay_origin} --token-file {token_file}\n\
         \x20 {inbox} --home {home} --identity {key} pull\n\
         \x20 {inbox} --home {home} --identity {key} list\n\
         \x20 {inbox} --home {home} --identity {key} show 1\n\n\
         or in the coordinator's workspace, in the browser (after the connect above; the demo key\n\
         has no passphrase, so it unlocks with the button):\n\
         \x20 {inbox} --home {home} --identity {key} app\n",
        key = key_file.display(),
        inbox = inbox_binary.display(),
        home = inbox_home.display(),
        token_file = token_file.display(),
    );
    let status = relay.wait();
    let _ = page.kill();
    status
        .map(|_| ())
        .map_err(|error| format!("the relay stopped: {error}"))
}

/// Waits for a child to print `listening on …`, then keeps echoing its output in the background.
fn wait_for_listening(child: &mut Child) -> TaskResult {
    let stdout = child.stdout.take().ok_or("no output from the child")?;
    let mut lines = BufReader::new(stdout).lines();
    for line in lines.by_ref() {
        let line = line.map_err(|error| format!("reading the child's output: {error}"))?;
        println!("{line}");
        if line.starts_with("listening on ") {
            std::thread::spawn(move || {
                for line in lines.map_while(Result::ok) {
                    println!("{line}");
                }
            });
            return Ok(());
        }
    }
    Err("the process ended before it was listening".into())
}

fn read(path: &Path) -> Result<String, String> {
    std::fs::read_to_string(path)
        .map_err(|error| format!("could not read {}: {error}", path.display()))
}

fn write(path: &Path, text: &str) -> TaskResult {
    std::fs::write(path, text)
        .map_err(|error| format!("could not write {}: {error}", path.display()))
}
