// Display board: live calls over server-sent events (EventSource reconnects by itself), a chime and spoken
// announcements. Calls are queued so that several in quick succession are all shown and announced, in order.
(function () {
  "use strict";
  const cfg = JSON.parse(document.getElementById("queue-board-config").textContent);
  const MAX_CALLS = 8;
  const HOLD_MS = 2500; // each call stays highlighted at least this long
  let calls = cfg.state.calls.slice();
  const pending = [];
  let announcing = false;
  let audio = null;

  const nowEl = document.getElementById("queue-now");
  const listEl = document.getElementById("queue-calls");
  const servicesEl = document.getElementById("queue-services");
  const connectionEl = document.getElementById("queue-connection");
  const soundButton = document.getElementById("queue-sound");

  function counterName(call) {
    return call.counter_names[cfg.language] || Object.values(call.counter_names)[0] || "";
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

  function showNow(call) {
    const arrow = el("span", "queue-arrow", "→");
    arrow.setAttribute("aria-hidden", "true");
    nowEl.replaceChildren(el("span", "queue-number", call.number), arrow, el("span", "queue-counter", counterName(call)));
    if (call.recall) nowEl.append(el("span", "queue-recall", cfg.labels.recall));
    nowEl.classList.remove("queue-flash");
    void nowEl.offsetWidth; // restart the highlight animation
    nowEl.classList.add("queue-flash");
  }

  function renderServices(services) {
    servicesEl.replaceChildren(...services.map(function (service) {
      const li = el("li");
      li.dataset.service = service.id;
      const waiting = el("span", "queue-service-waiting");
      waiting.append(el("strong", "", String(service.waiting)), " " + cfg.labels.waiting);
      const wait = el("span", "queue-service-wait", service.estimated_wait_minutes === null ? "" :
        cfg.labels.minutes.replace("{minutes}", service.estimated_wait_minutes));
      li.append(el("span", "queue-service-name", service.name), waiting, wait);
      if (service.seats !== null) {
        li.append(el("span", "queue-service-seats", cfg.labels.seats.replace("{free}", service.seats_free)
          .replace("{seats}", service.seats)));
      }
      return li;
    }));
  }

  // --- sound -------------------------------------------------------------------------------------------
  function audioContext() {
    if (!audio && (window.AudioContext || window.webkitAudioContext)) {
      audio = new (window.AudioContext || window.webkitAudioContext)();
    }
    return audio;
  }

  function updateSoundButton() {
    const ctx = audioContext();
    soundButton.hidden = !ctx || ctx.state === "running" || !(cfg.chime || Object.keys(cfg.announcements).length);
  }

  soundButton.addEventListener("click", function () {
    const ctx = audioContext();
    if (ctx) ctx.resume().then(updateSoundButton);
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
    return m ? m[1] + " " + m[2] : number; // "A 12" is read as a letter and a number, not "A zero one two"
  }

  function voiceFor(language) {
    return speechSynthesis.getVoices().find(function (v) { return v.lang.toLowerCase().startsWith(language); });
  }

  function speakOne(language, call) {
    // Only with a voice for the language: another language's voice would garble the text.
    const voice = voiceFor(language);
    if (!voice) return Promise.resolve();
    return new Promise(function (resolve) {
      const text = cfg.announcements[language].replace("{number}", spokenNumber(call.number))
        .replace("{counter}", call.counter_names[language] || counterName(call));
      const utterance = new SpeechSynthesisUtterance(text);
      utterance.lang = voice.lang;
      utterance.voice = voice;
      utterance.onend = utterance.onerror = function () { resolve(); };
      setTimeout(resolve, 8000); // never let a silent engine block the queue
      speechSynthesis.speak(utterance);
    });
  }

  async function speak(call) {
    if (!("speechSynthesis" in window)) return;
    for (const language of Object.keys(cfg.announcements)) {
      await speakOne(language, call);
    }
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
  function refreshCountsSoon() {
    // Many changes come in bursts: fetch the counts once after a short, jittered pause.
    if (refreshTimer) return;
    refreshTimer = setTimeout(function () {
      refreshTimer = null;
      fetch(cfg.stateUrl, { headers: { Accept: "application/json" } })
        .then(function (r) { return r.ok ? r.json() : null; })
        .then(function (state) { if (state) renderServices(state.services); })
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
      calls = state.calls.slice(0, MAX_CALLS);
      renderCalls();
      renderServices(state.services);
    });
    source.addEventListener("ticket.called", function (e) {
      const call = JSON.parse(e.data);
      calls.unshift(call);
      calls = calls.slice(0, MAX_CALLS);
      renderCalls();
      pending.push(call);
      announceQueued();
      refreshCountsSoon();
    });
    ["ticket.issued", "ticket.started", "ticket.done", "ticket.no_show", "ticket.cancelled", "ticket.transferred"]
      .forEach(function (type) { source.addEventListener(type, refreshCountsSoon); });
  }

  if ("speechSynthesis" in window) speechSynthesis.getVoices(); // voices load in the background; ask early
  updateSoundButton();
  connect();
})();
