import { parentPort } from 'node:worker_threads';
import { answerParseRequest, type ParseRequest } from './parse-request.js';

/**
 * Entry of a parse worker (see parse-pool.ts): one document at a time, off the gateway's event
 * loop. pdf.js and mammoth are loaded here, on first use, and leave with the worker.
 */
parentPort?.on('message', async (request: ParseRequest) => {
  parentPort!.postMessage(await answerParseRequest(request));
});
