import { parentPort } from 'node:worker_threads';
import { answerParseRequest, type ParseRequest } from '../../src/knowledge-base/ingest/parse-request.js';

/**
 * A parse worker with the faults a real one can have, chosen by the document's name: `crash-…`
 * kills the thread mid-parse (as a native crash or an abort in a parser would), `hang-…` never
 * answers (as a parser stuck in a loop). Anything else is parsed for real.
 */
parentPort?.on('message', async (request: ParseRequest) => {
  if (request.name.startsWith('crash-')) process.exit(70);
  if (request.name.startsWith('hang-')) return;
  parentPort!.postMessage(await answerParseRequest(request));
});
