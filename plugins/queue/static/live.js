// The manager's live view: the whole state arrives on the stream first (and after every reconnect); after each
// event of the office the page reads the state again (at most a few times a second).
(function () {
  "use strict";
  const cfg = JSON.parse(document.getElementById("queue-live-config").textContent);
  const L = cfg.labels;
  const updated = document.getElementById("queue-live-updated");

  function el(tag, cls, text) {
    const node = document.createElement(tag);
    if (cls) node.className = cls;
    if (text !== undefined && text !== null) node.textContent = text;
    return node;
  }
  function minutes(value) { return value === null ? "–" : L.minutes.replace("{minutes}", value); }
  function pairs(target, rows) {  // [label, value, id (optional, as data-figure on the value)]
    target.replaceChildren(...rows.flatMap(function (row) {
      const value = el("dd", "", String(row[1]));
      if (row[2]) value.dataset.figure = row[2];
      return [el("dt", "", row[0]), value];
    }));
  }

  function render(state) {
    document.getElementById("queue-live-services").replaceChildren(...state.services.map(function (s) {
      const tr = el("tr");
      tr.dataset.service = s.id;
      tr.append(el("th", "", s.name), el("td", "", String(s.waiting)), el("td", "", String(s.held)),
        el("td", "", String(s.urgent)), el("td", "", minutes(s.longest_wait_minutes)));
      tr.firstChild.scope = "row";
      return tr;
    }));
    document.getElementById("queue-live-counters").replaceChildren(...state.counters.map(function (c) {
      const li = el("li");
      li.dataset.counter = c.id;
      const text = c.state === "paused" ? L.paused + (c.since_minutes !== null ? " · " + minutes(c.since_minutes) : "")
        : c.state === "busy" ? L.busy.replace("{number}", c.serving) : L.idle;
      li.append(el("span", "", c.name), el("strong", "", text));
      return li;
    }));
    const t = state.totals;
    pairs(document.getElementById("queue-live-totals"), [[L.waiting, t.waiting], [L.issued, t.issued],
      [L.served, t.served], [L.noShows, t.no_shows], [L.cancelled, t.cancelled], [L.urgent, t.urgent],
      [L.interpreter, t.interpreter]]);
    pairs(document.getElementById("queue-live-figures"), state.figures.map(function (f) {
      return [f.label, f.value + (f.value && f.since_minutes !== null ? " · " + minutes(f.since_minutes) : ""), f.id];
    }));
    updated.textContent = updated.dataset.label.replace("{time}", new Date(state.at).toLocaleTimeString(cfg.language));
  }

  let timer = null;
  const reads = window.mbkOrderedReads();
  function readSoon() {
    if (timer) return;
    timer = setTimeout(async function () {
      timer = null;
      const read = reads.ask();
      try {
        const response = await fetch(cfg.stateUrl, { credentials: "same-origin", headers: { Accept: "application/json" } });
        const state = response.ok ? await response.json() : null;
        if (state && reads.newer(read)) render(state);
      } catch (e) { updated.textContent = updated.dataset.offline; }
    }, 300);
  }

  function connect() {
    const source = new EventSource(cfg.eventsUrl);
    source.addEventListener("state", function (event) {
      reads.shownNow();
      render(JSON.parse(event.data));
    });
    cfg.eventTypes.forEach(function (type) { source.addEventListener(type, readSoon); });
    source.addEventListener("error", function () {
      updated.textContent = updated.dataset.offline;
      if (source.readyState === EventSource.CLOSED) setTimeout(connect, 5000);
    });
  }
  connect();
})();
