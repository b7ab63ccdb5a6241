// The agent console: sign in with a token, queues with counts, claim next, one ticket at a time
// with its summary, transcript, suggestions and actions; live updates from /api/v1/console/events.
"use strict";

const state = { token: null, agent: null, ticket: null, queue: null, stopStream: null };
const $ = (id) => document.getElementById(id);

function toast(text, bad) {
  const node = $("toast");
  node.textContent = text;
  node.className = bad ? "toast show bad" : "toast show";
  clearTimeout(toast.timer);
  toast.timer = setTimeout(() => (node.className = "toast"), 3000);
}

const api = (url, options = {}) => callJson(url, { ...options, token: state.token });

async function signIn(token) {
  state.token = token;
  const workload = await api("/api/v1/agents/me/tickets");
  state.agent = workload.agent;
  sessionStorage.setItem("console-token", token);
  $("sign-in").hidden = true;
  $("desk").hidden = false;
  $("sign-out").hidden = false;
  $("who").textContent = `客服：${state.agent}`;
  renderMine(workload);
  await refreshQueues();
  if (state.stopStream) state.stopStream();
  state.stopStream = openEventStream(
    "/api/v1/console/events",
    { Authorization: `Bearer ${token}` },
    onTicketEvent,
    (status) => ($("live").className = status === "live" ? "live on" : "live"),
  );
}

function severityBadge(severity) {
  return el("span", { class: `badge sev-${severity}`, text: label("severity", severity) });
}

function slaOf(ticket) {
  if (["resolved", "closed"].includes(ticket.status)) return { due: null, kind: "" };
  const due = ticket.sla.first_responded_at ? ticket.sla.resolution_due : ticket.sla.first_response_due;
  const kind = ticket.sla.first_responded_at ? "解决" : "首次响应";
  return { due, kind };
}

function ticketRow(ticket, onClick) {
  const { due, kind } = slaOf(ticket);
  const clock = el("span", { class: "clock", "data-due": due, "data-kind": kind });
  return el(
    "li",
    { class: `ticket-row sev-${ticket.severity}`, "data-ticket": ticket.id, onclick: onClick },
    el("div", { class: "row-head" }, severityBadge(ticket.severity), ticket.vip ? el("span", { class: "badge vip", text: "VIP" }) : null,
      el("strong", { text: label("issue_type", ticket.issue_type) })),
    el("div", { class: "row-meta" }, el("span", { text: label("queue", ticket.queue) }), " · ",
      el("span", { text: label("status", ticket.status) }), " · ", clock),
    ticket.preview ? el("div", { class: "preview", text: ticket.preview }) : null,
  );
}

function renderMine(workload) {
  $("capacity").textContent = `${workload.holding}/${workload.capacity}`;
  const list = $("mine");
  list.replaceChildren(...workload.items.map((t) => ticketRow(t, () => openTicket(t.id))));
  if (!workload.items.length) list.append(el("li", { class: "muted", text: "暂无" }));
  tickClocks();
}

async function refreshMine() {
  renderMine(await api("/api/v1/agents/me/tickets"));
}

async function refreshQueues() {
  const overview = await api("/api/v1/queues");
  const list = $("queues");
  list.replaceChildren(
    ...Object.entries(overview.waiting).map(([queue, count]) =>
      el("li", { class: state.queue === queue ? "queue selected" : "queue", "data-queue": queue },
        el("button", { class: "link queue-name", onclick: () => showQueue(queue) }, label("queue", queue)),
        el("span", { class: count ? "count busy" : "count", text: String(count) }),
        el("button", { class: "small", disabled: !count, onclick: () => claimNext(queue), text: "领取下一个" }),
      ),
    ),
  );
  if (state.queue) await showQueue(state.queue, true);
}

async function showQueue(queue, quiet) {
  state.queue = queue;
  const page = await api(`/api/v1/queues/${queue}?limit=20`);
  $("waiting-title").textContent = `等待领取 · ${label("queue", queue)}（${page.waiting}）`;
  $("waiting").replaceChildren(...page.items.map((t) => ticketRow(t, () => openTicket(t.id))));
  if (!page.items.length) $("waiting").append(el("li", { class: "muted", text: "暂无" }));
  for (const node of document.querySelectorAll(".queue")) node.classList.toggle("selected", node.dataset.queue === queue);
  if (!quiet) tickClocks();
}

async function claimNext(queue) {
  try {
    const result = await api(`/api/v1/queues/${queue}/claim`, { method: "POST" });
    if (!result.claimed) return toast("该队列暂无待领取的工单");
    toast(`已领取 ${result.ticket.id}`);
    await Promise.all([refreshMine(), refreshQueues()]);
    await openTicket(result.ticket.id);
  } catch (error) {
    toast(error.message, true);
  }
}

function summaryItem(name, value) {
  return el("div", { class: "fact" }, el("dt", { text: name }), el("dd", { text: value || "—" }));
}

