// The crypto worker: runs the widget's second wasm module (`widget/worker`), which holds the
// receipt code's keys and does all sealing, opening and proof-of-work solving off the page's
// thread. The page posts {id, op, ...}; this answers {id, result} or {id, error} (a short code),
// and {id, percent} while solving. Requests are handled one at a time, in order.
// `cargo xtask widget` replaces the two file names with the hashed ones.
import init, { CryptoSession, ProofOfWorkTask, sha256 } from "./GLUE_FILE";

const ready = init({ module_or_path: new URL("./WASM_FILE", import.meta.url) });
let session;
let queue = Promise.resolve();

function sealed(file) {
  const result = { ciphertext: file.ciphertext(), sha256: file.sha256(), submission_key: file.submission_key() };
  file.free();
  return result;
}

// Solving is a lottery: each try wins with chance 1/difficulty, however many came before, so no
// one knows how much work is left. The percent reported is the share of solvers who would be done
// after this many tries, 1 − e^(−tries/difficulty): it keeps moving for as long as the work goes
// on (63 % at the expected number of tries, 95 % at three times it) instead of sitting at 99 %
// for an unlucky reporter, and it follows the challenge's own difficulty, however high.
function solve(id, challenge, hash) {
  const task = new ProofOfWorkTask(challenge, hash);
  const expected = task.expected_tries();
  try {
    for (;;) {
      const nonce = task.step();
      if (nonce !== undefined) {
        return { nonce };
      }
      const share = -Math.expm1(-task.tries_so_far() / expected);
      self.postMessage({ id, percent: Math.min(99, Math.floor(share * 100)) });
    }
  } finally {
    task.free();
  }
}

const operations = {
  // The code stays here; the page gets the mailbox registration (its id and the hash of its
  // token), to open the mailbox before the tip is sent.
  prepare_receipt() {
    session.prepare_receipt();
    const registration = session.registration_body();
    return { registration, registration_sha256: sha256(registration) };
  },
  unlock({ code }) {
    session.unlock(code);
    return { mailbox: session.mailbox_id(), token: session.mailbox_token() };
  },
  seal_tip({ document, recipients }) {
    return { ...sealed(session.seal_tip(document, recipients)), receipt_code: session.receipt_code() };
  },
  seal_answer({ text, recipients }) {
    return sealed(session.seal_answer(text, recipients));
  },
  open_conversation({ json }) {
    return { messages: JSON.parse(session.open_conversation(json)) };
  },
  solve({ id, challenge, hash }) {
    return solve(id, challenge, hash);
  },
  forget() {
    session.forget();
    return {};
  },
};

async function handle(request) {
  try {
    await ready;
    session ??= new CryptoSession();
    const operation = operations[request.op];
    if (!operation) {
      throw "invalid_input";
    }
    self.postMessage({ id: request.id, result: operation(request) });
  } catch (error) {
    self.postMessage({ id: request.id, error: typeof error === "string" ? error : "crypto" });
  }
}

self.onmessage = (event) => {
  queue = queue.then(() => handle(event.data));
};
