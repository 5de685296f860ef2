/**
 * The entry point (`npm start`: dist/main.js). Two things happen before the server is even
 * loaded: the env file is read, and Node restarts itself with single-threaded GC when GC_MODE
 * asks for it (runtime/gc-mode.ts) — a restart after loading the server would load it twice.
 * Then serve.ts starts the gateway.
 */
import { config as loadDotenv } from 'dotenv';
import { restartForGc } from './runtime/gc-mode.js';

// ENV_FILE picks another file (or none, e.g. /dev/null); real environment variables win over it.
loadDotenv({ quiet: true, path: process.env.ENV_FILE ?? '.env' });
restartForGc();
await import('./serve.js');
