// Starts the widget in the iframe document: loads the wasm module and mounts the form.
// `cargo xtask widget` replaces the two file names with the hashed ones.
import init, { mount_widget } from "./GLUE_FILE";

await init({ module_or_path: new URL("./WASM_FILE", import.meta.url) });
mount_widget();
