import type { AdminStore } from '../admin/admin-store.js';
import type { HistoryStore } from '../store/history-store.js';
import type { MediaCheck } from './media-check.js';

/**
 * The history store as every reader should see it once images were checked: messages a risky
 * image flagged come back with `flagged` (history stays append-only; the flags live in the
 * media check store). Prompts then drop those turns (build-prompt.ts), and `history` replies
 * show them flagged. Writes go straight through.
 */
export function withMediaFlags(history: HistoryStore, mediaCheck: MediaCheck): HistoryStore {
  return {
    append: (openid, message, conversationId) => history.append(openid, message, conversationId),
    listRecent: async (openid, limit, conversationId) => mediaCheck.withFlags(openid, await history.listRecent(openid, limit, conversationId)),
    openCurrent: async (openid, limit) => {
      const { conversationId, recent } = await history.openCurrent(openid, limit);
      return { conversationId, recent: await mediaCheck.withFlags(openid, recent) };
    },
    clear: (openid) => history.clear(openid),
    currentConversation: (openid) => history.currentConversation(openid),
    openConversation: (openid, id) => history.openConversation(openid, id),
    listConversations: (openid, page) => history.listConversations(openid, page),
    deleteConversation: (openid, id) => history.deleteConversation(openid, id),
    findMessage: async (openid, messageId) => {
      const found = await history.findMessage(openid, messageId);
      if (!found) return found;
      const [message] = await mediaCheck.withFlags(openid, [found.message]);
      return { ...found, message: message! };
    },
    ping: () => history.ping(),
    close: () => history.close(),
  };
}

/** The admin store with the same flags on a conversation's detail (the admin console shows `flagged.label`). */
export function withAdminMediaFlags(admin: AdminStore, mediaCheck: MediaCheck): AdminStore {
  return {
    driver: admin.driver,
    listConversations: (query) => admin.listConversations(query),
    getConversation: async (conversationId) => {
      const detail = await admin.getConversation(conversationId);
      return detail && { ...detail, messages: await mediaCheck.withFlags(detail.openid, detail.messages) };
    },
    usage: (range, topUsers) => admin.usage(range, topUsers),
    listFeedback: (query) => admin.listFeedback(query),
    exportMessages: (range) => admin.exportMessages(range),
    close: () => admin.close(),
  };
}
