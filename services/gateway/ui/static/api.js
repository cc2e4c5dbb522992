// Rapport pages: sign-in, API calls, the live stream and the message catalogue.
// Plain ES modules, no build step. The token stays in this tab's sessionStorage.

const TOKEN_KEY = "rapport.token";
const LANG_KEY = "rapport.lang";

export const state = { me: null, catalogue: null, lang: "en" };

export function chosenLanguage() {
  const saved = localStorage.getItem(LANG_KEY);
  if (saved === "zh" || saved === "en") return saved;
  return (navigator.language || "en").toLowerCase().startsWith("zh") ? "zh" : "en";
}

export async function loadCatalogue(lang) {
  state.lang = lang;
  localStorage.setItem(LANG_KEY, lang);
  document.documentElement.lang = lang === "zh" ? "zh-CN" : "en";
  const answer = await fetch(`/v1/catalogue?lang=${lang}`);
  state.catalogue = await answer.json();
  translatePage();
}

// A page string (the catalogue's `ui` part), or a domain value's name.
export function t(key) {
  return (state.catalogue && state.catalogue.ui && state.catalogue.ui[key]) || key;
}

export function nameOf(section, value) {
  if (value === null || value === undefined) return "—";
  const names = state.catalogue && state.catalogue.sections[section];
  return (names && names[value]) || String(value);
}

export function translatePage(root = document) {
  for (const el of root.querySelectorAll("[data-t]")) el.textContent = t(el.dataset.t);
  for (const el of root.querySelectorAll("[data-t-label]")) {
    el.setAttribute("aria-label", t(el.dataset.tLabel));
  }
  for (const el of root.querySelectorAll("[data-t-placeholder]")) {
    el.setAttribute("placeholder", t(el.dataset.tPlaceholder));
  }
}

export function token() {
  return sessionStorage.getItem(TOKEN_KEY);
}

export async function signIn(username) {
  const answer = await fetch("/dev-issuer/token", {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify({ username }),
  });
  if (!answer.ok) throw await problemOf(answer);
  sessionStorage.setItem(TOKEN_KEY, (await answer.json()).access_token);
  state.me = await api("/v1/me");
  return state.me;
}

export async function resume() {
  if (!token()) return null;
  try {
    state.me = await api("/v1/me");
    return state.me;
  } catch {
    sessionStorage.removeItem(TOKEN_KEY);
    return null;
  }
}

export function signOut() {
  sessionStorage.removeItem(TOKEN_KEY);
  state.me = null;
}

async function problemOf(answer) {
  let body = {};
  try {
    body = await answer.json();
  } catch {
    body = {};
  }
  const error = new Error(body.detail || body.title || `${answer.status}`);
  error.status = answer.status;
  error.problem = body;
  return error;
}

export async function api(path, { method = "GET", body, headers = {} } = {}) {
  const answer = await fetch(path, {
    method,
    headers: {
      Authorization: `Bearer ${token()}`,
      "Accept-Language": state.lang,
      ...(body === undefined ? {} : { "Content-Type": "application/json" }),
      ...headers,
    },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  if (!answer.ok) throw await problemOf(answer);
  if (answer.status === 204) return null;
  return answer.json();
}

// The live stream over fetch (EventSource cannot send a bearer token). Reconnects after a
// drop with Last-Event-ID, so nothing sent meanwhile is lost.
export function listen(onEvent, onStatus = () => {}) {
  let lastId = null;
  let stopped = false;
  const controller = { abort: null };

  async function once() {
    const abort = new AbortController();
    controller.abort = abort;
    const headers = { Authorization: `Bearer ${token()}` };
    if (lastId) headers["Last-Event-ID"] = lastId;
    const answer = await fetch("/v1/stream", { headers, signal: abort.signal });
    if (!answer.ok) throw await problemOf(answer);
    onStatus("live");
    const reader = answer.body.getReader();
    const decoder = new TextDecoder();
    let buffer = "";
    for (;;) {
      const { value, done } = await reader.read();
      if (done) return;
      buffer += decoder.decode(value, { stream: true });
      let end;
      while ((end = buffer.indexOf("\n\n")) >= 0) {
        const block = buffer.slice(0, end);
        buffer = buffer.slice(end + 2);
        const event = {};
        for (const line of block.split("\n")) {
          const at = line.indexOf(":");
          if (at > 0) event[line.slice(0, at)] = line.slice(at + 1).trim();
        }
        if (event.id) lastId = event.id;
        if (event.data) onEvent({ type: event.event, ...JSON.parse(event.data) });
      }
    }
  }

  (async () => {
    while (!stopped) {
      try {
        await once();
      } catch (error) {
        if (stopped) return;
        onStatus("reconnecting");
      }
      await new Promise((resolve) => setTimeout(resolve, 1000));
    }
  })();
  return () => {
    stopped = true;
    if (controller.abort) controller.abort.abort();
  };
}

export function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs)) {
    if (value === undefined || value === null || value === false) continue;
    if (key.startsWith("on")) node.addEventListener(key.slice(2), value);
    else if (key === "text") node.textContent = value;
    else node.setAttribute(key, value === true ? "" : value);
  }
  for (const child of children.flat()) {
    if (child === null || child === undefined) continue;
    node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return node;
}

export function money(value) {
  if (value === null || value === undefined) return "—";
  return new Intl.NumberFormat(state.lang === "zh" ? "zh-CN" : "en", {
    maximumFractionDigits: 0,
  }).format(value);
}

export function percent(value) {
  if (value === null || value === undefined) return "—";
  return `${(value * 100).toFixed(1)}%`;
}

export function clock(seconds) {
  if (seconds === null || seconds === undefined) return "—";
  const sign = seconds < 0 ? "-" : "";
  const s = Math.abs(Math.round(seconds));
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const rest = String(s % 60).padStart(2, "0");
  return h ? `${sign}${h}:${String(m).padStart(2, "0")}:${rest}` : `${sign}${m}:${rest}`;
}

export function showError(where, error) {
  where.textContent = error && error.message ? error.message : String(error);
  where.hidden = false;
}
