// The supervisor wall: live queues, agents by state, service by queue and by customer tier,
// complaint SLAs, the value pyramid and the churn-risk spread, with the Erlang C staffing
// recommendation beside the agents signed in. Refreshes on every stream event and every 5 s.
import {
  api, chosenLanguage, clock, el, listen, loadCatalogue, nameOf, percent, resume, showError,
  signIn, signOut, state, t,
} from "/ui/api.js";

const $ = (id) => document.getElementById(id);
const charts = {};
const recent = [];
let timer = null;
let stopStream = null;
let refreshing = false;

async function start() {
  await loadCatalogue(chosenLanguage());
  $("lang").textContent = state.lang === "zh" ? "English" : "中文";
  $("lang").addEventListener("click", async () => {
    await loadCatalogue(state.lang === "zh" ? "en" : "zh");
    $("lang").textContent = state.lang === "zh" ? "English" : "中文";
    await refresh();
  });
  $("sign-in-form").addEventListener("submit", async (event) => {
    event.preventDefault();
    try {
      await signIn($("username").value);
      await enter();
    } catch (error) {
      showError($("sign-in-error"), error);
    }
  });
  $("sign-out").addEventListener("click", () => {
    if (stopStream) stopStream();
    clearInterval(timer);
    signOut();
    $("wall").hidden = true;
    $("sign-in").hidden = false;
  });
  if (await resume()) await enter();
  else $("sign-in").hidden = false;
}

async function enter() {
  $("sign-in").hidden = true;
  $("wall").hidden = false;
  $("sign-out").hidden = false;
  $("who").textContent = state.me.subject;
  stopStream = listen((event) => {
    recent.unshift(event);
    recent.length = Math.min(recent.length, 12);
    refresh();
  }, (status) => { $("stream-status").textContent = t(`stream.${status}`); });
  timer = setInterval(refresh, 5000);
  await refresh();
}

function today() {
  const start = new Date();
  start.setHours(0, 0, 0, 0);
  return `from=${encodeURIComponent(start.toISOString())}&to=${encodeURIComponent(new Date().toISOString())}`;
}

async function quietly(path, fallback, options) {
  try {
    return await api(path, options);
  } catch (error) {
    showError($("wall-error"), error);
    return fallback;
  }
}

async function refresh() {
  if (refreshing) return;
  refreshing = true;
  try {
    $("wall-error").hidden = true;
    const [queues, agents, byQueue, byTier, atRisk, breached, distribution, calls, complaints] = await Promise.all([
      quietly("/v1/queues", []),
      quietly("/v1/agents", []),
      quietly(`/v1/kpis?group_by=queue&${today()}`, { groups: [] }),
      quietly(`/v1/kpis?group_by=tier&${today()}`, { groups: [] }),
      quietly("/v1/complaints?sla=at_risk", { items: [] }),
      quietly("/v1/complaints?sla=breached", { items: [] }),
      quietly("/v1/scores/distribution", null),
      quietly("/v1/calls?limit=8", { items: [] }),
      quietly("/v1/complaints?limit=8", { items: [] }),
    ]);
    renderCalls(calls.items || []);
    renderComplaints(complaints.items || []);
    await renderQueues(queues, byQueue);
    renderAgents(agents);
    renderTiers(byTier);
    renderSla(atRisk.items || [], breached.items || []);
    renderRecent();
    renderPyramid(distribution);
    renderRisk(distribution);
    $("updated").textContent = new Date().toLocaleTimeString(state.lang === "zh" ? "zh-CN" : "en");
  } finally {
    refreshing = false;
  }
}

function groupsOf(kpis) {
  return (kpis && kpis.groups) || [];
}

function slOf(figures) {
  return figures && figures.service_level ? figures.service_level.offered : null;
}

// Agents Erlang C asks for at today's measured arrival rate and handle time (80/20).
async function recommended(today) {
  const group = groupsOf(today)[0];
  if (!group || !group.counters.offered || !group.figures.aht_seconds) return null;
  const hours = (new Date(today.to) - new Date(today.from)) / 3.6e6;
  if (hours <= 0) return null;
  const answer = await quietly("/v1/staffing/erlang", null, {
    method: "POST",
    body: {
      arrival_rate_per_hour: group.counters.offered / hours,
      aht_seconds: group.figures.aht_seconds,
      target_percent: 80,
      target_seconds: 20,
    },
  });
  return answer && answer.required.agents;
}

