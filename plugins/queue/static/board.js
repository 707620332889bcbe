// Display board: live calls over server-sent events (EventSource reconnects by itself), a chime and spoken
// announcements. Calls are queued so that several in quick succession are all shown and announced, in order.
// Announcements are the office's speech clips (announcement.wav, played by core's speech.js one after another);
// the browser's voice only for a language without clips. The board may take turns in the office's languages.
(function () {
  "use strict";
  const cfg = JSON.parse(document.getElementById("queue-board-config").textContent);
  const MAX_CALLS = 8;
  const HOLD_MS = 2500; // each call stays highlighted at least this long
  let calls = cfg.state.calls.slice();
  let services = cfg.state.services.slice();
  let shown = cfg.language; // the language the board shows now (it may take turns)
  const pending = [];
  let announcing = false;
  let audio = null;

  const nowEl = document.getElementById("queue-now");
  const listEl = document.getElementById("queue-calls");
  const servicesEl = document.getElementById("queue-services");
  const connectionEl = document.getElementById("queue-connection");
  const soundButton = document.getElementById("queue-sound");

  function texts() { return cfg.texts[shown] || cfg.texts[cfg.language]; }

  function counterName(call) {
    return call.counter_names[shown] || call.counter_names[cfg.language] || Object.values(call.counter_names)[0] || "";
  }

  function el(tag, cls, text) {
    const node = document.createElement(tag);
    if (cls) node.className = cls;
    if (text !== undefined) node.textContent = text;
    return node;
  }

  function renderCalls() {
    listEl.replaceChildren(...calls.map(function (call) {
      const li = el("li");
      li.append(el("span", "queue-number", call.number), " ", el("span", "queue-counter", counterName(call)));
      return li;
    }));
  }

  let current = calls.length ? calls[0] : null;
  function renderNow() {
    if (!current) return;
    const arrow = el("span", "queue-arrow", "→");
    arrow.setAttribute("aria-hidden", "true");
    nowEl.replaceChildren(el("span", "queue-number", current.number), arrow,
                          el("span", "queue-counter", counterName(current)));
    if (current.recall) nowEl.append(el("span", "queue-recall", texts().recall));
  }
  function showNow(call) {
    current = call;
    renderNow();
    nowEl.classList.remove("queue-flash");
    void nowEl.offsetWidth; // restart the highlight animation
    nowEl.classList.add("queue-flash");
  }

  function renderServices() {
    const t = texts();
    servicesEl.replaceChildren(...services.map(function (service) {
      const li = el("li");
      li.dataset.service = service.id;
      li.append(el("span", "queue-service-name", t.services[service.id] || service.name));
      if (!service.open) {
        li.append(el("span", "queue-service-closed", t.closed));
        return li;
      }
      if (service.seats !== null) {
        // A free computer is taken at once: the news is how many are free, or how many wait for one.
        li.append(el("span", "queue-service-seats", t.seats.replace("{free}", service.seats_free)
          .replace("{seats}", service.seats)));
        if (service.seats_free > 0) return li;
      }
      const waiting = el("span", "queue-service-waiting");
      waiting.append(el("strong", "", String(service.waiting)), " " + t.waiting);
      li.append(waiting);
      if (service.estimated_wait_minutes !== null) {
        li.append(el("span", "queue-service-wait", t.minutes.replace("{minutes}", service.estimated_wait_minutes)));
      }
      return li;
    }));
  }

  // --- taking turns in the office's languages ----------------------------------------------------------
  function showLanguage(language) {
    shown = language;
    const t = texts();
    document.documentElement.lang = language;
    document.documentElement.dir = t.dir;
    document.title = t.title;
    document.querySelectorAll("[data-text]").forEach(function (node) { node.textContent = t[node.dataset.text]; });
    renderNow();
    renderCalls();
    renderServices();
  }
  if (cfg.languages.length > 1) {
    let turn = 0;
    setInterval(function () {
      turn = (turn + 1) % cfg.languages.length;
      showLanguage(cfg.languages[turn]);
    }, cfg.languageSeconds * 1000);
  }

  // --- sound -------------------------------------------------------------------------------------------
  function audioContext() {
    if (!audio && (window.AudioContext || window.webkitAudioContext)) {
      audio = new (window.AudioContext || window.webkitAudioContext)();
    }
    return audio;
  }
  const speaks = cfg.chime || cfg.announcements.length > 0;

  // Whether the browser lets the board play sound by itself (Chromium with --autoplay-policy=no-user-gesture-
  // required): an audio context starts "running" only then. Shown on the page (data-sound) for whoever sets
  // the board up, with the button for a tap where it is blocked.
  function updateSound() {
    const ctx = audioContext();
    const allowed = !!ctx && ctx.state === "running";
    document.body.dataset.sound = !speaks ? "off" : allowed ? "allowed" : "blocked";
    soundButton.hidden = !speaks || allowed;
  }
  soundButton.addEventListener("click", function () {
    const ctx = audioContext();
    if (ctx) ctx.resume().then(updateSound);
  });

  function chime() {
    const ctx = audioContext();
    if (!cfg.chime || !ctx || ctx.state !== "running") return Promise.resolve();
    const start = ctx.currentTime;
    [659.25, 523.25].forEach(function (freq, i) { // two soft tones, E5 then C5
      const osc = ctx.createOscillator();
      const gain = ctx.createGain();
      osc.type = "sine";
      osc.frequency.value = freq;
      gain.gain.setValueAtTime(0.0001, start + i * 0.45);
      gain.gain.exponentialRampToValueAtTime(0.35, start + i * 0.45 + 0.03);
      gain.gain.exponentialRampToValueAtTime(0.0001, start + i * 0.45 + 0.8);
      osc.connect(gain).connect(ctx.destination);
      osc.start(start + i * 0.45);
      osc.stop(start + i * 0.45 + 0.85);
    });
    return new Promise(function (resolve) { setTimeout(resolve, 1300); });
  }

  function spokenNumber(number) {
    const m = /^([A-Z]+)0*(\d+)$/.exec(number);
    return m ? m[1] + " " + m[2] : number; // the browser's voice: "A 12", not "A zero one two"
  }

  function announcementUrl(a, call) {
    const where = call.seat !== null ? "&seat=" + call.seat : "&counter=" + encodeURIComponent(call.counter);
    return cfg.announcementUrl + "?language=" + a.language + "&number=" + encodeURIComponent(call.number) + where;
  }
  // Fetched as soon as the call comes in, so that a burst's later announcements are ready when their turn comes.
  function prefetch(call) {
    if (document.body.dataset.sound !== "allowed") return;
    cfg.announcements.forEach(function (a) { if (a.clips) window.mbkSpeech.prefetch(announcementUrl(a, call)); });
  }

  function speak(call) {
    let last = Promise.resolve();
    // Where the browser blocks sound nothing would be heard: the calls go on at the pace of the screen.
    if (document.body.dataset.sound !== "allowed") return last;
    cfg.announcements.forEach(function (a) {
      const text = a.text.replace("{number}", spokenNumber(call.number))
        .replace("{counter}", call.counter_names[a.language] || counterName(call));
      // The office's clips; the browser's voice only where the language has none (or they cannot be fetched).
      last = window.mbkSpeech.enqueue({ urls: a.clips ? [announcementUrl(a, call)] : null, language: a.language,
                                        text: text });
    });
    return last;
  }

  function wait(ms) { return new Promise(function (resolve) { setTimeout(resolve, ms); }); }

  async function announceQueued() {
    if (announcing) return;
    announcing = true;
    while (pending.length) {
      const call = pending.shift();
      showNow(call);
      await Promise.all([chime().then(function () { return speak(call); }), wait(HOLD_MS)]);
    }
    announcing = false;
  }

  // --- live updates --------------------------------------------------------------------------------------
  let refreshTimer = null;
  const reads = window.mbkOrderedReads();
  function refreshCountsSoon() {
    // Many changes come in bursts: fetch the counts once after a short, jittered pause.
    if (refreshTimer) return;
    refreshTimer = setTimeout(function () {
      refreshTimer = null;
      const read = reads.ask();
      fetch(cfg.stateUrl, { headers: { Accept: "application/json" } })
        .then(function (r) { return r.ok ? r.json() : null; })
        .then(function (state) { if (state && reads.newer(read)) { services = state.services; renderServices(); } })
        .catch(function () {});
    }, 300 + Math.random() * 400);
  }

  function connect() {
    const source = new EventSource(cfg.eventsUrl);
    source.addEventListener("open", function () { connectionEl.hidden = true; });
    source.addEventListener("error", function () {
      connectionEl.hidden = false;
      // EventSource retries by itself after a dropped connection, but gives up for good after an HTTP error
      // (a proxy's 502 during a deploy): then start a new one.
      if (source.readyState === EventSource.CLOSED) setTimeout(connect, 3000 + Math.random() * 2000);
    });
    source.addEventListener("state", function (e) {
      const state = JSON.parse(e.data);
      reads.shownNow();
      calls = state.calls.slice(0, MAX_CALLS);
      services = state.services;
      renderCalls();
      renderServices();
    });
    source.addEventListener("ticket.called", function (e) {
      const call = JSON.parse(e.data);
      calls.unshift(call);
      calls = calls.slice(0, MAX_CALLS);
      renderCalls();
      pending.push(call);
      prefetch(call);
      announceQueued();
      refreshCountsSoon();
    });
    ["ticket.issued", "ticket.started", "ticket.done", "ticket.no_show", "ticket.cancelled", "ticket.transferred"]
      .forEach(function (type) { source.addEventListener(type, refreshCountsSoon); });
  }

  updateSound();
  renderServices();
  connect();
})();