// The API sends the shopper's whole number only to the agent holding the ticket; a masked one
// (138****5678) is shown as it is, with nothing to call.
function phoneItem(phone) {
  const callable = Boolean(phone) && /^\+?[\d\s-]+$/.test(phone);
  const number = callable ? el("a", { class: "call", href: `tel:${phone.replace(/[\s-]/g, "")}`, text: phone }) : phone || "—";
  return el("div", { class: "fact contact" }, el("dt", { text: "联系电话" }), el("dd", {}, number));
}

function turnBubble(turn) {
  const who = turn.role === "user" ? "买家" : turn.role === "agent" ? `客服 ${turn.author || ""}` : "机器人";
  return el("li", { class: `turn ${turn.role}` }, el("div", { class: "turn-meta", text: `${who} ${formatTime(turn.ts)}` }),
    el("div", { class: "turn-text", text: turn.text }));
}

async function openTicket(ticketId) {
  const ticket = await api(`/api/v1/tickets/${ticketId}`);
  state.ticket = ticket;
  renderTicket(ticket);
  loadSuggestions(ticket);
}

function renderTicket(ticket) {
  const mine = ticket.assignee === state.agent && ["assigned", "waiting_customer"].includes(ticket.status);
  const { due, kind } = slaOf(ticket);
  const remedyOptions = Object.entries(Labels.data.remedy).map(([value, text]) =>
    el("option", { value, selected: value === ticket.remedy, text }));
  const queueOptions = Object.entries(Labels.data.queue).map(([value, text]) =>
    el("option", { value, disabled: value === ticket.queue, text }));
  const view = el("div", { class: "ticket-view" },
    el("div", { class: "ticket-head" },
      el("h2", { text: `${label("issue_type", ticket.issue_type)} · ${ticket.id}` }),
      severityBadge(ticket.severity), ticket.customer.vip ? el("span", { class: "badge vip", text: "VIP" }) : null,
      el("span", { class: `badge status-${ticket.status}`, text: label("status", ticket.status) }),
      el("span", { class: "clock big", "data-due": due, "data-kind": kind })),
    el("dl", { class: "facts" },
      summaryItem("订单号", ticket.order_id),
      summaryItem("问题", label("issue_type", ticket.issue_type)),
      summaryItem("期望处理", label("remedy", ticket.remedy, "未说明")),
      summaryItem("商品", ticket.product),
      summaryItem("金额", ticket.amount),
      summaryItem("主播", ticket.host),
      summaryItem("渠道", label("channel", ticket.channel)),
      phoneItem(ticket.customer.phone),
      summaryItem("队列", label("queue", ticket.queue)),
      summaryItem("责任方", label("responsibility", ticket.responsibility)),
      summaryItem("处理人", ticket.assignee),
      summaryItem("转交原因", label("handoff_reason", ticket.reason)),
      summaryItem("重复投诉", ticket.repeat_complaint ? "是" : "否"),
      ticket.resolution ? summaryItem("处理结果", `${label("remedy", ticket.resolution.remedy)}：${ticket.resolution.note}`) : null,
      ticket.revisit ? summaryItem("回访评价", `${ticket.revisit.csat} 分${ticket.revisit.comment ? "，" + ticket.revisit.comment : ""}`) : null),
    el("details", { class: "explain", open: true }, el("summary", { text: `为什么是「${label("severity", ticket.severity)}」` }),
      el("ul", {}, ...ticket.explain.map((line) => el("li", { text: line })))),
    el("h3", { text: "对话记录" }),
    el("ol", { id: "transcript", class: "transcript" }, ...ticket.transcript.map(turnBubble)),
    ticket.notes.length ? el("h3", { text: "内部备注" }) : null,
    ticket.notes.length ? el("ul", { class: "notes" }, ...ticket.notes.map((n) => el("li", { text: `${n.author}：${n.text}` }))) : null,
    mine ? el("div", { class: "actions" },
      el("textarea", { id: "reply-text", rows: 4, placeholder: "回复买家（点右侧话术可直接填入）" }),
      el("div", { class: "buttons" },
        el("button", { class: "primary", id: "send-reply", onclick: () => sendReply(false), text: "发送回复" }),
        el("button", { id: "send-ask", onclick: () => sendReply(true), text: "发送并等待买家补充" }),
        el("button", { id: "add-note", onclick: addNote, text: "记为内部备注" })),
      el("div", { class: "resolve" },
        el("label", {}, "处理结果 ", el("select", { id: "resolve-remedy" }, ...remedyOptions)),
        el("input", { id: "resolve-note", placeholder: "说明做了什么（买家会看到）" }),
        el("button", { class: "primary", id: "resolve", onclick: resolveTicket, text: "标记已解决" })),
      el("div", { class: "transfer" },
        el("label", {}, "转交 ", el("select", { id: "transfer-queue" }, ...queueOptions)),
        el("input", { id: "transfer-reason", placeholder: "转交原因" }),
        el("button", { id: "transfer", onclick: transferTicket, text: "转交" })))
      : el("p", { class: "muted", text: ticket.status === "new" || ticket.status === "reopened" ? "领取后才能回复。" : "" }),
  );
  $("ticket").replaceChildren(view);
  const transcript = $("transcript");
  transcript.scrollTop = transcript.scrollHeight;
  tickClocks();
}

