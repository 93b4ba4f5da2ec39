// The crypto worker: runs the widget's second wasm module (`widget/worker`), which holds the
// receipt code's keys and does all sealing, opening and proof-of-work solving off the page's
// thread. A generic dispatcher: the page posts {id, op, ...arguments} (an operation of
// `fluister_protocol::worker`); this hands everything but the id, as the object it is, to the
// module's one entry point and answers {id, result} or {id, error} (a short code), and
// {id, percent} while solving.
// Requests are handled one at a time, in order.
// `cargo xtask widget` replaces the two file names with the hashed ones.
import init, { CryptoSession } from "./GLUE_FILE";

const ready = init({ module_or_path: new URL("./WASM_FILE", import.meta.url) });
let session;
let queue = Promise.resolve();

async function handle({ id, ...operation }) {
  try {
    await ready;
    session ??= new CryptoSession();
    const answer = session.handle(operation, (percent) => {
      self.postMessage({ id, percent });
    });
    self.postMessage({ id, result: JSON.parse(answer) });
  } catch (error) {
    self.postMessage({ id, error: typeof error === "string" ? error : "crypto" });
  }
}

self.onmessage = (event) => {
  queue = queue.then(() => handle(event.data));
};
