import { splitLongSentence, splitSentences } from '../knowledge-base/ingest/split-sentences.js';

/**
 * Speakable text → the pieces sent to the provider one request each, in order: whole sentences
 * (。！？；… and .!? before a space, the knowledge base's splitter) packed greedily up to `max`
 * characters, a sentence longer than `max` cut at a clause (，、：) or, failing that, hard.
 * Providers cap one request (OpenAI: 4,096 characters, CosyVoice gateways often a few hundred),
 * and a short first piece means the first audio arrives sooner.
 *
 * @example
 * splitForSpeech('第一句。第二句！第三句？', 8) // → ['第一句。第二句！', '第三句？']
 */
export function splitForSpeech(text: string, max: number): string[] {
  const pieces = splitSentences(text).flatMap((sentence) => splitLongSentence(sentence, max));
  const chunks: string[] = [];
  let current = '';
  for (const piece of pieces) {
    if (current !== '' && current.length + piece.length > max) {
      chunks.push(current);
      current = '';
    }
    current += piece;
  }
  if (current !== '') chunks.push(current);
  return chunks.map((chunk) => chunk.trim()).filter((chunk) => chunk !== '');
}
