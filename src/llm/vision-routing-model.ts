import { hasImages, type ChatModel, type ChatRequest, type StreamPart } from './chat-model.js';

/**
 * One `ChatModel` for the chat service that sends requests carrying images to the vision model
 * (VISION_MODEL, on its own endpoint when VISION_BASE_URL is set) and everything else to the
 * chat model. Nothing upstream needs to know two models exist.
 *
 * @example
 * const model = routeVision(deepseek, qwenVl); // photo questions → qwen-vl, the rest → deepseek
 */
export function routeVision(text: ChatModel, vision: ChatModel): ChatModel {
  if (text === vision) return text;
  return {
    name: text.name,
    stream(request: ChatRequest): AsyncIterable<StreamPart> {
      return (hasImages(request.messages) ? vision : text).stream(request);
    },
  };
}
