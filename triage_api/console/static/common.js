// Shared by the console and the chat page: JSON calls, an SSE reader over fetch (so a bearer
// header can be sent), the labels from /api/v1/labels, and small formatting helpers.
"use strict";

const Labels = { data: null };

async function loadLabels() {
  const response = await fetch("/api/v1/labels");
  Labels.data = await response.json();
  return Labels.data;
}

function label(section, name, fallback) {
  if (!name) return fallback || "";
  const values = (Labels.data && Labels.data[section]) || {};
  return values[name] || fallback || name;
}

async function callJson(url, { method = "GET", token, body, headers = {} } = {}) {
  const options = { method, headers: { ...headers } };
  if (token) options.headers.Authorization = `Bearer ${token}`;
  if (body !== undefined) {
    options.headers["Content-Type"] = "application/json";
    options.body = JSON.stringify(body);
  }
  const response = await fetch(url, options);
  let data = null;
  try {
    data = await response.json();
  } catch (_) {
    data = null;
  }
  if (!response.ok) {
    const message = (data && data.error && data.error.message) || `HTTP ${response.status}`;
    const error = new Error(message);
    error.status = response.status;
    throw error;
  }
  return data;
}

// Reads a text/event-stream with fetch; calls onEvent(name, data, id) per event and reconnects
// with Last-Event-ID after a drop. Returns a function that stops it.
function openEventStream(url, headers, onEvent, onStatus) {
  let stopped = false;
  let lastId = null;
  let controller = null;
  async function connect() {
    while (!stopped) {
      controller = new AbortController();
      try {
        const requestHeaders = { ...headers };
        if (lastId) requestHeaders["Last-Event-ID"] = lastId;
        const response = await fetch(url, { headers: requestHeaders, signal: controller.signal });
        if (!response.ok) throw new Error(`HTTP ${response.status}`);
        if (onStatus) onStatus("live");
        const reader = response.body.getReader();
        const decoder = new TextDecoder();
        let buffer = "";
        for (;;) {
          const { value, done } = await reader.read();
          if (done) break;
          buffer += decoder.decode(value, { stream: true });
          let cut;
          while ((cut = buffer.indexOf("\n\n")) >= 0) {
            const block = buffer.slice(0, cut);
            buffer = buffer.slice(cut + 2);
            let name = "message", data = "", id = null;
            for (const line of block.split("\n")) {
              if (line.startsWith("event: ")) name = line.slice(7);
              else if (line.startsWith("data: ")) data += line.slice(6);
              else if (line.startsWith("id: ")) id = line.slice(4);
            }
            if (!data) continue;
            if (id) lastId = id;
            try {
              onEvent(name, JSON.parse(data), id);
            } catch (error) {
              console.error(error);
            }
          }
        }
      } catch (error) {
        if (stopped) return;
      }
      if (onStatus) onStatus("reconnecting");
      await new Promise((resolve) => setTimeout(resolve, 1000));
    }
  }
  connect();
  return () => {
    stopped = true;
    if (controller) controller.abort();
  };
}

function el(tag, attributes = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attributes)) {
    if (value === null || value === undefined || value === false) continue;
    if (key === "class") node.className = value;
    else if (key === "text") node.textContent = value;
    else if (key.startsWith("on")) node.addEventListener(key.slice(2), value);
    else node.setAttribute(key, value === true ? "" : value);
  }
  for (const child of children.flat()) {
    if (child === null || child === undefined || child === false) continue;
    node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return node;
}

function formatTime(value) {
  if (!value) return "";
  const date = typeof value === "number" ? new Date(value * 1000) : new Date(value);
  if (Number.isNaN(date.getTime())) return "";
  return date.toLocaleTimeString("zh-CN", { hour: "2-digit", minute: "2-digit", hour12: false });
}

// "还剩 4分12秒" / "已超时 3分" for a deadline.
function countdown(due) {
  if (!due) return { text: "", late: false };
  const seconds = Math.round((new Date(due).getTime() - Date.now()) / 1000);
  const late = seconds < 0;
  let left = Math.abs(seconds);
  const hours = Math.floor(left / 3600);
  left -= hours * 3600;
  const minutes = Math.floor(left / 60);
  const rest = left - minutes * 60;
  const span = hours > 0 ? `${hours}小时${minutes}分` : minutes > 0 ? `${minutes}分${rest}秒` : `${rest}秒`;
  return { text: late ? `已超时 ${span}` : `还剩 ${span}`, late, soon: !late && seconds < 120 };
}
