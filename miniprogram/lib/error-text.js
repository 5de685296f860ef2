/**
 * Short Chinese toast texts for the gateway's error reasons (docs/protocol.md §5).
 *
 * Branch on `data.reason`, never on `message` (the protocol's rule). The server's `message`
 * is already Chinese, but written for every client; these are shorter (wx.showToast shows
 * two lines at most) and say what the user can do. Unknown reasons fall back by code class,
 * then to the server's message, so a newer server never shows a blank toast.
 * Also loaded by the browser console (/console/lib/error-text.js), hence the wrapper.
 *
 * @example
 * toastText({ code: 409, message: '…', data: { reason: 'chat_in_progress' } }) // '上一个回答还没结束'
 */
;(function (factory) {
  var api = factory()
  if (typeof module === 'object' && module && module.exports) module.exports = api
  else if (typeof self !== 'undefined') self.WagErrorText = api
})(function () {
  var TEXTS = {
    // the client's own mistakes: the user cannot fix them, the developer can
    bad_json: '请求格式有误，请升级小程序',
    bad_message: '请求格式有误，请升级小程序',
    unknown_type: '请求格式有误，请升级小程序',
    binary_not_supported: '请求格式有误，请升级小程序',
    not_found: '请求地址有误，请升级小程序',
    unsupported_media_type: '请求格式有误，请升级小程序',
    body_too_large: '内容太长，请精简后再发送',
    empty_query: '请输入问题内容',
    query_too_long: '问题太长，请精简后再发送',
    not_logged_in: '正在登录，请稍后再试',
    session_expired: '登录已过期，正在重新登录',
    openid_not_trusted: '请重新登录后再试',
    // the admin knowledge-base API (used by the browser console, never by phones)
    admin_unauthorized: '管理令牌缺失或错误',
    kb_bad_request: '知识库请求格式错误',
    kb_not_found: '没有找到这个文档',
    kb_too_large: '文件太大',
    kb_unsupported_type: '不支持的文件类型',
    kb_empty_document: '文档没有可用的文字',
    kb_parse_failed: '文档无法解析',
    kb_embedding_failed: '向量服务出错，文档未导入',
    admin_bad_request: '查询参数有误',
    admin_not_found: '没有找到这个对话',
    not_supported_on_redis: 'Redis 存储不支持此查询',
    wechat_code_invalid: '登录失败，请重试',
    wechat_code_used: '登录失败，请重试',
    wechat_user_blocked: '账号存在安全风险，暂时无法使用',
    content_blocked: '问题包含不当内容，请换个问法',
    content_check_unavailable: '内容审核繁忙，请稍后再试',
    answer_not_found: '这条回答已找不到，请下拉刷新',
    conversation_not_found: '这个对话已被删除，请刷新列表',
    chat_in_progress: '上一个回答还没结束',
    login_rate_limited: '登录太频繁，请一分钟后再试',
    too_many_connections: '连接过多，请稍后再试',
    chat_rate_limited: '提问太快了，请稍等片刻',
    token_quota_exceeded: '今日额度已用完，明天再来吧',
    ip_rate_limited: '网络请求太频繁，请稍后再试',
    internal_error: '服务出了点问题，请稍后再试',
    wechat_config_error: '服务配置有误，请联系管理员',
    model_error: 'AI 服务暂时不可用，请稍后再试',
    wechat_error: '微信登录异常，请稍后再试',
    server_busy: '提问的人太多了，请稍后再试',
    store_unavailable: '服务暂时不可用，请稍后再试',
    shutting_down: '服务正在升级，马上回来',
    instance_lost: '回答中断了，请重新提问',
    wechat_busy: '微信繁忙，请稍后再试',
    model_timeout: 'AI 回答超时，请重试',
    wechat_timeout: '微信登录超时，请重试',
    // uploads (POST /wechat/upload): photos and voice
    upload_invalid: '文件无效，请重新选择',
    upload_not_found: '文件已过期，请重新上传',
    upload_too_large: '文件太大，请压缩或缩短',
    upload_rate_limited: '上传太频繁，请稍后再试',
    upload_quota_exceeded: '今日上传额度已用完',
    upload_storage_full: '服务器空间不足，请稍后再试',
    // spoken answers (GET /wechat/speech/{id})
    tts_not_configured: '暂不支持语音播报',
    speech_unavailable: '这条回答不完整，无法朗读',
    speech_empty: '这条回答没有可朗读的文字',
    speech_url_invalid: '播放链接无效，请重试',
    speech_url_expired: '播放链接已过期，请重试',
    bad_range: '音频加载出错，请重试',
    tts_quota_exceeded: '今日语音额度已用完',
    tts_error: '语音服务暂时不可用',
    tts_timeout: '语音合成超时，请重试',
    tts_busy: '语音服务繁忙，请稍后再试',
    // photo and voice questions (docs/media.md)
    too_many_images: '图片太多，请少选几张',
    image_invalid: '图片无法识别，请换一张',
    vision_not_configured: '暂不支持图片，请用文字提问',
    vision_unsupported: '暂不支持图片，请用文字提问',
    asr_not_configured: '暂不支持语音，请打字提问',
    asr_timeout: '语音识别超时，请重试',
    asr_failed: '语音识别失败，请稍后再试',
    asr_bad_response: '语音识别失败，请稍后再试',
    empty_transcript: '没听清，请再说一遍',
    audio_unsupported: '录音格式不支持，请重录',
    asr_quota_exceeded: '今日语音额度已用完',
    // WeChat's push route (server to server): a mini-program never sees these
    push_forbidden: '签名无效',
    push_unsupported: '不支持的消息格式',
    // raised by the client library itself
    network_error: '网络不给力，正在重连',
    request_timeout: '请求超时，请重试',
    queue_full: '待发送的消息太多，请稍后再试',
    stream_interrupted: '网络中断，回答不完整',
    client_stopped: '连接已关闭',
    login_failed: '微信登录失败，请重试',
    feature_unsupported: '服务器版本较旧，暂不支持这个功能',
    bad_rating: '评价只能是有帮助或没帮助',
    comment_too_long: '评语最多 500 个字',
  }

  /**
   * @param {{code?: number, message?: string, reason?: string, data?: {reason?: string}}} error
   *   a server frame (`error`, failed `login_response`/`chat_response`) or `{ reason }`
   * @returns {string}
   */
  function toastText(error) {
    var e = error || {}
    var reason = e.reason || (e.data && e.data.reason)
    if (reason && Object.prototype.hasOwnProperty.call(TEXTS, reason)) return TEXTS[reason]
    if (typeof e.code === 'number' && e.code >= 500) return '服务繁忙，请稍后再试'
    if (typeof e.message === 'string' && e.message) return e.message.slice(0, 40)
    return '出了点问题，请重试'
  }

  return { toastText: toastText, TEXTS: TEXTS }
})