async function renderQueues(queues, kpis) {
  const body = $("queues").querySelector("tbody");
  const rows = [];
  for (const queue of queues) {
    const live = await quietly(`/v1/queues/${queue.id}/live`, {});
    const needed = live.today ? await recommended(live.today) : null;
    const group = groupsOf(kpis).find((g) => g.key.queue === queue.id);
    const figures = group ? group.figures : {};
    const signedIn = Object.entries(live.agents_by_presence || {})
      .filter(([presence]) => presence !== "offline")
      .reduce((sum, [, n]) => sum + n, 0);
    rows.push(el("tr", { "data-queue": queue.name },
      el("th", { scope: "row", text: queue.name }),
      el("td", { class: "num", "data-figure": "waiting", text: live.waiting ?? "—" }),
      el("td", { class: "num", text: clock(live.longest_wait_seconds) }),
      el("td", { class: "num", text: percent(slOf(figures)) }),
      el("td", { class: "num", text: clock(figures.asa_seconds) }),
      el("td", { class: "num", text: percent(figures.abandonment_rate) }),
      el("td", { class: "num", "data-figure": "signed-in", text: signedIn }),
      el("td", { class: "num", "data-figure": "needed", text: needed ?? "—" }),
    ));
  }
  body.replaceChildren(...rows);
}

function renderAgents(agents) {
  const counts = {};
  for (const agent of agents) {
    const presence = agent.presence || agent.state || "offline";
    counts[presence] = (counts[presence] || 0) + 1;
  }
  $("agents").replaceChildren(...Object.entries(counts).map(([presence, n]) =>
    el("li", { "data-presence": presence }, el("span", { class: `dot ${presence}` }),
      `${nameOf("presence_state", presence)}: `, el("strong", { text: n }))));
}

function renderTiers(kpis) {
  const body = $("tiers").querySelector("tbody");
  body.replaceChildren(...groupsOf(kpis).map((g) => el("tr", { "data-tier": g.key.tier || "none" },
    el("th", { scope: "row", text: g.key.tier ? nameOf("tier", g.key.tier) : t("wall.no_tier") }),
    el("td", { class: "num", text: g.counters.offered }),
    el("td", { class: "num", text: percent(slOf(g.figures)) }),
    el("td", { class: "num", text: clock(g.figures.asa_seconds) }),
    el("td", { class: "num", text: percent(g.figures.abandonment_rate) }))));
}

function renderSla(atRisk, breached) {
  const items = [
    ...breached.map((c) => ({ c, kind: "breached" })),
    ...atRisk.map((c) => ({ c, kind: "at_risk" })),
  ];
  $("sla").replaceChildren(...items.map(({ c, kind }) => el("li", { class: kind, "data-complaint": c.id },
    el("strong", { text: t(`wall.sla_${kind}`) }),
    ` ${nameOf("complaint_category", c.category)} · ${nameOf("complaint_state", c.state)} · ${nameOf("tier", c.tier)}`)));
  if (!items.length) $("sla").append(el("li", { class: "muted", text: t("wall.sla_none") }));
}

function renderCalls(calls) {
  $("calls").replaceChildren(...calls.map((call) => el("li", { "data-call": call.call_id },
    el("strong", { text: call.from_number || call.customer_id || call.call_id }),
    ` · ${nameOf("call_status", call.state)} · ${call.queue || ""}`)));
}

function renderComplaints(complaints) {
  $("complaints").replaceChildren(...complaints.map((c) => el("li", { "data-complaint": c.id },
    el("strong", { text: nameOf("complaint_category", c.category) }),
    ` · ${nameOf("complaint_state", c.state)} · ${nameOf("severity", c.severity)} · ${nameOf("tier", c.tier)}`)));
}

function renderRecent() {
  $("recent").replaceChildren(...recent.map((event) => {
    const data = event.data || {};
    const what = t(`event.${event.type}`);
    const detail = data.queue || (data.category ? nameOf("complaint_category", data.category) : "") || (data.tier ? nameOf("tier", data.tier) : "");
    return el("li", { "data-type": event.type }, el("strong", { text: what }), ` ${detail}`);
  }));
}

function chart(id, type, labels, values, colors) {
  const data = { labels, datasets: [{ data: values, backgroundColor: colors }] };
  if (charts[id]) {
    charts[id].data = data;
    charts[id].update("none");
    return;
  }
  charts[id] = new window.Chart($(id), {
    type,
    data,
    options: {
      animation: false,
      indexAxis: type === "bar" && id === "pyramid" ? "y" : "x",
      plugins: { legend: { display: false } },
      scales: { x: { beginAtZero: true }, y: { beginAtZero: true } },
    },
  });
}

function renderPyramid(distribution) {
  if (!distribution) return;
  const tiers = ["gold", "silver", "bronze", "iron"];
  chart("pyramid", "bar", tiers.map((tier) => nameOf("tier", tier)),
    tiers.map((tier) => distribution.tiers[tier] || 0),
    ["#b8860b", "#8a8f98", "#a0522d", "#4a5568"]);
}

function renderRisk(distribution) {
  if (!distribution || !distribution.risk_bands) return;
  const bands = distribution.risk_bands;
  chart("risk", "bar", bands.map((b) => `${Math.round(b.low * 100)}–${Math.round(b.high * 100)}%`),
    bands.map((b) => b.customers), "#c53030");
}

start();
