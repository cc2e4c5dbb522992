// The agent desktop: presence, live offers with their screen pop, the customer 360,
// complaints filed from the contact and worked through their lifecycle, wrap-up.
import {
  api, chosenLanguage, clock, el, listen, loadCatalogue, money, nameOf, percent, resume,
  showError, signIn, signOut, state, t, translatePage,
} from "/ui/api.js";

const $ = (id) => document.getElementById(id);
const desk = { agent: null, offer: null, inHand: null, customerId: null, complaint: null };
let stopStream = null;

async function start() {
  await loadCatalogue(chosenLanguage());
  labelOptions();
  $("lang").addEventListener("click", toggleLanguage);
  $("sign-in-form").addEventListener("submit", onSignIn);
  $("sign-out").addEventListener("click", onSignOut);
  $("presence").addEventListener("change", onPresence);
  $("accept").addEventListener("click", () => answerOffer("accept"));
  $("reject").addEventListener("click", () => answerOffer("reject"));
  $("search").addEventListener("submit", onSearch);
  $("complaint-form").addEventListener("submit", onFileComplaint);
  $("wrap-up").addEventListener("submit", onWrapUp);
  document.addEventListener("keydown", onKey);
  if (await resume()) await enterDesk();
  else showSignIn();
}

function labelOptions() {
  for (const option of $("presence").options) {
    const [presence, reason] = option.value.split(":");
    option.textContent = reason
      ? `${nameOf("presence_state", presence)} · ${nameOf("pause_reason", reason)}`
      : nameOf("presence_state", presence);
  }
  const category = $("cf-category").value || "billing";
  $("cf-category").replaceChildren(...Object.entries(state.catalogue.sections.complaint_category)
    .map(([value, name]) => el("option", { value, text: name })));
  $("cf-category").value = category;
  for (const option of $("cf-severity").options) option.textContent = nameOf("severity", option.value);
  for (const option of $("wrap-code").options) option.textContent = t(`wrap.${option.value}`);
  $("lang").textContent = state.lang === "zh" ? "English" : "中文";
}

async function toggleLanguage() {
  await loadCatalogue(state.lang === "zh" ? "en" : "zh");
  labelOptions();
  if (state.me) $("who").textContent = whoText();
  if (desk.offer) renderOffer(desk.offer);
  if (desk.customerId) await openCustomer(desk.customerId);
  if (desk.complaint) await openComplaint(desk.complaint.id);
}

function showSignIn() {
  $("sign-in").hidden = false;
  $("desk").hidden = true;
  $("sign-out").hidden = true;
  $("presence-box").hidden = true;
  $("username").focus();
}

async function onSignIn(event) {
  event.preventDefault();
  try {
    await signIn($("username").value);
    await enterDesk();
  } catch (error) {
    showError($("sign-in-error"), error);
  }
}

function onSignOut() {
  if (stopStream) stopStream();
  signOut();
  showSignIn();
}

function whoText() {
  const roles = (state.me.roles || []).join(", ");
  return `${state.me.subject}${state.me.agent_id ? ` · ${state.me.agent_id}` : ""} (${roles})`;
}

async function enterDesk() {
  $("sign-in").hidden = true;
  $("desk").hidden = false;
  $("sign-out").hidden = false;
  $("who").textContent = whoText();
  desk.agent = null;
  if (state.me.agent_id) {
    try {
      const agents = await api("/v1/agents");
      desk.agent = agents.find((a) => a.login === state.me.agent_id) || null;
    } catch (error) {
      showError($("desk-error"), error);
    }
  }
  $("presence-box").hidden = !desk.agent;
  if (desk.agent) $("presence").value = presenceValue(desk.agent);
  if (stopStream) stopStream();
  stopStream = listen(onStreamEvent, (status) => {
    $("stream-status").textContent = t(`stream.${status}`);
    $("stream-status").dataset.status = status;
  });
  $("search-phone").focus();
}

function presenceValue(agent) {
  const presence = agent.presence || agent.state;
  const reason = agent.presence_reason;
  if (presence === "paused" && reason) return `paused:${reason}`;
  return ["available", "offline"].includes(presence) ? presence : "available";
}

async function onPresence() {
  const [presence, reason] = $("presence").value.split(":");
  try {
    desk.agent = await api(`/v1/agents/${desk.agent.id}/presence`, {
      method: "PUT",
      body: reason ? { state: presence, reason } : { state: presence },
    });
  } catch (error) {
    showError($("desk-error"), error);
  }
}

function onStreamEvent(event) {
  const data = event.data || {};
  if (event.type === "contact.contact_offered") {
    desk.offer = data;
    renderOffer(data);
  } else if (["contact.offer_timed_out", "contact.offer_rejected"].includes(event.type)) {
    if (desk.offer && desk.offer.offer_id === data.offer_id) clearOffer();
  } else if (event.type === "contact.offer_accepted") {
    if (desk.offer && desk.offer.offer_id === data.offer_id) clearOffer();
  } else if (event.type && event.type.startsWith("complaints.") && desk.customerId) {
    if (data.customer_id === desk.customerId) openCustomer(desk.customerId);
  }
}

