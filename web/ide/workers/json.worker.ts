// Monaco's JSON language worker (variables and headers editors), bundled as its own script.
import 'monaco-editor/esm/vs/language/json/json.worker.js';
