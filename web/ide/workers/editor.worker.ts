// Monaco's base editor worker, bundled as its own classic worker script.
import 'monaco-editor/esm/vs/editor/editor.worker.js';
