/**
 * The built-in keyword list: terms that are unambiguous in any question or answer — offers of
 * illegal goods and services, and gross abuse. Deliberately short: a term that also appears in
 * legitimate questions ("毒品的危害", "赌博成瘾怎么办") blocks real users, so single topic
 * words are not here; WeChat's msgSecCheck judges context. Operators add their own terms with
 * CONTENT_SECURITY_KEYWORDS_FILE. Matching ignores spaces, punctuation and full-width forms
 * (normalize-text.ts), so each term is listed once.
 */
export const DEFAULT_KEYWORDS: readonly string[] = [
  // illegal trade and services
  '出售枪支',
  '买卖枪支',
  '出售冰毒',
  '出售海洛因',
  '购买冰毒',
  '代开发票',
  '办假证',
  '假证办理',
  '网络赌博',
  '赌博网站',
  '在线赌场',
  '代孕服务',
  '洗钱服务',
  '出售银行卡',
  '出售身份证',
  // sexual services
  '裸聊',
  '约炮',
  '援交',
  '卖淫',
  '嫖娼',
  '儿童色情',
  // gross abuse
  '操你妈',
  '草泥马',
  '傻逼',
];
