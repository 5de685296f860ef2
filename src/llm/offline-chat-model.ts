/**
 * The driver used when no model is configured: the gateway still starts (login, history and
 * the mini-program all work) and every chat gets one honest notice instead of an error.
 */
import type { ChatModel, ChatRequest, StreamPart } from './chat-model.js';

export const OFFLINE_NOTICE =
  '当前服务运行在离线模式：未配置大模型接口（未设置 LLM_BASE_URL），暂时无法生成回答。' +
  '请管理员配置 LLM_BASE_URL、LLM_API_KEY 和 LLM_MODEL 后重启服务。';

export class OfflineChatModel implements ChatModel {
  readonly name = 'offline';
  readonly online = false;

  // The signal is ignored: the notice is produced instantly, there is nothing upstream to stop.
  async *stream(_request: ChatRequest): AsyncIterable<StreamPart> {
    yield { type: 'text-delta', text: OFFLINE_NOTICE };
    yield { type: 'finish', reason: 'stop' };
  }
}