function renderOffer(offer) {
  const pop = offer.screen_pop || {};
  const who = pop.name || pop.from_number || t("desktop.unknown_caller");
  const tier = pop.tier ? ` · ${nameOf("tier", pop.tier)}` : "";
  $("offer-summary").textContent =
    `${nameOf("routing_channel", offer.channel)} · ${offer.queue} · ${who}${tier}`;
  $("offer").hidden = false;
  $("no-offer").hidden = true;
  $("accept").focus();
  if (pop.customer_id) openCustomer(pop.customer_id);
  else if ((pop.candidate_customer_ids || []).length) showCandidates(pop.candidate_customer_ids);
}

function clearOffer() {
  desk.offer = null;
  $("offer").hidden = true;
  $("no-offer").hidden = false;
}

async function answerOffer(verb) {
  const offer = desk.offer;
  if (!offer) return;
  try {
    await api(`/v1/offers/${offer.offer_id}/${verb}`, { method: "POST" });
    clearOffer();
    if (verb === "accept") {
      desk.inHand = offer;
      $("in-hand").hidden = false;
      $("in-hand-summary").textContent =
        `${nameOf("routing_channel", offer.channel)} · ${offer.queue}`;
      $("complaint-form").hidden = !(offer.screen_pop || {}).customer_id;
    }
  } catch (error) {
    showError($("desk-error"), error);
  }
}

function onKey(event) {
  const typing = ["INPUT", "TEXTAREA", "SELECT"].includes(document.activeElement.tagName);
  if (typing || event.ctrlKey || event.metaKey || event.altKey || !desk.offer) return;
  if (event.key === "a" || event.key === "A") answerOffer("accept");
  if (event.key === "r" || event.key === "R") answerOffer("reject");
}

async function onSearch(event) {
  event.preventDefault();
  const list = $("search-results");
  list.replaceChildren();
  try {
    const phone = $("search-phone").value.trim();
    const page = await api(`/v1/customers?phone=${encodeURIComponent(phone)}`);
    const items = page.items || page;
    if (!items.length) list.append(el("li", { class: "muted", text: t("desktop.none_found") }));
    for (const customer of items) {
      list.append(el("li", {}, el("button", {
        type: "button", class: "link", onclick: () => openCustomer(customer.customer_id),
        text: `${customer.name || customer.customer_id} · ${nameOf("customer_state", customer.state)}`,
      })));
    }
  } catch (error) {
    showError($("desk-error"), error);
  }
}

async function showCandidates(ids) {
  $("candidates").hidden = false;
  const list = $("candidate-list");
  list.replaceChildren();
  for (const id of ids) {
    let label = id;
    try {
      label = (await api(`/v1/customers/${id}`)).name || id;
    } catch { /* keep the id */ }
    list.append(el("li", {}, el("button", {
      type: "button", class: "link", onclick: () => openCustomer(id), text: label,
    })));
  }
}

async function openCustomer(customerId) {
  desk.customerId = customerId;
  $("candidates").hidden = true;
  try {
    renderCustomer(await api(`/v1/customers/${customerId}/360`));
  } catch (error) {
    showError($("desk-error"), error);
  }
}

function renderCustomer(view) {
  const customer = view.customer || {};
  const score = view.score || {};
  const churn = score.churn || {};
  $("no-customer").hidden = true;
  $("customer").hidden = false;
  $("complaint-form").hidden = false;
  $("c-name").textContent = customer.name || t("desktop.unknown_caller");
  $("c-partial").hidden = !view.partial.length;
  $("c-partial").textContent = `${t("customer.partial")}: ${view.partial.join(", ")}`;
  const value = score.value || {};
  $("c-tier").textContent = nameOf("tier", value.tier || customer.tier);
  $("c-state").textContent = nameOf("customer_state", customer.state);
  $("c-clv").textContent = money(value.clv);
  $("c-churn").textContent = percent(churn.risk ?? customer.churn_risk);
  $("c-stage").textContent = nameOf("lifecycle_stage", (score.lifecycle || {}).stage);
  $("c-phones").textContent = (customer.identities || [])
    .filter((i) => i.kind === "phone").map((i) => i.value).join(", ") || "—";
  $("c-reasons").replaceChildren(...(churn.reasons || []).map((r) =>
    el("li", {}, el("strong", { text: nameOf("score_reason", r.code) }), ` ${r.detail}`)));
  $("c-complaints").replaceChildren(...(view.open_complaints || []).map((c) =>
    el("li", {}, el("button", {
      type: "button", class: "link", onclick: () => openComplaint(c.id),
      text: `${nameOf("complaint_category", c.category)} · ${nameOf("complaint_state", c.state)} · ${slaText(c)}`,
    }))));
  if (!(view.open_complaints || []).length) {
    $("c-complaints").append(el("li", { class: "muted", text: t("customer.no_complaints") }));
  }
  $("c-contacts").replaceChildren(...(view.last_contacts || []).map((c) =>
    el("li", { text: `${nameOf("routing_channel", c.channel || c.kind)} · ${(c.at || c.occurred_at || c.started_at || "").slice(0, 16).replace("T", " ")} · ${c.outcome || c.disposition || c.status || ""}` })));
}

