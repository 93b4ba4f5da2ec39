// Solves the proof of work off the page's thread, with the widget's own wasm module.
// The page sends {challenge, hash}; this answers {tries} now and then, and {nonce} at the end.
// `cargo xtask widget` replaces the two file names with the hashed ones.
import init, { ProofOfWorkTask } from "./GLUE_FILE";

const ready = init({ module_or_path: new URL("./WASM_FILE", import.meta.url) });

self.onmessage = async (event) => {
  try {
    await ready;
    const task = new ProofOfWorkTask(event.data.challenge, event.data.hash);
    for (;;) {
      const nonce = task.step();
      if (nonce !== undefined) {
        task.free();
        self.postMessage({ nonce });
        return;
      }
      self.postMessage({ tries: task.tries_so_far() });
    }
  } catch (error) {
    self.postMessage({ failed: true });
  }
};
