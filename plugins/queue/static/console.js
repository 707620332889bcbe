// Guide console: choose counter and services, pause or open the counter, call the next visitor or a chosen one,
// hold and resume, flag urgent, record the outcome, see the line with errands. Live: the board's event stream
// tells the console when to refresh (no polling).
(function () {
  "use strict";
  const cfg = JSON.parse(document.getElementById("queue-console-config").textContent);
  const L = cfg.labels;
  const STORE = "mbk-queue-console-" + cfg.office;
  const counterSelect = document.getElementById("queue-counter");
  const choices = document.querySelectorAll("#queue-service-choices input[type=checkbox]");
  const message = document.getElementById("queue-message");
  const currentBox = document.getElementById("queue-current");
  const lineEl = document.getElementById("queue-line");
  const serviceNames = Object.fromEntries(cfg.services.map(function (s) { return [s.id, s.name]; }));
  let current = null;
  // Counts the refreshes asked and the guide's actions answered: a refresh shows its answer only if nothing was
  // asked or answered after it (see refresh and showAnswer). Newest asked, not core's mbkOrderedReads (newer than
  // shown): the line of a counter the guide has just left must not show even for a moment.
  let latestRefresh = 0;
  const ALERT_POLL_MILLISECONDS = 5000;

  function saved() {
    try { return JSON.parse(localStorage.getItem(STORE)) || {}; } catch (e) { return {}; }
  }
  function save() {
    localStorage.setItem(STORE, JSON.stringify({ counter: counterSelect.value, services: chosenServices(),
      current: current ? current.id : null }));
  }
  function counter() { return cfg.counters.find(function (c) { return c.id === counterSelect.value; }); }
  function chosenServices() {
    return Array.from(choices).filter(function (c) { return c.checked && !c.disabled; }).map(function (c) { return c.value; });
  }
  function applyCounter() {
    const served = counter() ? counter().services : [];
    choices.forEach(function (box) {
      const ok = served.includes(box.value);
      box.disabled = !ok;
      box.closest("label").hidden = !ok;
    });
  }

  function el(tag, cls, text) {
    const node = document.createElement(tag);
    if (cls) node.className = cls;
    if (text !== undefined && text !== null) node.textContent = text;
    return node;
  }

  function say(text) { message.textContent = text; }

  async function api(path, options) {
    const response = await window.mbkFetch(cfg.api + path + (path.includes("?") ? "&" : "?") + "lang=" + cfg.language,
      Object.assign({ headers: { "Content-Type": "application/json", Accept: "application/json" } }, options || {}));
    if (response.status === 204) return null;
    const body = await response.json().catch(function () { return {}; });
    if (!response.ok) throw new Error(body.detail || response.statusText);
    return body;
  }

  function errand(ticket, target) {
    const rows = [];
    if (ticket.category) rows.push([L.category, ticket.category_title]);
    rows.push([L.language, ticket.language_name || ticket.language]);
    if (ticket.interpreter) rows.push([L.interpreter, ticket.interpreter_name || ticket.interpreter]);
    Object.entries(ticket.answers || {}).forEach(function (pair) { rows.push(pair); });
    if (ticket.transferred_from) rows.push([L.transferredFrom.replace("{service}", serviceNames[ticket.transferred_from] || ticket.transferred_from), ""]);
    if (ticket.note) rows.push([L.note, ticket.note]);
    if (ticket.text_requested) rows.push([L.textRequested, ""]);
    target.replaceChildren();
    rows.forEach(function (row) {
      target.append(el("dt", "", row[0]), el("dd", "", row[1]));
    });
  }

  function stateLabel(ticket) {
    return { waiting: L.waiting, called: L.called, serving: L.serving, done: L.done }[ticket.status] || ticket.status;
  }

  function showCurrent(ticket) {
    current = ticket && ["called", "serving"].includes(ticket.status) ? ticket : null;
    currentBox.hidden = !current;
    if (current) {
      document.getElementById("queue-current-number").textContent = current.number;
      document.getElementById("queue-current-state").textContent = stateLabel(current);
      document.getElementById("queue-current-urgent").hidden = !current.urgent;
      errand(current, document.getElementById("queue-current-errand"));
      currentBox.querySelector("[data-action=recall]").disabled = current.status !== "called";
      currentBox.querySelector("[data-action=start]").disabled = current.status !== "called";
      currentBox.querySelector("[data-action=no-show]").disabled = current.status !== "called";
    }
    save();
  }

  // The guide's visitor as an action on it (call, start, done…) answered. A refresh asked before that answer
  // read the line before the action and would show the visitor as still waiting: it is dropped, and the
  // refresh every action asks for shows the line after it.
  function showAnswer(ticket) {
    latestRefresh++;
    showCurrent(ticket);
  }

  function minutesSince(iso) { return Math.max(0, Math.round((Date.now() - Date.parse(iso)) / 60000)); }

  // A button acting on one ticket of the line; its name says which ticket ("Call B004").
  function ticketButton(text, ticket, quiet, act) {
    const button = el("button", "mbk-button" + (quiet ? " mbk-button--quiet" : ""), text);
    button.type = "button";
    button.append(el("span", "mbk-sr", " " + ticket.number));
    button.addEventListener("click", function () { act().catch(function (e) { say(L.failed.replace("{detail}", e.message)); }); });
    return button;
  }
  function post(path, body) {
    return api(path, { method: "POST", body: body ? JSON.stringify(body) : undefined });
  }

  function renderLine(tickets) {
    const waiting = tickets.filter(function (t) { return t.status === "waiting"; });
    document.getElementById("queue-line-count").textContent = String(waiting.length);
    if (!waiting.length) { lineEl.replaceChildren(el("li", "mbk-muted", L.nobody)); return; }
    lineEl.replaceChildren(...waiting.map(function (t) {
      const li = el("li", "queue-line-item" + (t.urgent ? " queue-line-item--urgent" : "") + (t.held ? " queue-line-item--held" : ""));
      li.dataset.ticket = t.number;
      const head = el("p", "queue-line-head");
      head.append(el("strong", "queue-number", t.number), " ", serviceNames[t.service] || t.service, " · ",
        L.minutes.replace("{minutes}", minutesSince(t.issued_at)));
      if (t.urgent) head.append(" ", el("span", "queue-badge queue-badge--urgent", L.urgent));
      if (t.held) head.append(" ", el("span", "queue-badge queue-badge--held", L.held));
      if (t.booked) head.append(" ", el("span", "queue-badge", L.booked));
      if (t.interpreter) head.append(" ", el("span", "queue-badge", L.interpreter + ": " + (t.interpreter_name || t.interpreter)));
      const details = el("dl", "queue-errand");
      errand(t, details);
      const actions = el("div", "queue-line-actions");
      const call = ticketButton(L.call, t, false, async function () {
        showAnswer(await post("/tickets/" + t.id + "/call", { counter: counterSelect.value }));
        say("");
        refreshSoon();
      });
      call.disabled = paused || Boolean(current);
      actions.append(call,
        ticketButton(t.held ? L.resume : L.hold, t, true, async function () {
          await post("/tickets/" + t.id + "/" + (t.held ? "resume" : "hold")); refreshSoon();
        }),
        ticketButton(t.urgent ? L.notUrgent : L.markUrgent, t, true, async function () {
          await post("/tickets/" + t.id + "/urgent", { urgent: !t.urgent }); refreshSoon();
        }));
      li.append(head, details, actions);
      return li;
    }));
  }

  const seatServices = cfg.services.filter(function (s) { return s.seats !== null; }).map(function (s) { return s.id; });
  const seatsEl = document.getElementById("queue-seats");

  function renderSeats(tickets) {
    const seated = tickets.filter(function (t) { return t.seat !== null; })
      .sort(function (a, b) { return a.seat - b.seat; });
    const waiting = tickets.filter(function (t) { return t.status === "waiting"; }).length;
    const items = seated.map(function (t) {
      const li = el("li", "queue-seat");
      const free = el("button", "mbk-button mbk-button--quiet", L.freeSeat);
      free.type = "button";
      free.addEventListener("click", async function () {
        try { await api("/tickets/" + t.id + "/done", { method: "POST" }); refreshSoon(); }
        catch (e) { say(L.failed.replace("{detail}", e.message)); }
      });
      li.append(el("strong", "", L.seat.replace("{seat}", t.seat)), " ", el("span", "queue-number", t.number),
        " · " + L.minutes.replace("{minutes}", minutesSince(t.started_at || t.called_at)) + " ", free);
      return li;
    });
    if (!items.length) items.push(el("li", "mbk-muted", L.noSeats));
    if (waiting) items.push(el("li", "", L.seatWaiting.replace("{count}", waiting)));
    seatsEl.replaceChildren(...items);
  }

  async function refreshSeats() {
    if (!seatsEl || !seatServices.length) return;
    const query = seatServices.map(function (s) { return "services=" + encodeURIComponent(s); }).join("&");
    try { renderSeats(await api("/tickets?" + query)); } catch (e) { say(L.failed.replace("{detail}", e.message)); }
  }

  // Only the latest refresh shows its answer: one asked for another counter's lines (the guide just changed it)
  // may come back after it, and would put that line on the screen.
  async function refresh() {
    refreshSeats();
    const asked = ++latestRefresh;
    const services = chosenServices();
    if (!services.length) { renderLine([]); return; }
    try {
      const query = services.map(function (s) { return "services=" + encodeURIComponent(s); }).join("&");
      const tickets = await api("/tickets?" + query);
      if (asked !== latestRefresh) return;
      renderLine(tickets);
      if (current) {
        const fresh = tickets.find(function (t) { return t.id === current.id; });
        showCurrent(fresh || null);
      }
    } catch (e) { say(L.failed.replace("{detail}", e.message)); }
  }

  let refreshTimer = null;
  function refreshSoon() {
    if (refreshTimer) return;
    refreshTimer = setTimeout(function () { refreshTimer = null; refresh(); }, 250);
  }

  document.getElementById("queue-call-next").addEventListener("click", async function () {
    say("");
    try {
      const ticket = await api("/call-next", { method: "POST",
        body: JSON.stringify({ counter: counterSelect.value, services: chosenServices() }) });
      showAnswer(ticket);
      say(ticket === null ? L.nobody : "");
      refreshSoon();
    } catch (e) { say(L.failed.replace("{detail}", e.message)); }
  });

  currentBox.querySelectorAll("[data-action]").forEach(function (button) {
    button.addEventListener("click", async function () {
      if (!current) return;
      try {
        showAnswer(await api("/tickets/" + current.id + "/" + button.dataset.action, { method: "POST" }));
        refreshSoon();
      } catch (e) { say(L.failed.replace("{detail}", e.message)); }
    });
  });

  // Done, with what came of the visit (and to whom a referred visitor was sent).
  const doneForm = document.getElementById("queue-done");
  const referral = document.getElementById("queue-referral");
  doneForm.addEventListener("change", function () {
    if (referral) referral.hidden = doneForm.outcome.value !== "referred";
  });
  doneForm.addEventListener("submit", async function (event) {
    event.preventDefault();
    if (!current) return;
    const outcome = doneForm.outcome.value;
    if (!outcome) { say(L.chooseOutcome); doneForm.querySelector("input[name=outcome]").focus(); return; }
    const body = { outcome: outcome };
    if (outcome === "referred" && doneForm.referred_to) body.referred_to = doneForm.referred_to.value;
    try {
      showAnswer(await post("/tickets/" + current.id + "/done", body));
      doneForm.reset();
      if (referral) referral.hidden = true;
      say("");
      refreshSoon();
    } catch (e) { say(L.failed.replace("{detail}", e.message)); }
  });

  // The counter open or paused: nobody is called to a paused counter (the server refuses it too).
  let paused = false;
  const pauseButton = document.getElementById("queue-pause");
  function showCounterState(state) {
    paused = state === "paused";
    document.getElementById("queue-counter-state").textContent = paused ? L.counterPaused : L.counterOpen;
    document.getElementById("queue-counter-state").classList.toggle("queue-badge--held", paused);
    pauseButton.textContent = paused ? L.open : L.pause;
    document.getElementById("queue-call-next").disabled = paused;
  }
  async function loadCounterState() {
    try { showCounterState((await api("/counters/" + encodeURIComponent(counterSelect.value))).state); }
    catch (e) { say(L.failed.replace("{detail}", e.message)); }
  }
  pauseButton.addEventListener("click", async function () {
    try {
      const answer = await api("/counters/" + encodeURIComponent(counterSelect.value),
        { method: "PUT", body: JSON.stringify({ state: paused ? "open" : "paused" }) });
      showCounterState(answer.state);
      refreshSoon();
    } catch (e) { say(L.failed.replace("{detail}", e.message)); }
  });

  document.getElementById("queue-transfer").addEventListener("submit", async function (event) {
    event.preventDefault();
    if (!current) return;
    const form = event.target;
    try {
      await api("/tickets/" + current.id + "/transfer", { method: "POST",
        body: JSON.stringify({ to_service: form.to_service.value, note: form.note.value || null }) });
      form.note.value = "";
      showAnswer(null);
      refreshSoon();
    } catch (e) { say(L.failed.replace("{detail}", e.message)); }
  });

  counterSelect.addEventListener("change", function () { applyCounter(); save(); loadCounterState(); refresh(); });
  choices.forEach(function (box) { box.addEventListener("change", function () { save(); refresh(); }); });

  // Restore the guide's counter, services and current visitor after a reload.
  const restored = saved();
  if (restored.counter && cfg.counters.some(function (c) { return c.id === restored.counter; })) counterSelect.value = restored.counter;
  applyCounter();
  if (Array.isArray(restored.services)) choices.forEach(function (box) { box.checked = restored.services.includes(box.value); });
  if (restored.current) current = { id: restored.current };

  // What other plugins ask guides to act on (visitors waiting for an officer nobody could tell): no stream
  // carries it, so it is asked for every few seconds.
  const alertsBox = document.getElementById("queue-alerts");
  async function refreshAlerts() {
    try {
      const alerts = await api("/alerts");
      alertsBox.hidden = !alerts.length;
      document.getElementById("queue-alert-list").replaceChildren(...alerts.map(function (alert) {
        return el("li", "queue-alert", alert.text + " · " + L.minutes.replace("{minutes}", minutesSince(alert.since)));
      }));
    } catch (e) { /* shown again at the next try */ }
  }
  refreshAlerts();
  setInterval(refreshAlerts, ALERT_POLL_MILLISECONDS);

  function connect() {
    const source = new EventSource(cfg.api + "/board/events");
    ["ticket.issued", "ticket.called", "ticket.started", "ticket.done", "ticket.no_show", "ticket.cancelled",
      "ticket.transferred", "ticket.held", "ticket.resumed", "ticket.urgent"].forEach(function (type) {
      source.addEventListener(type, refreshSoon);
    });
    source.addEventListener("open", refreshSoon);
    source.addEventListener("error", function () {
      if (source.readyState === EventSource.CLOSED) setTimeout(connect, 5000); // gave up after an HTTP error
    });
  }
  connect();
  loadCounterState();
  refresh();
})();