function slaText(complaint) {
  const due = complaint.sla && complaint.sla.next_due_at;
  if (!due) return t("complaint.no_deadline");
  const seconds = (new Date(due) - Date.now()) / 1000;
  return seconds < 0 ? `${t("complaint.overdue")} ${clock(-seconds)}` : `${t("complaint.due_in")} ${clock(seconds)}`;
}

async function onFileComplaint(event) {
  event.preventDefault();
  if (!desk.customerId) return;
  const contact = desk.inHand ? [`work-item:${desk.inHand.work_item_id}`] : [];
  try {
    const complaint = await api("/v1/complaints", {
      method: "POST",
      body: {
        customer_id: desk.customerId,
        channel: desk.inHand && desk.inHand.channel !== "voice" ? "chat" : "phone",
        category: $("cf-category").value,
        severity: $("cf-severity").value,
        description: $("cf-description").value,
        remedy_sought: $("cf-remedy").value || null,
        source_contacts: contact,
      },
    });
    renderComplaint(complaint);
    await openCustomer(desk.customerId);
  } catch (error) {
    showError($("desk-error"), error);
  }
}

async function openComplaint(id) {
  try {
    renderComplaint(await api(`/v1/complaints/${id}`));
  } catch (error) {
    showError($("desk-error"), error);
  }
}

function renderComplaint(complaint) {
  desk.complaint = complaint;
  $("complaint").hidden = false;
  $("cp-title").textContent = `${nameOf("complaint_category", complaint.category)} · ${nameOf("severity", complaint.severity)}`;
  $("cp-state").textContent = nameOf("complaint_state", complaint.state);
  $("cp-state").dataset.state = complaint.state;
  $("cp-due").textContent = slaText(complaint);
  $("cp-steps").replaceChildren(...complaint.allowed_transitions.map((to) =>
    el("button", { type: "button", "data-to": to, onclick: () => move(to), text: nameOf("complaint_state", to) })));
}

async function move(to) {
  const text = $("cp-reason").value.trim() || t("complaint.default_reason");
  const body = { to, reason: text };
  if (to === "decision_communicated") Object.assign(body, { decision_channel: "phone", decision_summary: text });
  if (to === "response_proposed") body.resolution_reason = text;
  if (to === "closed_rejected") body.recourse_offered = text;
  try {
    const complaint = await transition(desk.complaint.id, desk.complaint.state, body);
    if (complaint.state !== to) {
      renderComplaint(complaint);
      showError($("desk-error"), t("complaint.changed"));
      return;
    }
    $("desk-error").hidden = true;
    renderComplaint(complaint);
    await openCustomer(desk.customerId);
  } catch (error) {
    showError($("desk-error"), error);
  }
}

// Background updates (the customer's new tier, SLA timers) bump a complaint's version; only
// a change of state since the agent looked makes them look again. A version that moved
// between the read and the step is read again, a few times.
async function transition(id, seenState, body) {
  for (let attempt = 0; ; attempt += 1) {
    const current = await api(`/v1/complaints/${id}`);
    if (current.state !== seenState) return current;
    try {
      return await api(`/v1/complaints/${id}/transitions`, {
        method: "POST", body, headers: { "If-Match": `"${current.version}"` },
      });
    } catch (error) {
      if (error.status !== 412 || attempt >= 3) throw error;
    }
  }
}

async function onWrapUp(event) {
  event.preventDefault();
  if (!desk.inHand) return;
  try {
    const item = await api(`/v1/work-items/${desk.inHand.work_item_id}`);
    if (item.call_id) {
      // A call ends when the phone system says so; the agent records its wrap-up.
      await api(`/v1/calls/${item.call_id}/wrap-up`, {
        method: "PUT",
        body: { wrap_up_code: $("wrap-code").value, notes: $("wrap-notes").value || null },
      });
    } else {
      await api(`/v1/work-items/${item.id}/complete`, { method: "POST" });
    }
    desk.inHand = null;
    $("in-hand").hidden = true;
    $("wrap-notes").value = "";
  } catch (error) {
    showError($("desk-error"), error);
  }
}

translatePage();
start();
