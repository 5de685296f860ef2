import { AppError, errorCatalogue, type ErrorReason } from '../../protocol/error-catalogue.js';
import type { AnswerResult } from '../answer-run.js';

/**
 * An answer's result as stored in its stream's last entry (JSON). The error travels as its
 * catalogue reason (plus its message when it carried a detail), never as a stack or cause.
 */
export function encodeResult(result: AnswerResult): string {
  const { error, ...rest } = result;
  return JSON.stringify(error ? { ...rest, error: { reason: error.reason, message: error.message } } : rest);
}

export function decodeResult(json: string): AnswerResult {
  const parsed = JSON.parse(json) as Omit<AnswerResult, 'error'> & { error?: { reason: string; message?: string } };
  const { error, ...rest } = parsed;
  if (!error) return rest;
  const reason: ErrorReason = error.reason in errorCatalogue ? (error.reason as ErrorReason) : 'internal_error';
  const detail = error.message && error.message !== errorCatalogue[reason].message ? error.message : undefined;
  return { ...rest, error: new AppError(reason, detail) };
}