function deadlineText(ticket) {
  return ticket.sla.resolution_due;
}

async function loadSuggestions(ticket) {
  $("suggestions").hidden = false;
  const shopper = ticket.transcript.filter((t) => t.role === "user").map((t) => t.text);
  const query = (shopper.slice(-2).join(" ") || label("issue_type", ticket.issue_type)).slice(0, 400);
  const params = (kind) => new URLSearchParams({ q: query, k: "4", kind, issue_type: ticket.issue_type });
  try {
    const [scripts, faqs] = await Promise.all([
      api(`/api/v1/kb/search?${params("script")}`),
      api(`/api/v1/kb/search?${params("faq")}`),
    ]);
    const values = new URLSearchParams({ agent_name: state.agent || "", ticket_id: ticket.id, deadline: deadlineText(ticket) });
    if (ticket.order_id) values.set("order_id", ticket.order_id);
    if (ticket.remedy) values.set("remedy", ticket.remedy);
    if (ticket.product) values.set("product", ticket.product);
    const rendered = await Promise.all(scripts.results.map((hit) =>
      api(`/api/v1/kb/scripts/${encodeURIComponent(hit.id)}/render?${values}`).catch(() => null)));
    $("scripts").replaceChildren(...rendered.filter(Boolean).map((script) => suggestion(script.title, script.text)));
    $("faqs").replaceChildren(...faqs.results.map((hit) => suggestion(hit.title, hit.text)));
  } catch (error) {
    $("scripts").replaceChildren(el("li", { class: "muted", text: `知识库暂不可用：${error.message}` }));
  }
}

function suggestion(title, text) {
  return el("li", { class: "suggestion" }, el("strong", { text: title }), el("p", { text }),
    el("button", { class: "small use", onclick: () => useText(text), text: "填入回复" }));
}

function useText(text) {
  const box = $("reply-text");
  if (!box) return toast("领取工单后才能回复", true);
  box.value = text;
  box.focus();
}

async function act(path, body, done) {
  try {
    await api(`/api/v1/tickets/${state.ticket.id}/${path}`, { method: "POST", body });
    toast(done);
    await Promise.all([openTicket(state.ticket.id), refreshMine(), refreshQueues()]);
  } catch (error) {
    toast(error.message, true);
  }
}

function sendReply(awaitCustomer) {
  const text = $("reply-text").value.trim();
  if (!text) return toast("回复内容不能为空", true);
  return act("replies", { text, await_customer: awaitCustomer }, "已发送给买家");
}

function addNote() {
  const text = $("reply-text").value.trim();
  if (!text) return toast("备注内容不能为空", true);
  return act("notes", { text }, "已记为内部备注（买家看不到）");
}

function resolveTicket() {
  const note = $("resolve-note").value.trim();
  if (!note) return toast("请说明处理结果", true);
  return act("resolve", { remedy: $("resolve-remedy").value, note }, "已标记解决，买家会收到评价邀请");
}

function transferTicket() {
  const reason = $("transfer-reason").value.trim();
  if (!reason) return toast("请填写转交原因", true);
  return act("transfer", { queue: $("transfer-queue").value, reason }, "已转交");
}

let refreshTimer = null;
function onTicketEvent(name, event) {
  if (name !== "ticket") return;
  clearTimeout(refreshTimer);
  refreshTimer = setTimeout(() => {
    refreshQueues().catch(() => {});
    refreshMine().catch(() => {});
  }, 150);
  if (state.ticket && event.ticket_id === state.ticket.id) {
    if (event.action === "shopper_message" || event.action === "facts_filled") toast("买家有新消息");
    openTicket(state.ticket.id).catch(() => {});
  }
}

function tickClocks() {
  for (const node of document.querySelectorAll(".clock[data-due]")) {
    if (!node.dataset.due || node.dataset.due === "null") {
      node.textContent = "";
      continue;
    }
    const { text, late, soon } = countdown(node.dataset.due);
    node.textContent = `${node.dataset.kind}${text}`;
    node.classList.toggle("late", late);
    node.classList.toggle("soon", !!soon);
  }
}

async function main() {
  await loadLabels();
  setInterval(tickClocks, 1000);
  $("sign-in-form").addEventListener("submit", async (event) => {
    event.preventDefault();
    try {
      $("sign-in-error").textContent = "";
      await signIn($("token").value.trim());
    } catch (error) {
      $("sign-in-error").textContent = error.status === 401 ? "令牌无效，请检查后重试" : error.message;
    }
  });
  $("sign-out").addEventListener("click", () => {
    sessionStorage.removeItem("console-token");
    location.reload();
  });
  const saved = sessionStorage.getItem("console-token");
  if (saved) signIn(saved).catch(() => sessionStorage.removeItem("console-token"));
}

main();
