/**
 * The one catalogue of errors a client can see, shared by WebSocket and HTTP.
 *
 * `code` is the numeric `code` of the wire envelope (HTTP-like, as the seed's `"code": 400`);
 * `reason` is the stable machine-readable id clients switch on (sent as `data.reason`);
 * `message` is the Chinese text a mini-program can show as is; `status` is the HTTP status.
 * Never rename a reason: clients depend on it. docs/protocol.md carries the same table.
 */
export const errorCatalogue = {
  bad_json: { code: 400, status: 400, message: '消息不是合法的 JSON' },
  bad_message: { code: 400, status: 400, message: '消息格式错误' },
  unknown_type: { code: 400, status: 400, message: '未知的消息类型' },
  not_found: { code: 404, status: 404, message: '接口不存在，请检查地址和请求方法' },
  body_too_large: { code: 413, status: 413, message: '请求体过大' },
  unsupported_media_type: { code: 415, status: 415, message: '不支持的请求格式，请以 JSON 发送（Content-Type: application/json）' },
  binary_not_supported: { code: 400, status: 400, message: '不支持二进制消息，请发送 JSON 文本' },
  query_too_long: { code: 400, status: 400, message: '问题太长，请精简后再发送' },
  empty_query: { code: 400, status: 400, message: '请输入问题内容' },
  not_logged_in: { code: 401, status: 401, message: '请先登录' },
  session_expired: { code: 401, status: 401, message: '登录已过期，请重新登录' },
  openid_not_trusted: {
    code: 401,
    status: 401,
    message: '请使用登录返回的 session_id 进行身份验证',
  },
  admin_unauthorized: { code: 401, status: 401, message: '管理令牌缺失或错误' },
  wechat_code_invalid: { code: 401, status: 401, message: '登录凭证 code 无效或已过期，请重新登录' },
  wechat_code_used: { code: 401, status: 401, message: '登录凭证 code 已被使用，请重新登录' },
  wechat_user_blocked: { code: 403, status: 403, message: '该微信用户存在安全风险，登录被微信拦截' },
  content_blocked: { code: 403, status: 403, message: '问题包含不当内容，无法回答' },
  answer_not_found: { code: 404, status: 404, message: '找不到这条回答' },
  conversation_not_found: { code: 404, status: 404, message: '找不到这个对话，它可能已被删除' },
  kb_bad_request: { code: 400, status: 400, message: '知识库请求格式错误' },
  kb_not_found: { code: 404, status: 404, message: '没有找到这个文档' },
  kb_too_large: { code: 413, status: 413, message: '文件太大' },
  kb_unsupported_type: { code: 415, status: 415, message: '不支持的文件类型' },
  kb_empty_document: { code: 422, status: 422, message: '文档没有可用的文字内容' },
  kb_parse_failed: { code: 422, status: 422, message: '文档无法解析' },
  kb_embedding_failed: { code: 502, status: 502, message: '向量模型服务出错，文档未导入' },
  chat_in_progress: { code: 409, status: 409, message: '上一个问题还在回答中，请稍候或先停止' },
  login_rate_limited: { code: 429, status: 429, message: '登录过于频繁，请一分钟后再试' },
  too_many_connections: { code: 429, status: 429, message: '连接数过多，请稍后再试' },
  chat_rate_limited: { code: 429, status: 429, message: '提问太频繁了，请稍后再试' },
  token_quota_exceeded: { code: 429, status: 429, message: '今日提问额度已用完，请明天再来' },
  ip_rate_limited: { code: 429, status: 429, message: '当前网络连接过于频繁，请稍后再试' },
  internal_error: { code: 500, status: 500, message: '服务器内部错误，请稍后再试' },
  wechat_config_error: {
    code: 500,
    status: 500,
    message: '服务端微信配置有误（AppID 或 AppSecret 无效），请联系管理员',
  },
  model_error: { code: 502, status: 502, message: 'AI 服务暂时不可用，请稍后再试' },
  wechat_error: { code: 502, status: 502, message: '微信登录服务异常，请稍后再试' },
  server_busy: { code: 503, status: 503, message: '当前提问人数过多，请稍后再试' },
  store_unavailable: { code: 503, status: 503, message: '服务暂时不可用（存储异常），请稍后再试' },
  instance_lost: { code: 503, status: 503, message: '服务器中断，回答未能完成，请重新提问' },
  shutting_down: { code: 503, status: 503, message: '服务正在重启，请稍后重连' },
  content_check_unavailable: { code: 503, status: 503, message: '内容安全检查暂时不可用，请稍后再试' },
  wechat_busy: { code: 503, status: 503, message: '微信服务繁忙，请稍后再试' },
  model_timeout: { code: 504, status: 504, message: 'AI 回答超时，请稍后再试' },
  wechat_timeout: { code: 504, status: 504, message: '微信登录超时，请稍后再试' },
  upload_invalid: { code: 400, status: 400, message: '上传的文件无效（为空、不完整或格式有误），请重新选择' },
  upload_not_found: { code: 404, status: 404, message: '找不到这个文件，可能已过期，请重新上传' },
  upload_too_large: { code: 413, status: 413, message: '文件太大' },
  upload_rate_limited: { code: 429, status: 429, message: '上传太频繁了，请稍后再试' },
  upload_quota_exceeded: { code: 429, status: 429, message: '今日上传额度已用完，请明天再来' },
  upload_storage_full: { code: 507, status: 507, message: '服务器存储空间不足，暂时无法上传，请稍后再试' },
  tts_not_configured: { code: 501, status: 501, message: '服务端未配置语音合成（TTS），暂不支持语音播报' },
  speech_unavailable: { code: 409, status: 409, message: '这条回答没有完整生成（已停止、出错或被撤回），无法朗读' },
  speech_empty: { code: 422, status: 422, message: '这条回答没有可以朗读的文字' },
  speech_url_invalid: { code: 401, status: 401, message: '播放链接无效，请重新获取' },
  speech_url_expired: { code: 401, status: 401, message: '播放链接已过期，请重新获取' },
  bad_range: { code: 416, status: 416, message: '请求的音频范围无效' },
  tts_quota_exceeded: { code: 429, status: 429, message: '今日语音播报额度已用完，请明天再来' },
  tts_error: { code: 502, status: 502, message: '语音合成服务暂时不可用，请稍后再试' },
  tts_timeout: { code: 504, status: 504, message: '语音合成超时，请稍后再试' },
  tts_busy: { code: 503, status: 503, message: '语音合成繁忙，请稍后再试' },
  admin_bad_request: { code: 400, status: 400, message: '管理接口的查询参数有误' },
  admin_not_found: { code: 404, status: 404, message: '没有找到这个对话' },
  not_supported_on_redis: { code: 501, status: 501, message: '当前存储（Redis）不支持这项查询' },
  // photo and voice questions (docs/media.md)
  too_many_images: { code: 400, status: 400, message: '一次发送的图片太多' },
  image_invalid: { code: 422, status: 422, message: '图片无法识别，请重新选择图片' },
  vision_not_configured: { code: 503, status: 503, message: '当前未配置 AI 模型，无法识别图片，请用文字提问' },
  vision_unsupported: { code: 422, status: 422, message: '当前 AI 模型不支持图片，请用文字提问或联系管理员配置视觉模型' },
  asr_not_configured: { code: 503, status: 503, message: '语音识别未开通，请用文字提问' },
  asr_timeout: { code: 504, status: 504, message: '语音识别超时，请重新录音或用文字提问' },
  asr_failed: { code: 502, status: 502, message: '语音识别服务暂时不可用，请稍后再试或用文字提问' },
  asr_bad_response: { code: 502, status: 502, message: '语音识别服务返回了无法识别的结果，请稍后再试' },
  empty_transcript: { code: 422, status: 422, message: '没有听清您说的话，请靠近话筒再说一遍' },
  audio_unsupported: { code: 415, status: 415, message: '暂不支持这种录音格式，请用 mp3 或 aac 格式录音' },
  asr_quota_exceeded: { code: 429, status: 429, message: '今日语音提问额度已用完，请用文字提问或明天再来' },
  // WeChat's 消息推送 (the image check verdicts, POST /wechat/push): WeChat's servers read these, not users
  push_forbidden: { code: 403, status: 403, message: '签名无效' },
  push_unsupported: { code: 400, status: 400, message: '不支持的消息格式' },
} as const satisfies Record<string, { code: number; status: number; message: string }>;

export type ErrorReason = keyof typeof errorCatalogue;

/** An error meant for the client: carries a catalogue reason and, optionally, a detail. */
export class AppError extends Error {
  override readonly name = 'AppError';
  constructor(
    readonly reason: ErrorReason,
    /** replaces the catalogue message, e.g. to name the bad field */
    detail?: string,
    options?: { cause?: unknown; retryAfterSeconds?: number },
  ) {
    super(detail ?? errorCatalogue[reason].message, options);
    this.retryAfterSeconds = options?.retryAfterSeconds;
  }

  /** a 429's wait before retrying, seconds: `data.retry_after` on the wire, `Retry-After` on HTTP */
  readonly retryAfterSeconds: number | undefined;

  get code(): number {
    return errorCatalogue[this.reason].code;
  }

  get status(): number {
    return errorCatalogue[this.reason].status;
  }
}
