import type { Logger } from 'pino';
import { ChatMedia } from '../chat/chat-media.js';
import type { Config } from '../config/config-schema.js';
import { detectFfmpeg } from '../media/ffmpeg.js';
import { OpenAiCompatibleTranscriber } from '../media/openai-compatible-transcriber.js';
import type { UploadStore } from '../media/upload-store.js';

/**
 * Photo and voice questions: the upload store they read, the transcriber when ASR_BASE_URL is
 * set, and ffmpeg — looked for once here, and said once in the log, so an operator knows at
 * start whether AMR recordings (ASR_CONVERT_FORMATS) can be converted.
 */
export async function createChatMedia(
  config: Readonly<Config>,
  logger: Logger,
  uploads: UploadStore | undefined,
): Promise<ChatMedia> {
  const { asr, vision } = config;
  const ffmpegVersion = await detectFfmpeg(asr.ffmpegPath);
  if (ffmpegVersion) logger.info({ ffmpeg: ffmpegVersion, converts: asr.convertFormats }, 'ffmpeg found: voice recordings in these formats are converted to WAV');
  else logger.warn({ ffmpegPath: asr.ffmpegPath, refused: asr.convertFormats }, 'ffmpeg not found (apt install ffmpeg): voice recordings in these formats are refused; silk, mp3, aac, wav still work');
  const transcriber = asr.baseUrl
    ? new OpenAiCompatibleTranscriber({ baseURL: asr.baseUrl, apiKey: asr.apiKey, model: asr.model, timeoutMs: asr.timeoutMs, language: asr.language })
    : undefined;
  return new ChatMedia({
    uploads,
    transcriber,
    options: {
      maxImages: vision.maxImagesPerChat,
      imageLimits: { maxBytes: vision.maxImageBytes, maxSide: vision.maxImageSide },
      visionAvailable: Boolean(config.llm.baseUrl),
      conversion: { convert: new Set(asr.convertFormats), ffmpeg: ffmpegVersion ? asr.ffmpegPath : undefined },
    },
  });
}
