// The shopper's web chat: messages go to the bot's REST channel; agents' replies, progress notes
// and the rating prompt arrive live on /api/v1/chat/{conversation}/events.
"use strict";

const chat = { session: null, stop: null, seen: new Set() };
const $ = (id) => document.getElementById(id);

async function session() {
  const saved = sessionStorage.getItem("chat-session");
  if (saved) return JSON.parse(saved);
  const created = await callJson("/api/v1/chat/sessions", { method: "POST", body: { channel: "app_chat" } });
  sessionStorage.setItem("chat-session", JSON.stringify(created));
  return created;
}

function bubble(role, text, extra = {}) {
  const who = { user: "我", bot: "智能助手", agent: `客服 ${extra.author || ""}`.trim(), system: "" }[role] || "";
  const item = el("li", { class: `bubble ${role}${extra.kind ? " " + extra.kind : ""}` },
    who ? el("div", { class: "who", text: who }) : null, el("div", { class: "text", text }));
  $("messages").append(item);
  item.scrollIntoView({ block: "end" });
  return item;
}

function quickReplies(options) {
  $("quick").replaceChildren(...options.map(([title, payload]) =>
    el("button", { class: "chip", type: "button", onclick: () => send(payload, title), text: title })));
}

function ratingPrompt() {
  quickReplies([["5 分 很满意", "5"], ["4 分", "4"], ["3 分", "3"], ["2 分", "2"], ["1 分", "1"], ["没解决", "没解决"]]);
}

async function send(text, shown) {
  const message = (text || "").trim();
  if (!message) return;
  $("quick").replaceChildren();
  bubble("user", shown || message);
  try {
    const replies = await callJson(chat.session.bot_url, {
      method: "POST",
      body: { sender: chat.session.conversation_id, message, metadata: { channel: chat.session.channel } },
    });
    for (const reply of replies) {
      if (reply.text) bubble("bot", reply.text);
      if (reply.buttons && reply.buttons.length) quickReplies(reply.buttons.map((b) => [b.title, b.payload]));
    }
  } catch (error) {
    bubble("system", "网络不太稳定，消息没有发出去，请稍后再试。", { kind: "progress" });
  }
}

function onEvent(name, data, id) {
  if (name === "state") {
    $("case").textContent = data.ticket_id
      ? `工单 ${data.ticket_id}：${data.status_text || ""}${data.owner === "agent" ? " · 专员服务中" : ""}`
      : "智能助手为您服务";
    document.body.dataset.owner = data.owner;
    return;
  }
  if (name !== "message" || (id && chat.seen.has(id))) return;
  if (id) chat.seen.add(id);
  bubble(data.role || "system", data.text, { author: data.author, kind: data.kind });
  if (data.kind === "rating_prompt") ratingPrompt();
}

async function main() {
  await loadLabels();
  chat.session = await session();
  $("conversation").textContent = `会话 ${chat.session.conversation_id}`;
  bubble("bot", label("shopper_message", "chat_welcome"));
  chat.stop = openEventStream(
    `/api/v1/chat/${encodeURIComponent(chat.session.conversation_id)}/events`,
    { "X-Chat-Token": chat.session.token },
    onEvent,
  );
  $("composer").addEventListener("submit", (event) => {
    event.preventDefault();
    const text = $("text").value;
    $("text").value = "";
    send(text);
  });
  $("restart").addEventListener("click", () => {
    sessionStorage.removeItem("chat-session");
    location.reload();
  });
}

main();
